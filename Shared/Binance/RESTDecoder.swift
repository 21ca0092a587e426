import Domain

/// An error body from Binance (`{"code": -2011, "msg": "Unknown order sent."}`) with the HTTP status
/// it came with. Codes are stable; messages vary (BINANCE.md §2).
public struct BinanceAPIError: Error, Equatable, Sendable, CustomStringConvertible {
    public var httpStatus: Int
    public var code: Int
    public var message: String

    public init(httpStatus: Int, code: Int, message: String) {
        self.httpStatus = httpStatus
        self.code = code
        self.message = message
    }

    public var description: String { "Binance error \(code) (HTTP \(httpStatus)): \(message)" }

    public static let invalidTimestamp = -1021
    public static let invalidSignature = -1022
    public static let tooManyRequests = -1003
    public static let filterFailure = -1013
    public static let illegalCharacters = -1100
    public static let badSymbol = -1121
    public static let newOrderRejected = -2010
    public static let cancelRejected = -2011
    public static let noSuchOrder = -2013
    public static let rejectedAPIKey = -2015
}

/// A REST rate limit from exchangeInfo.
public struct RateLimit: Sendable, Hashable {
    public var type: String
    public var interval: String
    public var intervalNum: Int
    public var limit: Int

    public init(type: String, interval: String, intervalNum: Int, limit: Int) {
        self.type = type
        self.interval = interval
        self.intervalNum = intervalNum
        self.limit = limit
    }
}

public struct ExchangeInfo: Sendable, Hashable {
    public var serverTime: Timestamp
    public var rateLimits: [RateLimit]
    public var symbols: [SymbolFilters]

    public init(serverTime: Timestamp, rateLimits: [RateLimit], symbols: [SymbolFilters]) {
        self.serverTime = serverTime
        self.rateLimits = rateLimits
        self.symbols = symbols
    }

    public func symbol(_ name: String) -> SymbolFilters? { symbols.first { $0.symbol == name } }
}

/// One fill of an order (FULL responses).
public struct OrderFill: Sendable, Hashable {
    public var price: Price
    public var quantity: Quantity
    public var commission: Decimal8
    public var commissionAsset: String
    public var tradeID: Int64

    public init(price: Price, quantity: Quantity, commission: Decimal8, commissionAsset: String, tradeID: Int64) {
        self.price = price
        self.quantity = quantity
        self.commission = commission
        self.commissionAsset = commissionAsset
        self.tradeID = tradeID
    }
}

/// An order as Binance reports it: a new-order response (ACK, RESULT or FULL), a query, a cancel.
/// Fields a response type does not carry are nil.
public struct BinanceOrder: Sendable, Hashable {
    public var symbol: String
    public var orderID: Int64
    public var orderListID: Int64
    public var clientOrderID: String
    /// On a cancel: the id of the cancelled order (`origClientOrderId`).
    public var originalClientOrderID: String?
    public var transactTime: Timestamp?
    public var time: Timestamp?
    public var updateTime: Timestamp?
    public var price: Price?
    public var originalQuantity: Quantity?
    public var executedQuantity: Quantity?
    public var cumulativeQuoteQuantity: Decimal8?
    public var status: String?
    public var timeInForce: String?
    public var type: String?
    public var side: String?
    public var stopPrice: Price?
    public var isWorking: Bool?
    public var fills: [OrderFill]

    public init(
        symbol: String, orderID: Int64, orderListID: Int64 = -1, clientOrderID: String, originalClientOrderID: String? = nil,
        transactTime: Timestamp? = nil, time: Timestamp? = nil, updateTime: Timestamp? = nil, price: Price? = nil,
        originalQuantity: Quantity? = nil, executedQuantity: Quantity? = nil, cumulativeQuoteQuantity: Decimal8? = nil,
        status: String? = nil, timeInForce: String? = nil, type: String? = nil, side: String? = nil, stopPrice: Price? = nil,
        isWorking: Bool? = nil, fills: [OrderFill] = []
    ) {
        self.symbol = symbol
        self.orderID = orderID
        self.orderListID = orderListID
        self.clientOrderID = clientOrderID
        self.originalClientOrderID = originalClientOrderID
        self.transactTime = transactTime
        self.time = time
        self.updateTime = updateTime
        self.price = price
        self.originalQuantity = originalQuantity
        self.executedQuantity = executedQuantity
        self.cumulativeQuoteQuantity = cumulativeQuoteQuantity
        self.status = status
        self.timeInForce = timeInForce
        self.type = type
        self.side = side
        self.stopPrice = stopPrice
        self.isWorking = isWorking
        self.fills = fills
    }

    /// cummulativeQuoteQty / executedQty, the average fill price (MARKET orders report price 0).
    public var averagePrice: Price? {
        guard let q = executedQuantity, q > .zero, let quote = cumulativeQuoteQuantity, quote >= .zero else { return nil }
        return quote.divided(by: q)
    }
}

/// An order list (OCO): `transactionTime`, not `transactTime` (BINANCE.md §5).
public struct BinanceOrderList: Sendable, Hashable {
    public var orderListID: Int64
    public var contingencyType: String
    public var listStatusType: String
    public var listOrderStatus: String
    public var listClientOrderID: String
    public var transactionTime: Timestamp
    public var symbol: String
    public var orders: [(symbol: String, orderID: Int64, clientOrderID: String)]
    public var orderReports: [BinanceOrder]

    public static func == (lhs: BinanceOrderList, rhs: BinanceOrderList) -> Bool {
        lhs.orderListID == rhs.orderListID && lhs.listStatusType == rhs.listStatusType && lhs.listOrderStatus == rhs.listOrderStatus
            && lhs.listClientOrderID == rhs.listClientOrderID && lhs.transactionTime == rhs.transactionTime
            && lhs.orders.map(\.orderID) == rhs.orders.map(\.orderID) && lhs.orderReports == rhs.orderReports
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(orderListID); hasher.combine(listClientOrderID) }
}

public struct AssetBalance: Sendable, Hashable {
    public var asset: String
    public var free: Decimal8
    public var locked: Decimal8

    public init(asset: String, free: Decimal8, locked: Decimal8) {
        self.asset = asset
        self.free = free
        self.locked = locked
    }
}

public struct AccountInfo: Sendable, Hashable {
    public var canTrade: Bool
    public var makerCommission: Decimal8?
    public var takerCommission: Decimal8?
    public var updateTime: Timestamp
    public var accountType: String
    public var balances: [AssetBalance]

    public func balance(_ asset: String) -> AssetBalance? { balances.first { $0.asset == asset } }
}

/// One of the account's own trades (`GET /api/v3/myTrades`).
public struct AccountTrade: Sendable, Hashable {
    public var symbol: String
    public var id: Int64
    public var orderID: Int64
    public var price: Price
    public var quantity: Quantity
    public var quoteQuantity: Decimal8
    public var commission: Decimal8
    public var commissionAsset: String
    public var time: Timestamp
    public var isBuyer: Bool
    public var isMaker: Bool
}

/// Decoders for REST bodies. Klines, aggTrades and depth use the byte cursor (they are large and
/// frequent); the rest go through `JSONValue` with the same field-naming errors.
extension BinanceDecoder {
    /// An error body, or nil when the body is not one.
    public static func apiError(_ bytes: [UInt8], httpStatus: Int) -> BinanceAPIError? {
        guard let value = try? JSONValue.parse(bytes, payload: "error"), let fields = try? JSONFields(value, payload: "error"),
              let code = try? fields.int64("code"), let message = try? fields.string("msg") else { return nil }
        return BinanceAPIError(httpStatus: httpStatus, code: Int(code), message: message)
    }

    /// `GET /api/v3/time`.
    public static func serverTime(_ bytes: [UInt8]) throws(BinanceDecodeError) -> Timestamp {
        let fields = try JSONFields(try JSONValue.parse(bytes, payload: "time"), payload: "time")
        return try fields.timestamp("serverTime")
    }

    /// `GET /api/v3/klines`: 12-element arrays. A kline is closed when its close time is before
    /// `serverTime` (the REST response has no closed flag; BINANCE.md §3).
    public static func klines(_ bytes: UnsafeRawBufferPointer, symbol: String, interval: Interval, serverTime: Timestamp?) throws(BinanceDecodeError) -> [Kline] {
        var c = JSONCursor(bytes, payload: "klines")
        try c.beginArray("")
        var out: [Kline] = []
        var first = true
        var row = 0
        while try c.nextElement(first: &first, field: "") {
            let f = "[\(row)]"
            try c.beginArray(f)
            let openTime = try c.milliseconds(f + "[0] openTime")
            try c.consume(UInt8(ascii: ","), field: f, expected: ",")
            let open = try c.lenientDecimal(f + "[1] open")
            try c.consume(UInt8(ascii: ","), field: f, expected: ",")
            let high = try c.lenientDecimal(f + "[2] high")
            try c.consume(UInt8(ascii: ","), field: f, expected: ",")
            let low = try c.lenientDecimal(f + "[3] low")
            try c.consume(UInt8(ascii: ","), field: f, expected: ",")
            let close = try c.lenientDecimal(f + "[4] close")
            try c.consume(UInt8(ascii: ","), field: f, expected: ",")
            let volume = try c.lenientDecimal(f + "[5] volume")
            try c.consume(UInt8(ascii: ","), field: f, expected: ",")
            let closeTime = try c.milliseconds(f + "[6] closeTime")
            try c.consume(UInt8(ascii: ","), field: f, expected: ",")
            let quoteVolume = try c.lenientDecimal(f + "[7] quoteAssetVolume")
            try c.consume(UInt8(ascii: ","), field: f, expected: ",")
            let trades = try c.int64(f + "[8] numberOfTrades")
            try c.consume(UInt8(ascii: ","), field: f, expected: ",")
            let takerBase = try c.lenientDecimal(f + "[9] takerBuyBaseVolume")
            try c.consume(UInt8(ascii: ","), field: f, expected: ",")
            let takerQuote = try c.lenientDecimal(f + "[10] takerBuyQuoteVolume")
            var more = false
            while try c.nextElement(first: &more, field: f) { try c.skipValue(f + "[11]") }
            let closed = serverTime.map { Timestamp(milliseconds: closeTime) < $0 } ?? true
            out.append(Kline(
                symbol: symbol, interval: interval, openTime: Timestamp(milliseconds: openTime), closeTime: Timestamp(milliseconds: closeTime),
                open: open, high: high, low: low, close: close, volume: volume, quoteVolume: quoteVolume, trades: trades,
                takerBuyBase: takerBase, takerBuyQuote: takerQuote, isClosed: closed
            ))
            row += 1
        }
        try c.finish()
        return out
    }

    public static func klines(_ bytes: [UInt8], symbol: String, interval: Interval, serverTime: Timestamp?) throws(BinanceDecodeError) -> [Kline] {
        let result: Result<[Kline], BinanceDecodeError> = bytes.withUnsafeBytes { raw in
            Result { () throws(BinanceDecodeError) in try klines(raw, symbol: symbol, interval: interval, serverTime: serverTime) }
        }
        return try result.get()
    }

    public static func depthSnapshot(_ bytes: [UInt8], symbol: String) throws(BinanceDecodeError) -> DepthSnapshot {
        let result: Result<DepthSnapshot, BinanceDecodeError> = bytes.withUnsafeBytes { raw in
            Result { () throws(BinanceDecodeError) in try depthSnapshot(raw, symbol: symbol) }
        }
        return try result.get()
    }

    /// `GET /api/v3/aggTrades`: `[{a, p, q, f, l, T, m, M}]` (ids leniently as digit strings too).
    public static func aggTrades(_ bytes: [UInt8], symbol: String) throws(BinanceDecodeError) -> [AggTrade] {
        let value = try JSONValue.parse(bytes, payload: "aggTrades")
        guard case .array(let rows) = value else { throw BinanceDecodeError(payload: "aggTrades", field: "", reason: .wrongType(expected: "an array")) }
        var out: [AggTrade] = []
        out.reserveCapacity(rows.count)
        for (i, row) in rows.enumerated() {
            let f = try JSONFields(row, payload: "aggTrades", path: "[\(i)]")
            let time = try f.timestamp("T")
            out.append(AggTrade(
                symbol: symbol, eventTime: time, aggregateID: try f.int64("a"), price: try f.decimal("p"), quantity: try f.decimal("q"),
                firstTradeID: try f.int64("f"), lastTradeID: try f.int64("l"), tradeTime: time, buyerIsMaker: try f.bool("m")
            ))
        }
        return out
    }

    /// `GET /api/v3/ticker/bookTicker` (one object or an array). REST tickers carry no update id: 0.
    public static func bookTickers(_ bytes: [UInt8]) throws(BinanceDecodeError) -> [BookTicker] {
        let value = try JSONValue.parse(bytes, payload: "bookTicker")
        let rows: [JSONValue]
        if case .array(let a) = value { rows = a } else { rows = [value] }
        var out: [BookTicker] = []
        for (i, row) in rows.enumerated() {
            let f = try JSONFields(row, payload: "bookTicker", path: rows.count == 1 && !isArray(value) ? "" : "[\(i)]")
            out.append(BookTicker(
                symbol: try f.string("symbol"), updateID: try f.optionalInt64("lastUpdateId") ?? 0,
                bidPrice: try f.decimal("bidPrice"), bidQuantity: try f.decimal("bidQty"),
                askPrice: try f.decimal("askPrice"), askQuantity: try f.decimal("askQty")
            ))
        }
        return out
    }

    static func isArray(_ v: JSONValue) -> Bool { if case .array = v { return true } else { return false } }

    /// `GET /api/v3/exchangeInfo`: rate limits and every symbol's filters.
    public static func exchangeInfo(_ bytes: [UInt8]) throws(BinanceDecodeError) -> ExchangeInfo {
        let root = try JSONFields(try JSONValue.parse(bytes, payload: "exchangeInfo"), payload: "exchangeInfo")
        var limits: [RateLimit] = []
        for l in try root.optionalObjects("rateLimits") {
            // The docs' skeleton lists `{}` placeholders: an entry without a type is skipped.
            guard let type = try l.optionalString("rateLimitType") else { continue }
            limits.append(RateLimit(
                type: type, interval: try l.string("interval"),
                intervalNum: Int(try l.int64("intervalNum")), limit: Int(try l.int64("limit"))
            ))
        }
        var symbols: [SymbolFilters] = []
        for s in try root.objects("symbols") { symbols.append(try symbolFilters(s)) }
        return ExchangeInfo(serverTime: try root.timestamp("serverTime"), rateLimits: limits, symbols: symbols)
    }

    /// One `symbols[]` entry of exchangeInfo.
    public static func symbolFilters(_ s: JSONFields) throws(BinanceDecodeError) -> SymbolFilters {
        var info = SymbolFilters(
            symbol: try s.string("symbol"), status: try s.string("status"), baseAsset: try s.string("baseAsset"),
            quoteAsset: try s.string("quoteAsset"), baseAssetPrecision: Int(try s.optionalInt64("baseAssetPrecision") ?? 8),
            quoteAssetPrecision: Int(try s.optionalInt64("quoteAssetPrecision") ?? 8), orderTypes: try s.strings("orderTypes")
        )
        for filter in try s.optionalObjects("filters") {
            // The docs' skeleton lists `{}` placeholders: a filter without a type is skipped.
            guard let type = try filter.optionalString("filterType") else { continue }
            switch type {
            case "PRICE_FILTER":
                info.minPrice = try filter.decimal("minPrice")
                info.maxPrice = try filter.decimal("maxPrice")
                info.tickSize = try filter.decimal("tickSize")
            case "LOT_SIZE":
                info.minQuantity = try filter.decimal("minQty")
                info.maxQuantity = try filter.decimal("maxQty")
                info.stepSize = try filter.decimal("stepSize")
            case "MARKET_LOT_SIZE":
                info.marketMinQuantity = try filter.decimal("minQty")
                info.marketMaxQuantity = try filter.decimal("maxQty")
                info.marketStepSize = try filter.decimal("stepSize")
            case "NOTIONAL":
                info.minNotional = try filter.decimal("minNotional")
                info.maxNotional = try filter.optionalDecimal("maxNotional")
                info.applyMinToMarket = try filter.optionalBool("applyMinToMarket") ?? true
                info.applyMaxToMarket = try filter.optionalBool("applyMaxToMarket") ?? false
            case "MIN_NOTIONAL":
                info.minNotional = try filter.decimal("minNotional")
                info.applyMinToMarket = try filter.optionalBool("applyToMarket") ?? true
            default:
                info.otherFilters.append(type)
            }
        }
        return info
    }

    /// A new-order response (ACK, RESULT or FULL), an order query or a cancel.
    public static func order(_ bytes: [UInt8]) throws(BinanceDecodeError) -> BinanceOrder {
        try order(JSONFields(try JSONValue.parse(bytes, payload: "order"), payload: "order"))
    }

    /// `GET /api/v3/openOrders`, `allOrders`.
    public static func orders(_ bytes: [UInt8]) throws(BinanceDecodeError) -> [BinanceOrder] {
        let value = try JSONValue.parse(bytes, payload: "orders")
        guard case .array(let rows) = value else { throw BinanceDecodeError(payload: "orders", field: "", reason: .wrongType(expected: "an array")) }
        var out: [BinanceOrder] = []
        for (i, row) in rows.enumerated() { out.append(try order(JSONFields(row, payload: "orders", path: "[\(i)]"))) }
        return out
    }

    public static func order(_ f: JSONFields) throws(BinanceDecodeError) -> BinanceOrder {
        var fills: [OrderFill] = []
        for fill in try f.optionalObjects("fills") {
            fills.append(OrderFill(
                price: try fill.decimal("price"), quantity: try fill.decimal("qty"), commission: try fill.decimal("commission"),
                commissionAsset: try fill.string("commissionAsset"), tradeID: try fill.int64("tradeId")
            ))
        }
        return BinanceOrder(
            symbol: try f.string("symbol"), orderID: try f.int64("orderId"), orderListID: try f.optionalInt64("orderListId") ?? -1,
            clientOrderID: try f.string("clientOrderId"), originalClientOrderID: try f.optionalString("origClientOrderId"),
            transactTime: try f.optionalTimestamp("transactTime"),
            time: try f.optionalTimestamp("time"),
            updateTime: try f.optionalTimestamp("updateTime"),
            price: try f.optionalDecimal("price"), originalQuantity: try f.optionalDecimal("origQty"),
            executedQuantity: try f.optionalDecimal("executedQty"), cumulativeQuoteQuantity: try f.optionalDecimal("cummulativeQuoteQty"),
            status: try f.optionalString("status"), timeInForce: try f.optionalString("timeInForce"), type: try f.optionalString("type"),
            side: try f.optionalString("side"), stopPrice: try f.optionalDecimal("stopPrice"), isWorking: try f.optionalBool("isWorking"),
            fills: fills
        )
    }

    /// An order list (OCO placement, query, cancel).
    public static func orderList(_ bytes: [UInt8]) throws(BinanceDecodeError) -> BinanceOrderList {
        try orderList(JSONFields(try JSONValue.parse(bytes, payload: "orderList"), payload: "orderList"))
    }

    public static func orderList(_ f: JSONFields) throws(BinanceDecodeError) -> BinanceOrderList {
        var orders: [(symbol: String, orderID: Int64, clientOrderID: String)] = []
        for o in try f.objects("orders") { orders.append((try o.string("symbol"), try o.int64("orderId"), try o.string("clientOrderId"))) }
        var reports: [BinanceOrder] = []
        for r in try f.optionalObjects("orderReports") { reports.append(try order(r)) }
        return BinanceOrderList(
            orderListID: try f.int64("orderListId"), contingencyType: try f.string("contingencyType"),
            listStatusType: try f.string("listStatusType"), listOrderStatus: try f.string("listOrderStatus"),
            listClientOrderID: try f.string("listClientOrderId"), transactionTime: try f.timestamp("transactionTime"),
            symbol: try f.string("symbol"), orders: orders, orderReports: reports
        )
    }

    /// `DELETE /api/v3/openOrders`: plain order reports mixed with order-list objects.
    public static func cancelAll(_ bytes: [UInt8]) throws(BinanceDecodeError) -> (orders: [BinanceOrder], lists: [BinanceOrderList]) {
        let value = try JSONValue.parse(bytes, payload: "openOrders")
        guard case .array(let rows) = value else { throw BinanceDecodeError(payload: "openOrders", field: "", reason: .wrongType(expected: "an array")) }
        var orders: [BinanceOrder] = []
        var lists: [BinanceOrderList] = []
        for (i, row) in rows.enumerated() {
            let f = try JSONFields(row, payload: "openOrders", path: "[\(i)]")
            if f.has("contingencyType") { lists.append(try orderList(f)) } else { orders.append(try order(f)) }
        }
        return (orders, lists)
    }

    /// `GET /api/v3/account`.
    public static func account(_ bytes: [UInt8]) throws(BinanceDecodeError) -> AccountInfo {
        let f = try JSONFields(try JSONValue.parse(bytes, payload: "account"), payload: "account")
        var balances: [AssetBalance] = []
        for b in try f.objects("balances") {
            balances.append(AssetBalance(asset: try b.string("asset"), free: try b.decimal("free"), locked: try b.decimal("locked")))
        }
        var maker: Decimal8?
        var taker: Decimal8?
        if f.has("commissionRates") {
            let rates = try f.object("commissionRates")
            maker = try rates.decimal("maker")
            taker = try rates.decimal("taker")
        }
        return AccountInfo(
            canTrade: try f.bool("canTrade"), makerCommission: maker, takerCommission: taker,
            updateTime: try f.timestamp("updateTime"), accountType: try f.string("accountType"), balances: balances
        )
    }

    /// `GET /api/v3/myTrades`.
    public static func accountTrades(_ bytes: [UInt8]) throws(BinanceDecodeError) -> [AccountTrade] {
        let value = try JSONValue.parse(bytes, payload: "myTrades")
        guard case .array(let rows) = value else { throw BinanceDecodeError(payload: "myTrades", field: "", reason: .wrongType(expected: "an array")) }
        var out: [AccountTrade] = []
        for (i, row) in rows.enumerated() {
            let f = try JSONFields(row, payload: "myTrades", path: "[\(i)]")
            out.append(AccountTrade(
                symbol: try f.string("symbol"), id: try f.int64("id"), orderID: try f.int64("orderId"), price: try f.decimal("price"),
                quantity: try f.decimal("qty"), quoteQuantity: try f.decimal("quoteQty"), commission: try f.decimal("commission"),
                commissionAsset: try f.string("commissionAsset"), time: try f.timestamp("time"),
                isBuyer: try f.bool("isBuyer"), isMaker: try f.bool("isMaker")
            ))
        }
        return out
    }
}
