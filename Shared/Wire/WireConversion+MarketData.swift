import Domain

// Domain ↔ wire for the order-book and trade topics (md.depth, md.book, md.trade) and the
// collector's history socket. Money travels as Binance's 8-digit decimal strings.

extension Quorum_V1_PriceLevel {
    public init(_ level: PriceLevel) {
        self.init()
        price = level.price.description
        quantity = level.quantity.description
    }

    public func domain(_ message: String, _ field: String) throws(WireConversionError) -> PriceLevel {
        PriceLevel(price: try decimal(price, message, "\(field).price"), quantity: try decimal(quantity, message, "\(field).quantity"))
    }
}

@inline(__always)
func levels(_ wire: [Quorum_V1_PriceLevel], _ message: String, _ field: String) throws(WireConversionError) -> [PriceLevel] {
    var out: [PriceLevel] = []
    out.reserveCapacity(wire.count)
    for level in wire { out.append(try level.domain(message, field)) }
    return out
}

extension Quorum_V1_BookDelta {
    /// One synced diff event: Binance's `U`/`u` and the changed levels (quantity zero removes).
    public init(_ u: DepthUpdate) {
        self.init()
        symbol = u.symbol
        firstUpdateID = u.firstUpdateID
        lastUpdateID = u.finalUpdateID
        eventTimeMs = u.eventTime.milliseconds
        bids = u.bids.map(Quorum_V1_PriceLevel.init)
        asks = u.asks.map(Quorum_V1_PriceLevel.init)
    }

    public func domain() throws(WireConversionError) -> DepthUpdate {
        let m = "BookDelta"
        guard firstUpdateID <= lastUpdateID else {
            throw WireConversionError(message: m, field: "first_update_id", detail: "\(firstUpdateID) > last_update_id \(lastUpdateID)")
        }
        return DepthUpdate(
            symbol: try nonEmpty(symbol, m, "symbol"), eventTime: Timestamp(milliseconds: eventTimeMs),
            firstUpdateID: firstUpdateID, finalUpdateID: lastUpdateID,
            bids: try levels(bids, m, "bids"), asks: try levels(asks, m, "asks")
        )
    }
}

extension Quorum_V1_BookSnapshot {
    public init(_ s: BookSnapshot) {
        self.init()
        symbol = s.symbol
        lastUpdateID = s.lastUpdateID
        eventTimeMs = s.eventTime.milliseconds
        bids = s.bids.map(Quorum_V1_PriceLevel.init)
        asks = s.asks.map(Quorum_V1_PriceLevel.init)
        full = s.isFull
    }

    public func domain() throws(WireConversionError) -> BookSnapshot {
        let m = "BookSnapshot"
        return BookSnapshot(
            symbol: try nonEmpty(symbol, m, "symbol"), lastUpdateID: lastUpdateID, eventTime: Timestamp(milliseconds: eventTimeMs),
            bids: try levels(bids, m, "bids"), asks: try levels(asks, m, "asks"), isFull: full
        )
    }
}

extension Quorum_V1_Trade {
    /// One aggregated trade. The wire has no event time: `domain()` sets it to the trade time.
    public init(_ t: AggTrade) {
        self.init()
        symbol = t.symbol
        aggTradeID = t.aggregateID
        price = t.price.description
        quantity = t.quantity.description
        firstTradeID = t.firstTradeID
        lastTradeID = t.lastTradeID
        tradeTimeMs = t.tradeTime.milliseconds
        buyerIsMaker = t.buyerIsMaker
    }

    public func domain() throws(WireConversionError) -> AggTrade {
        let m = "Trade"
        guard firstTradeID <= lastTradeID else {
            throw WireConversionError(message: m, field: "first_trade_id", detail: "\(firstTradeID) > last_trade_id \(lastTradeID)")
        }
        let time = Timestamp(milliseconds: tradeTimeMs)
        return AggTrade(
            symbol: try nonEmpty(symbol, m, "symbol"), eventTime: time, aggregateID: aggTradeID,
            price: try decimal(price, m, "price"), quantity: try decimal(quantity, m, "quantity"),
            firstTradeID: firstTradeID, lastTradeID: lastTradeID, tradeTime: time, buyerIsMaker: buyerIsMaker
        )
    }
}

extension Quorum_V1_HistoryResponse {
    /// The klines of a history answer, validated (every kline must decode and belong to the series).
    public func domainKlines() throws(WireConversionError) -> [Kline] {
        let m = "HistoryResponse"
        let series = try Wire.interval(interval, m)
        var out: [Kline] = []
        out.reserveCapacity(klines.count)
        for wire in klines {
            let k = try wire.domain()
            guard k.symbol == symbol, k.interval == series else {
                throw WireConversionError(message: m, field: "klines", detail: "kline of \(k.symbol) \(k.interval.name) in a \(symbol) \(interval) answer")
            }
            out.append(k)
        }
        return out
    }
}
