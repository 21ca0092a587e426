/// What the live Executor's heartbeat says: `ok`, or `degraded` with the reasons (the RiskGate reads
/// `degraded` as unhealthy and reduces; the reasons go to the log and to counters, because the
/// heartbeat's status is compared as a whole word). Degraded when the user-data stream is down
/// and fills come from polling only, or when more than `apiErrorThreshold` API errors (transport
/// errors, HTTP 5xx, 429, 418, refused subscriptions) happened in the last `window`.
struct ExecutorHealth: Sendable {
    enum Reason: String, Sendable, CaseIterable {
        case userDataDown = "user_data_down"
        case apiErrors = "api_errors"
    }

    var apiErrorThreshold: Int
    var window: Duration = .seconds(60)
    /// (when, running total of API errors), oldest first; one sample older than the window is kept
    /// as the baseline.
    private var samples: [(at: ContinuousClock.Instant, total: Int)] = []

    init(apiErrorThreshold: Int, window: Duration = .seconds(60)) {
        self.apiErrorThreshold = apiErrorThreshold
        self.window = window
    }

    /// Records the running total of API errors at `now`.
    mutating func record(apiErrorTotal: Int, at now: ContinuousClock.Instant) {
        samples.append((now, apiErrorTotal))
        while samples.count > 1, now - samples[1].at >= window { samples.removeFirst() }
    }

    /// API errors within the window (since the baseline sample).
    var recentAPIErrors: Int {
        guard let first = samples.first, let last = samples.last else { return 0 }
        return max(0, last.total - first.total)
    }

    /// Why the Executor is degraded (empty: ok). `streamDown` describes a down stream (nil: up, or
    /// not used).
    func reasons(streamDown: String?) -> [(Reason, String)] {
        var out: [(Reason, String)] = []
        if let streamDown { out.append((.userDataDown, streamDown)) }
        if recentAPIErrors > apiErrorThreshold {
            out.append((.apiErrors, "\(recentAPIErrors) API errors in the last \(window) (more than \(apiErrorThreshold))"))
        }
        return out
    }
}
