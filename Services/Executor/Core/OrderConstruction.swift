import Domain

/// Builds orders that pass every filter Binance checks, so that no -1013 ever comes from our own
/// rounding (BINANCE.md §3 "Symbol filters"): decimal arithmetic only, then every check run before
/// anything is sent, all problems listed together.
///
/// **Rounding never adds risk.** Quantities round **down** to the LOT_SIZE grid (and to the
/// MARKET_LOT_SIZE grid for MARKET orders): never more than the intent sized. Prices (limit and
/// stop) round **down for a BUY** (never pay more than asked) and **up for a SELL** (a take-profit
/// never sells below its target; a long position's stop triggers a tick earlier, never later, so a
/// stop-out never loses more than the risk per trade). Grids start at the filter's minimum, as
/// Binance checks them: `(value − min) % step == 0`.
///
/// **Checks**, after rounding: symbol status TRADING and order type allowed; quantity > 0 and within
/// LOT_SIZE (and MARKET_LOT_SIZE for MARKET); price and stop price within PRICE_FILTER; notional
/// (price × quantity, or the reference price × quantity for MARKET when the filter applies to
/// market orders) within NOTIONAL / MIN_NOTIONAL; the price within PERCENT_PRICE_BY_SIDE of the
/// reference price when that filter is known. A failure is never "fixed" by rounding up: the
/// order is refused with every reason.
///
/// ```swift
/// let order = try OrderConstruction.order(
///     filters: btcusdt, side: .buy, kind: .limit, quantity: Decimal8("0.0012345")!, price: Decimal8("64000.123")!,
///     referencePrice: Decimal8("64000")!, clientOrderID: ClientOrderID.make(intent.id, .entry))
/// // BUY LIMIT 0.00123 BTCUSDT @ 64000.12 GTC
/// ```
public enum OrderConstruction {
    /// Why an order cannot be built: every problem, each naming its field and the filter.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public struct Problem: Sendable, Hashable, CustomStringConvertible {
            /// The Binance filter (PRICE_FILTER, LOT_SIZE, ...) or STATUS / ORDER_TYPE / INPUT.
            public var filter: String
            public var detail: String

            public var description: String { "\(filter): \(detail)" }
        }

        public var symbol: String
        public var problems: [Problem]

        public var description: String { "order for \(symbol) refused: " + problems.map(\.description).joined(separator: "; ") }
        /// The filters that failed, in order.
        public var filters: [String] { problems.map(\.filter) }
    }

    /// LOT_SIZE's rule: 0 < q, min ≤ q ≤ max (zero bounds disabled), (q − min) % step == 0.
    static func fits(_ quantity: Quantity, min: Quantity, max: Quantity, step: Quantity) -> Bool {
        if quantity <= .zero { return false }
        if min > .zero, quantity < min { return false }
        if max > .zero, quantity > max { return false }
        if step > .zero, (quantity.units - min.units) % step.units != 0 { return false }
        return true
    }

    /// A quantity rounded down onto the grid `min + k × step` (unchanged for a zero step).
    public static func roundDown(_ value: Decimal8, min: Decimal8, step: Decimal8) -> Decimal8 {
        guard step > .zero else { return value }
        let base = min > .zero ? min : .zero
        guard value > base else { return value }
        return base + (value - base).rounded(toMultipleOf: step, rule: .down)
    }

    /// A price on the tick grid (starting at `min`), down for a BUY, up for a SELL.
    public static func roundPrice(_ price: Price, side: Side, filters: SymbolFilters) -> Price {
        guard filters.tickSize > .zero else { return price }
        let base = filters.minPrice > .zero ? filters.minPrice : .zero
        let offset = price - base
        guard offset > .zero else { return side == .buy ? price : base }
        return base + offset.rounded(toMultipleOf: filters.tickSize, rule: side == .buy ? .down : .up)
    }

    /// Rounds and checks one order.
    /// - Parameters:
    ///   - referencePrice: the symbol's current reference (average or last) price: prices MARKET
    ///     notionals and centres PERCENT_PRICE_BY_SIDE.
    ///   - band: PERCENT_PRICE_BY_SIDE (or PERCENT_PRICE) when the symbol has it.
    public static func order(
        filters: SymbolFilters, band: PercentPriceBand? = nil, side: Side, kind: OrderSpec.Kind, quantity: Quantity,
        price: Price? = nil, stopPrice: Price? = nil, referencePrice: Price, clientOrderID: String
    ) throws(Failure) -> OrderSpec {
        var problems: [Failure.Problem] = []
        func fail(_ filter: String, _ detail: String) { problems.append(.init(filter: filter, detail: detail)) }

        if filters.status != "TRADING" { fail("STATUS", "symbol status is \(filters.status), not TRADING") }
        if !filters.orderTypes.isEmpty, !filters.orderTypes.contains(kind.rawValue) {
            fail("ORDER_TYPE", "\(kind.rawValue) is not among the symbol's order types \(filters.orderTypes)")
        }
        if !ClientOrderID.isValid(clientOrderID) { fail("INPUT", "newClientOrderId must match [A-Za-z0-9_-]{1,36}, got \(clientOrderID)") }
        if kind.hasPrice, price == nil { fail("INPUT", "\(kind.rawValue) needs a price") }
        if kind == .stopLossLimit, stopPrice == nil { fail("INPUT", "STOP_LOSS_LIMIT needs a stop price") }
        if quantity <= .zero { fail("INPUT", "quantity must be > 0, got \(quantity.compactDescription)") }
        if let price, price <= .zero { fail("INPUT", "price must be > 0, got \(price.compactDescription)") }
        if let stopPrice, stopPrice <= .zero { fail("INPUT", "stopPrice must be > 0, got \(stopPrice.compactDescription)") }
        if referencePrice <= .zero { fail("INPUT", "reference price must be > 0, got \(referencePrice.compactDescription)") }
        guard problems.isEmpty else { throw Failure(symbol: filters.symbol, problems: problems) }

        // Round: quantities down; prices down for a BUY, up for a SELL.
        var rounded = roundDown(quantity, min: filters.minQuantity, step: filters.stepSize)
        if kind == .market, let step = filters.marketStepSize, step > .zero {
            rounded = roundDown(rounded, min: filters.marketMinQuantity ?? .zero, step: step)
        }
        let roundedPrice = kind.hasPrice ? price.map { roundPrice($0, side: side, filters: filters) } : nil
        let roundedStop = kind == .stopLossLimit ? stopPrice.map { roundPrice($0, side: side, filters: filters) } : nil

        // Check, as Binance does.
        if !fits(rounded, min: filters.minQuantity, max: filters.maxQuantity, step: filters.stepSize) {
            fail("LOT_SIZE", "quantity \(quantity.compactDescription) rounds down to \(rounded.compactDescription), outside [\(filters.minQuantity.compactDescription), \(filters.maxQuantity.compactDescription)] step \(filters.stepSize.compactDescription)")
        }
        if kind == .market, let step = filters.marketStepSize,
           !fits(rounded, min: filters.marketMinQuantity ?? .zero, max: filters.marketMaxQuantity ?? .zero, step: step) {
            fail("MARKET_LOT_SIZE", "quantity \(rounded.compactDescription) outside [\((filters.marketMinQuantity ?? .zero).compactDescription), \((filters.marketMaxQuantity ?? .zero).compactDescription)] step \(step.compactDescription)")
        }
        for (name, value) in [("price", roundedPrice), ("stopPrice", roundedStop)] {
            if let value, !filters.priceAllowed(value) {
                fail("PRICE_FILTER", "\(name) \(value.compactDescription) outside [\(filters.minPrice.compactDescription), \(filters.maxPrice.compactDescription)] tick \(filters.tickSize.compactDescription)")
            }
        }
        let notionalPrice = roundedPrice ?? referencePrice
        let notional = notionalPrice.multiplied(by: rounded, rounding: .down)
        let checksMin = kind != .market || filters.applyMinToMarket
        let checksMax = kind != .market || filters.applyMaxToMarket
        if checksMin, notional < filters.minNotional {
            fail("NOTIONAL", "notional \(notional.compactDescription) below the minimum \(filters.minNotional.compactDescription)")
        }
        if checksMax, let maxNotional = filters.maxNotional, maxNotional > .zero, notionalPrice.multiplied(by: rounded, rounding: .up) > maxNotional {
            fail("NOTIONAL", "notional \(notional.compactDescription) above the maximum \(maxNotional.compactDescription)")
        }
        if let band {
            let bounds = band.bounds(side: side, average: referencePrice)
            for (name, value) in [("price", roundedPrice), ("stopPrice", roundedStop)] {
                if let value, !bounds.contains(value) {
                    fail("PERCENT_PRICE_BY_SIDE", "\(name) \(value.compactDescription) outside [\(bounds.lowerBound.compactDescription), \(bounds.upperBound.compactDescription)] around \(referencePrice.compactDescription)")
                }
            }
        }
        guard problems.isEmpty else { throw Failure(symbol: filters.symbol, problems: problems) }
        return OrderSpec(
            symbol: filters.symbol, side: side, kind: kind, quantity: rounded, price: roundedPrice, stopPrice: roundedStop,
            timeInForce: kind == .limit || kind == .stopLossLimit ? "GTC" : nil, clientOrderID: clientOrderID
        )
    }

    /// Whether an order passes every filter (the property the tests hold ``order(filters:band:side:kind:quantity:price:stopPrice:referencePrice:clientOrderID:)`` to).
    public static func violations(of order: OrderSpec, filters: SymbolFilters, band: PercentPriceBand?, referencePrice: Price) -> [String] {
        var out: [String] = []
        if !fits(order.quantity, min: filters.minQuantity, max: filters.maxQuantity, step: filters.stepSize) { out.append("LOT_SIZE") }
        if order.kind == .market, let step = filters.marketStepSize,
           !fits(order.quantity, min: filters.marketMinQuantity ?? .zero, max: filters.marketMaxQuantity ?? .zero, step: step) {
            out.append("MARKET_LOT_SIZE")
        }
        if let p = order.price, !filters.priceAllowed(p) { out.append("PRICE_FILTER") }
        if let p = order.stopPrice, !filters.priceAllowed(p) { out.append("PRICE_FILTER(stop)") }
        let notionalPrice = order.kind == .market ? referencePrice : (order.price ?? .zero)
        if order.kind != .market || filters.applyMinToMarket, notionalPrice.multiplied(by: order.quantity, rounding: .down) < filters.minNotional {
            out.append("NOTIONAL(min)")
        }
        if order.kind != .market || filters.applyMaxToMarket, let max = filters.maxNotional, max > .zero,
           notionalPrice.multiplied(by: order.quantity, rounding: .up) > max {
            out.append("NOTIONAL(max)")
        }
        if let band {
            let bounds = band.bounds(side: order.side, average: referencePrice)
            if let p = order.price, !bounds.contains(p) { out.append("PERCENT_PRICE_BY_SIDE") }
            if let p = order.stopPrice, !bounds.contains(p) { out.append("PERCENT_PRICE_BY_SIDE(stop)") }
        }
        return out
    }
}
