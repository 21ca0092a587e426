import Binance
import BinanceClient
import Domain
import Runtime

/// Where the Executor learns what happened to its open orders. REST polling (``PollingFillSource``)
/// is correct on its own; a user-data stream source (the WebSocket API's executionReport events)
/// only makes it faster: it can answer from the events it has buffered and fall back to a query
/// for orders it has not heard about.
protocol FillSource: Sendable {
    /// The current state of an order, by client order id; nil when Binance does not know it (-2013).
    func order(symbol: String, clientOrderID: String) async throws(BinanceClientError) -> BinanceOrder?
    /// The trades of an order (prices, quantities and commissions of its fills).
    func trades(symbol: String, orderID: Int64) async throws(BinanceClientError) -> [AccountTrade]
}

/// Polls Binance's REST API: `GET /api/v3/order` by `origClientOrderId`, `GET /api/v3/myTrades` by order.
/// Counted (`rest_order_queries`, `rest_trade_queries`), so a test can tell fills learned from the
/// stream from fills learned by asking.
struct PollingFillSource: FillSource {
    let client: BinanceRESTClient
    var counters: Counters?

    func order(symbol: String, clientOrderID: String) async throws(BinanceClientError) -> BinanceOrder? {
        counters?.increment("rest_order_queries")
        return try await client.findOrder(symbol: symbol, clientOrderID: clientOrderID)
    }

    func trades(symbol: String, orderID: Int64) async throws(BinanceClientError) -> [AccountTrade] {
        counters?.increment("rest_trade_queries")
        return try await client.myTrades(symbol: symbol, orderID: orderID)
    }
}
