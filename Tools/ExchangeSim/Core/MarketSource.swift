import Domain

/// What a market source reports to the exchange as replay time passes.
public enum MarketEvent: Sendable, Hashable {
    /// Book levels that changed, quantities absolute (zero removes the level). The exchange
    /// numbers these changes with update ids and publishes them as `depthUpdate`s.
    case book(bids: [PriceLevel], asks: [PriceLevel])
    /// A public trade; `buyerIsMaker` true means the taker sold.
    case trade(price: Price, quantity: Quantity, buyerIsMaker: Bool)
}

/// The seam between the exchange and where its market comes from: the book and the public trades
/// of one symbol. The exchange calls ``step(at:)`` at every step time of the replay grid, in order;
/// the source returns what happened since the previous step. Today's implementation is
/// ``SyntheticKlineSource`` (a book drawn around the kline price path); a recorded order-book
/// capture can implement the same protocol later.
public protocol MarketSource: Sendable {
    var symbol: String { get }
    /// The book at `time`, before any step: (bids best first, asks best first).
    mutating func initialBook(at time: Timestamp) -> (bids: [PriceLevel], asks: [PriceLevel])
    /// Everything that happened in (previous step, `time`], in order.
    mutating func step(at time: Timestamp) -> [MarketEvent]
}

/// SplitMix64: a small deterministic generator, so a seed gives the same market on every run.
struct SimRandom: RandomNumberGenerator, Sendable {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A uniform integer in `range`.
    mutating func int(_ range: ClosedRange<Int64>) -> Int64 {
        range.lowerBound + Int64(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
}

/// A **synthetic** L2 book and trade flow drawn around the recorded klines (not recorded depth).
///
/// At each step the mid price is the bar's path price (``KlineSeries/pathPrice(_:at:)``); the
/// best bid is that price and the best ask one tick above it. Below the best bid (above the best
/// ask) sit `levels − 1` levels on a fixed grid (multiples of the level spacing, a whole number of
/// ticks). Quantities are seeded-random, scaled to the bar's volume (1/50 of it, times 0.2 to 2,
/// rounded down to the step size, at least 10 steps): a level keeps its quantity until it leaves
/// the book, except the best levels and two random levels among the top 20 of each side, which get
/// a new quantity every step. Each step also prints one to three trades at the best ask (price
/// rising or flat) or the best bid (falling). Between the last kline and the end of time the book
/// stays as it was.
public struct SyntheticKlineSource: MarketSource {
    public let symbol: String
    let series: KlineSeries
    let rules: SymbolRules
    let levels: Int
    /// Grid spacing in 1e-8 units.
    let spacing: Int64
    var random: SimRandom
    /// Per side: price units → quantity units; `best` the current best price units.
    var bids: [Int64: Int64] = [:]
    var asks: [Int64: Int64] = [:]
    var bestBid: Int64 = 0
    var bestAsk: Int64 = 0
    var lastMid: Int64 = 0
    var scale: Int64 = 0

    public init(series: KlineSeries, rules: SymbolRules, levels: Int, spacingBasisPoints: Int, seed: UInt64) {
        self.symbol = series.symbol
        self.series = series
        self.rules = rules
        self.levels = levels
        let reference = series.first?.open.units ?? rules.tickSize.units
        let tick = max(rules.tickSize.units, 1)
        let raw = Int64(Int128(reference) * Int128(spacingBasisPoints) / 10_000)
        self.spacing = max(1, raw / tick) * tick
        var hash: UInt64 = 1469598103934665603
        for byte in series.symbol.utf8 { hash = (hash ^ UInt64(byte)) &* 1099511628211 }
        self.random = SimRandom(seed: seed ^ hash)
    }

    /// The bar active at `time`: the one containing it, else the last one before it.
    func bar(at ms: Int64) -> Kline? {
        guard let i = series.lastIndex(openAtOrBefore: ms) else { return series.first }
        return series.klines[i]
    }

    mutating func drawQuantity() -> Int64 {
        let step = max(rules.stepSize.units, 1)
        let q = Int64(Int128(scale) * Int128(random.int(200...2000)) / 1000) / step * step
        return max(q, 10 * step)
    }

    mutating func setScale(_ bar: Kline) {
        let step = max(rules.stepSize.units, 1)
        scale = max(bar.volume.units / 50 / step * step, 10 * step)
    }

    /// The grid indices (price = index × spacing) of the deeper levels of each side.
    func bidGrid(best: Int64) -> ClosedRange<Int64>? {
        let top = (best - 1) / spacing
        let bottom = max(top - Int64(levels - 2), 1)
        return top >= bottom ? bottom...top : nil
    }

    func askGrid(best: Int64) -> ClosedRange<Int64> {
        let bottom = best / spacing + 1
        return bottom...(bottom + Int64(levels - 2))
    }

    public mutating func initialBook(at time: Timestamp) -> (bids: [PriceLevel], asks: [PriceLevel]) {
        guard let bar = bar(at: time.milliseconds) else { return ([], []) }
        setScale(bar)
        let mid = series.pathPrice(bar, at: time.milliseconds).units
        _ = move(to: mid)
        lastMid = mid
        return (Self.sorted(bids, descending: true), Self.sorted(asks, descending: false))
    }

    static func sorted(_ side: [Int64: Int64], descending: Bool) -> [PriceLevel] {
        side.sorted { descending ? $0.key > $1.key : $0.key < $1.key }
            .map { PriceLevel(price: Decimal8(units: $0.key), quantity: Decimal8(units: $0.value)) }
    }

    /// Moves the book to a new mid price; returns the changed levels (price units → quantity units).
    mutating func move(to mid: Int64) -> (bids: [Int64: Int64], asks: [Int64: Int64]) {
        let tick = max(rules.tickSize.units, 1)
        let newBestBid = max(mid, tick)
        let newBestAsk = newBestBid + tick
        var bidChanges: [Int64: Int64] = [:]
        var askChanges: [Int64: Int64] = [:]
        // Bids
        let oldBidGrid = bestBid > 0 ? bidGrid(best: bestBid) : nil
        let newBidGrid = bidGrid(best: newBestBid)
        func inNewBids(_ p: Int64) -> Bool { p == newBestBid || (p % spacing == 0 && newBidGrid?.contains(p / spacing) == true) }
        var removals: [Int64] = []
        if let oldBidGrid {
            if let newBidGrid, oldBidGrid.overlaps(newBidGrid) {
                for i in oldBidGrid where !newBidGrid.contains(i) { removals.append(i * spacing) }
            } else {
                removals.append(contentsOf: oldBidGrid.map { $0 * spacing })
            }
        }
        if bestBid > 0 && bestBid != newBestBid { removals.append(bestBid) }
        for p in removals where !inNewBids(p) && bids[p] != nil {
            bids[p] = nil
            bidChanges[p] = 0
        }
        var additions: [Int64] = newBidGrid.map { g in g.map { $0 * spacing } } ?? []
        if let oldBidGrid, let newBidGrid, oldBidGrid.overlaps(newBidGrid) {
            additions = newBidGrid.filter { !oldBidGrid.contains($0) }.map { $0 * spacing }
        }
        additions.append(newBestBid)
        for p in additions where bids[p] == nil {
            let q = drawQuantity()
            bids[p] = q
            bidChanges[p] = q
        }
        // Asks
        let oldAskGrid = bestAsk > 0 ? askGrid(best: bestAsk) : nil
        let newAskGrid = askGrid(best: newBestAsk)
        func inNewAsks(_ p: Int64) -> Bool { p == newBestAsk || (p % spacing == 0 && newAskGrid.contains(p / spacing)) }
        removals = []
        if let oldAskGrid {
            if oldAskGrid.overlaps(newAskGrid) {
                for i in oldAskGrid where !newAskGrid.contains(i) { removals.append(i * spacing) }
            } else {
                removals.append(contentsOf: oldAskGrid.map { $0 * spacing })
            }
        }
        if bestAsk > 0 && bestAsk != newBestAsk { removals.append(bestAsk) }
        for p in removals where !inNewAsks(p) && asks[p] != nil {
            asks[p] = nil
            askChanges[p] = 0
        }
        additions = newAskGrid.map { $0 * spacing }
        if let oldAskGrid, oldAskGrid.overlaps(newAskGrid) {
            additions = newAskGrid.filter { !oldAskGrid.contains($0) }.map { $0 * spacing }
        }
        additions.append(newBestAsk)
        for p in additions where asks[p] == nil {
            let q = drawQuantity()
            asks[p] = q
            askChanges[p] = q
        }
        bestBid = newBestBid
        bestAsk = newBestAsk
        return (bidChanges, askChanges)
    }

    public mutating func step(at time: Timestamp) -> [MarketEvent] {
        let ms = time.milliseconds
        guard let first = series.first, let last = series.last,
              ms >= first.openTime.milliseconds, ms <= last.closeTime.milliseconds + 1,
              let bar = bar(at: ms) else { return [] }
        setScale(bar)
        let mid = series.pathPrice(bar, at: ms).units
        var (bidChanges, askChanges) = move(to: mid)
        // Refresh the best levels and two random levels of the top 20 on each side.
        let q = drawQuantity(), r = drawQuantity()
        bids[bestBid] = q
        bidChanges[bestBid] = q
        asks[bestAsk] = r
        askChanges[bestAsk] = r
        if let grid = bidGrid(best: bestBid) {
            for _ in 0..<2 {
                let p = (grid.upperBound - random.int(0...19)) * spacing
                if bids[p] != nil { let q = drawQuantity(); bids[p] = q; bidChanges[p] = q }
            }
        }
        let askG = askGrid(best: bestAsk)
        for _ in 0..<2 {
            let p = (askG.lowerBound + random.int(0...19)) * spacing
            if asks[p] != nil { let q = drawQuantity(); asks[p] = q; askChanges[p] = q }
        }
        var events: [MarketEvent] = [.book(
            bids: bidChanges.sorted { $0.key > $1.key }.map { PriceLevel(price: Decimal8(units: $0.key), quantity: Decimal8(units: $0.value)) },
            asks: askChanges.sorted { $0.key < $1.key }.map { PriceLevel(price: Decimal8(units: $0.key), quantity: Decimal8(units: $0.value)) }
        )]
        let falling = mid < lastMid
        lastMid = mid
        let count = random.int(1...3)
        let step = max(rules.stepSize.units, 1)
        for _ in 0..<count {
            let q = max(Int64(Int128(scale) * Int128(random.int(10...500)) / 1000) / step * step, step)
            events.append(.trade(
                price: Decimal8(units: falling ? bestBid : bestAsk), quantity: Decimal8(units: q), buyerIsMaker: falling
            ))
        }
        return events
    }
}
