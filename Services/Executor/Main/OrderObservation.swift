import Binance
import BinanceClient
import Domain
import ExecutorCore

/// One view of a Binance order, from any of the three places the Executor learns about orders: the
/// answer to its own request (placement, cancel), a REST query (`GET /api/v3/order`), or a
/// user-data `executionReport` event. All three go through ``OrderProgress/merge(_:_:baseAsset:quoteAsset:)``,
/// so the journal ends in the same state whichever arrives first, and however often.
struct OrderObservation: Sendable, Hashable {
    enum Source: String, Sendable {
        /// Binance's answer to a placement or a cancel.
        case answer
        /// `GET /api/v3/order` (a poll, a fallback or safety query, a resolution after an unknown status).
        case query
        /// A user-data stream `executionReport`.
        case stream
    }

    /// One trade reported by an `executionReport` of type TRADE.
    struct Trade: Sendable, Hashable {
        var id: Int64
        var quantity: Quantity
        var commission: Decimal8
        var commissionAsset: String?
    }

    var source: Source
    var clientOrderID: String
    var exchangeOrderID: Int64
    /// nil when the answer carried no (or an unknown) status: the journaled state is kept.
    var state: OrderRecord.State?
    /// Cumulative executed quantity and quote (nil: not in the answer).
    var executedQuantity: Quantity?
    var cumulativeQuote: Decimal8?
    /// When Binance made this state (transaction or update time).
    var time: Timestamp?
    /// The trade that brought the order to this state (stream TRADE events only).
    var trade: Trade?
    /// Every fill of the order so far (a FULL placement answer), for its commissions.
    var fills: [OrderFill]?

    /// A REST answer or query result.
    init(_ order: BinanceOrder, source: Source, fills: [OrderFill]? = nil) {
        self.source = source
        clientOrderID = order.originalClientOrderID ?? order.clientOrderID
        exchangeOrderID = order.orderID
        state = LiveTrader.state(order.status)
        executedQuantity = order.executedQuantity
        cumulativeQuote = order.cumulativeQuoteQuantity
        time = order.transactTime ?? order.updateTime
        trade = nil
        self.fills = fills.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A user-data `executionReport`. On a cancel, `c` is the cancel request's own id and `C` the
    /// cancelled order's: the order is `C` then.
    init(_ event: ExecutionReportEvent) {
        source = .stream
        clientOrderID = event.originalClientOrderID.isEmpty ? event.clientOrderID : event.originalClientOrderID
        exchangeOrderID = event.orderID
        state = LiveTrader.state(event.orderStatus)
        executedQuantity = event.cumulativeFilledQuantity
        cumulativeQuote = event.cumulativeQuoteQuantity
        time = event.transactionTime
        if event.executionType == "TRADE", event.lastExecutedQuantity > .zero {
            trade = Trade(id: event.tradeID, quantity: event.lastExecutedQuantity, commission: event.commission, commissionAsset: event.commissionAsset)
        } else {
            trade = nil
        }
        fills = nil
    }

    init(source: Source, clientOrderID: String, exchangeOrderID: Int64, state: OrderRecord.State?, executedQuantity: Quantity?,
         cumulativeQuote: Decimal8?, time: Timestamp?, trade: Trade? = nil, fills: [OrderFill]? = nil) {
        self.source = source
        self.clientOrderID = clientOrderID
        self.exchangeOrderID = exchangeOrderID
        self.state = state
        self.executedQuantity = executedQuantity
        self.cumulativeQuote = cumulativeQuote
        self.time = time
        self.trade = trade
        self.fills = fills
    }
}
