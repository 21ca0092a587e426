import Domain

/// One kline series' exactly-once gate (live mode): closed klines from REST backfills and from the
/// WebSocket stream go in, in whatever order and multiplicity they arrive; out come the klines to
/// publish (and store), each open time exactly once and in order, and a request to backfill when
/// the sequencer sees a hole. Pure: no I/O, no clock.
///
/// Rules, with `next` = last published open time + interval:
/// - a kline that is not closed is never published; one whose open time is past `next` proves
///   that bar `next` has closed without our seeing it (a missed final update): hole;
/// - a closed kline with open time < `next` was published already: dropped, counted `duplicates`;
/// - open time == `next`: published, then every buffered kline that now follows is published too;
/// - open time > `next`: buffered (at most `maxPending`), and a backfill from `next` is requested
///   (once while one is outstanding);
/// - `reconnected()`: the stream was down for an unknown time: backfill from `next`;
/// - `backfillFinished()`: REST has given everything it has up to now; a hole still before the
///   buffered klines is asked for once more (it may have closed during the backfill); if a second
///   backfill leaves the same hole, it is a hole in the exchange's own data (maintenance): it is
///   skipped, counted `exchangeGaps`, and the buffer is published. `backfillFailed()` keeps the buffer and lets the
///   next hole or reconnect ask again.
public struct KlineSequencer: Sendable {
    public enum Output: Sendable, Hashable {
        case publish(Kline)
        /// Fetch closed klines with open time ≥ `from` (REST) and feed them to `backfilled`.
        case needBackfill(from: Timestamp)
    }

    public struct Statistics: Sendable, Hashable {
        public var published = 0
        public var duplicates = 0
        public var notClosed = 0
        public var holes = 0
        public var holeRetries = 0
        public var exchangeGaps = 0
        public var missingBars = 0
        public var wrongSeries = 0
        public var misaligned = 0
        public var pendingOverflows = 0
        public init() {}
    }

    public let symbol: String
    public let interval: Interval
    public let maxPending: Int
    public private(set) var lastPublishedOpen: Timestamp?
    public private(set) var statistics = Statistics()
    public private(set) var backfillOutstanding = false
    /// Closed klines ahead of `next`, by open time in ms.
    private var pending: [Int64: Kline] = [:]
    /// `next` after a backfill that left a hole there (a second such backfill skips the hole).
    private var unfilledNext: Timestamp?

    /// - Parameter lastPublishedOpen: the newest stored kline's open time (nil on a fresh store: the
    ///   first kline accepted starts the series).
    public init(symbol: String, interval: Interval, lastPublishedOpen: Timestamp?, maxPending: Int = 10_000) {
        self.symbol = symbol
        self.interval = interval
        self.lastPublishedOpen = lastPublishedOpen
        self.maxPending = max(1, maxPending)
    }

    /// Open time of the next kline to publish (nil before the first).
    public var nextOpen: Timestamp? { lastPublishedOpen.map { $0.adding(milliseconds: interval.milliseconds) } }
    public var pendingCount: Int { pending.count }

    /// A kline from the WebSocket stream (closed or not).
    public mutating func streamed(_ kline: Kline) -> [Output] {
        guard belongs(kline) else { return [] }
        guard kline.isClosed else {
            statistics.notClosed += 1
            if let next = nextOpen, kline.openTime > next { return hole(from: next) }
            return []
        }
        return accept(kline)
    }

    /// A page of closed klines from a REST backfill (oldest first).
    public mutating func backfilled(_ klines: [Kline]) -> [Output] {
        var outputs: [Output] = []
        for kline in klines where belongs(kline) {
            guard kline.isClosed else { statistics.notClosed += 1; continue }
            outputs += accept(kline, requestBackfill: false)
        }
        return outputs
    }

    /// The backfill requested last has returned everything up to the present.
    public mutating func backfillFinished() -> [Output] {
        backfillOutstanding = false
        guard let first = pending.keys.min() else { unfilledNext = nil; return [] }
        var outputs: [Output] = []
        if let next = nextOpen, first > next.milliseconds {
            // The first time, the hole may have closed after the backfill was asked for (a
            // reconnect during it, a clock estimate behind the server's): ask once more.
            if unfilledNext != next {
                unfilledNext = next
                statistics.holeRetries += 1
                return requestBackfill(from: next)
            }
            statistics.exchangeGaps += 1
            statistics.missingBars += Int((first - next.milliseconds) / interval.milliseconds)
        }
        // Publish the buffer in order, skipping the holes REST could not fill.
        for key in pending.keys.sorted() {
            let kline = pending.removeValue(forKey: key)!
            if let next = nextOpen, kline.openTime < next { statistics.duplicates += 1; continue }
            publish(kline, into: &outputs)
        }
        unfilledNext = nil
        return outputs
    }

    /// The backfill failed (REST unreachable...): keep the buffer, ask again on the next occasion.
    public mutating func backfillFailed() {
        backfillOutstanding = false
    }

    /// The stream (re)connected: klines may have closed while it was down.
    public mutating func reconnected() -> [Output] {
        guard let next = nextOpen else { return [] }
        return requestBackfill(from: next)
    }

    // MARK: -

    private mutating func belongs(_ kline: Kline) -> Bool {
        guard kline.symbol == symbol, kline.interval == interval else { statistics.wrongSeries += 1; return false }
        if let last = lastPublishedOpen, (kline.openTime.milliseconds - last.milliseconds) % interval.milliseconds != 0 {
            statistics.misaligned += 1
            return false
        }
        return true
    }

    private mutating func accept(_ kline: Kline, requestBackfill: Bool = true) -> [Output] {
        guard let next = nextOpen else {
            var outputs: [Output] = []
            publish(kline, into: &outputs)
            drain(into: &outputs)
            return outputs
        }
        if kline.openTime < next {
            statistics.duplicates += 1
            return []
        }
        if kline.openTime == next {
            var outputs: [Output] = []
            publish(kline, into: &outputs)
            drain(into: &outputs)
            return outputs
        }
        if pending[kline.openTime.milliseconds] == nil {
            if pending.count >= maxPending, let oldest = pending.keys.max() {
                pending.removeValue(forKey: oldest)
                statistics.pendingOverflows += 1
            }
            pending[kline.openTime.milliseconds] = kline
        } else {
            statistics.duplicates += 1
        }
        return requestBackfill ? hole(from: next) : []
    }

    private mutating func hole(from next: Timestamp) -> [Output] {
        guard !backfillOutstanding else { return [] }
        statistics.holes += 1
        return self.requestBackfill(from: next)
    }

    private mutating func requestBackfill(from next: Timestamp) -> [Output] {
        guard !backfillOutstanding else { return [] }
        backfillOutstanding = true
        return [.needBackfill(from: next)]
    }

    private mutating func publish(_ kline: Kline, into outputs: inout [Output]) {
        lastPublishedOpen = kline.openTime
        statistics.published += 1
        outputs.append(.publish(kline))
    }

    private mutating func drain(into outputs: inout [Output]) {
        while let next = nextOpen, let kline = pending.removeValue(forKey: next.milliseconds) {
            publish(kline, into: &outputs)
        }
        // Anything left behind `next` is a duplicate now.
        if let next = nextOpen {
            for key in pending.keys where key < next.milliseconds {
                pending.removeValue(forKey: key)
                statistics.duplicates += 1
            }
        }
    }
}
