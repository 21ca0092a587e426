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
    /// 1. stop = ⌈price × (1 − stopDistance)⌉ to the tick, take-profit = ⌈price × (1 + target)⌉ to the tick;
    /// 2. budget = ⌊riskPerTrade × equity⌋ (1e-8), the loss of a stop-out before fees;
    /// 3. quantity = ⌊budget ÷ (price − stop)⌋, capped by ⌊freeCapital ÷ price⌋, then rounded down to the step;
    /// 4. notional = quantity × price below `minNotional` is refused: `insufficientCapital` when the
    ///    capital cap made it so, else `belowMinimumSize`.
    ///
    /// Uncapped, a stop-out at the stop loses quantity × (price − stop) ≤ budget, short of it by
    /// less than one quantity step × (price − stop).
    public static func size(price: Price, equity: Decimal8, freeCapital: Decimal8, division: Division) -> SizingOutcome {
        guard price > .zero else { return .refused(.belowMinimumSize, "reference price must be > 0, got \(price)") }
        let stop = price.multiplied(by: .one - division.stopDistance, rounding: .up)
            .rounded(toMultipleOf: division.tickSize, rule: .up)
        let take = price.multiplied(by: .one + division.target, rounding: .up)
            .rounded(toMultipleOf: division.tickSize, rule: .up)
        guard stop > .zero, stop < price else {
            return .refused(.belowMinimumSize, "stop distance at \(price.compactDescription) is less than one tick")
        }
        guard equity > .zero else { return .refused(.insufficientCapital, "equity \(equity.compactDescription) is not positive") }
        let budget = division.riskPerTrade.multiplied(by: equity, rounding: .down)
        let byRisk = budget.divided(by: price - stop, rounding: .down)
        let byCapital = freeCapital > .zero ? freeCapital.divided(by: price, rounding: .down) : .zero
        let capped = byCapital < byRisk
        let quantity = min(byRisk, byCapital).rounded(toMultipleOf: division.quantityStep, rule: .down)
        let notional = quantity.multiplied(by: price, rounding: .up)
        if quantity <= .zero || notional < division.minNotional {
            if capped {
                return .refused(
                    .insufficientCapital,
                    "free capital \(freeCapital.compactDescription) buys \(quantity.compactDescription) at \(price.compactDescription), below the minimum notional \(division.minNotional.compactDescription)"
                )
            }
            return .refused(
                .belowMinimumSize,
                "quantity \(quantity.compactDescription) at \(price.compactDescription) is below the minimum notional \(division.minNotional.compactDescription)"
            )
        }
        return .sized(Sizing(quantity: quantity, stopLoss: stop, takeProfit: take, notional: notional, cappedByCapital: capped))
    }
}
