import Domain

/// Orders and matching.
///
/// **Taker part.** MARKET orders and the immediately marketable part of LIMIT orders walk the
/// published book level by level (asks upward for a BUY, bids downward for a SELL; a LIMIT only
/// through its price), one fill per level at the level's price. The quantities taken leave the
/// book: the exchange publishes them as a depth update and as aggregated trades.
///
/// **Resting part.** A LIMIT GTC remainder rests off-book (it is not shown in the synthetic book)
/// and fills whole, at its own price, as a maker, at the first step where the synthetic market
/// crosses it: best ask ≤ price for a BUY, best bid ≥ price for a SELL.
///
/// **Money.** A fill's quote amount is price × quantity rounded half-to-even to 1e-8. The fee rate
/// (default 0.1 %, maker and taker) is charged in the asset received, rounded up to 1e-8: base for
/// a BUY, quote for a SELL. A resting BUY locks price × remaining of the quote asset, a resting SELL
/// the remaining base quantity.
extension ExchangeState {
    static func notional(_ price: Decimal8, _ quantity: Decimal8) -> Decimal8 { price.multiplied(by: quantity) }

    func commission(side: Side, price: Decimal8, quantity: Decimal8) -> Decimal8 {
        let received = side == .buy ? quantity : Self.notional(price, quantity)
        return received.multiplied(by: configuration.feeRate, rounding: .up)
    }

    /// The levels a taker order would take: (price, quantity), best first.
    func walk(_ market: Market, side: Side, limit: Decimal8?, quantity: Decimal8?, quote: Decimal8?) -> [(Decimal8, Decimal8)] {
        let levels = side == .buy ? market.sortedAsks(limit: .max) : market.sortedBids(limit: .max)
        let step = market.rules.stepSize
        var takes: [(Decimal8, Decimal8)] = []
        var remainingQuantity = quantity
        var remainingQuote = quote
        for level in levels {
            if let limit, side == .buy ? level.price > limit : level.price < limit { break }
            var take = level.quantity
            if let q = remainingQuantity { take = min(take, q) }
            if let budget = remainingQuote {
                take = min(take, budget.divided(by: level.price, rounding: .down).rounded(toMultipleOf: step, rule: .down))
            }
            guard take > .zero else { break }
            takes.append((level.price, take))
            if remainingQuantity != nil { remainingQuantity! -= take }
            if remainingQuote != nil { remainingQuote! -= Self.notional(level.price, take) }
            if remainingQuantity?.isZero == true { break }
        }
        return takes
    }

    /// Executes taker fills for `order` against the book and the account, publishing the book
    /// change and the trades.
    mutating func executeTaker(_ order: inout Order, apiKey: String, takes: [(Decimal8, Decimal8)], now: Timestamp) -> [Fill] {
        let symbol = order.symbol
        let rules = markets[symbol]!.rules
        var fills: [Fill] = []
        var changes: [PriceLevel] = []
        for (price, quantity) in takes {
            let quote = Self.notional(price, quantity)
            let fee = commission(side: order.side, price: price, quantity: quantity)
            let record = markets[symbol]!.recordTrade(price: price, quantity: quantity, buyerIsMaker: order.side == .sell, time: now)
            let feeAsset = order.side == .buy ? rules.baseAsset : rules.quoteAsset
            fills.append(Fill(price: price, quantity: quantity, commission: fee, commissionAsset: feeAsset, tradeID: record.firstTradeID))
            settle(apiKey: apiKey, order: order, price: price, quantity: quantity, fee: fee, isMaker: false, tradeID: record.firstTradeID, now: now, fromLocked: false)
            order.executedQuantity += quantity
            order.cumulativeQuote += quote
            let remaining = (order.side == .buy ? markets[symbol]!.asks[price.units] : markets[symbol]!.bids[price.units]) ?? 0
            changes.append(PriceLevel(price: price, quantity: Decimal8(units: max(remaining - quantity.units, 0))))
            publishAggTrade(symbol, record)
        }
        if !changes.isEmpty {
            if order.side == .buy { applyBook(symbol, bids: [], asks: changes, time: now) } else { applyBook(symbol, bids: changes, asks: [], time: now) }
        }
        return fills
    }

    /// Moves the money of one fill between the account's balances.
    mutating func settle(
        apiKey: String, order: Order, price: Decimal8, quantity: Decimal8, fee: Decimal8, isMaker: Bool, tradeID: Int64,
        now: Timestamp, fromLocked: Bool
    ) {
        let rules = markets[order.symbol]!.rules
        let quote = Self.notional(price, quantity)
        var account = accounts[apiKey]!
        if order.side == .buy {
            if fromLocked { account[rules.quoteAsset].locked -= quote } else { account[rules.quoteAsset].free -= quote }
            account[rules.baseAsset].free += quantity - fee
        } else {
            if fromLocked { account[rules.baseAsset].locked -= quantity } else { account[rules.baseAsset].free -= quantity }
            account[rules.quoteAsset].free += quote - fee
        }
        account.trades.append(AccountTrade(
            symbol: order.symbol, id: tradeID, orderID: order.orderID, price: price, quantity: quantity, quoteQuantity: quote,
            commission: fee, commissionAsset: order.side == .buy ? rules.baseAsset : rules.quoteAsset,
            time: now.milliseconds, isBuyer: order.side == .buy, isMaker: isMaker
        ))
        account.updateTime = now.milliseconds
        accounts[apiKey] = account
    }

    /// Fills every resting order the market now crosses (whole, at the order's price, as maker).
    mutating func matchRestingOrders(_ symbol: String, time: Timestamp) {
        guard restingOrders > 0, let bestBid = markets[symbol]?.bestBid?.price, let bestAsk = markets[symbol]?.bestAsk?.price else { return }
        for apiKey in accounts.keys.sorted() {
            for var order in accounts[apiKey]!.openOrders(symbol: symbol) {
                let crossed = order.side == .buy ? bestAsk <= order.price : bestBid >= order.price
                guard crossed else { continue }
                let quantity = order.remaining
                let fee = commission(side: order.side, price: order.price, quantity: quantity)
                let record = markets[symbol]!.recordTrade(price: order.price, quantity: quantity, buyerIsMaker: order.side == .buy, time: time)
                // The lock is exactly price × remaining (BUY) or the remaining quantity (SELL): the
                // fill consumes it whole.
                settle(apiKey: apiKey, order: order, price: order.price, quantity: quantity, fee: fee, isMaker: true, tradeID: record.firstTradeID, now: time, fromLocked: true)
                order.executedQuantity += quantity
                order.cumulativeQuote += Self.notional(order.price, quantity)
                order.status = .filled
                order.locked = .zero
                restingOrders -= 1
                order.updateTime = time.milliseconds
                accounts[apiKey]!.orders[order.key] = order
                publishAggTrade(symbol, record)
            }
        }
    }

    static let clientOrderIDCharacters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.:/_-")

    /// `POST /api/v3/order` (and `/order/test` with `test`): validates, then executes.
    mutating func placeOrder(apiKey: String, params: Params, now: Timestamp, test: Bool) throws(APIError) -> (JSON, executed: Bool) {
        let symbol = try params.required("symbol")
        guard let market = markets[symbol] else { throw .invalidSymbol }
        let rules = market.rules
        let sideText = try params.required("side")
        guard let side = Side(rawValue: sideText) else { throw APIError(code: -1117, "Invalid side.") }
        let type = try params.required("type")
        guard ["LIMIT", "MARKET", "LIMIT_MAKER"].contains(type) else {
            if ["STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"].contains(type) {
                throw APIError(code: -1013, "Unsupported order combination.")
            }
            throw APIError(code: -1116, "Invalid orderType.")
        }
        let price = try params.decimal("price")
        let quantity = try params.decimal("quantity")
        let quoteQuantity = try params.decimal("quoteOrderQty")
        let respType = params["newOrderRespType"] ?? "FULL"
        guard ["ACK", "RESULT", "FULL"].contains(respType) else { throw APIError(code: -1100, "Illegal characters found in parameter 'newOrderRespType'; legal range is 'ACK, RESULT, FULL'.") }
        var timeInForce = "GTC"
        switch type {
        case "LIMIT":
            let tif = try params.required("timeInForce")
            guard ["GTC", "IOC", "FOK"].contains(tif) else { throw APIError(code: -1115, "Invalid timeInForce.") }
            timeInForce = tif
            guard let price else { throw .mandatory("price") }
            guard let quantity else { throw .mandatory("quantity") }
            if quoteQuantity != nil { throw .notRequired("quoteOrderQty") }
            if let failed = rules.failedFilter(price: price, quantity: quantity) { throw .filter(failed) }
        case "LIMIT_MAKER":
            if params["timeInForce"] != nil { throw .notRequired("timeInForce") }
            guard let price else { throw .mandatory("price") }
            guard let quantity else { throw .mandatory("quantity") }
            if let failed = rules.failedFilter(price: price, quantity: quantity) { throw .filter(failed) }
        default:  // MARKET
            if params["timeInForce"] != nil { throw .notRequired("timeInForce") }
            if price != nil { throw .notRequired("price") }
            switch (quantity, quoteQuantity) {
            case (nil, nil): throw APIError(code: -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!")
            case (.some, .some): throw APIError(code: -1106, "Parameter 'quoteOrderQty' sent when not required.")
            case (.some(let q), nil):
                let reference = (side == .buy ? market.bestAsk : market.bestBid)?.price ?? .zero
                if let failed = rules.failedMarketFilter(quantity: q, referencePrice: reference) { throw .filter(failed) }
            case (nil, .some(let quote)):
                if quote < rules.minNotional { throw .filter("NOTIONAL") }
            }
        }
        let clientOrderID: String
        if let given = params["newClientOrderId"] {
            guard given.count <= 36, given.allSatisfy({ Self.clientOrderIDCharacters.contains($0) }) else {
                throw APIError(code: -1100, "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.")
            }
            clientOrderID = given
        } else {
            clientOrderID = "sim\(symbol)\(market.nextOrderID)"
        }
        guard var account = accounts[apiKey] else { throw .rejectedAPIKey }
        if account.openOrders(symbol: symbol).contains(where: { $0.clientOrderID == clientOrderID }) { throw .duplicateOrder }
        if test {
            guard params["computeCommissionRates"] == "true" else { return (.object([]), false) }
            let rate = JSON.decimal(configuration.feeRate)
            let zero = JSON.decimal(.zero)
            return (.object([
                ("standardCommissionForOrder", .object([("maker", rate), ("taker", rate)])),
                ("specialCommissionForOrder", .object([("maker", zero), ("taker", zero)])),
                ("taxCommissionForOrder", .object([("maker", zero), ("taker", zero)])),
                ("discount", .object([
                    ("enabledForAccount", .bool(false)), ("enabledForSymbol", .bool(false)),
                    ("discountAsset", .string("BNB")), ("discount", zero),
                ])),
            ]), false)
        }

        // Plan the taker part and check the balance before anything changes.
        let takes: [(Decimal8, Decimal8)]
        switch type {
        case "MARKET": takes = walk(market, side: side, limit: nil, quantity: quantity, quote: quoteQuantity)
        case "LIMIT_MAKER":
            takes = []
            if !walk(market, side: side, limit: price, quantity: quantity, quote: nil).isEmpty { throw .wouldMatch }
        default: takes = walk(market, side: side, limit: price, quantity: quantity, quote: nil)
        }
        let takenQuantity = takes.reduce(Decimal8.zero) { $0 + $1.1 }
        let takenQuote = takes.reduce(Decimal8.zero) { $0 + Self.notional($1.0, $1.1) }
        let resting = type == "MARKET" ? Decimal8.zero : (quantity! - takenQuantity)
        if side == .buy {
            let needed = type == "MARKET" ? takenQuote : Self.notional(price!, quantity!)
            if account[rules.quoteAsset].free < max(needed, takenQuote) { throw .insufficientBalance }
        } else {
            let needed = type == "MARKET" ? takenQuantity : quantity!
            if account[rules.baseAsset].free < needed { throw .insufficientBalance }
        }
        let fillOrKill = type == "LIMIT" && timeInForce == "FOK" && resting > .zero

        var order = Order(
            symbol: symbol, orderID: market.nextOrderID, clientOrderID: clientOrderID, price: price ?? .zero,
            originalQuantity: quantity ?? takenQuantity, timeInForce: timeInForce, type: type, side: side,
            time: now.milliseconds, updateTime: now.milliseconds, originalQuoteQuantity: quoteQuantity ?? .zero
        )
        markets[symbol]!.nextOrderID += 1
        account.orders[order.key] = order
        account.sequence.append(order.key)
        accounts[apiKey] = account
        var fills: [Fill] = []
        if !fillOrKill { fills = executeTaker(&order, apiKey: apiKey, takes: takes, now: now) }
        if type == "MARKET" {
            order.status = fills.isEmpty ? .expired : (quoteQuantity == nil && order.executedQuantity < order.originalQuantity ? .expired : .filled)
        } else if fillOrKill {
            order.status = .expired
        } else if order.remaining.isZero {
            order.status = .filled
        } else if timeInForce == "IOC" {
            order.status = .expired
        } else {
            order.status = order.executedQuantity.isZero ? .new : .partiallyFilled
            let lockAsset = side == .buy ? rules.quoteAsset : rules.baseAsset
            let lock = side == .buy ? Self.notional(order.price, order.remaining) : order.remaining
            accounts[apiKey]![lockAsset].free -= lock
            accounts[apiKey]![lockAsset].locked += lock
            order.locked = lock
            restingOrders += 1
        }
        accounts[apiKey]!.orders[order.key] = order
        accounts[apiKey]!.updateTime = now.milliseconds
        switch respType {
        case "ACK": return (.object(order.ackFields), true)
        case "RESULT": return (.object(order.ackFields + order.resultFields), true)
        default: return (.object(order.ackFields + order.resultFields + [("fills", .array(fills.map(\.json)))]), true)
        }
    }

    /// `DELETE /api/v3/order`.
    mutating func cancelOrder(apiKey: String, params: Params, now: Timestamp) throws(APIError) -> JSON {
        let symbol = try params.required("symbol")
        guard let market = markets[symbol] else { throw .invalidSymbol }
        let id = try params.int64("orderId")
        let clientID = params["origClientOrderId"]
        guard id != nil || clientID != nil else {
            throw APIError(code: -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
        }
        guard var order = accounts[apiKey]?.order(symbol: symbol, id: id, clientOrderID: clientID), order.isOpen else { throw .unknownOrder }
        let lockAsset = order.side == .buy ? market.rules.quoteAsset : market.rules.baseAsset
        accounts[apiKey]![lockAsset].locked -= order.locked
        accounts[apiKey]![lockAsset].free += order.locked
        order.locked = .zero
        order.status = .canceled
        restingOrders -= 1
        order.updateTime = now.milliseconds
        accounts[apiKey]!.orders[order.key] = order
        accounts[apiKey]!.updateTime = now.milliseconds
        let cancelID = params["newClientOrderId"] ?? "simcancel\(order.orderID)"
        var fields: [(String, JSON)] = [
            ("symbol", .string(symbol)), ("origClientOrderId", .string(order.clientOrderID)), ("orderId", .int(order.orderID)),
            ("orderListId", .int(-1)), ("clientOrderId", .string(cancelID)), ("transactTime", .int(now.milliseconds)),
        ]
        fields += order.resultFields.filter { $0.0 != "workingTime" }
        return .object(fields)
    }

    /// `GET /api/v3/order`.
    func queryOrder(apiKey: String, params: Params) throws(APIError) -> JSON {
        let symbol = try params.required("symbol")
        guard markets[symbol] != nil else { throw .invalidSymbol }
        let id = try params.int64("orderId")
        let clientID = params["origClientOrderId"]
        guard id != nil || clientID != nil else {
            throw APIError(code: -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
        }
        guard let order = accounts[apiKey]?.order(symbol: symbol, id: id, clientOrderID: clientID) else { throw .noSuchOrder }
        return order.queryJSON
    }
}
