import Domain

extension RiskGateCore {
    /// The gate's configuration: its divisions (each with its own ledger, capital share and risk
    /// rules), the capital reserve, the portfolio-wide breaker rules and optional exchange filters.
    ///
    /// ```swift
    /// let configuration = RiskGateCore.Configuration.presets(equity: Decimal8(10_000))   // 60 % / 30 % / 10 % reserve
    /// let single = RiskGateCore.Configuration(division: .init(equity: Decimal8(1000)))  // one division, all capital
    /// ```
    public struct Configuration: Sendable, Hashable {
        /// Every configuration violation, all listed at once.
        public struct ValidationError: Error, Hashable, Sendable, CustomStringConvertible {
            /// One line per violation, prefixed with the key.
            public var violations: [String]

            public var description: String { "invalid risk gate configuration: " + violations.joined(separator: "; ") }
        }

        /// The divisions, in priority order: a signal naming no division goes to the first one that
        /// lists its symbol, else to the first one.
        public var divisions: [Division]
        /// Capital held back from every division (counted in the portfolio's equity, never traded).
        public var reserve: Decimal8
        /// Portfolio-wide breakers, latches, recovery and rebalancing.
        public var rules: Breakers.Rules
        /// Exchange filters per symbol (tick size, step size, minimum quantity and notional): they
        /// override the division's defaults for that symbol.
        public var symbolFilters: [String: SymbolFilters]

        /// One division with all the capital and the spine's rules (``Breakers/Rules/spine``: its
        /// daily-loss breaker, no portfolio latches); its division's `capitalShare` is 1.
        public init(division: Division = Division()) {
            self.init(divisions: [division], rules: .spine)
        }

        public init(divisions: [Division], reserve: Decimal8 = .zero, rules: Breakers.Rules = .init(), symbolFilters: [String: SymbolFilters] = [:]) {
            self.divisions = divisions
            self.reserve = reserve
            self.rules = rules
            self.symbolFilters = symbolFilters
        }

        /// The first division (the only one of a single-division gate).
        public var division: Division { divisions[0] }

        /// The portfolio's starting equity: every division's plus the reserve.
        public var portfolioEquity: Decimal8 { divisions.reduce(reserve) { $0 + $1.equity } }

        /// The specification's presets (ARCHITECTURE.md §5): conservative 60 %, aggressive 30 %,
        /// reserve 10 % of `equity`.
        public static func presets(equity: Decimal8, shadow: Bool = true) -> Configuration {
            var conservative = Division.conservative(portfolioEquity: equity)
            var aggressive = Division.aggressive(portfolioEquity: equity)
            conservative.shadow = shadow
            aggressive.shadow = shadow
            let reserve = equity - conservative.equity - aggressive.equity
            return Configuration(divisions: [conservative, aggressive], reserve: reserve)
        }

        /// Throws every violation at once.
        public func validate() throws(ValidationError) {
            var violations: [String] = []
            if divisions.isEmpty { violations.append("divisions: at least one division is required") }
            for (index, division) in divisions.enumerated() {
                violations += division.violations(prefix: "divisions[\(index)]")
                if division.name == RiskState.portfolio {
                    violations.append("divisions[\(index)].name: \"\(RiskState.portfolio)\" is reserved for the portfolio's state")
                }
                if let fallback = division.feedFallback, fallback == division.name || !divisions.contains(where: { $0.name == fallback }) {
                    violations.append("divisions[\(index)].feedFallback: must name another division, got \"\(fallback)\"")
                }
            }
            var seen: Set<String> = []
            for division in divisions where !seen.insert(division.name).inserted {
                violations.append("divisions: the name \"\(division.name)\" is used twice")
            }
            if reserve.isNegative { violations.append("reserve: must be ≥ 0, got \(reserve.compactDescription)") }
            if divisions.count > 1 {
                let shares = divisions.reduce(Decimal8.zero) { $0 + $1.capitalShare }
                if shares > .one { violations.append("divisions: capital shares add up to \(shares.compactDescription), more than 1") }
            }
            violations += rules.violations(prefix: "rules")
            for (symbol, filters) in symbolFilters.sorted(by: { $0.key < $1.key }) {
                if filters.tickSize.isNegative || filters.stepSize.isNegative {
                    violations.append("symbolFilters.\(symbol): tick and step sizes must be ≥ 0")
                }
            }
            if !violations.isEmpty { throw ValidationError(violations: violations) }
        }
    }

    /// What a division does when its weekly win rate falls below its floor.
    public enum WeeklyAction: String, Sendable, Hashable, Codable, CaseIterable {
        /// Pause (exits only) for the next UTC week.
        case pause
        /// Shift `rules.rebalanceStep` of its capital to the best other division (within floors and caps).
        case shiftCapital = "shift_capital"
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

        /// The division's share of the portfolio's capital (1 for a single division; presets 0.6 / 0.3).
        public var capitalShare: Decimal8 = .one
        /// Symbols the division trades when a signal names no division (empty: any).
        public var symbols: [String] = []
        /// When set, the stop sits this many ATRs below the entry (the feature `atrFeature` of the
        /// signal's bar) instead of `stopDistance` × price.
        public var stopATRMultiple: Decimal8?
        /// The feature that carries the ATR in price units (default `high_low_close_ATR_14`, the FeatureService's name).
        public var atrFeature: String = "high_low_close_ATR_14"
        /// At most this many open positions per symbol (nil: no limit; presets 1).
        public var maxOpenPositionsPerSymbol: Int?
        /// At most this many open positions in the division (nil: no limit; presets 4).
        public var maxOpenPositions: Int?
        /// The weekly win-rate floor (conservative 0.52, aggressive 0.50).
        public var minWeeklyWinRate: Decimal8 = Decimal8(units: 50_000_000)
        /// What a win rate below the floor does (default pause).
        public var weeklyAction: WeeklyAction = .pause
        /// The backtest's win rate: a live win rate diverging from it by more than
        /// `rules.divergenceGap` over `rules.divergenceWindowTrades` trades raises an alert.
        public var backtestWinRate: Decimal8?
        /// Rebalancing never takes the capital share below this floor (default 0)…
        public var capitalFloor: Decimal8 = .zero
        /// …nor above this cap (default 1).
        public var capitalCap: Decimal8 = .one
        /// When the order-book feed of one of this division's symbols fails, its capital falls
        /// back to this division (aggressive → conservative) until the feed is healthy again.
        public var feedFallback: String?
        /// Carried on every intent (``TradeIntent/timeLimitBars``): the Executor sells a position
        /// still open after this many bars at the open of the next one. nil (the default): no time
        /// limit (env `TIME_LIMIT_BARS`, 0 = none; the portfolio config's `time_limit_bars`).
        public var timeLimitBars: Int?
        /// Fee of a market fill (the entry, a stop) as a fraction of the notional: the portfolio
        /// config's `taker_fee_rate` (or `fee_rate`). Informational for the gate: sizing follows the
        /// specification (a stop-out loses `riskPerTrade` of equity before fees), and the Executor
        /// charges the fees. Default 0.001.
        public var takerFeeRate: Decimal8 = Decimal8(units: 100_000)

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

        /// The conservative preset: BTC/ETH, 60 % of capital, risk 0.5 % per trade, stop 0.5 % of the
        /// entry, target 0.3 %, daily loss 2 %, weekly win rate 52 %, capital share within [0.4, 0.75].
        public static func conservative(portfolioEquity: Decimal8) -> Division {
            let share = Decimal8("0.6")!
            var division = Division(
                name: "conservative", equity: share.multiplied(by: portfolioEquity, rounding: .down),
                riskPerTrade: Decimal8("0.005")!, stopDistance: Decimal8("0.005")!, target: Decimal8("0.003")!, maxDailyLoss: Decimal8("0.02")!
            )
            division.capitalShare = share
            division.symbols = ["BTCUSDT", "ETHUSDT"]
            division.maxOpenPositionsPerSymbol = 1
            division.maxOpenPositions = 4
            division.minWeeklyWinRate = Decimal8("0.52")!
            division.capitalFloor = Decimal8("0.4")!
            division.capitalCap = Decimal8("0.75")!
            return division
        }

        /// The aggressive preset: SOL/BNB/XRP, 30 % of capital, risk 1 % per trade, stop 1 % of the
        /// entry, target 0.5 %, daily loss 3 %, weekly win rate 50 %, capital share within [0.15, 0.5];
        /// its capital falls back to the conservative division when an order-book feed fails.
        public static func aggressive(portfolioEquity: Decimal8) -> Division {
            let share = Decimal8("0.3")!
            var division = Division(
                name: "aggressive", equity: share.multiplied(by: portfolioEquity, rounding: .down),
                riskPerTrade: Decimal8("0.01")!, stopDistance: Decimal8("0.01")!, target: Decimal8("0.005")!, maxDailyLoss: Decimal8("0.03")!
            )
            division.capitalShare = share
            division.symbols = ["SOLUSDT", "BNBUSDT", "XRPUSDT"]
            division.maxOpenPositionsPerSymbol = 1
            division.maxOpenPositions = 4
            division.minWeeklyWinRate = Decimal8("0.5")!
            division.capitalFloor = Decimal8("0.15")!
            division.capitalCap = Decimal8("0.5")!
            division.feedFallback = "conservative"
            return division
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
            func closedFraction(_ key: String, _ value: Decimal8) {
                if value.isNegative || value > .one { violations.append("\(prefix).\(key): must be in [0, 1], got \(value.compactDescription)") }
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
            fraction("capitalShare", capitalShare, allowOne: true)
            if let multiple = stopATRMultiple, multiple <= .zero {
                violations.append("\(prefix).stopATRMultiple: must be > 0, got \(multiple.compactDescription)")
            }
            if stopATRMultiple != nil && atrFeature.isEmpty { violations.append("\(prefix).atrFeature: must not be empty") }
            if let limit = maxOpenPositionsPerSymbol, limit < 1 { violations.append("\(prefix).maxOpenPositionsPerSymbol: must be ≥ 1, got \(limit)") }
            if let limit = maxOpenPositions, limit < 1 { violations.append("\(prefix).maxOpenPositions: must be ≥ 1, got \(limit)") }
            if let bars = timeLimitBars, bars < 1 { violations.append("\(prefix).timeLimitBars: must be ≥ 1 (nil for none), got \(bars)") }
            if takerFeeRate.isNegative || takerFeeRate >= .one { violations.append("\(prefix).takerFeeRate: must be in [0, 1), got \(takerFeeRate.compactDescription)") }
            closedFraction("minWeeklyWinRate", minWeeklyWinRate)
            if let rate = backtestWinRate { closedFraction("backtestWinRate", rate) }
            closedFraction("capitalFloor", capitalFloor)
            closedFraction("capitalCap", capitalCap)
            if capitalFloor > capitalCap {
                violations.append("\(prefix).capitalFloor: \(capitalFloor.compactDescription) is above capitalCap \(capitalCap.compactDescription)")
            }
            return violations
        }
    }
}
