/// A signal the RiskGate refused. A business rejection is a value with a stable reason code.
public struct RiskDenied: Sendable, Hashable {
    public enum Reason: String, Sendable, Hashable, Codable, CaseIterable {
        case dailyLossBreaker = "daily_loss_breaker"
        case insufficientCapital = "insufficient_capital"
        case belowMinimumSize = "below_minimum_size"
        case unsupportedSide = "unsupported_side"
        case executorStale = "executor_stale"
        case unknownDivision = "unknown_division"
    }

    public var bar: BarKey
    public var reason: Reason
    public var detail: String

    public init(bar: BarKey, reason: Reason, detail: String) {
        self.bar = bar
        self.reason = reason
        self.detail = detail
    }
}
