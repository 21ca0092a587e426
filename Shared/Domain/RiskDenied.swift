/// A signal the RiskGate refused. A business rejection is a value with a stable reason code and the
/// numbers behind it.
public struct RiskDenied: Sendable, Hashable {
    /// Stable codes (published as the raw value). Codes are only added, never renamed.
    public enum Reason: String, Sendable, Hashable, Codable, CaseIterable {
        case dailyLossBreaker = "daily_loss_breaker"
        case insufficientCapital = "insufficient_capital"
        case belowMinimumSize = "below_minimum_size"
        case unsupportedSide = "unsupported_side"
        case executorStale = "executor_stale"
        case unknownDivision = "unknown_division"
        /// The division's weekly win rate fell below its floor: paused until the next UTC week.
        case weeklyWinRateBreaker = "weekly_win_rate_breaker"
        /// The portfolio lost more than its daily limit: every division halted until the next UTC day.
        case portfolioLossHalt = "portfolio_loss_halt"
        /// The combined win rate over the window fell below its floor: halted until `quorum risk ack`.
        case winRateHalt = "win_rate_halt"
        /// The drawdown from the equity peak passed its limit: halted until `quorum risk resume`.
        case drawdownHalt = "drawdown_halt"
        /// Halted by `quorum risk flatten`: until `quorum risk resume`.
        case manualHalt = "manual_halt"
        /// Paused by `quorum risk pause`: until `quorum risk resume`.
        case manualPause = "manual_pause"
        /// The exchange, the API or the market data is unhealthy: paused until healthy.
        case unhealthy = "unhealthy"
        /// The symbol's order-book feed failed and the division trades on order flow.
        case feedFailure = "feed_failure"
        /// The division already holds the maximum number of positions in the symbol.
        case maxPositionsSymbol = "max_positions_symbol"
        /// The division already holds its maximum number of positions.
        case maxPositionsDivision = "max_positions_division"
        /// The division sizes its stop by ATR and no ATR is known for the bar.
        case atrUnavailable = "atr_unavailable"
        /// The symbol's exchange filters leave no valid quantity (e.g. below LOT_SIZE's minimum).
        case symbolFilter = "symbol_filter"
        /// An exit signal found no open position of its symbol (in its division, or in any when it
        /// names none) that entered before its bar's close: nothing to close.
        case noPosition = "no_position"
    }

    public var bar: BarKey
    public var reason: Reason
    public var detail: String
    /// The division the signal was for ("" when it could not be resolved).
    public var division: String
    /// The numbers behind the denial (e.g. `loss`, `limit`, `free_capital`), exact decimals.
    public var figures: [String: Decimal8]

    public init(bar: BarKey, reason: Reason, detail: String, division: String = "", figures: [String: Decimal8] = [:]) {
        self.bar = bar
        self.reason = reason
        self.detail = detail
        self.division = division
        self.figures = figures
    }
}
