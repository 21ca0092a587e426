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
    /// What this order holds locked (quote for a resting BUY, base for a resting SELL). The legs
    /// of an order list hold nothing while the list holds the lock (``OrderList/locked``).
    var locked: Decimal8 = .zero
    /// The trigger of STOP_LOSS_LIMIT and TAKE_PROFIT_LIMIT orders (zero otherwise).
    var stopPrice: Decimal8 = .zero
    /// The order list this order is a leg of, -1 when none.
    var orderListID: Int64 = -1
    /// When the order started working (on the book): its placement, or for a stop order the
    /// moment it triggered; -1 while a stop order waits for its trigger.
    var workingTime: Int64 = -1

    var key: OrderKey { OrderKey(symbol: symbol, id: orderID) }
    var remaining: Decimal8 { originalQuantity - executedQuantity }
    var isOpen: Bool { status == .new || status == .partiallyFilled }
    /// STOP_LOSS_LIMIT or TAKE_PROFIT_LIMIT.
    var isConditional: Bool { type == "STOP_LOSS_LIMIT" || type == "TAKE_PROFIT_LIMIT" }
    /// Working on the book (not a stop order still waiting for its trigger).
    var isWorking: Bool { workingTime >= 0 }

    /// Whether a stop order triggers at the last trade price `last` (BINANCE.md §5): a stop-loss
    /// SELL when the price falls to the stop, a stop-loss BUY when it rises to it; take-profit the
    /// other way round.
    func triggers(atLastPrice last: Decimal8) -> Bool {
        let falling = (type == "STOP_LOSS_LIMIT") == (side == .sell)
        return falling ? last <= stopPrice : last >= stopPrice
    }

    /// ACK fields.
    var ackFields: [(String, JSON)] {
        [
            ("symbol", .string(symbol)), ("orderId", .int(orderID)), ("orderListId", .int(orderListID)),
            ("clientOrderId", .string(clientOrderID)), ("transactTime", .int(updateTime)),
        ]
    }

    /// The RESULT fields that follow the ACK fields (`stopPrice` only for stop orders, as Binance).
    var resultFields: [(String, JSON)] {
        var fields: [(String, JSON)] = [
            ("price", .decimal(price)), ("origQty", .decimal(originalQuantity)), ("executedQty", .decimal(executedQuantity)),
            ("origQuoteOrderQty", .decimal(originalQuoteQuantity)), ("cummulativeQuoteQty", .decimal(cumulativeQuote)),
            ("status", .string(status.rawValue)), ("timeInForce", .string(timeInForce)), ("type", .string(type)),
            ("side", .string(side.binanceName)),
        ]
        if isConditional { fields.append(("stopPrice", .decimal(stopPrice))) }
        fields += [("workingTime", .int(workingTime)), ("selfTradePreventionMode", .string("NONE"))]
        return fields
    }

    /// A cancel report (`DELETE /api/v3/order`, and the legs of a cancelled order list):
    /// `cancelClientOrderID` is the cancel request's own id.
    func cancelJSON(cancelClientOrderID: String, transactTime: Int64) -> JSON {
        var fields: [(String, JSON)] = [
            ("symbol", .string(symbol)), ("origClientOrderId", .string(clientOrderID)), ("orderId", .int(orderID)),
            ("orderListId", .int(orderListID)), ("clientOrderId", .string(cancelClientOrderID)), ("transactTime", .int(transactTime)),
        ]
        fields += resultFields.filter { $0.0 != "workingTime" }
        return .object(fields)
    }

    /// `GET /api/v3/order`, openOrders and allOrders.
    var queryJSON: JSON {
        .object([
            ("symbol", .string(symbol)), ("orderId", .int(orderID)), ("orderListId", .int(orderListID)),
            ("clientOrderId", .string(clientOrderID)), ("price", .decimal(price)), ("origQty", .decimal(originalQuantity)),
            ("executedQty", .decimal(executedQuantity)), ("cummulativeQuoteQty", .decimal(cumulativeQuote)),
            ("status", .string(status.rawValue)), ("timeInForce", .string(timeInForce)), ("type", .string(type)),
            ("side", .string(side.binanceName)), ("stopPrice", .decimal(stopPrice)), ("icebergQty", .decimal(.zero)),
            ("time", .int(time)), ("updateTime", .int(updateTime)), ("isWorking", .bool(isWorking)),
            ("workingTime", .int(workingTime)), ("origQuoteOrderQty", .decimal(originalQuoteQuantity)),
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
    var orderListID: Int64 = -1

    var json: JSON {
        .object([
            ("symbol", .string(symbol)), ("id", .int(id)), ("orderId", .int(orderID)), ("orderListId", .int(orderListID)),
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
    /// The open orders' keys in placement order (kept by ``ExchangeState/store(_:apiKey:)``), so
    /// that matching at every market step does not scan the whole history.
    var openSequence: [OrderKey] = []
    var trades: [AccountTrade] = []
    var updateTime: Int64 = 0
    /// Order lists (OCO) by id, and their ids in placement order.
    var orderLists: [Int64: OrderList] = [:]
    var listSequence: [Int64] = []

    subscript(asset: String) -> Balance {
        get { balances[asset] ?? Balance(free: .zero, locked: .zero) }
        set { balances[asset] = newValue }
    }

    func openOrders(symbol: String?) -> [Order] {
        openSequence.compactMap { orders[$0] }.filter { $0.isOpen && (symbol == nil || $0.symbol == symbol) }
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

/// An OCO order list (BINANCE.md §5): two legs on one symbol and side; when one leg triggers,
/// fills or is cancelled, the other is expired or cancelled and the list is ALL_DONE.
struct OrderList: Sendable {
    var id: Int64
    var symbol: String
    var listClientOrderID: String
    /// The legs' keys: the stop leg first (as Binance lists them).
    var orderKeys: [OrderKey]
    /// EXEC_STARTED while both legs wait, ALL_DONE after.
    var listStatusType = "EXEC_STARTED"
    /// EXECUTING, then ALL_DONE.
    var listOrderStatus = "EXECUTING"
    var transactionTime: Int64
    /// The lock the list holds for both legs (one quantity for a SELL; the larger notional for a
    /// BUY), handed to the leg that becomes the order.
    var locked: Decimal8
    var lockAsset: String

    var isOpen: Bool { listOrderStatus == "EXECUTING" }

    /// `GET /api/v3/orderList`, openOrderList, allOrderList; order-list responses add `orderReports`.
    func json(clientOrderIDs: [String]) -> [(String, JSON)] {
        [
            ("orderListId", .int(id)), ("contingencyType", .string("OCO")), ("listStatusType", .string(listStatusType)),
            ("listOrderStatus", .string(listOrderStatus)), ("listClientOrderId", .string(listClientOrderID)),
            ("transactionTime", .int(transactionTime)), ("symbol", .string(symbol)),
            ("orders", .array(zip(orderKeys, clientOrderIDs).map { key, client in
                .object([("symbol", .string(key.symbol)), ("orderId", .int(key.id)), ("clientOrderId", .string(client))])
            })),
        ]
    }
}
