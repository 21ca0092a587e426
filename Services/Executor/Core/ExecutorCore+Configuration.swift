import Domain

extension ExecutorCore {
    /// What a paper fill costs in one division: fees by liquidity role and slippage.
    ///
    /// A **taker** fill (the market entry, a stop exit, a time-limit exit) pays `takerFeeRate` and
    /// slips: it gets a worse price than the level that triggered it, by half the quoted spread
    /// when the spread of the bar before the fill is known (``ExecutorCore/Input/spread(_:)``), else
    /// by `slippageBps`. A **maker** fill (the take-profit LIMIT resting in the book) pays
    /// `makerFeeRate` and fills at its own price: it does not cross the spread.
    ///
    /// ```swift
    /// let costs = ExecutorCore.Costs(makerFeeRate: Decimal8("0.00075")!, takerFeeRate: Decimal8("0.001")!, slippageBps: Decimal8("1")!)
    /// ```
    public struct Costs: Sendable, Hashable {
        /// Fee of a maker fill (the take-profit LIMIT) as a fraction of its notional. In [0, 1).
        public var makerFeeRate: Decimal8
        /// Fee of a taker fill (market entry, stop, time limit) as a fraction of its notional. In [0, 1).
        public var takerFeeRate: Decimal8
        /// Adverse price move of a taker fill, in basis points of the price (1 bp = 0.01 %), used when
        /// no spread is known for the bar. In [0, 1000]. Default 0: on the majors traded here, with
        /// retail sizes, a market order fills at the touch, half a spread of a cent or so (well
        /// under 0.1 bp) away from the mid; where order books exist the half-spread is used instead.
        /// Set it to stress-test a strategy (a few bps is a pessimistic choice for 5m bars).
        public var slippageBps: Decimal8

        public init(makerFeeRate: Decimal8, takerFeeRate: Decimal8, slippageBps: Decimal8 = .zero) {
            self.makerFeeRate = makerFeeRate
            self.takerFeeRate = takerFeeRate
            self.slippageBps = slippageBps
        }

        /// One fee for both roles (the `fee_rate` / `FEE_RATE` setting).
        public init(feeRate: Decimal8, slippageBps: Decimal8 = .zero) {
            self.init(makerFeeRate: feeRate, takerFeeRate: feeRate, slippageBps: slippageBps)
        }

        /// Binance spot's base rate, 0.1 % for both roles, and no slippage.
        public static let binanceBase = Costs(feeRate: Decimal8(units: 100_000))

        /// Largest `slippageBps` accepted (10 %).
        public static let maxSlippageBps = Decimal8(1000)

        /// Violations, each prefixed with `prefix` (the field's path).
        func violations(_ prefix: String) -> [String] {
            var violations: [String] = []
            if makerFeeRate.isNegative || makerFeeRate >= .one { violations.append("\(prefix)makerFeeRate: must be in [0, 1), got \(makerFeeRate.compactDescription)") }
            if takerFeeRate.isNegative || takerFeeRate >= .one { violations.append("\(prefix)takerFeeRate: must be in [0, 1), got \(takerFeeRate.compactDescription)") }
            if slippageBps.isNegative || slippageBps > Self.maxSlippageBps {
                violations.append("\(prefix)slippageBps: must be in [0, 1000], got \(slippageBps.compactDescription)")
            }
            return violations
        }
    }

    /// How the Executor paper-fills intents.
    ///
    /// ```swift
    /// let configuration = ExecutorCore.Configuration(feeRate: Decimal8("0.001")!, klineBufferSize: 2000)
    /// try configuration.validate()
    /// ```
    public struct Configuration: Sendable, Hashable {
        /// Every configuration violation, all listed at once.
        public struct ValidationError: Error, Hashable, Sendable, CustomStringConvertible {
            /// One line per violation.
            public var violations: [String]

            public var description: String { "invalid executor configuration: " + violations.joined(separator: "; ") }
        }

        /// Costs of an intent whose division has no entry in `divisionCosts`. Env `FEE_RATE` (both
        /// roles, default 0.001, Binance's base spot rate), `MAKER_FEE_RATE`, `TAKER_FEE_RATE`,
        /// `SLIPPAGE_BPS` (default 0).
        public var costs: Costs
        /// Costs by division name (``TradeIntent/division``), from the portfolio config.
        public var divisionCosts: [String: Costs]
        /// Price tick by symbol: a slipped price is rounded to it in the adverse direction (up for
        /// a buy, down for a sell). A symbol without one is rounded to 1e-8, adversely too.
        public var tickSizes: [String: Price]
        /// Closed klines kept per (symbol, interval), so that an intent arriving after its entry
        /// kline still fills at that kline's open. Default 2000, at least 1.
        public var klineBufferSize: Int
        /// Live mode: intents without the shadow flag go to the exchange (``ExecutorCore/admitLive(_:)``),
        /// not to paper fills, and are not rebuilt as paper positions after a restart. Default false
        /// (shadow mode: such intents are refused by ``ExecutorCore/handle(_:now:)``).
        public var routesLiveIntents: Bool

        public init(
            costs: Costs = .binanceBase, divisionCosts: [String: Costs] = [:], tickSizes: [String: Price] = [:],
            klineBufferSize: Int = 2000, routesLiveIntents: Bool = false
        ) {
            self.costs = costs
            self.divisionCosts = divisionCosts
            self.tickSizes = tickSizes
            self.klineBufferSize = klineBufferSize
            self.routesLiveIntents = routesLiveIntents
        }

        /// One fee rate for both roles and every division, no slippage (the spine's configuration).
        public init(feeRate: Decimal8, klineBufferSize: Int = 2000, routesLiveIntents: Bool = false) {
            self.init(costs: Costs(feeRate: feeRate), klineBufferSize: klineBufferSize, routesLiveIntents: routesLiveIntents)
        }

        /// The costs of a division's intents.
        public func costs(for division: String) -> Costs { divisionCosts[division] ?? costs }

        /// Throws every violation at once.
        public func validate() throws(ValidationError) {
            var violations = costs.violations("")
            for (name, costs) in divisionCosts.sorted(by: { $0.key < $1.key }) { violations += costs.violations("divisionCosts[\(name)].") }
            for (symbol, tick) in tickSizes.sorted(by: { $0.key < $1.key }) where tick <= .zero {
                violations.append("tickSizes[\(symbol)]: must be > 0, got \(tick.compactDescription)")
            }
            if klineBufferSize < 1 { violations.append("klineBufferSize: must be at least 1, got \(klineBufferSize)") }
            if !violations.isEmpty { throw ValidationError(violations: violations) }
        }
    }
}
