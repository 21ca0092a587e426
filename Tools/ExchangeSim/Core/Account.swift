import Domain

/// An asset balance: free to use, and locked by open orders.
struct Balance: Sendable, Hashable {
    var free: Decimal8
    var locked: Decimal8
}

struct OrderKey: Sendable, Hashable {
    var symbol: String
    var id: Int64
}

enum OrderStatus: String, Sendable {
    case new = "NEW", partiallyFilled = "PARTIALLY_FILLED", filled = "FILLED", canceled = "CANCELED", expired = "EXPIRED"
}

/// One execution of an order (a FULL response's `fills[]`).
struct Fill: Sendable, Hashable {
    var price: Decimal8
    var quantity: Decimal8
    var commission: Decimal8
    var commissionAsset: String
    var tradeID: Int64

    var json: JSON {
        .object([
            ("price", .decimal(price)), ("qty", .decimal(quantity)), ("commission", .decimal(commission)),
            ("commissionAsset", .string(commissionAsset)), ("tradeId", .int(tradeID)),
        ])
    }
}

/// An order as the account keeps it.
struct Order: Sendable {
    var symbol: String
    var orderID: Int64
    var clientOrderID: String
    var price: Decimal8
    var originalQuantity: Decimal8
    var executedQuantity: Decimal8 = .zero
    var cumulativeQuote: Decimal8 = .zero
    var status: OrderStatus = .new
    var timeInForce: String
    var type: String
    var side: Side
    var time: Int64
    var updateTime: Int64
    var originalQuoteQuantity: Decimal8
    /// What this order holds locked (quote for a resting BUY, base for a resting SELL).
    var locked: Decimal8 = .zero

    var key: OrderKey { OrderKey(symbol: symbol, id: orderID) }
    var remaining: Decimal8 { originalQuantity - executedQuantity }
    var isOpen: Bool { status == .new || status == .partiallyFilled }

    /// ACK fields.
    var ackFields: [(String, JSON)] {
        [
            ("symbol", .string(symbol)), ("orderId", .int(orderID)), ("orderListId", .int(-1)),
            ("clientOrderId", .string(clientOrderID)), ("transactTime", .int(updateTime)),
        ]
    }

    /// The RESULT fields that follow the ACK fields.
    var resultFields: [(String, JSON)] {
        [
            ("price", .decimal(price)), ("origQty", .decimal(originalQuantity)), ("executedQty", .decimal(executedQuantity)),
            ("origQuoteOrderQty", .decimal(originalQuoteQuantity)), ("cummulativeQuoteQty", .decimal(cumulativeQuote)),
            ("status", .string(status.rawValue)), ("timeInForce", .string(timeInForce)), ("type", .string(type)),
            ("side", .string(side.binanceName)), ("workingTime", .int(time)), ("selfTradePreventionMode", .string("NONE")),
        ]
    }

    /// `GET /api/v3/order`, openOrders and allOrders.
    var queryJSON: JSON {
        .object([
            ("symbol", .string(symbol)), ("orderId", .int(orderID)), ("orderListId", .int(-1)),
            ("clientOrderId", .string(clientOrderID)), ("price", .decimal(price)), ("origQty", .decimal(originalQuantity)),
            ("executedQty", .decimal(executedQuantity)), ("cummulativeQuoteQty", .decimal(cumulativeQuote)),
            ("status", .string(status.rawValue)), ("timeInForce", .string(timeInForce)), ("type", .string(type)),
            ("side", .string(side.binanceName)), ("stopPrice", .decimal(.zero)), ("icebergQty", .decimal(.zero)),
            ("time", .int(time)), ("updateTime", .int(updateTime)), ("isWorking", .bool(true)),
            ("workingTime", .int(time)), ("origQuoteOrderQty", .decimal(originalQuoteQuantity)),
            ("selfTradePreventionMode", .string("NONE")),
        ])
    }
}

/// A trade of the account (`GET /api/v3/myTrades`).
struct AccountTrade: Sendable {
    var symbol: String
    var id: Int64
    var orderID: Int64
    var price: Decimal8
    var quantity: Decimal8
    var quoteQuantity: Decimal8
    var commission: Decimal8
    var commissionAsset: String
    var time: Int64
    var isBuyer: Bool
    var isMaker: Bool

    var json: JSON {
        .object([
            ("symbol", .string(symbol)), ("id", .int(id)), ("orderId", .int(orderID)), ("orderListId", .int(-1)),
            ("price", .decimal(price)), ("qty", .decimal(quantity)), ("quoteQty", .decimal(quoteQuantity)),
            ("commission", .decimal(commission)), ("commissionAsset", .string(commissionAsset)), ("time", .int(time)),
            ("isBuyer", .bool(isBuyer)), ("isMaker", .bool(isMaker)), ("isBestMatch", .bool(true)),
        ])
    }
}

/// One API key's account.
struct Account: Sendable {
    var balances: [String: Balance]
    var orders: [OrderKey: Order] = [:]
    /// Every order key in placement order.
    var sequence: [OrderKey] = []
    var trades: [AccountTrade] = []
    var updateTime: Int64 = 0

    subscript(asset: String) -> Balance {
        get { balances[asset] ?? Balance(free: .zero, locked: .zero) }
        set { balances[asset] = newValue }
    }

    func openOrders(symbol: String?) -> [Order] {
        sequence.compactMap { orders[$0] }.filter { $0.isOpen && (symbol == nil || $0.symbol == symbol) }
    }

    func order(symbol: String, id: Int64?, clientOrderID: String?) -> Order? {
        if let id { return orders[OrderKey(symbol: symbol, id: id)].flatMap { clientOrderID == nil || $0.clientOrderID == clientOrderID ? $0 : nil } }
        guard let clientOrderID else { return nil }
        // The newest order with that client id (ids are reusable once an order is closed).
        for key in sequence.reversed() where key.symbol == symbol {
            if let o = orders[key], o.clientOrderID == clientOrderID { return o }
        }
        return nil
    }
}

extension Side {
    var binanceName: String { rawValue }
}
