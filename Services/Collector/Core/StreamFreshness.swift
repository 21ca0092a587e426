import Domain

/// Data freshness per stream for the heartbeat: the age of the last frame of each expected
/// stream, which ones are stale, and whether the exchange is reachable. Pure: times come in.
public struct StreamFreshness: Sendable {
    public let staleAfterMilliseconds: Int64
    public let streams: [String]
    private var lastSeen: [String: Timestamp] = [:]
    private var startedAt: Timestamp?
    public private(set) var restReachable = true

    public init(streams: [String], staleAfterMilliseconds: Int64) {
        self.streams = streams
        self.staleAfterMilliseconds = staleAfterMilliseconds
    }

    public struct Report: Sendable, Hashable {
        /// Milliseconds since the last frame per stream (since start when none arrived yet).
        public var ageMilliseconds: [String: Int64]
        public var stale: [String]
        public var restReachable: Bool
        public var status: String { stale.isEmpty && restReachable ? "ok" : "degraded" }
    }

    public mutating func started(at now: Timestamp) { if startedAt == nil { startedAt = now } }
    public mutating func seen(_ stream: String, at time: Timestamp) {
        if let last = lastSeen[stream], last >= time { return }
        lastSeen[stream] = time
    }
    public mutating func rest(reachable: Bool) { restReachable = reachable }

    public func report(now: Timestamp) -> Report {
        var ages: [String: Int64] = [:]
        var stale: [String] = []
        for stream in streams {
            let since = lastSeen[stream] ?? startedAt ?? now
            let age = max(0, (now.nanoseconds - since.nanoseconds) / 1_000_000)
            ages[stream] = age
            if age > staleAfterMilliseconds { stale.append(stream) }
        }
        return Report(ageMilliseconds: ages, stale: stale, restReachable: restReachable)
    }
}
