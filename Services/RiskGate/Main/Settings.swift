import Domain
import RiskGateCore
import Runtime
import StrategyConfig

/// The gate's configuration from the environment. `DIVISIONS` empty (the default) keeps the
/// spine's single division (`DIVISION`, `EQUITY`, `RISK_PER_TRADE`, …); `DIVISIONS=presets` runs
/// the specification's conservative (60 %) and aggressive (30 %) divisions with a 10 % reserve of
/// `EQUITY` (the portfolio's equity). Every breaker threshold has its own key, defaulting to the
/// specification's value with presets (to the spine's, daily loss only, with one division);
/// violations are listed all at once by `ServiceMain`.
enum Settings {
    /// Symbols whose order-book feed matters: those of divisions that fall back on a feed failure.
    static func feedSymbols(_ configuration: RiskGateCore.Configuration) -> Set<String> {
        Set(configuration.divisions.filter { $0.feedFallback != nil }.flatMap(\.symbols))
    }

    /// Symbols whose book snapshots the gate reads: every symbol a division lists (mids mark
    /// positions to market; silence on a fallback division's symbol is a feed failure).
    static func bookSymbols(_ configuration: RiskGateCore.Configuration) -> [String] {
        Set(configuration.divisions.flatMap(\.symbols)).sorted()
    }

    /// Whether a division places its stop by ATR (the gate then reads `feat.`).
    static func needsFeatures(_ configuration: RiskGateCore.Configuration) -> Bool {
        configuration.divisions.contains { $0.stopATRMultiple != nil }
    }

    static func read(_ env: inout EnvironmentReader) -> RiskGateCore.Configuration {
        let portfolioPath = env.string("QUORUM_CONFIG", default: "", "portfolio config (JSONC): its divisions, unless DIVISIONS is set")
        var mode = env.string("DIVISIONS", default: "", "empty: QUORUM_CONFIG's divisions, or one division from DIVISION/EQUITY/…; presets: conservative 60 % + aggressive 30 % + 10 % reserve of EQUITY")
        if mode.isEmpty && !portfolioPath.isEmpty { mode = "config" }
        let shadow = env.bool("SHADOW", default: true, "mark intents shadow (paper)")
        let equity = env.decimal("EQUITY", default: Decimal8(1000), "equity in the quote asset (the portfolio's with several divisions)")
        var configuration: RiskGateCore.Configuration
        switch mode {
        case "config":
            let atrPrefix = env.string("ATR_FEATURE_PREFIX", default: "high_low_close_ATR_", "ATR feature name before the window, for ATR stops of the portfolio config")
            do {
                let loaded = try Portfolio.load(path: portfolioPath)
                configuration = PortfolioDivisions.configuration(loaded.portfolio, equity: equity, shadow: shadow) { "\(atrPrefix)\($0)" }
            } catch {
                env.fail("QUORUM_CONFIG=\(portfolioPath): \(error.description)")
                configuration = .init()
            }
        case "":
            let division = RiskGateCore.Division(
                name: env.string("DIVISION", default: "default", "division name"),
                equity: equity,
                riskPerTrade: env.decimal("RISK_PER_TRADE", default: Decimal8("0.005")!, "fraction of equity lost at a stop-out"),
                stopDistance: env.decimal("STOP_DISTANCE", default: Decimal8("0.005")!, "stop distance as a fraction of the entry price"),
                target: env.decimal("TARGET", default: Decimal8("0.003")!, "take-profit distance as a fraction of the entry price"),
                maxDailyLoss: env.decimal("MAX_DAILY_LOSS", default: Decimal8("0.02")!, "daily realized loss (fraction of start-of-day equity) that trips the breaker"),
                quantityStep: env.decimal("QUANTITY_STEP", default: Decimal8("0.00001")!, "quantity step size"),
                tickSize: env.decimal("TICK_SIZE", default: Decimal8("0.01")!, "price tick size"),
                minNotional: env.decimal("MIN_NOTIONAL", default: Decimal8(5), "smallest order value"),
                shadow: shadow
            )
            configuration = .init(division: division)
        case "presets":
            configuration = .presets(equity: equity, shadow: shadow)
            let conservative = env.list("CONSERVATIVE_SYMBOLS", default: configuration.divisions[0].symbols, "symbols of the conservative division")
            let aggressive = env.list("AGGRESSIVE_SYMBOLS", default: configuration.divisions[1].symbols, "symbols of the aggressive division")
            configuration.divisions[0].symbols = conservative
            configuration.divisions[1].symbols = aggressive
            if let text = env.optional("CONSERVATIVE_WEEKLY_ACTION", "pause | shift_capital") {
                if let action = RiskGateCore.WeeklyAction(rawValue: text) { configuration.divisions[0].weeklyAction = action } else {
                    env.fail("CONSERVATIVE_WEEKLY_ACTION=\"\(text)\" is not pause or shift_capital")
                }
            }
        default:
            env.fail("DIVISIONS=\"\(mode)\" must be empty or presets")
            configuration = .init()
        }
        // Options that apply to every division.
        let stopATR = env.decimal("STOP_ATR_MULTIPLE", default: .zero, "0: stop at RISK_PER_TRADE × price; > 0: this many ATRs (ATR_FEATURE) below the entry")
        let atrFeature = env.string("ATR_FEATURE", default: "", "the feature carrying the ATR in price units (default: the division's)")
        let perSymbol = env.int("MAX_POSITIONS_PER_SYMBOL", default: 0, range: 0...1000, "open positions per symbol and division (0: the division's default)")
        let perDivision = env.int("MAX_POSITIONS", default: 0, range: 0...10_000, "open positions per division (0: the division's default)")
        let backtest = env.decimal("BACKTEST_WIN_RATE", default: .zero, "the backtest's win rate for the divergence alert (0: no alert)")
        let timeLimit = env.int("TIME_LIMIT_BARS", default: 0, range: 0...100_000, "sell a position still open after this many bars at the next open (carried on intents; 0: the division's, none by default)")
        for i in configuration.divisions.indices {
            if stopATR > .zero { configuration.divisions[i].stopATRMultiple = stopATR }
            if !atrFeature.isEmpty { configuration.divisions[i].atrFeature = atrFeature }
            if perSymbol > 0 { configuration.divisions[i].maxOpenPositionsPerSymbol = perSymbol }
            if perDivision > 0 { configuration.divisions[i].maxOpenPositions = perDivision }
            if backtest > .zero { configuration.divisions[i].backtestWinRate = backtest }
            if timeLimit > 0 { configuration.divisions[i].timeLimitBars = timeLimit }
        }
        // One division: the spine's rules by default (decides like `Configuration(division:)` backtests);
        // presets: the specification's. Every key overrides either.
        var rules = configuration.rules
        rules.portfolioDailyLoss = env.decimal("PORTFOLIO_DAILY_LOSS", default: rules.portfolioDailyLoss, "portfolio daily loss that halts every division until the next UTC day")
        rules.combinedMinWinRate = env.decimal("COMBINED_MIN_WIN_RATE", default: rules.combinedMinWinRate, "combined win rate floor (halt latched until ack)")
        rules.combinedWindowDays = env.int("COMBINED_WINDOW_DAYS", default: rules.combinedWindowDays, range: 1...365, "days of the combined win rate")
        rules.combinedMinTrades = env.int("COMBINED_MIN_TRADES", default: rules.combinedMinTrades, range: 1...1_000_000, "trades before the combined win rate counts")
        rules.maxDrawdown = env.decimal("MAX_DRAWDOWN", default: rules.maxDrawdown, "drawdown from the peak that halts until resume")
        rules.losingDaysForRetrain = env.int("LOSING_DAYS_FOR_RETRAIN", default: rules.losingDaysForRetrain, range: 1...365, "consecutive losing days that raise the retrain flag")
        rules.weeklyMinTrades = env.int("WEEKLY_MIN_TRADES", default: rules.weeklyMinTrades, range: 1...1_000_000, "trades before a weekly win rate counts")
        rules.divergenceGap = env.decimal("DIVERGENCE_GAP", default: rules.divergenceGap, "live vs backtest win-rate gap that raises an alert")
        rules.divergenceWindowTrades = env.int("DIVERGENCE_WINDOW_TRADES", default: rules.divergenceWindowTrades, range: 1...1_000_000, "trades of the divergence window")
        rules.recoveryShadowDays = env.int("RECOVERY_SHADOW_DAYS", default: rules.recoveryShadowDays, range: 0...365, "shadow-only days after a halt (N)")
        rules.recoveryReducedDays = env.int("RECOVERY_REDUCED_DAYS", default: rules.recoveryReducedDays, range: 0...365, "reduced-capital days after the shadow step (M)")
        rules.recoveryCapitalFraction = env.decimal("RECOVERY_CAPITAL_FRACTION", default: rules.recoveryCapitalFraction, "capital fraction of the reduced step")
        rules.rebalance = env.bool("REBALANCE", default: rules.rebalance, "weekly rebalancing between divisions")
        let metric = env.string("REBALANCE_METRIC", default: rules.rebalanceMetric.rawValue, "win_rate | sharpe")
        if let parsed = Breakers.Rules.Metric(rawValue: metric) { rules.rebalanceMetric = parsed } else { env.fail("REBALANCE_METRIC=\"\(metric)\" is not win_rate or sharpe") }
        rules.rebalanceWinRateGap = env.decimal("REBALANCE_WIN_RATE_GAP", default: rules.rebalanceWinRateGap, "win-rate gap that shifts capital")
        rules.rebalanceSharpeGap = env.double("REBALANCE_SHARPE_GAP", default: rules.rebalanceSharpeGap, "Sharpe gap that shifts capital (REBALANCE_METRIC=sharpe)")
        rules.rebalanceStep = env.decimal("REBALANCE_STEP", default: rules.rebalanceStep, "share of capital moved per rebalancing")
        rules.rebalanceMinTrades = env.int("REBALANCE_MIN_TRADES", default: rules.rebalanceMinTrades, range: 1...1_000_000, "trades in the week before a division is compared")
        configuration.rules = rules
        do { try configuration.validate() } catch {
            for violation in error.violations { env.fail(violation) }
        }
        return configuration
    }
}

extension EnvironmentReader {
    /// A string that may be absent (documented with an empty default).
    mutating func optional(_ key: String, _ meaning: String) -> String? {
        let text = string(key, default: "", meaning)
        return text.isEmpty ? nil : text
    }
}
