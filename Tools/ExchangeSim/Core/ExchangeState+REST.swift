import Domain

/// The REST API under /api/v3 (Binance's shapes) and the admin API under /sim.
extension ExchangeState {
    enum Security { case none, signed }

    /// Answers one HTTP request. `wallMilliseconds` is the wall clock (epoch ms) for the weight
    /// window and for `--timestamp-clock wall`.
    public mutating func handle(_ request: SimRequest, wall: ContinuousClock.Instant, wallMilliseconds: Int64) -> SimResponse {
        advance(wall: wall)
        let now = clock.now(wall: wall)
        if request.path.hasPrefix("/sim/") { return handleAdmin(request, wall: wall) }
        let params = Params(rawQuery: request.rawQuery, body: request.body)
        guard let (weight, security) = Self.endpoint(request.method, request.path, params: params) else {
            return respond(.failure(.unknownEndpoint), weightHeader: false)
        }
        if faults.http429 > 0 {
            faults.http429 -= 1
            var error = tooMuchWeight(wallMilliseconds)
            if let seconds = faults.http429RetryAfter { error.retryAfter = seconds }
            return respond(.failure(error), weightHeader: true)
        }
        if faults.http5xx > 0 {
            faults.http5xx -= 1
            return respond(.failure(.overloaded), weightHeader: false)
        }
        guard rateLimiter.consume(weight, atWallMilliseconds: wallMilliseconds) else {
            return respond(.failure(tooMuchWeight(wallMilliseconds)), weightHeader: true)
        }
        var apiKey = ""
        if security == .signed {
            do throws(APIError) {
                apiKey = try authenticate(request, params: params, now: now, wallMilliseconds: wallMilliseconds)
            } catch {
                return respond(.failure(error), weightHeader: true)
            }
        }
        let placement = request.method == "POST" && Self.placementPaths.contains(request.path)
        if placement, faults.http5xxBeforeExecute > 0 {
            faults.http5xxBeforeExecute -= 1
            return respond(.failure(.overloaded), weightHeader: false)
        }
        let result: Result<JSON, APIError>
        do throws(APIError) {
            result = .success(try route(request.method, request.path, params: params, apiKey: apiKey, now: now))
        } catch {
            result = .failure(error)
        }
        if case .success = result, placement, faults.http5xxAfterExecute > 0 {
            faults.http5xxAfterExecute -= 1
            return respond(.failure(.overloaded), weightHeader: false)
        }
        if case .success = result, placement, faults.timeoutAfterExecute > 0 {
            faults.timeoutAfterExecute -= 1
            var response = respond(result, weightHeader: true)
            response.delay = .milliseconds(faults.timeoutMs)
            return response
        }
        return respond(result, weightHeader: true)
    }

    /// The requests that place orders (the targets of the order faults).
    static let placementPaths: Set<String> = ["/api/v3/order", "/api/v3/orderList/oco", "/api/v3/order/oco"]

    func tooMuchWeight(_ wallMilliseconds: Int64) -> APIError {
        APIError(
            status: 429, code: -1003,
            "Too much request weight used; current limit is \(rateLimiter.limit) request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid bans.",
            retryAfter: rateLimiter.retryAfter(atWallMilliseconds: wallMilliseconds)
        )
    }

    mutating func respond(_ result: Result<JSON, APIError>, weightHeader: Bool) -> SimResponse {
        var headers: [(String, String)] = [("content-type", "application/json;charset=UTF-8")]
        if weightHeader {
            headers.append(("x-mbx-used-weight", String(rateLimiter.used)))
            headers.append(("x-mbx-used-weight-1m", String(rateLimiter.used)))
        }
        var response: SimResponse
        switch result {
        case .success(let json):
            response = SimResponse(status: 200, headers: headers, body: json.text)
        case .failure(let error):
            if let retry = error.retryAfter { headers.append(("retry-after", String(retry))) }
            response = SimResponse(status: error.status, headers: headers, body: error.json.text)
        }
        if faults.truncatedBodies > 0 {
            faults.truncatedBodies -= 1
            response.body = String(decoding: Array(response.body.utf8.prefix(response.body.utf8.count / 2)), as: UTF8.self)
        }
        return response
    }

    /// The request weight and security of an endpoint (BINANCE.md §3 and §5), nil when unknown.
    static func endpoint(_ method: String, _ path: String, params: Params) -> (Int, Security)? {
        switch (method, path) {
        case ("GET", "/api/v3/ping"), ("GET", "/api/v3/time"): return (1, .none)
        case ("GET", "/api/v3/exchangeInfo"): return (20, .none)
        case ("GET", "/api/v3/depth"):
            let limit = Int(params["limit"] ?? "100") ?? 100
            return (limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250, .none)
        case ("GET", "/api/v3/klines"), ("GET", "/api/v3/uiKlines"): return (2, .none)
        case ("GET", "/api/v3/aggTrades"): return (4, .none)
        case ("GET", "/api/v3/ticker/bookTicker"), ("GET", "/api/v3/ticker/price"): return (params["symbol"] == nil ? 4 : 2, .none)
        case ("POST", "/api/v3/order"), ("DELETE", "/api/v3/order"), ("DELETE", "/api/v3/openOrders"): return (1, .signed)
        case ("POST", "/api/v3/orderList/oco"), ("POST", "/api/v3/order/oco"), ("DELETE", "/api/v3/orderList"): return (1, .signed)
        case ("GET", "/api/v3/orderList"): return (4, .signed)
        case ("GET", "/api/v3/openOrderList"): return (6, .signed)
        case ("GET", "/api/v3/allOrderList"): return (20, .signed)
        case ("POST", "/api/v3/order/test"): return (params["computeCommissionRates"] == "true" ? 20 : 1, .signed)
        case ("GET", "/api/v3/order"): return (4, .signed)
        case ("GET", "/api/v3/openOrders"): return (params["symbol"] == nil ? 80 : 6, .signed)
        case ("GET", "/api/v3/allOrders"), ("GET", "/api/v3/account"): return (20, .signed)
        case ("GET", "/api/v3/myTrades"): return (params["orderId"] == nil ? 20 : 5, .signed)
        default: return nil
        }
    }

    /// Checks the API key, the signature, then the timestamp; returns the key.
    func authenticate(_ request: SimRequest, params: Params, now: Timestamp, wallMilliseconds: Int64) throws(APIError) -> String {
        guard let key = request.headers["x-mbx-apikey"], !key.isEmpty else { throw .badAPIKeyFormat }
        guard let configured = configuration.apiKeys.first(where: { $0.key == key }) else { throw .rejectedAPIKey }
        guard let (payload, signature) = RequestSignature.split(rawQuery: request.rawQuery, body: request.body), !signature.isEmpty else {
            throw .mandatory("signature")
        }
        guard RequestSignature.verify(signature, payload: payload, verifier: configured.verifier) else { throw .badSignature }
        try checkTimestamp(params, now: now, wallMilliseconds: wallMilliseconds)
        return key
    }

    /// `timestamp` and `recvWindow` against the replay clock (or the wall clock): -1021 when the
    /// request is older than the window or 1000 ms or more ahead.
    func checkTimestamp(_ params: Params, now: Timestamp, wallMilliseconds: Int64) throws(APIError) {
        guard var timestamp = try params.int64("timestamp") else { throw .mandatory("timestamp") }
        if timestamp >= 100_000_000_000_000 { timestamp /= 1000 }  // microseconds
        var recvWindow: Int64 = 5000
        if let text = params["recvWindow"] {
            guard let value = Double(text), value >= 0 else { throw APIError(code: -1100, "Illegal characters found in parameter 'recvWindow'; legal range is '^[0-9]{1,20}(\\.[0-9]{1,3})?$'.") }
            guard value <= 60_000 else { throw APIError(code: -1131, "recvWindow must be less than 60000") }
            recvWindow = Int64(value)
        }
        let server = configuration.timestampClock == .replay ? now.milliseconds : wallMilliseconds
        if timestamp >= server + 1000 { throw .timestampAhead }
        if server - timestamp > recvWindow { throw .outsideRecvWindow }
    }

    func market(_ params: Params) throws(APIError) -> Market {
        let symbol = try params.required("symbol")
        guard let market = markets[symbol] else { throw .invalidSymbol }
        return market
    }

    /// The markets named by `symbol` or `symbols` (a JSON array), or all of them.
    func selectedMarkets(_ params: Params) throws(APIError) -> [Market] {
        if let symbol = params["symbol"] {
            guard let market = markets[symbol] else { throw .invalidSymbol }
            return [market]
        }
        if let list = params["symbols"] {
            guard let names = (try? JSON.parse(list))?.arrayValue?.compactMap(\.stringValue), !names.isEmpty else {
                throw APIError(code: -1100, "Illegal characters found in parameter 'symbols'; legal range is '^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'.")
            }
            var result: [Market] = []
            for name in names {
                guard let market = markets[name] else { throw .invalidSymbol }
                result.append(market)
            }
            return result
        }
        return symbols.map { markets[$0]! }
    }

    mutating func route(_ method: String, _ path: String, params: Params, apiKey: String, now: Timestamp) throws(APIError) -> JSON {
        switch (method, path) {
        case ("GET", "/api/v3/ping"): return .object([])
        case ("GET", "/api/v3/time"): return .object([("serverTime", .int(now.milliseconds))])
        case ("GET", "/api/v3/exchangeInfo"): return exchangeInfo(try selectedMarkets(params), now: now)
        case ("GET", "/api/v3/depth"):
            let market = try market(params)
            let limit = try params.limit(default: 100, max: 5000)
            return .object([
                ("lastUpdateId", .int(market.lastUpdateID)),
                ("bids", .array(market.sortedBids(limit: limit).map(\.json))),
                ("asks", .array(market.sortedAsks(limit: limit).map(\.json))),
            ])
        case ("GET", "/api/v3/klines"), ("GET", "/api/v3/uiKlines"): return try klines(params, now: now)
        case ("GET", "/api/v3/aggTrades"): return try aggTrades(params)
        case ("GET", "/api/v3/ticker/bookTicker"):
            let selected = try selectedMarkets(params)
            let items = selected.map { m -> JSON in
                let bid = m.bestBid ?? PriceLevel(price: .zero, quantity: .zero)
                let ask = m.bestAsk ?? PriceLevel(price: .zero, quantity: .zero)
                return .object([
                    ("symbol", .string(m.symbol)), ("bidPrice", .decimal(bid.price)), ("bidQty", .decimal(bid.quantity)),
                    ("askPrice", .decimal(ask.price)), ("askQty", .decimal(ask.quantity)),
                ])
            }
            return params["symbol"] != nil ? items[0] : .array(items)
        case ("GET", "/api/v3/ticker/price"):
            let items = try selectedMarkets(params).map { m -> JSON in
                .object([("symbol", .string(m.symbol)), ("price", .decimal(lastPrice(m)))])
            }
            return params["symbol"] != nil ? items[0] : .array(items)
        case ("POST", "/api/v3/order"): return try placeOrder(apiKey: apiKey, params: params, now: now, test: false).0
        case ("POST", "/api/v3/order/test"): return try placeOrder(apiKey: apiKey, params: params, now: now, test: true).0
        case ("DELETE", "/api/v3/order"): return try cancelOrder(apiKey: apiKey, params: params, now: now)
        case ("GET", "/api/v3/order"): return try queryOrder(apiKey: apiKey, params: params)
        case ("POST", "/api/v3/orderList/oco"): return try placeOCO(apiKey: apiKey, params: params, now: now)
        case ("POST", "/api/v3/order/oco"): return try placeLegacyOCO(apiKey: apiKey, params: params, now: now)
        case ("DELETE", "/api/v3/orderList"): return try cancelOrderList(apiKey: apiKey, params: params, now: now)
        case ("GET", "/api/v3/orderList"): return try queryOrderList(apiKey: apiKey, params: params)
        case ("GET", "/api/v3/openOrderList"): return openOrderLists(apiKey: apiKey)
        case ("GET", "/api/v3/allOrderList"): return try allOrderLists(apiKey: apiKey, params: params)
        case ("DELETE", "/api/v3/openOrders"):
            // Plain orders get an order report each, order lists a list report (Binance mixes them).
            let market = try market(params)
            let open = accounts[apiKey]?.openOrders(symbol: market.symbol) ?? []
            guard !open.isEmpty else { throw .unknownOrder }
            var reports: [JSON] = []
            for order in open where order.orderListID < 0 {
                let cancelID = try clientID(params, "newClientOrderId", generated: "simcancel\(order.orderID)")
                reports.append(cancel(order, apiKey: apiKey, cancelClientOrderID: cancelID, now: now).cancelJSON(cancelClientOrderID: cancelID, transactTime: now.milliseconds))
            }
            var listIDs: [Int64] = []
            for order in open where order.orderListID >= 0 && !listIDs.contains(order.orderListID) { listIDs.append(order.orderListID) }
            for listID in listIDs {
                let cancelID = try clientID(params, "newClientOrderId", generated: "simcancellist\(listID)")
                let legs = cancelList(listID, apiKey: apiKey, cancelClientOrderID: cancelID, now: now)
                reports.append(.object(listJSON(accounts[apiKey]!.orderLists[listID]!, apiKey: apiKey) + [("orderReports", .array(legs))]))
            }
            emitAccountPosition(apiKey: apiKey, symbol: market.symbol, now: now)
            return .array(reports)
        case ("GET", "/api/v3/openOrders"):
            var symbol: String?
            if let s = params["symbol"] {
                guard markets[s] != nil else { throw .invalidSymbol }
                symbol = s
            }
            return .array((accounts[apiKey]?.openOrders(symbol: symbol) ?? []).map(\.queryJSON))
        case ("GET", "/api/v3/allOrders"):
            let market = try market(params)
            let fromID = try params.int64("orderId")
            let start = try params.int64("startTime"), end = try params.int64("endTime")
            let limit = try params.limit(default: 500, max: 1000)
            let account = accounts[apiKey]!
            var orders = account.sequence.compactMap { account.orders[$0] }.filter { $0.symbol == market.symbol }
            if let fromID { orders = orders.filter { $0.orderID >= fromID } }
            if let start { orders = orders.filter { $0.time >= start } }
            if let end { orders = orders.filter { $0.time <= end } }
            let selected = fromID != nil || start != nil ? Array(orders.prefix(limit)) : Array(orders.suffix(limit))
            return .array(selected.map(\.queryJSON))
        case ("GET", "/api/v3/account"): return accountJSON(apiKey, omitZero: params["omitZeroBalances"] == "true")
        case ("GET", "/api/v3/myTrades"):
            let market = try market(params)
            let orderID = try params.int64("orderId"), fromID = try params.int64("fromId")
            let start = try params.int64("startTime"), end = try params.int64("endTime")
            let limit = try params.limit(default: 500, max: 1000)
            var trades = accounts[apiKey]!.trades.filter { $0.symbol == market.symbol }
            if let orderID { trades = trades.filter { $0.orderID == orderID } }
            if let fromID { trades = trades.filter { $0.id >= fromID } }
            if let start { trades = trades.filter { $0.time >= start } }
            if let end { trades = trades.filter { $0.time <= end } }
            let selected = fromID != nil || start != nil ? Array(trades.prefix(limit)) : Array(trades.suffix(limit))
            return .array(selected.map(\.json))
        default: throw .unknownEndpoint
        }
    }

    /// The last trade price, else the mid of the book.
    func lastPrice(_ market: Market) -> Decimal8 {
        if let trade = market.aggTrades.last { return trade.price }
        return market.bestBid?.price ?? .zero
    }

    func exchangeInfo(_ selected: [Market], now: Timestamp) -> JSON {
        .object([
            ("timezone", .string("UTC")),
            ("serverTime", .int(now.milliseconds)),
            ("rateLimits", .array([
                .object([("rateLimitType", .string("REQUEST_WEIGHT")), ("interval", .string("MINUTE")), ("intervalNum", .int(1)), ("limit", .int(Int64(rateLimiter.limit)))]),
                .object([("rateLimitType", .string("ORDERS")), ("interval", .string("SECOND")), ("intervalNum", .int(10)), ("limit", .int(50))]),
                .object([("rateLimitType", .string("ORDERS")), ("interval", .string("DAY")), ("intervalNum", .int(1)), ("limit", .int(160_000))]),
                .object([("rateLimitType", .string("RAW_REQUESTS")), ("interval", .string("MINUTE")), ("intervalNum", .int(5)), ("limit", .int(300_000))]),
            ])),
            ("exchangeFilters", .array([])),
            ("symbols", .array(selected.map(\.rules.exchangeInfoJSON))),
        ])
    }

    /// Klines whose open time is at or before the replay clock; the bar still open is served as
    /// it stands at the clock (``KlineSeries/kline(_:asOf:)``).
    func klines(_ params: Params, now: Timestamp) throws(APIError) -> JSON {
        let market = try market(params)
        let intervalName = try params.required("interval")
        guard Interval(intervalName) != nil || intervalName == "1M" else { throw APIError(code: -1120, "Invalid interval.") }
        guard let series = market.series[intervalName] else {
            throw APIError(code: -1120, "Invalid interval.")
        }
        let limit = try params.limit(default: 500, max: 1000)
        let start = try params.int64("startTime"), end = try params.int64("endTime")
        if let start, let end, start > end { throw APIError(code: -1127, "Lookup interval is too big.") }
        guard let lastVisible = series.lastIndex(openAtOrBefore: min(now.milliseconds, end ?? .max)) else { return .array([]) }
        var range: Range<Int>
        if let start {
            let from = series.firstIndex(openAtOrAfter: start)
            range = from..<max(from, min(lastVisible + 1, from + limit))
        } else {
            range = max(0, lastVisible + 1 - limit)..<(lastVisible + 1)
        }
        if range.isEmpty { range = 0..<0 }
        return .array(range.map { series.kline($0, asOf: now.milliseconds).restJSON })
    }

    func aggTrades(_ params: Params) throws(APIError) -> JSON {
        let market = try market(params)
        let limit = try params.limit(default: 500, max: 1000)
        let fromID = try params.int64("fromId")
        let start = try params.int64("startTime"), end = try params.int64("endTime")
        var trades = market.aggTrades[...]
        if let fromID { trades = trades.drop { $0.aggregateID < fromID } }
        if let start { trades = trades.drop { $0.time.milliseconds < start } }
        if let end { trades = trades.prefix { $0.time.milliseconds <= end } }
        let selected = fromID != nil || start != nil ? Array(trades.prefix(limit)) : Array(trades.suffix(limit))
        return .array(selected.map(\.restJSON))
    }

    func accountJSON(_ apiKey: String, omitZero: Bool) -> JSON {
        let account = accounts[apiKey]!
        let bps = Int64(configuration.feeRate.units / 10_000)  // 0.001 → 10
        let rate = JSON.decimal(configuration.feeRate)
        let balances = account.balances.keys.sorted().compactMap { asset -> JSON? in
            let b = account.balances[asset]!
            if omitZero && b.free.isZero && b.locked.isZero { return nil }
            return .object([("asset", .string(asset)), ("free", .decimal(b.free)), ("locked", .decimal(b.locked))])
        }
        return .object([
            ("makerCommission", .int(bps)), ("takerCommission", .int(bps)), ("buyerCommission", .int(0)), ("sellerCommission", .int(0)),
            ("commissionRates", .object([("maker", rate), ("taker", rate), ("buyer", .decimal(.zero)), ("seller", .decimal(.zero))])),
            ("canTrade", .bool(true)), ("canWithdraw", .bool(false)), ("canDeposit", .bool(false)), ("brokered", .bool(false)),
            ("requireSelfTradePrevention", .bool(false)), ("preventSor", .bool(false)), ("updateTime", .int(account.updateTime)),
            ("accountType", .string("SPOT")), ("balances", .array(balances)), ("permissions", .array([.string("SPOT")])),
            ("uid", .int(Int64(abs(apiKey.hashValueStable) % 1_000_000_000))),
        ])
    }
}

extension String {
    /// FNV-1a of the UTF-8 bytes: stable across runs (unlike `hashValue`).
    var hashValueStable: Int64 {
        var hash: UInt64 = 1469598103934665603
        for byte in utf8 { hash = (hash ^ UInt64(byte)) &* 1099511628211 }
        return Int64(bitPattern: hash >> 1)
    }
}
