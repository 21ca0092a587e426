import Domain

extension RiskGateCore {
    /// An approved size and its exit levels.
    public struct Sizing: Sendable, Hashable {
        public var quantity: Quantity
        /// Reference price × (1 − stopDistance), rounded UP to the tick (towards the price, so a
        /// stop-out never loses more than the budget).
        public var stopLoss: Price
        /// Reference price × (1 + target), rounded UP to the tick (the gain is never below the target).
        public var takeProfit: Price
        /// quantity × reference price, rounded up to 1e-8: the capital reserved.
        public var notional: Decimal8
        /// True when free capital, not the risk budget, limited the quantity.
        public var cappedByCapital: Bool

        public init(quantity: Quantity, stopLoss: Price, takeProfit: Price, notional: Decimal8, cappedByCapital: Bool) {
            self.quantity = quantity
            self.stopLoss = stopLoss
            self.takeProfit = takeProfit
            self.notional = notional
            self.cappedByCapital = cappedByCapital
        }
    }

    /// The outcome of sizing: a size, or a denial reason with detail.
    public enum SizingOutcome: Sendable, Hashable {
        case sized(Sizing)
        case refused(RiskDenied.Reason, String)
    }

    /// Sizes a long entry at `price`, all in exact decimals:
    /// 1. stop = ⌈price × (1 − stopDistance)⌉ to the tick — or, when the division sets
    ///    `stopATRMultiple`, ⌈price − multiple × atr⌉ —, take-profit = ⌈price × (1 + target)⌉ to the tick;
    /// 2. budget = ⌊riskPerTrade × equity⌋ (1e-8), the loss of a stop-out before fees;
    /// 3. quantity = ⌊budget ÷ (price − stop)⌋, capped by ⌊freeCapital ÷ price⌋ and the symbol's
    ///    maximum quantity, then rounded down to the step;
    /// 4. notional = quantity × price below the minimum notional is refused: `insufficientCapital`
    ///    when the capital cap made it so, else `belowMinimumSize`; a quantity below the symbol's
    ///    minimum quantity is `symbolFilter`.
    ///
    /// `filters` (the symbol's exchange filters) override the division's tick size and step size
    /// where they are set, and the minimum notional is the larger of the two.
    ///
    /// Uncapped, a stop-out at the stop loses quantity × (price − stop) ≤ budget, short of it by
    /// less than one quantity step × (price − stop).
    public static func size(
        price: Price, equity: Decimal8, freeCapital: Decimal8, division: Division, atr: Decimal8? = nil, filters: SymbolFilters? = nil
    ) -> SizingOutcome {
        let tickSize = filters.map { $0.tickSize > .zero ? $0.tickSize : division.tickSize } ?? division.tickSize
        let quantityStep = filters.map { $0.stepSize > .zero ? $0.stepSize : division.quantityStep } ?? division.quantityStep
        let minNotional = max(division.minNotional, filters?.minNotional ?? .zero)
        guard price > .zero else { return .refused(.belowMinimumSize, "reference price must be > 0, got \(price)") }
        let stop: Price
        if let multiple = division.stopATRMultiple {
            guard let atr, atr > .zero else { return .refused(.atrUnavailable, "no ATR for a stop of \(multiple.compactDescription) ATR") }
            stop = (price - multiple.multiplied(by: atr, rounding: .down)).rounded(toMultipleOf: tickSize, rule: .up)
        } else {
            stop = price.multiplied(by: .one - division.stopDistance, rounding: .up).rounded(toMultipleOf: tickSize, rule: .up)
        }
        let take = price.multiplied(by: .one + division.target, rounding: .up)
            .rounded(toMultipleOf: tickSize, rule: .up)
        guard stop > .zero, stop < price else {
            return .refused(.belowMinimumSize, "stop distance at \(price.compactDescription) is less than one tick")
        }
        guard equity > .zero else { return .refused(.insufficientCapital, "equity \(equity.compactDescription) is not positive") }
        let budget = division.riskPerTrade.multiplied(by: equity, rounding: .down)
        var byRisk = budget.divided(by: price - stop, rounding: .down)
        if let maximum = filters?.maxQuantity, maximum > .zero { byRisk = min(byRisk, maximum) }
        let byCapital = freeCapital > .zero ? freeCapital.divided(by: price, rounding: .down) : .zero
        let capped = byCapital < byRisk
        let quantity = min(byRisk, byCapital).rounded(toMultipleOf: quantityStep, rule: .down)
        let notional = quantity.multiplied(by: price, rounding: .up)
        if quantity <= .zero || notional < minNotional {
            if capped {
                return .refused(
                    .insufficientCapital,
                    "free capital \(freeCapital.compactDescription) buys \(quantity.compactDescription) at \(price.compactDescription), below the minimum notional \(minNotional.compactDescription)"
                )
            }
            return .refused(
                .belowMinimumSize,
                "quantity \(quantity.compactDescription) at \(price.compactDescription) is below the minimum notional \(minNotional.compactDescription)"
            )
        }
        if let minimum = filters?.minQuantity, quantity < minimum {
            return .refused(.symbolFilter, "quantity \(quantity.compactDescription) is below the minimum quantity \(minimum.compactDescription)")
        }
        return .sized(Sizing(quantity: quantity, stopLoss: stop, takeProfit: take, notional: notional, cappedByCapital: capped))
    }
}
