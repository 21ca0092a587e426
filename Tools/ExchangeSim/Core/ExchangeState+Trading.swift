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
    /// change, the trades and one `executionReport` TRADE per fill. `fromLocked`: the money comes
    /// out of what the order holds locked (a triggered stop order) instead of the free balance.
    mutating func executeTaker(_ order: inout Order, apiKey: String, takes: [(Decimal8, Decimal8)], now: Timestamp, fromLocked: Bool = false) -> [Fill] {
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
            settle(apiKey: apiKey, order: order, price: price, quantity: quantity, fee: fee, isMaker: false, tradeID: record.firstTradeID, now: now, fromLocked: fromLocked)
            order.executedQuantity += quantity
            order.cumulativeQuote += quote
            order.status = order.remaining.isZero ? .filled : .partiallyFilled
            order.updateTime = now.milliseconds
            emitExecution(apiKey: apiKey, order, type: "TRADE", now: now, trade: TradeExecution(
                price: price, quantity: quantity, commission: fee, commissionAsset: feeAsset, tradeID: record.firstTradeID, isMaker: false
            ))
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
            time: now.milliseconds, isBuyer: order.side == .buy, isMaker: isMaker, orderListID: order.orderListID
        ))
        account.updateTime = now.milliseconds
        accounts[apiKey] = account
    }

    /// Stores an order, keeping the count of open orders (matching is skipped while it is zero).
    mutating func store(_ order: Order, apiKey: String) {
        let wasOpen = accounts[apiKey]!.orders[order.key]?.isOpen ?? false
        if wasOpen != order.isOpen {
            restingOrders += order.isOpen ? 1 : -1
            if order.isOpen { accounts[apiKey]!.openSequence.append(order.key) } else { accounts[apiKey]!.openSequence.removeAll { $0 == order.key } }
        }
        accounts[apiKey]!.orders[order.key] = order
    }

    /// The asset an order locks: quote for a BUY, base for a SELL.
    func lockAsset(_ order: Order) -> String {
        let rules = markets[order.symbol]!.rules
        return order.side == .buy ? rules.quoteAsset : rules.baseAsset
    }

    /// What a working order must hold locked: price × remaining (BUY) or the remaining quantity (SELL).
    static func requiredLock(_ order: Order) -> Decimal8 {
        order.side == .buy ? notional(order.price, order.remaining) : order.remaining
    }

    /// Moves `amount` of `asset` between free and locked (positive: lock, negative: release).
    mutating func lock(apiKey: String, asset: String, _ amount: Decimal8) {
        accounts[apiKey]![asset].free -= amount
        accounts[apiKey]![asset].locked += amount
    }

    /// Fills or triggers every open order of `symbol` the market now reaches: a stop order whose
    /// trigger the last trade price reached starts working (its marketable part takes the book, as
    /// a taker; the rest waits as a LIMIT), and a working order the book crosses fills whole at its
    /// own price, as a maker. A leg of an OCO that triggers or fills expires the other leg.
    mutating func matchRestingOrders(_ symbol: String, time: Timestamp) {
        guard restingOrders > 0, markets[symbol]?.bestBid != nil, markets[symbol]?.bestAsk != nil else { return }
        for apiKey in accounts.keys.sorted() {
            let keys = accounts[apiKey]!.openOrders(symbol: symbol).map(\.key)
            guard !keys.isEmpty else { continue }
            var changed = false
            for key in keys {
                guard let order = accounts[apiKey]!.orders[key], order.isOpen else { continue }
                if !order.isWorking {
                    guard let last = markets[symbol]!.aggTrades.last?.price, order.triggers(atLastPrice: last) else { continue }
                    trigger(order, apiKey: apiKey, now: time)
                    changed = true
                } else if let bestBid = markets[symbol]!.bestBid?.price, let bestAsk = markets[symbol]!.bestAsk?.price,
                          order.side == .buy ? bestAsk <= order.price : bestBid >= order.price {
                    fillResting(order, apiKey: apiKey, now: time)
                    changed = true
                }
            }
            if changed { emitAccountPosition(apiKey: apiKey, symbol: symbol, now: time) }
        }
    }

    /// Triggers the stop orders that the trades of a taker order just reached (Binance triggers
    /// on every trade, ours included); the book crossing resting orders waits for the next step.
    mutating func triggerStops(_ symbol: String, now: Timestamp) {
        guard restingOrders > 0, let last = markets[symbol]?.aggTrades.last?.price else { return }
        for apiKey in accounts.keys.sorted() {
            var changed = false
            for key in accounts[apiKey]!.openOrders(symbol: symbol).map(\.key) {
                guard let order = accounts[apiKey]!.orders[key], order.isOpen, !order.isWorking, order.triggers(atLastPrice: last) else { continue }
                trigger(order, apiKey: apiKey, now: now)
                changed = true
            }
            if changed { emitAccountPosition(apiKey: apiKey, symbol: symbol, now: now) }
        }
    }

    /// A working order crossed by the market: filled whole at its price, as a maker.
    mutating func fillResting(_ original: Order, apiKey: String, now: Timestamp) {
        var order = original
        let symbol = order.symbol
        if order.orderListID >= 0 { activateLeg(&order, apiKey: apiKey, now: now) }
        let quantity = order.remaining
        let fee = commission(side: order.side, price: order.price, quantity: quantity)
        let record = markets[symbol]!.recordTrade(price: order.price, quantity: quantity, buyerIsMaker: order.side == .buy, time: now)
        // The lock covers price × remaining (BUY) or the remaining quantity (SELL): the fill
        // consumes exactly that; a leg that took over a larger list lock releases the excess.
        let consumed = Self.requiredLock(order)
        settle(apiKey: apiKey, order: order, price: order.price, quantity: quantity, fee: fee, isMaker: true, tradeID: record.firstTradeID, now: now, fromLocked: true)
        lock(apiKey: apiKey, asset: lockAsset(order), -(order.locked - consumed))
        order.executedQuantity += quantity
        order.cumulativeQuote += Self.notional(order.price, quantity)
        order.status = .filled
        order.locked = .zero
        order.updateTime = now.milliseconds
        store(order, apiKey: apiKey)
        emitExecution(apiKey: apiKey, order, type: "TRADE", now: now, trade: TradeExecution(
            price: order.price, quantity: quantity, commission: fee,
            commissionAsset: order.side == .buy ? markets[symbol]!.rules.baseAsset : markets[symbol]!.rules.quoteAsset,
            tradeID: record.firstTradeID, isMaker: true
        ))
        publishAggTrade(symbol, record)
    }

    /// A stop order whose trigger was reached: it starts working as a LIMIT order with its price
    /// and time in force; the marketable part takes the book at once.
    mutating func trigger(_ original: Order, apiKey: String, now: Timestamp) {
        var order = original
        if order.orderListID >= 0 { activateLeg(&order, apiKey: apiKey, now: now) }
        order.workingTime = now.milliseconds
        order.updateTime = now.milliseconds
        let market = markets[order.symbol]!
        let takes = walk(market, side: order.side, limit: order.price, quantity: order.remaining, quote: nil)
        let takenQuantity = takes.reduce(Decimal8.zero) { $0 + $1.1 }
        let consumed = order.side == .buy ? takes.reduce(Decimal8.zero) { $0 + Self.notional($1.0, $1.1) } : takenQuantity
        if order.timeInForce == "FOK" && takenQuantity < order.remaining {
            expire(&order, apiKey: apiKey, now: now)
            return
        }
        _ = executeTaker(&order, apiKey: apiKey, takes: takes, now: now, fromLocked: true)
        order.locked -= consumed
        if order.remaining.isZero || order.timeInForce != "GTC" {
            if !order.remaining.isZero {
                expire(&order, apiKey: apiKey, now: now)
                return
            }
            lock(apiKey: apiKey, asset: lockAsset(order), -order.locked)
            order.locked = .zero
            order.status = .filled
        } else {
            // Resting: hold exactly price × remaining (a BUY that took below its price releases the rest).
            let keep = Self.requiredLock(order)
            lock(apiKey: apiKey, asset: lockAsset(order), -(order.locked - keep))
            order.locked = keep
        }
        store(order, apiKey: apiKey)
    }

    /// Ends an open order as EXPIRED, releasing its lock, with its `executionReport`.
    mutating func expire(_ order: inout Order, apiKey: String, now: Timestamp) {
        lock(apiKey: apiKey, asset: lockAsset(order), -order.locked)
        order.locked = .zero
        order.status = .expired
        order.updateTime = now.milliseconds
        store(order, apiKey: apiKey)
        emitExecution(apiKey: apiKey, order, type: "EXPIRED", now: now)
    }

    static let clientOrderIDCharacters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.:/_-")

    /// A client order id as given (-1100 unless `^[\.A-Z\:/a-z0-9_-]{1,36}$`), or a generated one.
    func clientID(_ params: Params, _ name: String, generated: String) throws(APIError) -> String {
        try clientID(params[name], name, generated: generated)
    }

    func clientID(_ value: String?, _ name: String, generated: String) throws(APIError) -> String {
        guard let given = value else { return generated }
        guard given.count <= 36, given.allSatisfy({ Self.clientOrderIDCharacters.contains($0) }) else {
            throw APIError(code: -1100, "Illegal characters found in parameter '\(name)'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.")
        }
        return given
    }

    /// The time in force of a LIMIT-like order: required, GTC, IOC or FOK.
    static func timeInForce(_ params: Params, _ name: String) throws(APIError) -> String {
        let tif = try params.required(name)
        guard ["GTC", "IOC", "FOK"].contains(tif) else { throw APIError(code: -1115, "Invalid timeInForce.") }
        return tif
    }

    /// Whether a stop order with this trigger would trigger at once (Binance rejects it).
    func wouldTrigger(_ market: Market, type: String, side: Side, stopPrice: Decimal8) -> Bool {
        var probe = Order(symbol: market.symbol, orderID: 0, clientOrderID: "", price: .zero, originalQuantity: .zero, timeInForce: "GTC",
                          type: type, side: side, time: 0, updateTime: 0, originalQuoteQuantity: .zero)
        probe.stopPrice = stopPrice
        return probe.triggers(atLastPrice: lastPrice(market))
    }

    static let stopOrderTypes: Set<String> = ["STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"]

    /// `POST /api/v3/order` (and `/order/test` with `test`): validates, then executes.
    mutating func placeOrder(apiKey: String, params: Params, now: Timestamp, test: Bool) throws(APIError) -> (JSON, executed: Bool) {
        let symbol = try params.required("symbol")
        guard let market = markets[symbol] else { throw .invalidSymbol }
        let rules = market.rules
        let sideText = try params.required("side")
        guard let side = Side(rawValue: sideText) else { throw APIError(code: -1117, "Invalid side.") }
        let type = try params.required("type")
        guard ["LIMIT", "MARKET", "LIMIT_MAKER"].contains(type) || Self.stopOrderTypes.contains(type) else {
            if ["STOP_LOSS", "TAKE_PROFIT"].contains(type) {
                throw APIError(code: -1013, "Unsupported order combination.")
            }
            throw APIError(code: -1116, "Invalid orderType.")
        }
        let price = try params.decimal("price")
        let quantity = try params.decimal("quantity")
        let quoteQuantity = try params.decimal("quoteOrderQty")
        let stopPrice = try params.decimal("stopPrice")
        // Binance: FULL by default for MARKET and LIMIT, ACK for every other type.
        let respType = params["newOrderRespType"] ?? (type == "MARKET" || type == "LIMIT" ? "FULL" : "ACK")
        guard ["ACK", "RESULT", "FULL"].contains(respType) else { throw APIError(code: -1100, "Illegal characters found in parameter 'newOrderRespType'; legal range is 'ACK, RESULT, FULL'.") }
        var timeInForce = "GTC"
        if stopPrice != nil && !Self.stopOrderTypes.contains(type) { throw .notRequired("stopPrice") }
        switch type {
        case "LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT":
            timeInForce = try Self.timeInForce(params, "timeInForce")
            guard let price else { throw .mandatory("price") }
            guard let quantity else { throw .mandatory("quantity") }
            if quoteQuantity != nil { throw .notRequired("quoteOrderQty") }
            if let failed = rules.failedFilter(price: price, quantity: quantity) { throw .filter(failed) }
            if Self.stopOrderTypes.contains(type) {
                guard let stopPrice else {
                    throw APIError(code: -1102, "Param 'stopPrice' or 'trailingDelta' must be sent, but both were empty/null!")
                }
                if rules.failedFilter(price: stopPrice, quantity: quantity) == "PRICE_FILTER" { throw .filter("PRICE_FILTER") }
                if wouldTrigger(market, type: type, side: side, stopPrice: stopPrice) { throw .wouldTrigger }
            }
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
        let clientOrderID = try clientID(params, "newClientOrderId", generated: "sim\(symbol)\(market.nextOrderID)")
        guard let account = accounts[apiKey] else { throw .rejectedAPIKey }
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
        case "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT": takes = []
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
        order.stopPrice = stopPrice ?? .zero
        order.workingTime = Self.stopOrderTypes.contains(type) ? -1 : now.milliseconds
        markets[symbol]!.nextOrderID += 1
        accounts[apiKey]!.sequence.append(order.key)
        store(order, apiKey: apiKey)
        emitExecution(apiKey: apiKey, order, type: "NEW", now: now)
        var fills: [Fill] = []
        if !fillOrKill { fills = executeTaker(&order, apiKey: apiKey, takes: takes, now: now) }
        if type == "MARKET" {
            order.status = fills.isEmpty ? .expired : (quoteQuantity == nil && order.executedQuantity < order.originalQuantity ? .expired : .filled)
        } else if fillOrKill {
            order.status = .expired
        } else if order.remaining.isZero {
            order.status = .filled
        } else if timeInForce == "IOC" && order.isWorking {
            order.status = .expired
        } else {
            order.status = order.executedQuantity.isZero ? .new : .partiallyFilled
            let amount = Self.requiredLock(order)
            lock(apiKey: apiKey, asset: lockAsset(order), amount)
            order.locked = amount
        }
        if order.status == .expired { emitExecution(apiKey: apiKey, order, type: "EXPIRED", now: now) }
        store(order, apiKey: apiKey)
        accounts[apiKey]!.updateTime = now.milliseconds
        emitAccountPosition(apiKey: apiKey, symbol: symbol, now: now)
        if !fills.isEmpty { triggerStops(symbol, now: now) }
        switch respType {
        case "ACK": return (.object(order.ackFields), true)
        case "RESULT": return (.object(order.ackFields + order.resultFields), true)
        default: return (.object(order.ackFields + order.resultFields + [("fills", .array(fills.map(\.json)))]), true)
        }
    }

    /// `DELETE /api/v3/order`. Cancelling a leg of an order list cancels the whole list.
    mutating func cancelOrder(apiKey: String, params: Params, now: Timestamp) throws(APIError) -> JSON {
        let symbol = try params.required("symbol")
        guard markets[symbol] != nil else { throw .invalidSymbol }
        let id = try params.int64("orderId")
        let clientID = params["origClientOrderId"]
        guard id != nil || clientID != nil else {
            throw APIError(code: -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
        }
        guard let order = accounts[apiKey]?.order(symbol: symbol, id: id, clientOrderID: clientID), order.isOpen else { throw .unknownOrder }
        let cancelID = try self.clientID(params, "newClientOrderId", generated: "simcancel\(order.orderID)")
        if order.orderListID >= 0 {
            let reports = cancelList(order.orderListID, apiKey: apiKey, cancelClientOrderID: cancelID, now: now)
            emitAccountPosition(apiKey: apiKey, symbol: symbol, now: now)
            return reports.first { $0["orderId"]?.intValue == order.orderID } ?? reports[0]
        }
        let canceled = cancel(order, apiKey: apiKey, cancelClientOrderID: cancelID, now: now)
        emitAccountPosition(apiKey: apiKey, symbol: symbol, now: now)
        return canceled.cancelJSON(cancelClientOrderID: cancelID, transactTime: now.milliseconds)
    }

    /// Cancels one open order: its lock is released, and an `executionReport` CANCELED goes out.
    @discardableResult
    mutating func cancel(_ original: Order, apiKey: String, cancelClientOrderID: String, now: Timestamp) -> Order {
        var order = original
        lock(apiKey: apiKey, asset: lockAsset(order), -order.locked)
        order.locked = .zero
        order.status = .canceled
        order.updateTime = now.milliseconds
        store(order, apiKey: apiKey)
        accounts[apiKey]!.updateTime = now.milliseconds
        emitExecution(apiKey: apiKey, order, type: "CANCELED", now: now, cancelClientOrderID: cancelClientOrderID)
        return order
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
        guard let order = accounts[apiKey]?.order(symbol: symbol, id: id, clientOrderID: clientID) else {
            if let id, let clientID, let byID = accounts[apiKey]?.orders[OrderKey(symbol: symbol, id: id)], byID.clientOrderID != clientID {
                throw APIError(code: -2039, "Client order ID is not correct for this order ID.")
            }
            throw .noSuchOrder
        }
        return order.queryJSON
    }
}
