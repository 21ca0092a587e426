import Domain

/// `executionReport` (BINANCE.md §7): one order event of the user data stream.
public struct ExecutionReportEvent: Sendable, Hashable {
    public var eventTime: Timestamp
    public var symbol: String
    public var clientOrderID: String
    /// On a cancel: the original order's client id (`C`); empty otherwise.
    public var originalClientOrderID: String
    public var side: String
    public var orderType: String
    public var timeInForce: String
    public var quantity: Quantity
    public var price: Price
    public var stopPrice: Price
    public var orderListID: Int64
    /// NEW, CANCELED, REPLACED, REJECTED, TRADE, EXPIRED, TRADE_PREVENTION.
    public var executionType: String
    /// NEW, PARTIALLY_FILLED, FILLED, CANCELED, REJECTED, EXPIRED...
    public var orderStatus: String
    public var rejectReason: String
    public var orderID: Int64
    public var lastExecutedQuantity: Quantity
    public var cumulativeFilledQuantity: Quantity
    public var lastExecutedPrice: Price
    public var commission: Decimal8
    /// Null until there is a commission.
    public var commissionAsset: String?
    public var transactionTime: Timestamp
    /// -1 when the event is not a trade.
    public var tradeID: Int64
    public var isMaker: Bool
    public var cumulativeQuoteQuantity: Decimal8

    /// Z / z: the average fill price so far.
    public var averagePrice: Price? {
        cumulativeFilledQuantity > .zero ? cumulativeQuoteQuantity.divided(by: cumulativeFilledQuantity) : nil
    }
}

public enum UserDataEvent: Sendable, Hashable {
    case executionReport(ExecutionReportEvent)
    case accountPosition(eventTime: Timestamp, balances: [AssetBalance])
    case balanceUpdate(eventTime: Timestamp, asset: String, delta: Decimal8)
    case listStatus(eventTime: Timestamp, symbol: String, orderListID: Int64, listStatusType: String, listOrderStatus: String, listClientOrderID: String, orderIDs: [Int64])
    case externalLockUpdate(eventTime: Timestamp, asset: String, delta: Decimal8)
    case eventStreamTerminated(eventTime: Timestamp)
    case unknown(type: String)
}

/// A WebSocket-API response `{id, status, result | error, rateLimits}` (BINANCE.md §7).
public struct WebSocketAPIResponse: Sendable, Hashable {
    public var id: JSONValue
    public var status: Int
    public var result: JSONValue?
    public var error: BinanceAPIError?
    /// For 418/429: when the ban or limit ends (`error.data.retryAfter`, epoch ms).
    public var retryAfter: Timestamp?
    public var rateLimits: [(limit: RateLimit, count: Int)]

    public static func == (lhs: WebSocketAPIResponse, rhs: WebSocketAPIResponse) -> Bool {
        lhs.id == rhs.id && lhs.status == rhs.status && lhs.result == rhs.result && lhs.error == rhs.error && lhs.retryAfter == rhs.retryAfter
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(id); hasher.combine(status) }
}

extension BinanceDecoder {
    /// A user-data event, bare or in the WebSocket API's `{"subscriptionId": N, "event": {...}}` envelope.
    public static func userDataEvent(_ bytes: [UInt8]) throws(BinanceDecodeError) -> UserDataEvent {
        var root = try JSONFields(try JSONValue.parse(bytes, payload: "userData"), payload: "userData")
        if root.has("event") { root = try root.object("event") }
        let type = try root.string("e")
        let time = try root.timestamp("E")
        switch type {
        case "executionReport":
            return .executionReport(ExecutionReportEvent(
                eventTime: time, symbol: try root.string("s"), clientOrderID: try root.string("c"),
                originalClientOrderID: try root.optionalString("C") ?? "", side: try root.string("S"), orderType: try root.string("o"),
                timeInForce: try root.string("f"), quantity: try root.decimal("q"), price: try root.decimal("p"),
                stopPrice: try root.decimal("P"), orderListID: try root.int64("g"), executionType: try root.string("x"),
                orderStatus: try root.string("X"), rejectReason: try root.string("r"), orderID: try root.int64("i"),
                lastExecutedQuantity: try root.decimal("l"), cumulativeFilledQuantity: try root.decimal("z"),
                lastExecutedPrice: try root.decimal("L"), commission: try root.decimal("n"), commissionAsset: try root.optionalString("N"),
                transactionTime: try root.timestamp("T"), tradeID: try root.int64("t"), isMaker: try root.bool("m"),
                cumulativeQuoteQuantity: try root.decimal("Z")
            ))
        case "outboundAccountPosition":
            var balances: [AssetBalance] = []
            for b in try root.objects("B") { balances.append(AssetBalance(asset: try b.string("a"), free: try b.decimal("f"), locked: try b.decimal("l"))) }
            return .accountPosition(eventTime: time, balances: balances)
        case "balanceUpdate":
            return .balanceUpdate(eventTime: time, asset: try root.string("a"), delta: try root.decimal("d"))
        case "externalLockUpdate":
            return .externalLockUpdate(eventTime: time, asset: try root.string("a"), delta: try root.decimal("d"))
        case "listStatus":
            var ids: [Int64] = []
            for o in try root.objects("O") { ids.append(try o.int64("i")) }
            return .listStatus(eventTime: time, symbol: try root.string("s"), orderListID: try root.int64("g"), listStatusType: try root.string("l"),
                               listOrderStatus: try root.string("L"), listClientOrderID: try root.string("C"), orderIDs: ids)
        case "eventStreamTerminated":
            return .eventStreamTerminated(eventTime: time)
        default:
            return .unknown(type: type)
        }
    }

    /// A WebSocket-API response envelope; the `result` is left as JSON for the method's decoder.
    public static func webSocketAPIResponse(_ bytes: [UInt8]) throws(BinanceDecodeError) -> WebSocketAPIResponse {
        let root = try JSONFields(try JSONValue.parse(bytes, payload: "wsapi"), payload: "wsapi")
        let status = Int(try root.int64("status"))
        var error: BinanceAPIError?
        var retryAfter: Timestamp?
        if root.has("error") {
            let e = try root.object("error")
            error = BinanceAPIError(httpStatus: status, code: Int(try e.int64("code")), message: try e.string("msg"))
            if e.has("data") { retryAfter = try e.object("data").optionalTimestamp("retryAfter") }
        }
        var limits: [(limit: RateLimit, count: Int)] = []
        for l in try root.optionalObjects("rateLimits") {
            limits.append((RateLimit(type: try l.string("rateLimitType"), interval: try l.string("interval"),
                                     intervalNum: Int(try l.int64("intervalNum")), limit: Int(try l.int64("limit"))),
                           Int(try l.int64("count"))))
        }
        return WebSocketAPIResponse(id: root.value["id"] ?? .null, status: status, result: root.value["result"], error: error,
                                    retryAfter: retryAfter, rateLimits: limits)
    }

    /// A WebSocket-API request `{id, method, params}`.
    public static func webSocketAPIRequest(_ bytes: [UInt8]) throws(BinanceDecodeError) -> (id: JSONValue, method: String, params: [String: String]) {
        let root = try JSONFields(try JSONValue.parse(bytes, payload: "wsapi"), payload: "wsapi")
        var params: [String: String] = [:]
        if root.has("params") {
            for (key, value) in try root.object("params").value.objectPairs {
                switch value {
                case .string(let s), .number(let s): params[key] = s
                case .bool(let b): params[key] = b ? "true" : "false"
                default: params[key] = value.jsonText
                }
            }
        }
        return (root.value["id"] ?? .null, try root.string("method"), params)
    }

    /// `GET /api/v3/trades`: recent trades as aggregated-trade values (id = first = last).
    public static func trades(_ bytes: [UInt8], symbol: String) throws(BinanceDecodeError) -> [AggTrade] {
        let value = try JSONValue.parse(bytes, payload: "trades")
        guard case .array(let rows) = value else { throw BinanceDecodeError(payload: "trades", field: "", reason: .wrongType(expected: "an array")) }
        var out: [AggTrade] = []
        for (i, row) in rows.enumerated() {
            let f = try JSONFields(row, payload: "trades", path: "[\(i)]")
            let id = try f.int64("id")
            let time = try f.timestamp("time")
            out.append(AggTrade(symbol: symbol, eventTime: time, aggregateID: id, price: try f.decimal("price"), quantity: try f.decimal("qty"),
                                firstTradeID: id, lastTradeID: id, tradeTime: time, buyerIsMaker: try f.bool("isBuyerMaker")))
        }
        return out
    }

    /// `GET /api/v3/avgPrice`: (minutes, price, close time).
    public static func averagePrice(_ bytes: [UInt8]) throws(BinanceDecodeError) -> (minutes: Int, price: Price, closeTime: Timestamp?) {
        let f = try JSONFields(try JSONValue.parse(bytes, payload: "avgPrice"), payload: "avgPrice")
        return (Int(try f.int64("mins")), try f.decimal("price"), try f.optionalTimestamp("closeTime"))
    }

    /// `GET /api/v3/ticker/24hr` for one symbol: (symbol, last price, volume, quote volume).
    public static func ticker24h(_ bytes: [UInt8]) throws(BinanceDecodeError) -> (symbol: String, lastPrice: Price, volume: Quantity, quoteVolume: Decimal8) {
        let f = try JSONFields(try JSONValue.parse(bytes, payload: "ticker24hr"), payload: "ticker24hr")
        return (try f.string("symbol"), try f.decimal("lastPrice"), try f.decimal("volume"), try f.decimal("quoteVolume"))
    }

    /// `GET /api/v3/rateLimit/order`: each order limit with its current count.
    public static func orderRateLimits(_ bytes: [UInt8]) throws(BinanceDecodeError) -> [(limit: RateLimit, count: Int)] {
        let value = try JSONValue.parse(bytes, payload: "rateLimit/order")
        guard case .array(let rows) = value else { throw BinanceDecodeError(payload: "rateLimit/order", field: "", reason: .wrongType(expected: "an array")) }
        var out: [(limit: RateLimit, count: Int)] = []
        for (i, row) in rows.enumerated() {
            let l = try JSONFields(row, payload: "rateLimit/order", path: "[\(i)]")
            out.append((RateLimit(type: try l.string("rateLimitType"), interval: try l.string("interval"), intervalNum: Int(try l.int64("intervalNum")),
                                  limit: Int(try l.int64("limit"))), Int(try l.int64("count"))))
        }
        return out
    }

    /// `POST /api/v3/order/test`: `{}` or, with computeCommissionRates, the standard taker/maker rates.
    public static func orderTest(_ bytes: [UInt8]) throws(BinanceDecodeError) -> (maker: Decimal8, taker: Decimal8)? {
        let f = try JSONFields(try JSONValue.parse(bytes, payload: "order/test"), payload: "order/test")
        guard f.has("standardCommissionForOrder") else { return nil }
        let s = try f.object("standardCommissionForOrder")
        return (try s.decimal("maker"), try s.decimal("taker"))
    }
}
