import Domain
import OrderBook
import Testing

func diff(_ first: Int64, _ final: Int64, pu: Int64? = nil, bids: [PriceLevel] = [], asks: [PriceLevel] = []) -> DepthUpdate {
    DepthUpdate(symbol: "BTCUSDT", eventTime: Timestamp(milliseconds: final), firstUpdateID: first, finalUpdateID: final, previousFinalUpdateID: pu, bids: bids, asks: asks)
}

func snapshot(_ id: Int64, bids: [PriceLevel] = [level("100", "1")], asks: [PriceLevel] = [level("101", "1")]) -> DepthSnapshot {
    DepthSnapshot(symbol: "BTCUSDT", lastUpdateID: id, bids: bids, asks: asks)
}

extension BookSynchronizer.Output {
    var appliedFinalID: Int64? { if case .applied(let u, _) = self { return u.finalUpdateID } else { return nil } }
}

@Suite struct BookSynchronizerTests {
    @Test func buffersUntilTheSnapshotThenAppliesWhatFollows() {
        var sync = BookSynchronizer(symbol: "BTCUSDT")
        #expect(sync.handle(.diff(diff(90, 95))) == [.needSnapshot])
        #expect(sync.handle(.diff(diff(96, 99))).isEmpty)
        #expect(sync.handle(.diff(diff(100, 104, bids: [level("100", "7")]))).isEmpty)
        #expect(sync.bufferedCount == 3 && !sync.isSynchronized)
        let outputs = sync.handle(.snapshot(snapshot(101)))
        // 90-95 and 96-99 are in the snapshot; 100-104 straddles it.
        #expect(outputs.first == .synchronized(BookTop(updateID: 101, bid: level("100", "1"), ask: level("101", "1"))))
        #expect(outputs.compactMap(\.appliedFinalID) == [104])
        #expect(sync.localUpdateID == 104 && sync.book.bestBid == level("100", "7"))
        #expect(sync.statistics.droppedBySnapshot == 2 && sync.statistics.snapshotsAccepted == 1)
        #expect(sync.handle(.diff(diff(105, 110))).compactMap(\.appliedFinalID) == [110])
    }

    @Test func aSnapshotOlderThanTheFirstBufferedEventIsRefused() {
        var sync = BookSynchronizer(symbol: "BTCUSDT")
        _ = sync.handle(.diff(diff(100, 105)))
        let outputs = sync.handle(.snapshot(snapshot(99)))
        #expect(outputs == [.snapshotRejected(.tooOld(lastUpdateID: 99, firstBufferedUpdateID: 100)), .needSnapshot])
        #expect(!sync.isSynchronized && sync.statistics.snapshotsTooOld == 1 && sync.statistics.snapshotsRequested == 2)
        _ = sync.handle(.diff(diff(106, 108)))
        let next = sync.handle(.snapshot(snapshot(106)))
        #expect(next.compactMap(\.appliedFinalID) == [108] && sync.localUpdateID == 108)
    }

    @Test func aSnapshotBeforeAnyEventWaitsForTheFirstOne() {
        var sync = BookSynchronizer(symbol: "BTCUSDT")
        #expect(sync.handle(.snapshot(snapshot(50))).isEmpty)
        #expect(sync.handle(.diff(diff(40, 50))).isEmpty)       // contained in the snapshot: dropped
        let outputs = sync.handle(.diff(diff(51, 53)))           // starts right after it: contiguous
        #expect(outputs.count == 2 && outputs.compactMap(\.appliedFinalID) == [53])
        #expect(sync.statistics.snapshotsRequested == 0)
    }

    @Test func theStrictFirstEventRuleRefusesTheBoundaryEvent() {
        var strict = BookSynchronizer(symbol: "BTCUSDT", configuration: .init(strictFirstEvent: true))
        _ = strict.handle(.diff(diff(45, 50)))
        _ = strict.handle(.snapshot(snapshot(50)))
        #expect(strict.handle(.diff(diff(51, 53))) == [.snapshotRejected(.firstEventDoesNotFollow(lastUpdateID: 50, firstUpdateID: 51, finalUpdateID: 53)), .needSnapshot])
        #expect(!strict.isSynchronized)
        // An event straddling lastUpdateId is accepted either way.
        _ = strict.handle(.diff(diff(54, 60)))
        #expect(strict.handle(.snapshot(snapshot(57))).compactMap(\.appliedFinalID) == [60])
    }

    @Test func aSnapshotNewerThanTheBufferedEventsIsRefused() {
        var sync = BookSynchronizer(symbol: "BTCUSDT")
        _ = sync.handle(.diff(diff(10, 20)))
        // Events 21..29 never arrived (lost); the next one starts at 30, after the snapshot.
        _ = sync.handle(.diff(diff(30, 35)))
        let outputs = sync.handle(.snapshot(snapshot(25)))
        #expect(outputs == [.snapshotRejected(.firstEventDoesNotFollow(lastUpdateID: 25, firstUpdateID: 30, finalUpdateID: 35)), .needSnapshot])
    }

    @Test func staleEventsAreIgnoredAndAReplayOfTheLastOneIsHarmless() {
        var sync = BookSynchronizer(symbol: "BTCUSDT")
        _ = sync.handle(.diff(diff(1, 10)))
        _ = sync.handle(.snapshot(snapshot(5)))
        _ = sync.handle(.diff(diff(11, 20, asks: [level("101", "3")])))
        #expect(sync.handle(.diff(diff(1, 10))) == [.ignoredStale(firstUpdateID: 1, finalUpdateID: 10)])
        #expect(sync.handle(.diff(diff(11, 20, asks: [level("101", "3")]))).compactMap(\.appliedFinalID) == [20])
        #expect(sync.statistics.staleIgnored == 1 && sync.localUpdateID == 20 && sync.statistics.resyncs == 0)
    }

    @Test func aGapDiscardsTheBookAndResyncs() {
        var sync = BookSynchronizer(symbol: "BTCUSDT")
        _ = sync.handle(.diff(diff(1, 10)))
        _ = sync.handle(.snapshot(snapshot(5)))
        let outputs = sync.handle(.diff(diff(12, 15)))
        #expect(outputs == [.resynced(.gap(localUpdateID: 10, firstUpdateID: 12, previousFinalUpdateID: nil)), .needSnapshot])
        #expect(!sync.isSynchronized && sync.book.isEmpty && sync.bufferedCount == 1)
        _ = sync.handle(.diff(diff(16, 18)))
        let resync = sync.handle(.snapshot(snapshot(16, bids: [level("99", "1")])))
        #expect(resync.compactMap(\.appliedFinalID) == [18] && sync.book.bestBid == level("99", "1"))
        #expect(sync.statistics.gaps == 1 && sync.statistics.resyncs == 1 && sync.statistics.snapshotsAccepted == 2)
    }

    @Test func aCrossedBookResyncs() {
        var sync = BookSynchronizer(symbol: "BTCUSDT")
        _ = sync.handle(.diff(diff(1, 10)))
        _ = sync.handle(.snapshot(snapshot(5)))
        let outputs = sync.handle(.diff(diff(11, 12, bids: [level("101.5", "1")])))
        #expect(outputs.count == 3 && outputs[0].appliedFinalID == 12)
        #expect(outputs[1] == .resynced(.crossed(updateID: 12, bestBid: Price("101.5")!, bestAsk: Price("101")!)) && outputs[2] == .needSnapshot)
        #expect(!sync.isSynchronized && sync.statistics.crossed == 1)
        // Without the check the crossed book is kept.
        var lenient = BookSynchronizer(symbol: "BTCUSDT", configuration: .init(resyncOnCrossedBook: false))
        _ = lenient.handle(.diff(diff(1, 10)))
        _ = lenient.handle(.snapshot(snapshot(5)))
        _ = lenient.handle(.diff(diff(11, 12, bids: [level("101.5", "1")])))
        #expect(lenient.isSynchronized && lenient.book.isCrossed)
    }

    @Test func aGapInsideTheBufferFoundWhileSynchronizing() {
        var sync = BookSynchronizer(symbol: "BTCUSDT")
        _ = sync.handle(.diff(diff(1, 10)))
        _ = sync.handle(.diff(diff(11, 20)))
        _ = sync.handle(.diff(diff(25, 30)))   // 21..24 lost
        let outputs = sync.handle(.snapshot(snapshot(15)))
        #expect(outputs.compactMap(\.appliedFinalID) == [20])
        #expect(outputs.suffix(2) == [.resynced(.gap(localUpdateID: 20, firstUpdateID: 25, previousFinalUpdateID: nil)), .needSnapshot])
    }

    @Test func aStreamRestartDiscardsEverything() {
        var sync = BookSynchronizer(symbol: "BTCUSDT")
        _ = sync.handle(.diff(diff(1, 10)))
        _ = sync.handle(.snapshot(snapshot(5)))
        #expect(sync.handle(.streamRestarted) == [.resynced(.streamRestarted)])
        #expect(!sync.isSynchronized && sync.bufferedCount == 0)
        #expect(sync.handle(.diff(diff(30, 31))) == [.needSnapshot])
    }

    @Test func theBufferKeepsTheNewestEvents() {
        var sync = BookSynchronizer(symbol: "BTCUSDT", configuration: .init(maxBufferedEvents: 3))
        for i in 0..<10 as Range<Int64> { _ = sync.handle(.diff(diff(i * 10 + 1, i * 10 + 10))) }
        #expect(sync.bufferedCount == 3 && sync.statistics.bufferOverflows == 7)
        #expect(sync.handle(.snapshot(snapshot(65))).first == .snapshotRejected(.tooOld(lastUpdateID: 65, firstBufferedUpdateID: 71)))
        #expect(sync.handle(.snapshot(snapshot(75))).compactMap(\.appliedFinalID) == [80, 90, 100])
    }

    @Test func futuresChainOnPreviousFinalUpdateID() {
        var sync = BookSynchronizer(symbol: "BTCUSDT", configuration: .init(market: .usdMFutures))
        _ = sync.handle(.diff(diff(90, 100, pu: 89)))
        _ = sync.handle(.snapshot(snapshot(95)))
        #expect(sync.localUpdateID == 100)
        // Futures ids are not contiguous: only pu matters.
        #expect(sync.handle(.diff(diff(150, 160, pu: 100))).compactMap(\.appliedFinalID) == [160])
        #expect(sync.handle(.diff(diff(170, 180, pu: 165))).first == .resynced(.gap(localUpdateID: 160, firstUpdateID: 170, previousFinalUpdateID: 165)))
        // A snapshot ending exactly at an event's u: the next event follows it by pu.
        var boundary = BookSynchronizer(symbol: "BTCUSDT", configuration: .init(market: .usdMFutures))
        _ = boundary.handle(.diff(diff(90, 100, pu: 89)))
        _ = boundary.handle(.diff(diff(141, 150, pu: 100)))
        #expect(boundary.handle(.snapshot(snapshot(100))).compactMap(\.appliedFinalID) == [150])
        #expect(boundary.handle(.diff(diff(152, 160, pu: 150))).compactMap(\.appliedFinalID) == [160])
    }
}
