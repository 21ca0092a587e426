import Domain

extension ExecutorCore {
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

        /// Fee per side as a fraction of the notional, charged in the quote asset. Env `FEE_RATE`,
        /// default 0.001 (Binance's base spot rate). In [0, 1).
        public var feeRate: Decimal8
        /// Closed klines kept per (symbol, interval), so that an intent arriving after its entry
        /// kline still fills at that kline's open. Default 2000, at least 1.
        public var klineBufferSize: Int
        /// Live mode: intents without the shadow flag go to the exchange (``ExecutorCore/admitLive(_:)``),
        /// not to paper fills, and are not rebuilt as paper positions after a restart. Default false
        /// (shadow mode: such intents are refused by ``ExecutorCore/handle(_:now:)``).
        public var routesLiveIntents: Bool

        public init(feeRate: Decimal8 = Decimal8(units: 100_000), klineBufferSize: Int = 2000, routesLiveIntents: Bool = false) {
            self.feeRate = feeRate
            self.klineBufferSize = klineBufferSize
            self.routesLiveIntents = routesLiveIntents
        }

        /// Throws every violation at once.
        public func validate() throws(ValidationError) {
            var violations: [String] = []
            if feeRate.isNegative || feeRate >= .one { violations.append("feeRate: must be in [0, 1), got \(feeRate.compactDescription)") }
            if klineBufferSize < 1 { violations.append("klineBufferSize: must be at least 1, got \(klineBufferSize)") }
            if !violations.isEmpty { throw ValidationError(violations: violations) }
        }
    }
}
