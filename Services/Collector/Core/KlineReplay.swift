import Domain

/// Paces a recorded kline series as if it were live: at `barsPerSecond`, kline i is due
/// i / barsPerSecond seconds after the start (0 = everything is due at once). Pure: the shell
/// passes a monotonic time and publishes what is due.
public struct KlineReplay: Sendable {
    public let klines: [Kline]
    public let barsPerSecond: Double
    public private(set) var nextIndex = 0
    private var startNanoseconds: UInt64?

    public init(klines: [Kline], barsPerSecond: Double) {
        precondition(barsPerSecond >= 0 && barsPerSecond.isFinite, "replay speed must be ≥ 0")
        self.klines = klines
        self.barsPerSecond = barsPerSecond
    }

    public var isFinished: Bool { nextIndex >= klines.count }
    public var remaining: Int { klines.count - nextIndex }

    /// The klines due at monotonic time `now` (nanoseconds), at most `limit` of them.
    public mutating func due(atMonotonic now: UInt64, limit: Int = 10_000) -> ArraySlice<Kline> {
        if startNanoseconds == nil { startNanoseconds = now }
        let dueCount: Int
        if barsPerSecond == 0 {
            dueCount = klines.count
        } else {
            let elapsed = Double(now - startNanoseconds!) / 1e9
            dueCount = min(klines.count, Int(elapsed * barsPerSecond) + 1)
        }
        let end = min(dueCount, nextIndex + limit)
        guard end > nextIndex else { return [] }
        defer { nextIndex = end }
        return klines[nextIndex..<end]
    }

    /// Nanoseconds from the start until the next kline is due (nil when finished).
    public func nextDueOffsetNanoseconds() -> UInt64? {
        guard !isFinished else { return nil }
        guard barsPerSecond > 0 else { return 0 }
        return UInt64(Double(nextIndex) / barsPerSecond * 1e9)
    }

    public var startedAt: UInt64? { startNanoseconds }
}

/// Checks a replayed series: closed klines only, strictly increasing open times per series.
public struct KlineSeriesGuard: Sendable {
    private var lastOpen: [String: Timestamp] = [:]
    public private(set) var gaps = 0

    public init() {}

    public enum Verdict: Equatable, Sendable {
        case accept
        case reject(reason: String)
    }

    public mutating func check(_ kline: Kline) -> Verdict {
        guard kline.isClosed else { return .reject(reason: "not_closed") }
        guard kline.low <= kline.open, kline.low <= kline.close, kline.high >= kline.open, kline.high >= kline.close else {
            return .reject(reason: "inconsistent_ohlc")
        }
        let key = "\(kline.symbol)|\(kline.interval.name)"
        if let last = lastOpen[key] {
            guard kline.openTime > last else { return .reject(reason: "out_of_order") }
            if kline.openTime.milliseconds - last.milliseconds != kline.interval.milliseconds { gaps += 1 }
        }
        lastOpen[key] = kline.openTime
        return .accept
    }
}
