import Domain

/// OCO order lists (BINANCE.md §5): `POST /api/v3/orderList/oco` (and the deprecated
/// `POST /api/v3/order/oco`), `GET /api/v3/orderList`, `openOrderList`, `allOrderList`,
/// `DELETE /api/v3/orderList`.
///
/// A list is two legs on one symbol and side, one above and one below the last price: a SELL
/// takes profit above (LIMIT_MAKER or TAKE_PROFIT_LIMIT) and stops out below (STOP_LOSS_LIMIT); a
/// BUY the mirror image. The list holds one lock for both legs (the quantity for a SELL, the larger
/// notional for a BUY). When a leg triggers or fills, it takes over the lock and the other leg
/// expires (`executionReport` EXPIRED); cancelling either leg, or the list, cancels both; every
/// change of the list is a `listStatus` event.
extension ExchangeState {
    /// One leg as requested.
    struct LegRequest {
        var type: String
        var price: Decimal8
        var stopPrice: Decimal8?
        var timeInForce: String
        var clientOrderID: String?
    }

    /// `POST /api/v3/orderList/oco`.
    mutating func placeOCO(apiKey: String, params: Params, now: Timestamp) throws(APIError) -> JSON {
        func leg(_ prefix: String) throws(APIError) -> LegRequest {
            let type = try params.required("\(prefix)Type")
            guard ["LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT", "STOP_LOSS", "TAKE_PROFIT"].contains(type) else {
                throw APIError(code: -1116, "Invalid orderType.")
            }
            guard type != "STOP_LOSS" && type != "TAKE_PROFIT" else { throw .unsupportedCombination }
            guard let price = try params.decimal("\(prefix)Price") else { throw .mandatory("\(prefix)Price") }
            var stop: Decimal8?
            var tif = "GTC"
            if type == "LIMIT_MAKER" {
                if params["\(prefix)TimeInForce"] != nil { throw .notRequired("\(prefix)TimeInForce") }
                if params["\(prefix)StopPrice"] != nil { throw .notRequired("\(prefix)StopPrice") }
            } else {
                guard let s = try params.decimal("\(prefix)StopPrice") else {
                    throw APIError(code: -1102, "Param '\(prefix)StopPrice' or '\(prefix)TrailingDelta' must be sent, but both were empty/null!")
                }
                stop = s
                tif = try Self.timeInForce(params, "\(prefix)TimeInForce")
            }
            return LegRequest(type: type, price: price, stopPrice: stop, timeInForce: tif, clientOrderID: params["\(prefix)ClientOrderId"])
        }
        return try placeOrderList(apiKey: apiKey, params: params, above: try leg("above"), below: try leg("below"), now: now)
    }

    /// `POST /api/v3/order/oco` (deprecated): `price` is the limit leg, `stopPrice` and
    /// `stopLimitPrice` the stop-loss leg, mapped onto the above/below legs of the new endpoint.
    mutating func placeLegacyOCO(apiKey: String, params: Params, now: Timestamp) throws(APIError) -> JSON {
        let side = try params.required("side")
        guard let price = try params.decimal("price") else { throw .mandatory("price") }
        guard let stopPrice = try params.decimal("stopPrice") else { throw .mandatory("stopPrice") }
        guard let stopLimitPrice = try params.decimal("stopLimitPrice") else { throw .unsupportedCombination }
        let tif = try Self.timeInForce(params, "stopLimitTimeInForce")
        let limit = LegRequest(type: "LIMIT_MAKER", price: price, stopPrice: nil, timeInForce: "GTC", clientOrderID: params["limitClientOrderId"])
        let stop = LegRequest(type: "STOP_LOSS_LIMIT", price: stopLimitPrice, stopPrice: stopPrice, timeInForce: tif, clientOrderID: params["stopClientOrderId"])
        return try placeOrderList(apiKey: apiKey, params: params, above: side == "SELL" ? limit : stop, below: side == "SELL" ? stop : limit, now: now)
    }

    mutating func placeOrderList(apiKey: String, params: Params, above: LegRequest, below: LegRequest, now: Timestamp) throws(APIError) -> JSON {
        let symbol = try params.required("symbol")
        guard let market = markets[symbol] else { throw .invalidSymbol }
        let rules = market.rules
        guard let side = Side(rawValue: try params.required("side")) else { throw APIError(code: -1117, "Invalid side.") }
        guard let quantity = try params.decimal("quantity") else { throw .mandatory("quantity") }
        let respType = params["newOrderRespType"] ?? "FULL"
        guard ["ACK", "RESULT", "FULL"].contains(respType) else { throw APIError(code: -1100, "Illegal characters found in parameter 'newOrderRespType'; legal range is 'ACK, RESULT, FULL'.") }
        // The stop leg is on the losing side: below for a SELL, above for a BUY.
        let (stopLeg, profitLeg) = side == .sell ? (below, above) : (above, below)
        guard stopLeg.type == "STOP_LOSS_LIMIT", profitLeg.type == "LIMIT_MAKER" || profitLeg.type == "TAKE_PROFIT_LIMIT" else {
            throw .unsupportedCombination
        }
        for leg in [stopLeg, profitLeg] {
            if let failed = rules.failedFilter(price: leg.price, quantity: quantity) { throw .filter(failed) }
            if let stop = leg.stopPrice, rules.failedFilter(price: stop, quantity: quantity) == "PRICE_FILTER" { throw .filter("PRICE_FILTER") }
        }
        // Above leg > last price > below leg, by the price that decides each: the trigger of a
        // stop or take-profit leg, the limit price of a LIMIT_MAKER.
        let last = lastPrice(market)
        let abovePrice = above.stopPrice ?? above.price, belowPrice = below.stopPrice ?? below.price
        guard abovePrice > last, belowPrice < last else { throw .badOCOPrices }
        if profitLeg.type == "LIMIT_MAKER", !walk(market, side: side, limit: profitLeg.price, quantity: quantity, quote: nil).isEmpty { throw .wouldMatch }

        let next = market.nextOrderID
        let stopID = try clientID(stopLeg.clientOrderID, side == .sell ? "belowClientOrderId" : "aboveClientOrderId", generated: "sim\(symbol)\(next)")
        let profitID = try clientID(profitLeg.clientOrderID, side == .sell ? "aboveClientOrderId" : "belowClientOrderId", generated: "sim\(symbol)\(next + 1)")
        let listClientID = try clientID(params, "listClientOrderId", generated: "simlist\(nextOrderListID)")
        guard let account = accounts[apiKey] else { throw .rejectedAPIKey }
        let open = account.openOrders(symbol: symbol)
        if stopID == profitID || open.contains(where: { $0.clientOrderID == stopID || $0.clientOrderID == profitID }) { throw .duplicateOrder }
        if account.orderLists.values.contains(where: { $0.isOpen && $0.listClientOrderID == listClientID }) { throw .duplicateOrder }
        let lockAsset = side == .buy ? rules.quoteAsset : rules.baseAsset
        let lock = side == .buy ? max(Self.notional(stopLeg.price, quantity), Self.notional(profitLeg.price, quantity)) : quantity
        if account[lockAsset].free < lock { throw .insufficientBalance }

        let listID = nextOrderListID
        nextOrderListID += 1
        var orders: [Order] = []
        for (leg, client) in [(stopLeg, stopID), (profitLeg, profitID)] {
            var order = Order(
                symbol: symbol, orderID: markets[symbol]!.nextOrderID, clientOrderID: client, price: leg.price, originalQuantity: quantity,
                timeInForce: leg.timeInForce, type: leg.type, side: side, time: now.milliseconds, updateTime: now.milliseconds,
                originalQuoteQuantity: .zero
            )
            markets[symbol]!.nextOrderID += 1
            order.stopPrice = leg.stopPrice ?? .zero
            order.workingTime = leg.type == "LIMIT_MAKER" ? now.milliseconds : -1
            order.orderListID = listID
            orders.append(order)
        }
        let list = OrderList(
            id: listID, symbol: symbol, listClientOrderID: listClientID, orderKeys: orders.map(\.key),
            transactionTime: now.milliseconds, locked: lock, lockAsset: lockAsset
        )
        self.lock(apiKey: apiKey, asset: lockAsset, lock)
        accounts[apiKey]!.orderLists[listID] = list
        accounts[apiKey]!.listSequence.append(listID)
        for order in orders {
            accounts[apiKey]!.sequence.append(order.key)
            store(order, apiKey: apiKey)
            emitExecution(apiKey: apiKey, order, type: "NEW", now: now)
        }
        accounts[apiKey]!.updateTime = now.milliseconds
        emitListStatus(apiKey: apiKey, list, now: now)
        emitAccountPosition(apiKey: apiKey, symbol: symbol, now: now)
        let reports: [JSON] = orders.map { order in
            respType == "ACK" ? .object(order.ackFields) : .object(order.ackFields + order.resultFields)
        }
        return .object(list.json(clientOrderIDs: orders.map(\.clientOrderID)) + [("orderReports", .array(reports))])
    }

    /// A leg triggered or is filling: it takes over the list's lock, the other legs expire and
    /// the list is done.
    mutating func activateLeg(_ order: inout Order, apiKey: String, now: Timestamp) {
        guard var list = accounts[apiKey]!.orderLists[order.orderListID], list.isOpen else { return }
        order.locked = list.locked
        list.locked = .zero
        for key in list.orderKeys where key != order.key {
            guard var other = accounts[apiKey]!.orders[key], other.isOpen else { continue }
            other.locked = .zero
            other.status = .expired
            other.updateTime = now.milliseconds
            store(other, apiKey: apiKey)
            emitExecution(apiKey: apiKey, other, type: "EXPIRED", now: now)
        }
        list.listStatusType = "ALL_DONE"
        list.listOrderStatus = "ALL_DONE"
        list.transactionTime = now.milliseconds
        accounts[apiKey]!.orderLists[list.id] = list
        emitListStatus(apiKey: apiKey, list, now: now)
    }

    /// Cancels every open leg of a list and releases its lock; returns the legs' cancel reports.
    mutating func cancelList(_ id: Int64, apiKey: String, cancelClientOrderID: String, now: Timestamp) -> [JSON] {
        guard var list = accounts[apiKey]!.orderLists[id] else { return [] }
        lock(apiKey: apiKey, asset: list.lockAsset, -list.locked)
        list.locked = .zero
        var reports: [JSON] = []
        for key in list.orderKeys {
            guard let order = accounts[apiKey]!.orders[key] else { continue }
            if order.isOpen {
                reports.append(cancel(order, apiKey: apiKey, cancelClientOrderID: cancelClientOrderID, now: now).cancelJSON(cancelClientOrderID: cancelClientOrderID, transactTime: now.milliseconds))
            } else {
                reports.append(order.cancelJSON(cancelClientOrderID: cancelClientOrderID, transactTime: now.milliseconds))
            }
        }
        list.listStatusType = "ALL_DONE"
        list.listOrderStatus = "ALL_DONE"
        list.transactionTime = now.milliseconds
        accounts[apiKey]!.orderLists[id] = list
        emitListStatus(apiKey: apiKey, list, now: now)
        return reports
    }

    func listJSON(_ list: OrderList, apiKey: String) -> [(String, JSON)] {
        let account = accounts[apiKey]!
        return list.json(clientOrderIDs: list.orderKeys.map { account.orders[$0]?.clientOrderID ?? "" })
    }

    /// The list named by `orderListId` or `<clientParameter>` (the list client id).
    func findList(apiKey: String, params: Params, clientParameter: String) throws(APIError) -> OrderList? {
        let id = try params.int64("orderListId")
        let client = params[clientParameter]
        guard id != nil || client != nil else {
            throw APIError(code: -1102, "Param '\(clientParameter)' or 'orderListId' must be sent, but both were empty/null!")
        }
        let account = accounts[apiKey]!
        if let id { return account.orderLists[id].flatMap { client == nil || $0.listClientOrderID == client ? $0 : nil } }
        for listID in account.listSequence.reversed() where account.orderLists[listID]?.listClientOrderID == client {
            return account.orderLists[listID]
        }
        return nil
    }

    /// `DELETE /api/v3/orderList`.
    mutating func cancelOrderList(apiKey: String, params: Params, now: Timestamp) throws(APIError) -> JSON {
        let symbol = try params.required("symbol")
        guard markets[symbol] != nil else { throw .invalidSymbol }
        guard let list = try findList(apiKey: apiKey, params: params, clientParameter: "listClientOrderId"), list.symbol == symbol, list.isOpen else {
            throw .unknownOrderList
        }
        let cancelID = try clientID(params, "newClientOrderId", generated: "simcancellist\(list.id)")
        let reports = cancelList(list.id, apiKey: apiKey, cancelClientOrderID: cancelID, now: now)
        emitAccountPosition(apiKey: apiKey, symbol: symbol, now: now)
        return .object(listJSON(accounts[apiKey]!.orderLists[list.id]!, apiKey: apiKey) + [("orderReports", .array(reports))])
    }

    /// `GET /api/v3/orderList`.
    func queryOrderList(apiKey: String, params: Params) throws(APIError) -> JSON {
        guard let list = try findList(apiKey: apiKey, params: params, clientParameter: "origClientOrderId") else { throw .noSuchOrderList }
        return .object(listJSON(list, apiKey: apiKey))
    }

    /// `GET /api/v3/openOrderList`.
    func openOrderLists(apiKey: String) -> JSON {
        let account = accounts[apiKey]!
        return .array(account.listSequence.compactMap { account.orderLists[$0] }.filter(\.isOpen).map { .object(listJSON($0, apiKey: apiKey)) })
    }

    /// `GET /api/v3/allOrderList`: `fromId`, `startTime`, `endTime`, `limit` (default 500, max 1000).
    func allOrderLists(apiKey: String, params: Params) throws(APIError) -> JSON {
        let fromID = try params.int64("fromId")
        let start = try params.int64("startTime"), end = try params.int64("endTime")
        let limit = try params.limit(default: 500, max: 1000)
        let account = accounts[apiKey]!
        var lists = account.listSequence.compactMap { account.orderLists[$0] }
        if let fromID { lists = lists.filter { $0.id >= fromID } }
        if let start { lists = lists.filter { $0.transactionTime >= start } }
        if let end { lists = lists.filter { $0.transactionTime <= end } }
        let selected = fromID != nil || start != nil ? Array(lists.prefix(limit)) : Array(lists.suffix(limit))
        return .array(selected.map { .object(listJSON($0, apiKey: apiKey)) })
    }
}
