import Binance
import Domain
import NIOHTTP1

/// Binance's trading and account endpoints (BINANCE.md §5), all SIGNED. Writes (new order, OCO,
/// cancel) are never retried by the client: a timeout or 5xx is `.unknownExecutionStatus` and the
/// caller must query by client order id before resending; 429 and 418 stop every request until
/// Retry-After has passed (`.rateLimited` / `.banned`). Reads are retried with backoff.
///
/// Order parameters come in as Binance's `(name, value)` pairs (the Executor's `OrderSpec.parameters`),
/// so this file knows the endpoints, not the order rules.
extension BinanceRESTClient {
    /// `POST /api/v3/order`. Pass `newOrderRespType=FULL` to get the fills.
    public func newOrder(_ parameters: [(String, String)]) async throws(BinanceClientError) -> BinanceOrder {
        let body = try await signed(.POST, "/api/v3/order", parameters: parameters)
        do { return try BinanceDecoder.order(body) } catch { throw .decode(error) }
    }

    /// `POST /api/v3/order/test`: validated by Binance (filters, signature, timestamp), never
    /// executed. Returns the standard commission rates when `computeCommissionRates` is asked for.
    @discardableResult
    public func testOrder(_ parameters: [(String, String)], computeCommissionRates: Bool = false) async throws(BinanceClientError) -> (maker: Decimal8, taker: Decimal8)? {
        var params = parameters.filter { $0.0 != "newOrderRespType" }
        if computeCommissionRates { params.append(("computeCommissionRates", "true")) }
        let body = try await signed(.POST, "/api/v3/order/test", parameters: params)
        do { return try BinanceDecoder.orderTest(body) } catch { throw .decode(error) }
    }

    /// `GET /api/v3/order` by `origClientOrderId`. An order Binance never saw is `.api` with code
    /// -2013 (``BinanceAPIError/noSuchOrder``).
    public func queryOrder(symbol: String, clientOrderID: String) async throws(BinanceClientError) -> BinanceOrder {
        let body = try await signed(.GET, "/api/v3/order", parameters: [("symbol", symbol), ("origClientOrderId", clientOrderID)])
        do { return try BinanceDecoder.order(body) } catch { throw .decode(error) }
    }

    /// The order with this client id, or nil when Binance answers -2013 "Order does not exist."
    public func findOrder(symbol: String, clientOrderID: String) async throws(BinanceClientError) -> BinanceOrder? {
        do {
            return try await queryOrder(symbol: symbol, clientOrderID: clientOrderID)
        } catch {
            if case .api(let e) = error, e.code == BinanceAPIError.noSuchOrder { return nil }
            throw error
        }
    }

    /// `DELETE /api/v3/order` by `origClientOrderId`.
    public func cancelOrder(symbol: String, clientOrderID: String) async throws(BinanceClientError) -> BinanceOrder {
        let body = try await signed(.DELETE, "/api/v3/order", parameters: [("symbol", symbol), ("origClientOrderId", clientOrderID)])
        do { return try BinanceDecoder.order(body) } catch { throw .decode(error) }
    }

    /// `DELETE /api/v3/orderList` by `listClientOrderId`: cancels every open leg of the list. The
    /// answer is the list with an `orderReports` entry per leg (its `origClientOrderId`, status,
    /// and what it executed before the cancel). A list that is no longer open is `.api` -2011.
    public func cancelOrderList(symbol: String, listClientOrderID: String) async throws(BinanceClientError) -> BinanceOrderList {
        let body = try await signed(.DELETE, "/api/v3/orderList", parameters: [("symbol", symbol), ("listClientOrderId", listClientOrderID)])
        do { return try BinanceDecoder.orderList(body) } catch { throw .decode(error) }
    }

    /// `GET /api/v3/openOrders` (weight 6 with a symbol, 80 without).
    public func openOrders(symbol: String? = nil) async throws(BinanceClientError) -> [BinanceOrder] {
        let body = try await signed(.GET, "/api/v3/openOrders", parameters: symbol.map { [("symbol", $0)] } ?? [])
        do { return try BinanceDecoder.orders(body) } catch { throw .decode(error) }
    }

    /// `GET /api/v3/allOrders`: the account's orders on a symbol (the newest `limit` without bounds).
    public func allOrders(symbol: String, fromOrderID: Int64? = nil, limit: Int = 1000) async throws(BinanceClientError) -> [BinanceOrder] {
        guard (1...1000).contains(limit) else { throw .invalidRequest("allOrders limit must be 1...1000, got \(limit)") }
        var params: [(String, String)] = [("symbol", symbol)]
        if let fromOrderID { params.append(("orderId", String(fromOrderID))) }
        params.append(("limit", String(limit)))
        let body = try await signed(.GET, "/api/v3/allOrders", parameters: params)
        do { return try BinanceDecoder.orders(body) } catch { throw .decode(error) }
    }

    /// `POST /api/v3/orderList/oco` (the current endpoint; `/api/v3/order/oco` is deprecated).
    public func newOCO(_ parameters: [(String, String)]) async throws(BinanceClientError) -> BinanceOrderList {
        let body = try await signed(.POST, "/api/v3/orderList/oco", parameters: parameters)
        do { return try BinanceDecoder.orderList(body) } catch { throw .decode(error) }
    }

    /// `GET /api/v3/orderList` by `origClientOrderId` (the list's client id). -2013 when unknown.
    public func queryOrderList(listClientOrderID: String) async throws(BinanceClientError) -> BinanceOrderList {
        let body = try await signed(.GET, "/api/v3/orderList", parameters: [("origClientOrderId", listClientOrderID)])
        do { return try BinanceDecoder.orderList(body) } catch { throw .decode(error) }
    }

    /// `GET /api/v3/account` (balances, commission rates).
    public func account(omitZeroBalances: Bool = false) async throws(BinanceClientError) -> AccountInfo {
        let body = try await signed(.GET, "/api/v3/account", parameters: omitZeroBalances ? [("omitZeroBalances", "true")] : [])
        do { return try BinanceDecoder.account(body) } catch { throw .decode(error) }
    }

    /// `GET /api/v3/myTrades`: the account's trades on a symbol (by order, from a trade id, or a
    /// window of at most 24 h), oldest first.
    public func myTrades(symbol: String, orderID: Int64? = nil, fromID: Int64? = nil, startTime: Timestamp? = nil,
                         endTime: Timestamp? = nil, limit: Int = 1000) async throws(BinanceClientError) -> [AccountTrade] {
        guard (1...1000).contains(limit) else { throw .invalidRequest("myTrades limit must be 1...1000, got \(limit)") }
        var params: [(String, String)] = [("symbol", symbol)]
        if let orderID { params.append(("orderId", String(orderID))) }
        if let fromID { params.append(("fromId", String(fromID))) }
        if let startTime { params.append(("startTime", String(startTime.milliseconds))) }
        if let endTime { params.append(("endTime", String(endTime.milliseconds))) }
        params.append(("limit", String(limit)))
        let body = try await signed(.GET, "/api/v3/myTrades", parameters: params)
        do { return try BinanceDecoder.accountTrades(body) } catch { throw .decode(error) }
    }

    /// The time until which requests are held after a 429 or a 418 (nil when none): the Executor
    /// stops sending until then.
    public var heldUntil: Timestamp? {
        state.withLock { s in
            [s.rateLimitedUntil, s.bannedUntil].compactMap { $0 }.max()
        }
    }
}
