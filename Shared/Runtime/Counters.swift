import CoreMetrics
import Synchronization

/// Named counters of a service: published in its heartbeat and mirrored to swift-metrics.
public final class Counters: Sendable {
    private let values = Mutex<[String: UInt64]>([:])
    private let prefix: String

    public init(service: String) { self.prefix = "quorum_\(service.replacingOccurrences(of: "-", with: "_"))_" }

    public func increment(_ name: String, by amount: UInt64 = 1) {
        values.withLock { $0[name, default: 0] += amount }
        CoreMetrics.Counter(label: prefix + name).increment(by: Int64(amount))
    }

    /// Sets a gauge-like value (e.g. a total read from a component).
    public func set(_ name: String, to value: UInt64) {
        values.withLock { $0[name] = value }
    }

    public subscript(name: String) -> UInt64 { values.withLock { $0[name] ?? 0 } }

    public func snapshot() -> [String: UInt64] { values.withLock { $0 } }
}
