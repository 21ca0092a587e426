import Domain

/// One symbol's market inside the exchange: its rules, kline series, market source, the book the
/// exchange publishes (numbered with update ids), recent aggregated trades and stream bookkeeping.
struct Market: Sendable {
    let rules: SymbolRules
    /// Kline series by interval name.
    var series: [String: KlineSeries]
    var source: any MarketSource
    /// Price units → quantity units.
    var bids: [Int64: Int64] = [:]
    var asks: [Int64: Int64] = [:]
    var lastUpdateID: Int64
    var aggTrades: [AggTradeRecord] = []
    var nextAggID: Int64 = 1
    var nextTradeID: Int64 = 1
    var nextOrderID: Int64 = 1
    /// Changes not yet published on the 1000 ms depth streams.
    var slowDepth: DepthAccumulator?
    /// Per interval: the bar being streamed.
    var klineStreams: [String: KlineStreamState] = [:]

    static let aggTradeHistory = 50_000

    var symbol: String { rules.symbol }
    var lowerSymbol: String { rules.symbol.lowercased() }

    var bestBid: PriceLevel? {
        bids.max { $0.key < $1.key }.map { PriceLevel(price: Decimal8(units: $0.key), quantity: Decimal8(units: $0.value)) }
    }
    var bestAsk: PriceLevel? {
        asks.min { $0.key < $1.key }.map { PriceLevel(price: Decimal8(units: $0.key), quantity: Decimal8(units: $0.value)) }
    }

    func sortedBids(limit: Int) -> [PriceLevel] {
        bids.sorted { $0.key > $1.key }.prefix(limit).map { PriceLevel(price: Decimal8(units: $0.key), quantity: Decimal8(units: $0.value)) }
    }
    func sortedAsks(limit: Int) -> [PriceLevel] {
        asks.sorted { $0.key < $1.key }.prefix(limit).map { PriceLevel(price: Decimal8(units: $0.key), quantity: Decimal8(units: $0.value)) }
    }

    /// Applies absolute level changes; returns the update-id range (U, u), or nil when nothing changed.
    mutating func apply(bids bidChanges: [PriceLevel], asks askChanges: [PriceLevel], time: Timestamp) -> DepthChange? {
        let count = bidChanges.count + askChanges.count
        guard count > 0 else { return nil }
        for level in bidChanges { bids[level.price.units] = level.quantity.isZero ? nil : level.quantity.units }
        for level in askChanges { asks[level.price.units] = level.quantity.isZero ? nil : level.quantity.units }
        let first = lastUpdateID + 1
        lastUpdateID += Int64(count)
        let change = DepthChange(time: time, firstUpdateID: first, finalUpdateID: lastUpdateID, bids: bidChanges, asks: askChanges)
        if slowDepth == nil { slowDepth = DepthAccumulator(firstUpdateID: first) }
        slowDepth!.add(change)
        return change
    }

    mutating func recordTrade(price: Price, quantity: Quantity, buyerIsMaker: Bool, time: Timestamp) -> AggTradeRecord {
        let record = AggTradeRecord(
            aggregateID: nextAggID, price: price, quantity: quantity, firstTradeID: nextTradeID,
            lastTradeID: nextTradeID, time: time, buyerIsMaker: buyerIsMaker
        )
        nextAggID += 1
        nextTradeID += 1
        aggTrades.append(record)
        if aggTrades.count > Self.aggTradeHistory + Self.aggTradeHistory / 4 {
            aggTrades.removeFirst(aggTrades.count - Self.aggTradeHistory)
        }
        return record
    }
}

/// Levels changed under update ids U...u.
struct DepthChange: Sendable {
    var time: Timestamp
    var firstUpdateID: Int64
    var finalUpdateID: Int64
    var bids: [PriceLevel]
    var asks: [PriceLevel]

    func eventJSON(symbol: String, eventTime: Timestamp) -> JSON {
        .object([
            ("e", .string("depthUpdate")), ("E", .int(eventTime.milliseconds)), ("s", .string(symbol)),
            ("U", .int(firstUpdateID)), ("u", .int(finalUpdateID)),
            ("b", .array(bids.map(\.json))), ("a", .array(asks.map(\.json))),
        ])
    }
}

/// Consecutive depth changes merged for the 1000 ms streams (the last quantity of a level wins).
struct DepthAccumulator: Sendable {
    var firstUpdateID: Int64
    var finalUpdateID: Int64 = 0
    var bids: [Int64: Int64] = [:]
    var asks: [Int64: Int64] = [:]

    init(firstUpdateID: Int64) { self.firstUpdateID = firstUpdateID }

    mutating func add(_ change: DepthChange) {
        finalUpdateID = change.finalUpdateID
        for level in change.bids { bids[level.price.units] = level.quantity.units }
        for level in change.asks { asks[level.price.units] = level.quantity.units }
    }

    var change: DepthChange {
        DepthChange(
            time: .zero, firstUpdateID: firstUpdateID, finalUpdateID: finalUpdateID,
            bids: bids.sorted { $0.key > $1.key }.map { PriceLevel(price: Decimal8(units: $0.key), quantity: Decimal8(units: $0.value)) },
            asks: asks.sorted { $0.key < $1.key }.map { PriceLevel(price: Decimal8(units: $0.key), quantity: Decimal8(units: $0.value)) }
        )
    }
}

/// One aggregated trade as `aggTrades` and `@aggTrade` report it.
struct AggTradeRecord: Sendable {
    var aggregateID: Int64
    var price: Price
    var quantity: Quantity
    var firstTradeID: Int64
    var lastTradeID: Int64
    var time: Timestamp
    var buyerIsMaker: Bool

    var restJSON: JSON {
        .object([
            ("a", .int(aggregateID)), ("p", .decimal(price)), ("q", .decimal(quantity)), ("f", .int(firstTradeID)),
            ("l", .int(lastTradeID)), ("T", .int(time.milliseconds)), ("m", .bool(buyerIsMaker)), ("M", .bool(true)),
        ])
    }

    func eventJSON(symbol: String) -> JSON {
        .object([
            ("e", .string("aggTrade")), ("E", .int(time.milliseconds)), ("s", .string(symbol)),
            ("a", .int(aggregateID)), ("p", .decimal(price)), ("q", .decimal(quantity)), ("f", .int(firstTradeID)),
            ("l", .int(lastTradeID)), ("T", .int(time.milliseconds)), ("m", .bool(buyerIsMaker)), ("M", .bool(true)),
        ])
    }
}

/// The bar a kline stream is on.
struct KlineStreamState: Sendable {
    var index: Int?
    var firstTradeID: Int64 = 0
    var lastEmit: Int64?
}

extension PriceLevel {
    /// `["price", "qty"]`.
    var json: JSON { .array([.decimal(price), .decimal(quantity)]) }
}
