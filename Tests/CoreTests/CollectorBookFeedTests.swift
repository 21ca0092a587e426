import CollectorCore
import Domain
import Testing

/// The collector's book publication: diffs only once in sync, throttled top-N books, periodic full books.
@Suite struct CollectorBookFeedTests {
    static func level(_ p: Int, _ q: Int) -> PriceLevel { PriceLevel(price: Decimal8(p), quantity: Decimal8(q)) }

    static func diff(_ first: Int64, _ last: Int64, bid: Int = 99, qty: Int = 1, ms: Int64 = 0) -> DepthUpdate {
        DepthUpdate(symbol: "BTCUSDT", eventTime: Timestamp(milliseconds: 1_000 + ms), firstUpdateID: first, finalUpdateID: last,
                    bids: [level(bid, qty)], asks: [])
    }

    static let snapshot = DepthSnapshot(symbol: "BTCUSDT", lastUpdateID: 10, bids: [level(99, 5), level(98, 5), level(97, 5)],
                                        asks: [level(101, 5), level(102, 5), level(103, 5)])

    static func at(_ ms: Int64) -> Timestamp { Timestamp(milliseconds: 1_000_000 + ms) }

    @Test func diffsArePublishedOnlyOnceSyncedAndBooksAreThrottled() {
        var feed = BookFeed(symbol: "BTCUSDT", configuration: .init(depth: 2, throttleMilliseconds: 100, fullPeriodMilliseconds: 5_000))
        // Buffered before the snapshot: a snapshot is requested, nothing published.
        let first = feed.handle(.diff(Self.diff(9, 11)), now: Self.at(0))
        #expect(first == [.needSnapshot])
        // The snapshot syncs the book, applies the buffered diff, and publishes a full book at once.
        let synced = feed.handle(.snapshot(Self.snapshot), now: Self.at(10))
        #expect(synced.contains(.synchronized(updateID: 10)))
        #expect(synced.contains(.delta(Self.diff(9, 11))))
        let fulls = synced.compactMap { if case .book(let b) = $0 { return b } else { return nil } }
        #expect(fulls.count == 1 && fulls[0].isFull && fulls[0].bids.count == 3)
        // A diff within the throttle: delta only.
        let d2 = feed.handle(.diff(Self.diff(12, 12, qty: 2)), now: Self.at(50))
        #expect(d2 == [.delta(Self.diff(12, 12, qty: 2))])
        // The tick after the throttle publishes the top-N, once.
        let tick = feed.handle(.tick, now: Self.at(120))
        guard case .book(let top)? = tick.first else { Issue.record("no book after the throttle: \(tick)"); return }
        #expect(!top.isFull && top.bids.count == 2 && top.asks.count == 2 && top.lastUpdateID == 12)
        #expect(top.bids[0] == Self.level(99, 2))
        #expect(feed.handle(.tick, now: Self.at(300)).isEmpty)
        // The periodic full book comes even without change.
        let periodic = feed.handle(.tick, now: Self.at(5_200))
        guard case .book(let full)? = periodic.first else { Issue.record("no periodic full book"); return }
        #expect(full.isFull)
    }

    @Test func aGapResyncsAndStopsPublishingUntilTheNextSnapshot() {
        var feed = BookFeed(symbol: "BTCUSDT")
        _ = feed.handle(.diff(Self.diff(9, 11)), now: Self.at(0))
        _ = feed.handle(.snapshot(Self.snapshot), now: Self.at(1))
        let gap = feed.handle(.diff(Self.diff(20, 21)), now: Self.at(2))
        #expect(gap.contains { if case .resynced = $0 { return true } else { return false } })
        #expect(gap.contains(.needSnapshot))
        #expect(!gap.contains { if case .delta = $0 { return true } else { return false } })
        #expect(!feed.isSynchronized)
        #expect(feed.handle(.tick, now: Self.at(10_000)).isEmpty)
    }

    @Test func aStreamRestartDiscardsTheBook() {
        var feed = BookFeed(symbol: "BTCUSDT")
        _ = feed.handle(.diff(Self.diff(9, 11)), now: Self.at(0))
        _ = feed.handle(.snapshot(Self.snapshot), now: Self.at(1))
        #expect(feed.isSynchronized)
        let restarted = feed.handle(.streamRestarted, now: Self.at(2))
        #expect(restarted.contains { if case .resynced = $0 { return true } else { return false } })
        #expect(!feed.isSynchronized)
        #expect(feed.handle(.diff(Self.diff(30, 31)), now: Self.at(3)) == [.needSnapshot])
    }
}

@Suite struct CollectorStreamFreshnessTests {
    @Test func staleStreamsAndUnreachableRESTDegradeTheStatus() {
        var f = StreamFreshness(streams: ["a", "b"], staleAfterMilliseconds: 1_000)
        let t0 = Timestamp(milliseconds: 10_000)
        f.started(at: t0)
        f.seen("a", at: t0.adding(milliseconds: 500))
        var r = f.report(now: t0.adding(milliseconds: 900))
        #expect(r.status == "ok" && r.stale.isEmpty && r.ageMilliseconds["a"] == 400)
        r = f.report(now: t0.adding(milliseconds: 1_200))
        #expect(r.stale == ["b"] && r.status == "degraded")
        f.seen("b", at: t0.adding(milliseconds: 1_100))
        #expect(f.report(now: t0.adding(milliseconds: 1_200)).status == "ok")
        f.rest(reachable: false)
        #expect(f.report(now: t0.adding(milliseconds: 1_200)).status == "degraded")
    }

    @Test func aStreamDownLongerThanTheGraceDegradesTheStatus() {
        var f = StreamFreshness(streams: [], staleAfterMilliseconds: 1_000)
        let t0 = Timestamp(milliseconds: 10_000)
        f.stream(connected: true, at: t0)
        f.stream(connected: false, at: t0.adding(milliseconds: 100))
        #expect(f.report(now: t0.adding(milliseconds: 1_000)).status == "ok")
        #expect(f.report(now: t0.adding(milliseconds: 2_200)).status == "degraded")
        f.stream(connected: true, at: t0.adding(milliseconds: 2_300))
        #expect(f.report(now: t0.adding(milliseconds: 2_400)).status == "ok")
    }
}
