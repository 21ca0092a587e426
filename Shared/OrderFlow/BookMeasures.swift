import Domain
import OrderBook

/// The instantaneous book-derived quantities of one book state (docs/FEATURES.md gives each
/// formula). The aggregator computes them after every applied diff and weights them by how long
/// the state lasted. Prices and quantities become `Double` here (`units / 1e8`, correctly rounded,
/// the same value Python's `float("61737.63")` gives) and every sum runs best level first, left to
/// right, so an independent implementation doing the same arithmetic gets the same bits.
public struct BookMeasures: Sendable {
    /// Layout of `values`: one `imbalance_k` per configured depth, then these.
    public enum Slot: Int, CaseIterable, Sendable {
        case level1Imbalance, bidPressure, askPressure, bidSlope, askSlope, bidWallCount, askWallCount
        case quotedSpreadBps, micropriceDev, depthBid10bps, depthAsk10bps
        /// (best bid quantity + best ask quantity) / 2: the depth that normalises `ofi`.
        case level1Depth
    }

    public let depths: [Int]
    public let wallMultiple: Double
    /// How many levels per side are read for the imbalances, pressure, slope and walls.
    private let readLevels: Int
    private var bidPrices: [Double] = []
    private var bidQuantities: [Double] = []
    private var askPrices: [Double] = []
    private var askQuantities: [Double] = []
    private var scratch: [Double] = []

    /// The measures of the last `measure(_:into:)`: `depths.count` imbalances then `Slot`s.
    public static func count(depths: Int) -> Int { depths + Slot.allCases.count }

    public init(depths: [Int], wallMultiple: Double) {
        self.depths = depths
        self.wallMultiple = wallMultiple
        self.readLevels = max(OrderFlowConfiguration.levels, depths.max() ?? 0)
        bidPrices.reserveCapacity(readLevels)
        bidQuantities.reserveCapacity(readLevels)
        askPrices.reserveCapacity(readLevels)
        askQuantities.reserveCapacity(readLevels)
        scratch.reserveCapacity(OrderFlowConfiguration.levels)
    }

    /// Best bid and ask of the last measured book (units), and mid as a Double (NaN when a side is empty).
    public private(set) var bestBidUnits: Int64 = 0
    public private(set) var bestAskUnits: Int64 = 0
    public private(set) var bestBidQuantity = Double.nan
    public private(set) var bestAskQuantity = Double.nan
    public private(set) var mid = Double.nan

    /// Measures `book` into `values` (resized to `count(depths:)`). A book with an empty side gives
    /// NaN everywhere.
    public mutating func measure(_ book: OrderBook, into values: inout [Double]) {
        let n = depths.count + Slot.allCases.count
        if values.count != n { values = [Double](repeating: .nan, count: n) }
        read(book)
        guard let b1 = bidPrices.first, let a1 = askPrices.first else {
            for i in 0..<n { values[i] = .nan }
            bestBidUnits = 0; bestAskUnits = 0
            bestBidQuantity = .nan; bestAskQuantity = .nan; mid = .nan
            return
        }
        let qb1 = bidQuantities[0], qa1 = askQuantities[0]
        let mid = (b1 + a1) * 0.5
        self.mid = mid
        bestBidQuantity = qb1
        bestAskQuantity = qa1

        for (i, k) in depths.enumerated() {
            values[i] = Self.imbalance(bidQuantities, askQuantities, levels: k)
        }
        func put(_ slot: Slot, _ v: Double) { values[depths.count + slot.rawValue] = v }
        put(.level1Imbalance, (qb1 - qa1) / (qb1 + qa1))

        let top = OrderFlowConfiguration.levels
        let nb = min(top, bidPrices.count), na = min(top, askPrices.count)
        // Pressure: quantity weighted by 1 / (1 + distance from mid in bps).
        var wb = 0.0, wa = 0.0
        for i in 0..<nb { wb += bidQuantities[i] / (1 + (mid - bidPrices[i]) / mid * 10_000) }
        for i in 0..<na { wa += askQuantities[i] / (1 + (askPrices[i] - mid) / mid * 10_000) }
        put(.bidPressure, wb / (wb + wa))
        put(.askPressure, wa / (wb + wa))

        put(.bidSlope, Self.slope(bidPrices, bidQuantities, count: nb, mid: mid, bid: true))
        put(.askSlope, Self.slope(askPrices, askQuantities, count: na, mid: mid, bid: false))
        put(.bidWallCount, wallCount(bidQuantities, count: nb))
        put(.askWallCount, wallCount(askQuantities, count: na))

        put(.quotedSpreadBps, (a1 - b1) / mid * 10_000)
        let micro = (b1 * qa1 + a1 * qb1) / (qb1 + qa1)
        put(.micropriceDev, (micro - mid) / mid)

        let band = mid * (OrderFlowConfiguration.depthBandBps / 10_000)
        let low = mid - band, high = mid + band
        var depthBid = 0.0, depthAsk = 0.0
        book.forEachLevel(.bid) { p, q in
            let price = Double(p) / 1e8
            guard price >= low else { return false }
            depthBid += price * (Double(q) / 1e8)
            return true
        }
        book.forEachLevel(.ask) { p, q in
            let price = Double(p) / 1e8
            guard price <= high else { return false }
            depthAsk += price * (Double(q) / 1e8)
            return true
        }
        put(.depthBid10bps, depthBid)
        put(.depthAsk10bps, depthAsk)
        put(.level1Depth, (qb1 + qa1) * 0.5)
    }

    private mutating func read(_ book: OrderBook) {
        bidPrices.removeAll(keepingCapacity: true)
        bidQuantities.removeAll(keepingCapacity: true)
        askPrices.removeAll(keepingCapacity: true)
        askQuantities.removeAll(keepingCapacity: true)
        let limit = readLevels
        book.forEachLevel(.bid) { p, q in
            bidPrices.append(Double(p) / 1e8)
            bidQuantities.append(Double(q) / 1e8)
            return bidPrices.count < limit
        }
        book.forEachLevel(.ask) { p, q in
            askPrices.append(Double(p) / 1e8)
            askQuantities.append(Double(q) / 1e8)
            return askPrices.count < limit
        }
        if let b = book.bestBid { bestBidUnits = b.price.units }
        if let a = book.bestAsk { bestAskUnits = a.price.units }
    }

    /// (Σ bid − Σ ask) / (Σ bid + Σ ask) over the top k levels of each side (fewer when a side has fewer).
    static func imbalance(_ bids: [Double], _ asks: [Double], levels k: Int) -> Double {
        var b = 0.0, a = 0.0
        for i in 0..<min(k, bids.count) { b += bids[i] }
        for i in 0..<min(k, asks.count) { a += asks[i] }
        return (b - a) / (b + a)
    }

    /// Least-squares slope of cumulative quantity (y) against distance from mid in bps (x) over the
    /// first `count` levels; NaN with fewer than 2 levels.
    static func slope(_ prices: [Double], _ quantities: [Double], count n: Int, mid: Double, bid: Bool) -> Double {
        guard n >= 2 else { return .nan }
        var sx = 0.0, sy = 0.0, cum = 0.0
        for i in 0..<n {
            cum += quantities[i]
            sx += (bid ? mid - prices[i] : prices[i] - mid) / mid * 10_000
            sy += cum
        }
        let xm = sx / Double(n), ym = sy / Double(n)
        var sxy = 0.0, sxx = 0.0
        cum = 0
        for i in 0..<n {
            cum += quantities[i]
            let dx = (bid ? mid - prices[i] : prices[i] - mid) / mid * 10_000 - xm
            sxy += dx * (cum - ym)
            sxx += dx * dx
        }
        return sxx > 0 ? sxy / sxx : .nan
    }

    /// Levels among the first `count` whose quantity exceeds `wallMultiple` × their median quantity.
    mutating func wallCount(_ quantities: [Double], count n: Int) -> Double {
        guard n > 0 else { return .nan }
        scratch.removeAll(keepingCapacity: true)
        for i in 0..<n { scratch.append(quantities[i]) }
        scratch.sort()
        let median = n % 2 == 1 ? scratch[n / 2] : (scratch[n / 2 - 1] + scratch[n / 2]) * 0.5
        let threshold = wallMultiple * median
        var walls = 0
        for i in 0..<n where quantities[i] > threshold { walls += 1 }
        return Double(walls)
    }
}
