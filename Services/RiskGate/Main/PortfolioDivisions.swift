import Domain
import RiskGateCore
import StrategyConfig

/// StrategyConfig's division (its module also has a type named StrategyConfig, so the division is
/// named through this alias where RiskGateCore's is visible too).
typealias PortfolioDivision = Division

/// The gate's divisions from the portfolio config (`QUORUM_CONFIG`, configs/portfolio.jsonc): each
/// division's capital share, risk per trade, target, stop (percent, or ATR multiple), position
/// limits, symbols (those of its model configs), time limit (`time_limit_bars`, carried on its
/// intents) and taker fee. Breaker thresholds the config does not carry
/// (daily loss, weekly win-rate floor, capital floor and cap, feed fallback) come from the preset
/// of the same name (conservative, aggressive), else the defaults.
enum PortfolioDivisions {
    static func configuration(_ portfolio: Portfolio, equity: Decimal8, shadow: Bool, atrFeature: (Int) -> String) -> RiskGateCore.Configuration {
        let names = Set(portfolio.divisions.map(\.name))
        let divisions = portfolio.divisions.map { (source: PortfolioDivision) -> RiskGateCore.Division in
            var division: RiskGateCore.Division
            switch source.name {
            case "conservative": division = .conservative(portfolioEquity: equity)
            case "aggressive": division = .aggressive(portfolioEquity: equity)
            default: division = RiskGateCore.Division(name: source.name)
            }
            division.capitalShare = source.capitalShare
            division.equity = source.capitalShare.multiplied(by: equity, rounding: .down)
            division.riskPerTrade = source.riskPerTrade
            division.target = source.target
            switch source.stop {
            case .percent(let fraction):
                division.stopDistance = fraction
                division.stopATRMultiple = nil
            case .atr(let multiple, let window):
                division.stopATRMultiple = Decimal8(multiple)
                division.atrFeature = atrFeature(window)
            }
            division.timeLimitBars = source.timeLimitBars
            division.takerFeeRate = source.takerFeeRate
            division.maxOpenPositionsPerSymbol = source.maxOpenPerSymbol
            division.maxOpenPositions = source.maxOpenPositions
            division.symbols = Array(Set(source.models.map(\.symbol))).sorted()
            division.shadow = shadow
            if let fallback = division.feedFallback, !names.contains(fallback) { division.feedFallback = nil }
            return division
        }
        return RiskGateCore.Configuration(divisions: divisions, reserve: portfolio.reserve.multiplied(by: equity, rounding: .down))
    }
}
