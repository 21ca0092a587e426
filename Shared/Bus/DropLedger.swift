import Domain

/// Counts dropped messages by reason and decides when a drop may be logged: at most once per
/// reason per `logInterval` (a flood of garbage must not become a flood of log lines).
public struct DropLedger: Sendable {
    public private(set) var counts: [String: UInt64] = [:]
    private var lastLogged: [String: Timestamp] = [:]
    public let logIntervalNanoseconds: Int64

    public init(logIntervalSeconds: Int64 = 60) {
        self.logIntervalNanoseconds = logIntervalSeconds * 1_000_000_000
    }

    /// Records one drop; returns true when this drop should be logged (with the running count).
    public mutating func record(reason: String, now: Timestamp) -> Bool {
        counts[reason, default: 0] += 1
        if let last = lastLogged[reason], now.nanoseconds - last.nanoseconds < logIntervalNanoseconds {
            return false
        }
        lastLogged[reason] = now
        return true
    }

    public var total: UInt64 { counts.values.reduce(0, +) }
}
