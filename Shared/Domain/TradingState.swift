/// What a division (or the whole portfolio) may do, as the RiskGate decides it.
public enum TradingState: String, Sendable, Hashable, Codable, CaseIterable {
    /// New entries are allowed.
    case active = "ACTIVE"
    /// Exits only: open positions run to their take-profit or stop, no new entries (a pause).
    case reducing = "REDUCING"
    /// Halted: no new entries; a latch or a manual halt keeps it so until cleared, and the
    /// recovery protocol (shadow, then reduced capital) follows.
    case halted = "HALTED"
}
