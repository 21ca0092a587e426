import Domain

/// A division (ARCHITECTURE.md §5): a named group of model configs with a share of the capital and
/// its own risk rules. Fractions are exact decimals (0.005 = 0.5 %).
public struct Division: Sendable, Hashable {
    public var name: String
    /// Share of the portfolio's capital, in (0, 1].
    public var capitalShare: Decimal8
    /// Loss of a stop-out as a fraction of the division's equity.
    public var riskPerTrade: Decimal8
    /// Take-profit distance as a fraction of the entry price.
    public var target: Decimal8
    public var stop: Stop
    /// Fee of a maker fill (the take-profit LIMIT), as a fraction of the notional (`maker_fee_rate`).
    public var makerFeeRate: Decimal8
    /// Fee of a taker fill (market entry, stop, time-limit exit), as a fraction of the notional (`taker_fee_rate`).
    public var takerFeeRate: Decimal8
    /// The fee of one side where only one rate is used (sizing, the single-rate break-even): the
    /// taker rate. Setting it sets both rates (`fee_rate`).
    public var feeRate: Decimal8 {
        get { takerFeeRate }
        set { makerFeeRate = newValue; takerFeeRate = newValue }
    }
    /// Paper slippage of a taker fill in basis points of the price, where no spread is known
    /// (`slippage_bps`, default 0; where order books exist half the quoted spread is used).
    public var slippageBps: Decimal8
    /// Time-limit exit after this many bars (`time_limit_bars`); nil: none (live), or the label
    /// horizon in backtests (``backtestTimeLimitBars(labelHorizon:)``).
    public var timeLimitBars: Int?
    public var maxOpenPerSymbol: Int
    public var maxOpenPositions: Int
    /// The model configs, loaded.
    public var models: [ModelConfig]

    /// Where the stop goes.
    public enum Stop: Sendable, Hashable, CustomStringConvertible {
        /// A fixed fraction of the entry price below it (0.005 = 0.5 %).
        case percent(Decimal8)
        /// A multiple of the ATR at entry.
        case atr(multiple: Double, window: Int)

        public var description: String {
            switch self {
            case .percent(let fraction): "\(BreakEven.percent(fraction.doubleValue)) of the entry price"
            case .atr(let multiple, let window): "\(ModelConfig.format(multiple)) × ATR(\(window))"
            }
        }
    }

    public init(
        name: String, capitalShare: Decimal8, riskPerTrade: Decimal8, target: Decimal8, stop: Stop? = nil,
        feeRate: Decimal8 = Division.defaultFeeRate, maxOpenPerSymbol: Int = 1, maxOpenPositions: Int = 3, models: [ModelConfig] = [],
        makerFeeRate: Decimal8? = nil, takerFeeRate: Decimal8? = nil, slippageBps: Decimal8 = .zero, timeLimitBars: Int? = nil
    ) {
        self.name = name
        self.capitalShare = capitalShare
        self.riskPerTrade = riskPerTrade
        self.target = target
        self.stop = stop ?? .percent(riskPerTrade)
        self.makerFeeRate = makerFeeRate ?? feeRate
        self.takerFeeRate = takerFeeRate ?? feeRate
        self.slippageBps = slippageBps
        self.timeLimitBars = timeLimitBars
        self.maxOpenPerSymbol = maxOpenPerSymbol
        self.maxOpenPositions = maxOpenPositions
        self.models = models
    }

    /// 0.1 % taker fee per side (Binance spot's base rate).
    public static let defaultFeeRate = Decimal8(units: 100_000)

    /// BTC/ETH, 1m and 5m, logistic regression + LightGBM + random forest: 60 % of capital, 0.5 %
    /// risk per trade, 0.3 % target, stop 0.5 % of the entry.
    public static let conservative = Division(name: "conservative", capitalShare: Decimal8(units: 60_000_000), riskPerTrade: Decimal8(units: 500_000), target: Decimal8(units: 300_000))
    /// SOL/BNB/XRP, 5m and 15m, order-flow models: 30 %, 1 % risk per trade, 0.5 % target, stop 1 %.
    public static let aggressive = Division(name: "aggressive", capitalShare: Decimal8(units: 30_000_000), riskPerTrade: Decimal8(units: 1_000_000), target: Decimal8(units: 500_000))
    /// The capital kept out of every division by default.
    public static let defaultReserve = Decimal8(units: 10_000_000)

    public static let presets = [conservative, aggressive]

    /// Symbols whose models go to each preset when a model config is run alone.
    public static let conservativeSymbols: Set<String> = ["BTCUSDT", "ETHUSDT"]
    public static let aggressiveSymbols: Set<String> = ["SOLUSDT", "BNBUSDT", "XRPUSDT"]

    /// The preset for a model config run alone, and a note saying which and why.
    public static func preset(forSymbol symbol: String) -> (division: Division, note: String) {
        if aggressiveSymbols.contains(symbol) {
            return (aggressive, "run alone: \(symbol) uses the aggressive division preset (SOL/BNB/XRP: 30 % of capital, 1 % risk per trade, 0.5 % target)")
        }
        if conservativeSymbols.contains(symbol) {
            return (conservative, "run alone: \(symbol) uses the conservative division preset (BTC/ETH: 60 % of capital, 0.5 % risk per trade, 0.3 % target)")
        }
        return (conservative, "run alone: \(symbol) has no preset division; using the conservative one (60 % of capital, 0.5 % risk per trade, 0.3 % target)")
    }

    /// The time limit of a backtest: `time_limit_bars` when configured, else the entry label's
    /// horizon h (high_030_4 → 4 bars). The model predicts whether the price reaches the target
    /// within h bars and says nothing about what happens after: a position still open then has
    /// outlived its forecast, so the backtest closes it rather than let it wait indefinitely for
    /// a level the model no longer speaks for. Live divisions have no time limit unless configured.
    public func backtestTimeLimitBars(labelHorizon: Int?) -> Int? {
        timeLimitBars ?? labelHorizon.flatMap { $0 > 0 ? $0 : nil }
    }

    /// The slippage as a fraction of the price (`slippage_bps` / 10 000).
    public var slippageFraction: Double { slippageBps.doubleValue / 10_000 }

    /// The break-even win rate of this division's trades; nil for an ATR stop (its distance is known only at entry).
    public var breakEven: BreakEven? {
        guard case .percent(let stopFraction) = stop else { return nil }
        return BreakEven(
            target: target.doubleValue, stop: stopFraction.doubleValue, makerFee: makerFeeRate.doubleValue,
            takerFee: takerFeeRate.doubleValue, slippage: slippageFraction
        )
    }

    /// One line for load notes and reports.
    public var economicsLine: String {
        if let breakEven { return "division \(name): \(breakEven)" }
        let costs = BreakEven(target: target.doubleValue, stop: 0, makerFee: makerFeeRate.doubleValue, takerFee: takerFeeRate.doubleValue, slippage: slippageFraction)
        return "division \(name): target \(BreakEven.percent(target.doubleValue)), stop \(stop), \(costs.costsDescription): the break-even win rate depends on the ATR at entry (net win \(BreakEven.percent(costs.netWin, sign: true)); reports give it per trade)"
    }
}
