import Domain
import OrderBook
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Order-flow features of one symbol aggregated to bars in event time: a pure value type fed with
/// the synced book stream (md.depth diffs, md.book full snapshots) and trades (md.trade), emitting
/// one `OrderFlowBar` per closed bar. No I/O, no clock: time is the events' own (Binance `E`, ms).
///
/// Time. Every event gets an effective time `max(its event time, the latest effective time so
/// far)`, so time never runs backwards across the interleaved depth and trade streams (an event
/// older than the clock is counted in `statistics.lateEvents` and lands in the current bar). Bars
/// are [open, open + length) aligned to the epoch; the first bar is the one holding the first event.
/// An event at or after the open bar's end closes it (and emits every empty bar in between); the
/// shell can also close bars with `advance(to:)`, e.g. when the bar's kline closes.
///
/// Book validity. After a snapshot is loaded the book state is timed from the first diff applied to
/// it; from then on each state lasts until the next diff. A bar's book-derived features are
/// defined only when the book was valid when the bar opened and stayed so to its end (no gap,
/// crossed book, restart or out-of-sequence snapshot inside); otherwise they are NaN and
/// `bookValid` is false. Resyncs are counted per bar and in `statistics`.
///
/// Aggregation (docs/FEATURES.md): book-state features are time-weighted means over the bar of
/// the piecewise-constant state; `ofi` is a sum over the bar's diffs divided by the time-weighted
/// level-1 depth; `book_update_rate` a count per second; `mid_return` a log ratio of the mid at
/// the bar's end and open; `effective_spread` a mean over the bar's trades and `trade_imbalance`
/// a ratio of the bar's taker volumes (NaN without trades).
public struct OrderFlowAggregator: Sendable {
    /// What the FeatureService shell (or a replay) feeds in.
    public enum Input: Sendable, Hashable {
        /// A synced diff (md.depth).
        case depth(DepthUpdate)
        /// A book (md.book): only full books (`isFull`) seed or re-seed the book; top-N ones are ignored.
        case book(BookSnapshot)
        /// A trade (md.trade: aggTrade or trade).
        case trade(AggTrade)
        /// The upstream book was discarded (a resync); nil time: at the current clock.
        case resync(at: Timestamp?)
        /// Close every bar that ends at or before this time.
        case advance(to: Timestamp)
    }

    public struct Statistics: Sendable, Hashable {
        public var diffsApplied = 0
        /// Diffs before any book was loaded (or after a resync, before the next snapshot).
        public var diffsWithoutBook = 0
        /// `u ≤` the book's update id: already in the book.
        public var staleDiffs = 0
        public var gaps = 0
        public var crossed = 0
        /// Times a loaded book was discarded (gaps, crossed, explicit resyncs, reloads while in sync).
        public var resyncs = 0
        public var snapshotsLoaded = 0
        /// Full md.book snapshots at the book's own update id (nothing to do) or older.
        public var snapshotsIgnored = 0
        /// Top-N md.book snapshots (cannot seed a book).
        public var partialSnapshotsIgnored = 0
        public var trades = 0
        /// Events whose event time was before the clock (assigned to the current bar).
        public var lateEvents = 0
        public var barsEmitted = 0
        public var invalidBars = 0
        /// Empty bars not emitted because the time jump exceeded `maxEmptyBars`.
        public var barsSkipped = 0

        public init() {}
    }

    public let configuration: OrderFlowConfiguration
    public private(set) var statistics = Statistics()
    /// The aggregator's own copy of the book (meaningful while `isBookLoaded`).
    public private(set) var book: OrderBook
    public private(set) var isBookLoaded = false
    /// Loaded and timed (a diff applied since the load): its state counts toward bars.
    public private(set) var isBookValid = false

    private let barLength: Int64
    private var measures: BookMeasures
    /// Measures of the current state, and its mid.
    private var current: [Double]
    private var currentMid = Double.nan
    /// The latest effective event time (ms).
    private var clock: Int64?
    private var barOpen: Int64?
    /// The time from which `current` has not yet been accumulated in the open bar.
    private var stateTime: Int64 = 0
    private var accumulated: [Double]
    private var barInvalid = true
    private var barDiffs = 0
    private var barTrades = 0
    private var barResyncs = 0
    private var ofiSum = 0.0
    private var takerBuy = 0.0
    private var takerSell = 0.0
    private var effectiveSpreadSum = 0.0
    private var effectiveSpreadCount = 0
    private var midAtOpen = Double.nan

    public init(symbol: String, configuration: OrderFlowConfiguration) {
        self.configuration = configuration
        self.book = OrderBook(symbol: symbol)
        self.barLength = configuration.frequency.milliseconds
        self.measures = BookMeasures(depths: configuration.depths, wallMultiple: configuration.wallMultiple)
        let n = BookMeasures.count(depths: configuration.depths.count)
        self.current = [Double](repeating: .nan, count: n)
        self.accumulated = [Double](repeating: 0, count: n)
    }

    public var symbol: String { book.symbol }
    /// `configuration.names`: the columns of every bar's `values`.
    public var names: [String] { configuration.names }
    /// The open time of the bar being aggregated, once an event has arrived.
    public var openBarTime: Timestamp? { barOpen.map { Timestamp(milliseconds: $0) } }

    // MARK: - Inputs

    public mutating func handle(_ input: Input) -> [OrderFlowBar] {
        var bars: [OrderFlowBar] = []
        handle(input, into: &bars)
        return bars
    }

    /// As `handle(_:)`, appending closed bars to `bars`.
    public mutating func handle(_ input: Input, into bars: inout [OrderFlowBar]) {
        switch input {
        case .depth(let update): apply(update, into: &bars)
        case .book(let snapshot): receive(snapshot)
        case .trade(let trade): record(trade, into: &bars)
        case .resync(let time): resync(at: time, into: &bars)
        case .advance(let time):
            // Moves the clock too: an event older than an advance is late, like one older than an event.
            let t = time.milliseconds
            if let c = clock, t <= c {
                advanceBars(to: c, into: &bars)
            } else {
                clock = t
                advanceBars(to: t, into: &bars)
            }
        }
    }

    /// Seeds the book with a full book (a replay's synchronizer book after `.synchronized`, or a
    /// REST snapshot). A book that was valid is discarded first (counted as a resync).
    public mutating func load(_ newBook: OrderBook) {
        discardForReload()
        book = newBook
        isBookLoaded = true
        statistics.snapshotsLoaded += 1
    }

    /// As `load(_: OrderBook)` from a depth snapshot.
    public mutating func load(_ snapshot: DepthSnapshot) {
        var b = OrderBook(symbol: book.symbol)
        b.load(snapshot)
        load(b)
    }

    // MARK: - Book

    private mutating func receive(_ snapshot: BookSnapshot) {
        guard snapshot.isFull else {
            statistics.partialSnapshotsIgnored += 1
            return
        }
        if isBookLoaded, snapshot.lastUpdateID <= book.lastUpdateID {
            // The md.book stream republishes the book we already hold (or an older one).
            statistics.snapshotsIgnored += 1
            return
        }
        load(DepthSnapshot(symbol: book.symbol, lastUpdateID: snapshot.lastUpdateID, bids: snapshot.bids, asks: snapshot.asks))
    }

    private mutating func discardForReload() {
        if isBookLoaded {
            statistics.resyncs += 1
            barResyncs += 1
        }
        invalidate()
    }

    private mutating func invalidate() {
        isBookLoaded = false
        isBookValid = false
        barInvalid = true
        book.removeAll()
        book.lastUpdateID = 0
        currentMid = .nan
        for i in current.indices { current[i] = .nan }
    }

    private mutating func resync(at time: Timestamp?, into bars: inout [OrderFlowBar]) {
        if let time { advanceBars(to: effectiveTime(time.milliseconds), into: &bars) }
        if isBookLoaded {
            statistics.resyncs += 1
            barResyncs += 1
        }
        invalidate()
    }

    private mutating func apply(_ update: DepthUpdate, into bars: inout [OrderFlowBar]) {
        let t = effectiveTime(update.eventTime.milliseconds)
        advanceBars(to: t, into: &bars)
        guard isBookLoaded else {
            statistics.diffsWithoutBook += 1
            return
        }
        if configuration.sequenceCheck == .spot {
            if update.finalUpdateID <= book.lastUpdateID {
                statistics.staleDiffs += 1
                return
            }
            if update.firstUpdateID > book.lastUpdateID + 1 {
                statistics.gaps += 1
                resync(at: nil, into: &bars)
                return
            }
        }
        let wasValid = isBookValid
        if wasValid { accumulate(until: t) }
        let oldBid = measures.bestBidUnits, oldAsk = measures.bestAskUnits
        let oldBidQuantity = measures.bestBidQuantity, oldAskQuantity = measures.bestAskQuantity
        book.apply(update)
        if book.isCrossed {
            statistics.crossed += 1
            resync(at: nil, into: &bars)
            return
        }
        measures.measure(book, into: &current)
        currentMid = measures.mid
        statistics.diffsApplied += 1
        barDiffs += 1
        if wasValid {
            // Cont, Kukanov & Stoikov: e = Δ(bid side) − Δ(ask side) at the best levels.
            let newBid = measures.bestBidUnits, newAsk = measures.bestAskUnits
            let qb = measures.bestBidQuantity, qa = measures.bestAskQuantity
            let bidPart = newBid > oldBid ? qb : (newBid == oldBid ? qb - oldBidQuantity : -oldBidQuantity)
            let askPart = newAsk < oldAsk ? qa : (newAsk == oldAsk ? qa - oldAskQuantity : -oldAskQuantity)
            ofiSum += bidPart - askPart
        } else {
            // The first diff on a loaded book times its state; the open bar did not see it whole.
            isBookValid = true
            stateTime = t
            barInvalid = true
        }
    }

    // MARK: - Trades

    private mutating func record(_ trade: AggTrade, into bars: inout [OrderFlowBar]) {
        let t = effectiveTime(trade.eventTime.milliseconds)
        advanceBars(to: t, into: &bars)
        statistics.trades += 1
        barTrades += 1
        let q = Double(trade.quantity.units) / 1e8
        if trade.buyerIsMaker { takerSell += q } else { takerBuy += q }
        if isBookValid, currentMid.isFinite {
            let p = Double(trade.price.units) / 1e8
            effectiveSpreadSum += 2 * abs(p - currentMid) / currentMid
            effectiveSpreadCount += 1
        }
    }

    // MARK: - Bars

    private mutating func effectiveTime(_ ms: Int64) -> Int64 {
        guard let c = clock else {
            clock = ms
            return ms
        }
        if ms < c {
            statistics.lateEvents += 1
            return c
        }
        clock = ms
        return ms
    }

    private mutating func accumulate(until t: Int64) {
        let dt = t - stateTime
        guard dt > 0 else { return }
        let w = Double(dt)
        for i in accumulated.indices { accumulated[i] += current[i] * w }
        stateTime = t
    }

    private mutating func startBar(at open: Int64) {
        barOpen = open
        for i in accumulated.indices { accumulated[i] = 0 }
        barInvalid = !isBookValid
        midAtOpen = isBookValid ? currentMid : .nan
        barDiffs = 0
        barTrades = 0
        barResyncs = 0
        ofiSum = 0
        takerBuy = 0
        takerSell = 0
        effectiveSpreadSum = 0
        effectiveSpreadCount = 0
        stateTime = open
    }

    private mutating func advanceBars(to t: Int64, into bars: inout [OrderFlowBar]) {
        guard let open = barOpen else {
            startBar(at: configuration.frequency.open(containing: t))
            return
        }
        guard t >= open + barLength else { return }
        closeBar(into: &bars)
        var next = open + barLength
        let target = configuration.frequency.open(containing: t)
        let empty = (target - next) / barLength
        if empty > Int64(configuration.maxEmptyBars) {
            statistics.barsSkipped += Int(empty)
            next = target
        }
        startBar(at: next)
        while t >= next + barLength {
            closeBar(into: &bars)
            next += barLength
            startBar(at: next)
        }
    }

    private mutating func closeBar(into bars: inout [OrderFlowBar]) {
        guard let open = barOpen else { return }
        let end = open + barLength
        if isBookValid { accumulate(until: end) }
        let valid = isBookValid && !barInvalid
        let length = Double(barLength)
        let k = configuration.depths.count
        func mean(_ slot: BookMeasures.Slot) -> Double { valid ? accumulated[k + slot.rawValue] / length : .nan }
        var values: [Double] = []
        values.reserveCapacity(k + OrderFlowFeature.fixed.count)
        for i in 0..<k { values.append(valid ? accumulated[i] / length : .nan) }
        for feature in OrderFlowFeature.fixed {
            switch feature {
            case .level1Imbalance: values.append(mean(.level1Imbalance))
            case .bidPressure: values.append(mean(.bidPressure))
            case .askPressure: values.append(mean(.askPressure))
            case .bidSlope: values.append(mean(.bidSlope))
            case .askSlope: values.append(mean(.askSlope))
            case .bidWallCount: values.append(mean(.bidWallCount))
            case .askWallCount: values.append(mean(.askWallCount))
            case .effectiveSpread:
                values.append(valid && effectiveSpreadCount > 0 ? effectiveSpreadSum / Double(effectiveSpreadCount) : .nan)
            case .quotedSpreadBps: values.append(mean(.quotedSpreadBps))
            case .micropriceDev: values.append(mean(.micropriceDev))
            case .ofi: values.append(valid ? ofiSum / mean(.level1Depth) : .nan)
            case .tradeImbalance: values.append(barTrades > 0 ? (takerBuy - takerSell) / (takerBuy + takerSell) : .nan)
            case .depthBid10bps: values.append(mean(.depthBid10bps))
            case .depthAsk10bps: values.append(mean(.depthAsk10bps))
            case .bookUpdateRate: values.append(valid ? Double(barDiffs) / (length / 1000) : .nan)
            case .midReturn: values.append(valid ? log(currentMid / midAtOpen) : .nan)
            case .imbalance5, .imbalance10, .imbalance20: break
            }
        }
        statistics.barsEmitted += 1
        if !valid { statistics.invalidBars += 1 }
        bars.append(OrderFlowBar(
            openTime: Timestamp(milliseconds: open), values: values, bookValid: valid,
            diffs: barDiffs, trades: barTrades, resyncs: barResyncs
        ))
    }
}
