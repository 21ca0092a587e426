import Domain
import OrderBook

/// One symbol's order book as the collector publishes it: Binance's snapshot + diff procedure
/// (`BookSynchronizer`), every synced diff for md.depth, a throttled top-N snapshot for md.book
/// (at most every `throttle`, and only when the book changed) and a full snapshot every
/// `fullPeriod`. Pure: `now` comes from the shell (the wall clock live; event time in tests).
public struct BookFeed: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Levels per side of the throttled md.book snapshot.
        public var depth: Int
        public var throttleMilliseconds: Int64
        public var fullPeriodMilliseconds: Int64
        public var synchronizer: BookSynchronizer.Configuration

        public init(depth: Int = 20, throttleMilliseconds: Int64 = 100, fullPeriodMilliseconds: Int64 = 5_000,
                    synchronizer: BookSynchronizer.Configuration = .init()) {
            self.depth = max(1, depth)
            self.throttleMilliseconds = max(0, throttleMilliseconds)
            self.fullPeriodMilliseconds = max(1, fullPeriodMilliseconds)
            self.synchronizer = synchronizer
        }
    }

    public enum Input: Sendable, Hashable {
        case diff(DepthUpdate)
        case snapshot(DepthSnapshot)
        case streamRestarted
        /// Time passes: throttled and periodic snapshots fall due.
        case tick
    }

    public enum Output: Sendable, Hashable {
        /// Publish on md.depth (a diff applied to the synced book).
        case delta(DepthUpdate)
        /// Publish on md.book (`isFull` for the periodic full book).
        case book(BookSnapshot)
        /// Fetch `GET /api/v3/depth` and feed it back as `.snapshot`.
        case needSnapshot
        case synchronized(updateID: Int64)
        case resynced(BookSynchronizer.ResyncReason)
        case snapshotRejected(BookSynchronizer.SnapshotRejection)
    }

    public let configuration: Configuration
    public private(set) var synchronizer: BookSynchronizer
    private var changedSincePublish = false
    private var lastTopPublished: Timestamp?
    private var lastFullPublished: Timestamp?
    private var scratch: [BookSynchronizer.Output] = []

    public init(symbol: String, configuration: Configuration = .init()) {
        self.configuration = configuration
        self.synchronizer = BookSynchronizer(symbol: symbol, configuration: configuration.synchronizer)
    }

    public var symbol: String { synchronizer.symbol }
    public var isSynchronized: Bool { synchronizer.isSynchronized }

    public mutating func handle(_ input: Input, now: Timestamp) -> [Output] {
        var outputs: [Output] = []
        scratch.removeAll(keepingCapacity: true)
        switch input {
        case .diff(let update): synchronizer.handle(.diff(update), into: &scratch)
        case .snapshot(let snapshot): synchronizer.handle(.snapshot(snapshot), into: &scratch)
        case .streamRestarted: synchronizer.handle(.streamRestarted, into: &scratch)
        case .tick: break
        }
        for output in scratch {
            switch output {
            case .needSnapshot: outputs.append(.needSnapshot)
            case .synchronized(let top):
                changedSincePublish = true
                // A freshly synced book goes out in full at once (late joiners, resync).
                lastFullPublished = nil
                outputs.append(.synchronized(updateID: top.updateID))
            case .applied(let update, _):
                changedSincePublish = true
                outputs.append(.delta(update))
            case .ignoredStale: break
            case .snapshotRejected(let why): outputs.append(.snapshotRejected(why))
            case .resynced(let why): outputs.append(.resynced(why))
            }
        }
        guard synchronizer.isSynchronized else { return outputs }
        if lastFullPublished.map({ now.milliseconds - $0.milliseconds >= configuration.fullPeriodMilliseconds }) ?? true {
            outputs.append(.book(synchronizer.book.fullSnapshot()))
            lastFullPublished = now
            lastTopPublished = now
            changedSincePublish = false
        } else if changedSincePublish,
                  lastTopPublished.map({ now.milliseconds - $0.milliseconds >= configuration.throttleMilliseconds }) ?? true {
            outputs.append(.book(synchronizer.book.snapshot(depth: configuration.depth)))
            lastTopPublished = now
            changedSincePublish = false
        }
        return outputs
    }
}
