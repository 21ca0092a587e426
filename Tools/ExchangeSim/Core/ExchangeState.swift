import CollectorCore
import Domain

/// A frame for one WebSocket connection.
public enum OutboundFrame: Sendable, Equatable {
    case text(String)
    /// Close the connection (a drop, a shutdown, or a client too slow to keep up).
    case close
}

/// Counters of the faults still to inject (`POST /sim/faults`).
public struct FaultPlan: Sendable, Equatable {
    /// The next N REST requests get HTTP 503 with -1008, without being executed.
    public var http5xx = 0
    /// The next N order placements are executed, then answered with HTTP 503 (status unknown).
    public var http5xxAfterExecute = 0
    /// The next N REST requests get HTTP 429 with Retry-After and -1003.
    public var http429 = 0
    /// Retry-After (seconds) of the injected 429s; nil = the rest of the weight minute, as Binance.
    public var http429RetryAfter: Int?
    /// The next N WebSocket frames are each preceded by a frame of garbage text.
    public var garbageFrames = 0
    /// The next N WebSocket frames are cut in half (the data is lost).
    public var truncatedJSON = 0
    /// The next N REST response bodies are cut in half.
    public var truncatedBodies = 0
    /// The next N order placements (POST order, orderList/oco, order/oco) get HTTP 503 with -1008
    /// without being executed; queries keep working.
    public var http5xxBeforeExecute = 0
    /// The next N order placements are executed, and the answer is held for `timeoutMs` (the
    /// client times out and does not know the order exists).
    public var timeoutAfterExecute = 0
    /// How long `timeoutAfterExecute` holds the answer (ms).
    public var timeoutMs: Int = 30_000
    /// The next N user-data events (executionReport, listStatus, outboundAccountPosition) are lost.
    public var dropUserDataEvents = 0

    var json: JSON {
        .object([
            ("http5xx", .int(Int64(http5xx))), ("http5xxAfterExecute", .int(Int64(http5xxAfterExecute))),
            ("http429", .int(Int64(http429))), ("garbageFrames", .int(Int64(garbageFrames))),
            ("truncatedJSON", .int(Int64(truncatedJSON))), ("truncatedBodies", .int(Int64(truncatedBodies))),
            ("http429RetryAfter", http429RetryAfter.map { .int(Int64($0)) } ?? .null),
            ("http5xxBeforeExecute", .int(Int64(http5xxBeforeExecute))), ("timeoutAfterExecute", .int(Int64(timeoutAfterExecute))),
            ("timeoutMs", .int(Int64(timeoutMs))), ("dropUserDataEvents", .int(Int64(dropUserDataEvents))),
        ])
    }
}

/// The whole simulated exchange as a value: markets, accounts, streams, faults, the replay clock.
/// Every method takes the current wall instant where it needs one; the shell
/// (``ExchangeSimulator``) holds the only instance under a mutex.
public struct ExchangeState: Sendable {
    let configuration: SimConfiguration
    var markets: [String: Market]
    /// Symbols in configuration order.
    let symbols: [String]
    var clock: ReplayClock
    /// Step times are multiples of `stepMilliseconds`; `nextStep` is the next one to process.
    let stepMilliseconds: Int64
    var nextStep: Int64
    let firstOpen: Timestamp
    let lastClose: Timestamp
    var accounts: [String: Account] = [:]
    /// Resting orders over all accounts (matching is skipped while there are none).
    var restingOrders = 0
    var faults = FaultPlan()
    var rateLimiter: WeightLimiter
    // Streams
    var connections: [Int: Connection] = [:]
    var subscribers: [String: Set<Int>] = [:]
    var nextConnectionID = 1
    var framesSent = 0
    var framesDropped = 0
    /// Order lists get ids from one counter, as Binance's.
    var nextOrderListID: Int64 = 1
    /// The `I` (execution id) of user-data events.
    var nextExecutionID: Int64 = 1
    /// WebSocket API connections with a user-data subscription, by API key.
    var userDataSubscribers: [String: Set<Int>] = [:]
    var userDataEventsSent = 0

    struct Connection: Sendable {
        var continuation: AsyncStream<OutboundFrame>.Continuation
        var streams: [String] = []
        var combined: Bool
        /// A WebSocket API connection (`/ws-api/v3`): its session; nil for market streams.
        var session: APISession?
    }

    /// Loads every kline file and builds the markets; throws every problem found at once.
    public init(configuration: SimConfiguration, wall: ContinuousClock.Instant = .now) throws(SimStartupError) {
        var problems = configuration.problems()
        var seriesBySymbol: [String: [KlineSeries]] = [:]
        var klinesBySymbol: [String: [Kline]] = [:]
        var order: [String] = []
        for file in configuration.klineFiles {
            do throws(KlineCSV.ReadError) {
                let klines = try KlineCSV.read(path: file.path, symbol: file.symbol, interval: file.interval)
                guard let first = klines.first else {
                    problems.append("\(file.path): no klines")
                    continue
                }
                let symbol = first.symbol
                if SymbolRules.assets(of: symbol) == nil {
                    problems.append("\(file.path): cannot tell base and quote assets of \(symbol) (quote must be one of \(SymbolRules.quoteAssets.joined(separator: ", ")))")
                }
                var sorted = klines
                sorted.sort { $0.openTime < $1.openTime }
                var unique: [Kline] = []
                unique.reserveCapacity(sorted.count)
                for k in sorted where unique.last?.openTime != k.openTime { unique.append(k) }
                if seriesBySymbol[symbol]?.contains(where: { $0.interval == first.interval }) == true {
                    problems.append("\(file.path): \(symbol) \(first.interval) is loaded twice")
                    continue
                }
                if seriesBySymbol[symbol] == nil { order.append(symbol) }
                seriesBySymbol[symbol, default: []].append(KlineSeries(symbol: symbol, interval: first.interval, klines: unique, tickSize: .zero))
                klinesBySymbol[symbol, default: []].append(contentsOf: unique.prefix(20_000))
            } catch {
                problems.append(error.description)
            }
        }
        guard problems.isEmpty else { throw SimStartupError(problems: problems) }

        var markets: [String: Market] = [:]
        var finest: Int64 = .max
        var firstOpen = Timestamp(nanoseconds: .max), lastClose = Timestamp.zero
        for (index, symbol) in order.enumerated() {
            let assets = SymbolRules.assets(of: symbol)!
            let rules = SymbolRules(symbol: symbol, base: assets.base, quote: assets.quote, klines: klinesBySymbol[symbol] ?? [])
            var byInterval: [String: KlineSeries] = [:]
            for s in seriesBySymbol[symbol] ?? [] {
                byInterval[s.interval.name] = KlineSeries(symbol: symbol, interval: s.interval, klines: s.klines, tickSize: rules.tickSize)
                finest = min(finest, s.interval.milliseconds)
                firstOpen = min(firstOpen, s.first!.openTime)
                lastClose = max(lastClose, s.last!.closeTime)
            }
            let pathSeries = byInterval.values.min { $0.interval.milliseconds < $1.interval.milliseconds }!
            let source = SyntheticKlineSource(
                series: pathSeries, rules: rules, levels: configuration.bookLevels,
                spacingBasisPoints: configuration.levelSpacingBasisPoints, seed: configuration.seed
            )
            markets[symbol] = Market(rules: rules, series: byInterval, source: source, lastUpdateID: Int64(index + 1) * 1_000_000_000)
        }
        let step = configuration.bookStepMilliseconds ?? max(100, finest / 60 / 100 * 100)
        let start = configuration.start ?? firstOpen
        self.configuration = configuration
        self.markets = markets
        self.symbols = order
        self.stepMilliseconds = step
        self.firstOpen = firstOpen
        self.lastClose = lastClose
        self.clock = ReplayClock(start: start, speed: configuration.speed, wall: wall)
        self.nextStep = (start.milliseconds / step + 1) * step
        self.rateLimiter = WeightLimiter(limit: configuration.weightLimitPerMinute)
        for key in configuration.apiKeys {
            accounts[key.key] = Account(balances: configuration.initialBalances.mapValues { Balance(free: $0, locked: .zero) })
        }
        for symbol in order {
            let book = self.markets[symbol]!.source.initialBook(at: start)
            self.markets[symbol]!.bids = Dictionary(uniqueKeysWithValues: book.bids.map { ($0.price.units, $0.quantity.units) })
            self.markets[symbol]!.asks = Dictionary(uniqueKeysWithValues: book.asks.map { ($0.price.units, $0.quantity.units) })
        }
    }

    public func now(wall: ContinuousClock.Instant) -> Timestamp { clock.now(wall: wall) }

    // MARK: - Replay

    /// Processes every step up to the replay clock at `wall`.
    public mutating func advance(wall: ContinuousClock.Instant) {
        advance(to: clock.now(wall: wall))
    }

    /// Processes every step time up to and including `time`.
    mutating func advance(to time: Timestamp) {
        let target = time.milliseconds
        while nextStep <= target {
            let stepTime = Timestamp(milliseconds: nextStep)
            for symbol in symbols { step(symbol, at: stepTime) }
            nextStep += stepMilliseconds
        }
    }

    mutating func step(_ symbol: String, at time: Timestamp) {
        let ms = time.milliseconds
        closeFinishedBars(symbol, at: ms)
        let events = markets[symbol]!.source.step(at: time)
        for event in events {
            switch event {
            case .book(let bids, let asks):
                applyBook(symbol, bids: bids, asks: asks, time: time)
            case .trade(let price, let quantity, let buyerIsMaker):
                let record = markets[symbol]!.recordTrade(price: price, quantity: quantity, buyerIsMaker: buyerIsMaker, time: time)
                publishAggTrade(symbol, record)
            }
        }
        matchRestingOrders(symbol, time: time)
        publishKlineUpdates(symbol, at: ms)
        // The 1000 ms depth streams publish when the next step falls in a new second.
        if (ms + stepMilliseconds) / 1000 > ms / 1000 { flushSlowDepth(symbol, eventTime: time) }
    }

    /// Applies book changes, numbers them and publishes them (depth, partial depth, book ticker).
    mutating func applyBook(_ symbol: String, bids: [PriceLevel], asks: [PriceLevel], time: Timestamp) {
        // The best levels are found by a scan: only when someone streams the book ticker.
        let tickerStream = isSubscribed("\(markets[symbol]!.lowerSymbol)@bookTicker")
        let before = tickerStream ? (markets[symbol]!.bestBid, markets[symbol]!.bestAsk) : (nil, nil)
        guard let change = markets[symbol]!.apply(bids: bids, asks: asks, time: time) else { return }
        let market = markets[symbol]!
        let lower = market.lowerSymbol
        publish("\(lower)@depth@100ms") { change.eventJSON(symbol: symbol, eventTime: time) }
        for n in [5, 10, 20] {
            publish("\(lower)@depth\(n)@100ms") { market.partialDepthJSON(levels: n) }
        }
        if tickerStream, before.0 != market.bestBid || before.1 != market.bestAsk { publishBookTicker(symbol) }
    }

    mutating func flushSlowDepth(_ symbol: String, eventTime: Timestamp) {
        guard let pending = markets[symbol]!.slowDepth else { return }
        markets[symbol]!.slowDepth = nil
        let market = markets[symbol]!
        let lower = market.lowerSymbol
        let change = pending.change
        for name in ["\(lower)@depth", "\(lower)@depth@1000ms"] {
            publish(name) { change.eventJSON(symbol: symbol, eventTime: eventTime) }
        }
        for n in [5, 10, 20] {
            for name in ["\(lower)@depth\(n)", "\(lower)@depth\(n)@1000ms"] {
                publish(name) { market.partialDepthJSON(levels: n) }
            }
        }
    }

    mutating func publishBookTicker(_ symbol: String) {
        let market = markets[symbol]!
        publish("\(market.lowerSymbol)@bookTicker") {
            let bid = market.bestBid ?? PriceLevel(price: .zero, quantity: .zero)
            let ask = market.bestAsk ?? PriceLevel(price: .zero, quantity: .zero)
            return .object([
                ("u", .int(market.lastUpdateID)), ("s", .string(symbol)),
                ("b", .decimal(bid.price)), ("B", .decimal(bid.quantity)),
                ("a", .decimal(ask.price)), ("A", .decimal(ask.quantity)),
            ])
        }
    }

    mutating func publishAggTrade(_ symbol: String, _ record: AggTradeRecord) {
        publish("\(symbol.lowercased())@aggTrade") { record.eventJSON(symbol: symbol) }
    }

    /// Publishes the final (`x: true`) event of every bar that closed before `ms`.
    mutating func closeFinishedBars(_ symbol: String, at ms: Int64) {
        for (name, series) in markets[symbol]!.series {
            var state = markets[symbol]!.klineStreams[name] ?? KlineStreamState()
            let current = series.index(containing: ms)
            if let previous = state.index, previous != current {
                let lastTrade = markets[symbol]!.nextTradeID - 1
                let first = state.firstTradeID
                let bar = series.klines[previous]
                publish("\(symbol.lowercased())@kline_\(name)") {
                    .object([
                        ("e", .string("kline")), ("E", .int(bar.closeTime.milliseconds + 1)), ("s", .string(symbol)),
                        ("k", bar.streamJSON(firstTradeID: lastTrade >= first ? first : -1, lastTradeID: lastTrade >= first ? lastTrade : -1)),
                    ])
                }
            }
            if current != state.index {
                state.index = current
                state.firstTradeID = markets[symbol]!.nextTradeID
                state.lastEmit = nil
            }
            markets[symbol]!.klineStreams[name] = state
        }
    }

    /// Publishes the open bar of every interval at most every 2 s of market time.
    mutating func publishKlineUpdates(_ symbol: String, at ms: Int64) {
        for (name, series) in markets[symbol]!.series {
            guard var state = markets[symbol]!.klineStreams[name], let index = state.index, ms - (state.lastEmit ?? .min / 2) >= 2000 else { continue }
            let streamName = "\(symbol.lowercased())@kline_\(name)"
            guard isSubscribed(streamName) else { continue }
            state.lastEmit = ms
            markets[symbol]!.klineStreams[name] = state
            let lastTrade = markets[symbol]!.nextTradeID - 1
            let first = state.firstTradeID
            let bar = series.kline(index, asOf: ms)
            publish(streamName) {
                .object([
                    ("e", .string("kline")), ("E", .int(ms)), ("s", .string(symbol)),
                    ("k", bar.streamJSON(firstTradeID: lastTrade >= first ? first : -1, lastTradeID: lastTrade >= first ? lastTrade : -1)),
                ])
            }
        }
    }
}

extension Market {
    /// A partial-depth stream payload (`{lastUpdateId, bids, asks}`, no event type).
    func partialDepthJSON(levels: Int) -> JSON {
        .object([
            ("lastUpdateId", .int(lastUpdateID)),
            ("bids", .array(sortedBids(limit: levels).map(\.json))),
            ("asks", .array(sortedAsks(limit: levels).map(\.json))),
        ])
    }
}
