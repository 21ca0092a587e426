/// Something the RiskGate wants people and services to know: a breaker tripped or cleared, a latch,
/// the retrain flag, a win-rate divergence alert, a capital shift, a recovery step, a control command
/// applied or rejected. Published on `risk.state.` inside the ``RiskState`` of its division (or of
/// the portfolio), logged, and journaled.
public struct RiskEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case breakerTripped = "breaker_tripped"
        case breakerCleared = "breaker_cleared"
        case retrainRequested = "retrain_requested"
        case alert = "alert"
        case capitalShifted = "capital_shifted"
        case recoveryStep = "recovery_step"
        case control = "control"
        case controlRejected = "control_rejected"
    }

    public var kind: Kind
    /// The division it concerns; empty for the portfolio.
    public var division: String
    /// A stable code: the breaker or cause (e.g. `daily_loss_breaker`), the alert, the command.
    public var code: String
    /// Event time (or the control message's time).
    public var time: Timestamp
    public var detail: String
    /// The numbers behind it (e.g. `loss`, `limit`, `win_rate`), exact decimals.
    public var figures: [String: Decimal8]

    public init(kind: Kind, division: String, code: String, time: Timestamp, detail: String, figures: [String: Decimal8] = [:]) {
        self.kind = kind
        self.division = division
        self.code = code
        self.time = time
        self.detail = detail
        self.figures = figures
    }
}
