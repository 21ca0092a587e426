import Domain

extension RiskGateCore {
    /// The gate's configuration: one division for now (a list of them later, one ledger each).
    public struct Configuration: Sendable, Hashable {
        /// Every configuration violation, all listed at once.
        public struct ValidationError: Error, Hashable, Sendable, CustomStringConvertible {
            /// One line per violation, prefixed with the key.
            public var violations: [String]

            public var description: String { "invalid risk gate configuration: " + violations.joined(separator: "; ") }
        }

        /// The division this gate trades for.
        public var division: Division

        public init(division: Division = Division()) {
            self.division = division
        }

        /// Throws every violation at once.
        public func validate() throws(ValidationError) {
            let violations = division.violations(prefix: "division")
            if !violations.isEmpty { throw ValidationError(violations: violations) }
        }
    }

    /// One division's capital and risk rules (ARCHITECTURE.md §5). Fractions are exact decimals.
    ///
    /// ```swift
    /// let division = RiskGateCore.Division(name: "conservative", equity: Decimal8(600), riskPerTrade: Decimal8("0.005")!)
    /// ```
    public struct Division: Sendable, Hashable {
        /// Name, carried on every intent and state (env `DIVISION`, default "default").
        public var name: String
        /// Starting equity in the quote asset (env `EQUITY`, default 1000).
        public var equity: Decimal8
        /// Loss of a stop-out as a fraction of current equity, before fees (env `RISK_PER_TRADE`, default 0.005).
        public var riskPerTrade: Decimal8
        /// Distance from the reference price to the stop, as a fraction of it. Default: equal to the
        /// default `riskPerTrade`, 0.005 (0.5 %).
        public var stopDistance: Decimal8
        /// Take-profit distance above the reference price, as a fraction of it (env `TARGET`, default 0.003).
        public var target: Decimal8
        /// The daily-loss breaker trips when the UTC day's realized P&L reaches −maxDailyLoss ×
        /// start-of-day equity (env `MAX_DAILY_LOSS`, default 0.02).
        public var maxDailyLoss: Decimal8
        /// Milliseconds after the signal bar's close during which the entry may fill (event time);
        /// nil (the default) means one interval of the signal's bar.
        public var intentTTLMilliseconds: Int64?
        /// Quantities are rounded down to a multiple of this (default 0.00001).
        public var quantityStep: Quantity
        /// Prices are rounded to a multiple of this (default 0.01).
        public var tickSize: Price
        /// Smallest notional (quantity × reference price) worth an order (default 5).
        public var minNotional: Decimal8
        /// Intents are marked shadow: paper-filled, never sent to the exchange (env `SHADOW`, default true).
        public var shadow: Bool

        public init(
            name: String = "default",
            equity: Decimal8 = Decimal8(1000),
            riskPerTrade: Decimal8 = Decimal8(units: 500_000),
            stopDistance: Decimal8 = Decimal8(units: 500_000),
            target: Decimal8 = Decimal8(units: 300_000),
            maxDailyLoss: Decimal8 = Decimal8(units: 2_000_000),
            intentTTLMilliseconds: Int64? = nil,
            quantityStep: Quantity = Decimal8(units: 1_000),
            tickSize: Price = Decimal8(units: 1_000_000),
            minNotional: Decimal8 = Decimal8(5),
            shadow: Bool = true
        ) {
            self.name = name
            self.equity = equity
            self.riskPerTrade = riskPerTrade
            self.stopDistance = stopDistance
            self.target = target
            self.maxDailyLoss = maxDailyLoss
            self.intentTTLMilliseconds = intentTTLMilliseconds
            self.quantityStep = quantityStep
            self.tickSize = tickSize
            self.minNotional = minNotional
            self.shadow = shadow
        }

        /// The TTL for a bar of `interval`.
        public func intentTTL(for interval: Interval) -> Int64 { intentTTLMilliseconds ?? interval.milliseconds }

        /// Every violation, each prefixed with `prefix` (e.g. "divisions[1]").
        public func violations(prefix: String) -> [String] {
            var violations: [String] = []
            func fraction(_ key: String, _ value: Decimal8, allowOne: Bool = false) {
                let ok = value > .zero && (allowOne ? value <= .one : value < .one)
                if !ok { violations.append("\(prefix).\(key): must be in (0, 1\(allowOne ? "]" : ")"), got \(value.compactDescription)") }
            }
            if name.isEmpty { violations.append("\(prefix).name: must not be empty") }
            if equity <= .zero { violations.append("\(prefix).equity: must be > 0, got \(equity.compactDescription)") }
            fraction("riskPerTrade", riskPerTrade)
            fraction("stopDistance", stopDistance)
            if target <= .zero { violations.append("\(prefix).target: must be > 0, got \(target.compactDescription)") }
            fraction("maxDailyLoss", maxDailyLoss, allowOne: true)
            if let ttl = intentTTLMilliseconds, ttl < 0 {
                violations.append("\(prefix).intentTTLMilliseconds: must be ≥ 0, got \(ttl)")
            }
            if quantityStep <= .zero { violations.append("\(prefix).quantityStep: must be > 0, got \(quantityStep.compactDescription)") }
            if tickSize <= .zero { violations.append("\(prefix).tickSize: must be > 0, got \(tickSize.compactDescription)") }
            if minNotional.isNegative { violations.append("\(prefix).minNotional: must be ≥ 0, got \(minNotional.compactDescription)") }
            return violations
        }
    }
}
