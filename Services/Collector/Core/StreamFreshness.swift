import Domain

/// Data freshness per stream for the heartbeat: the age of the last frame of each expected
/// stream, which ones are stale, and whether the exchange is reachable. Pure: times come in.
public struct StreamFreshness: Sendable {
    public let staleAfterMilliseconds: Int64
    public let streams: [String]
    private var lastSeen: [String: Timestamp] = [:]
    private var startedAt: Timestamp?
    public private(set) var restReachable = true
    /// When the stream connection was lost (nil while connected or before the first connection).
    private var disconnectedSince: Timestamp?
    /// A stream connection down for longer than this degrades the status (a reconnect is quicker).
    public var disconnectGraceMilliseconds: Int64 = 2_000

    public init(streams: [String], staleAfterMilliseconds: Int64) {
        self.streams = streams
        self.staleAfterMilliseconds = staleAfterMilliseconds
    }

    public struct Report: Sendable, Hashable {
        /// Milliseconds since the last frame per stream (since start when none arrived yet).
        public var ageMilliseconds: [String: Int64]
        public var stale: [String]
        public var restReachable: Bool
        /// The stream has been disconnected for longer than the grace period.
        public var streamDown: Bool = false
        public var status: String { stale.isEmpty && restReachable && !streamDown ? "ok" : "degraded" }
    }

    public mutating func started(at now: Timestamp) { if startedAt == nil { startedAt = now } }
    public mutating func seen(_ stream: String, at time: Timestamp) {
        if let last = lastSeen[stream], last >= time { return }
        lastSeen[stream] = time
    }
    public mutating func rest(reachable: Bool) { restReachable = reachable }
    public mutating func stream(connected: Bool, at time: Timestamp) {
        if connected { disconnectedSince = nil } else if disconnectedSince == nil { disconnectedSince = time }
    }

    public func report(now: Timestamp) -> Report {
        var ages: [String: Int64] = [:]
        var stale: [String] = []
        for stream in streams {
            let since = lastSeen[stream] ?? startedAt ?? now
            let age = max(0, (now.nanoseconds - since.nanoseconds) / 1_000_000)
            ages[stream] = age
            if age > staleAfterMilliseconds { stale.append(stream) }
        }
        let down = disconnectedSince.map { (now.nanoseconds - $0.nanoseconds) / 1_000_000 > disconnectGraceMilliseconds } ?? false
        return Report(ageMilliseconds: ages, stale: stale, restReachable: restReachable, streamDown: down)
    }
}
