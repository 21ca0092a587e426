import CollectorCore
import Domain
import Testing

/// The live collector's exactly-once gate: every closed kline once, in order, whatever mix of
/// stream and backfill delivers it.
@Suite struct CollectorKlineSequencerTests {
    static let base: Int64 = 1_720_396_800_000  // 2024-07-08 00:00 UTC
    static let iv = Interval.fiveMinutes

    static func kline(_ i: Int64, closed: Bool = true, symbol: String = "BTCUSDT", interval: Interval = iv) -> Kline {
        let open = Timestamp(milliseconds: base + i * interval.milliseconds)
        let price = Decimal8(Int(60_000 + i))
        return Kline(symbol: symbol, interval: interval, openTime: open, closeTime: open.adding(milliseconds: interval.milliseconds - 1),
                     open: price, high: price, low: price, close: price, volume: Decimal8(1), isClosed: closed)
    }

    static func open(_ i: Int64) -> Timestamp { Timestamp(milliseconds: base + i * iv.milliseconds) }

    func published(_ outputs: [KlineSequencer.Output]) -> [Int64] {
        outputs.compactMap { if case .publish(let k) = $0 { return (k.openTime.milliseconds - Self.base) / Self.iv.milliseconds } else { return nil } }
    }

    func backfills(_ outputs: [KlineSequencer.Output]) -> [Timestamp] {
        outputs.compactMap { if case .needBackfill(let t) = $0 { return t } else { return nil } }
    }

    @Test func inOrderClosedKlinesArePublishedOnceAndOpenOnesNever() {
        var s = KlineSequencer(symbol: "BTCUSDT", interval: Self.iv, lastPublishedOpen: Self.open(0))
        #expect(published(s.streamed(Self.kline(1, closed: false))).isEmpty)
        #expect(published(s.streamed(Self.kline(1))) == [1])
        #expect(published(s.streamed(Self.kline(2, closed: false))).isEmpty)
        #expect(published(s.streamed(Self.kline(2))) == [2])
        #expect(s.lastPublishedOpen == Self.open(2))
        #expect(s.statistics.notClosed == 2)
        #expect(s.statistics.published == 2)
    }

    @Test func duplicatesFromStreamAndBackfillAreDroppedAndCounted() {
        var s = KlineSequencer(symbol: "BTCUSDT", interval: Self.iv, lastPublishedOpen: Self.open(0))
        #expect(published(s.streamed(Self.kline(1))) == [1])
        #expect(published(s.streamed(Self.kline(1))).isEmpty)
        #expect(published(s.backfilled([Self.kline(0), Self.kline(1), Self.kline(2)])) == [2])
        #expect(published(s.streamed(Self.kline(2))).isEmpty)
        #expect(s.statistics.duplicates == 4)
    }

    @Test func aHoleAsksForOneBackfillAndTheBufferFollowsIt() {
        var s = KlineSequencer(symbol: "BTCUSDT", interval: Self.iv, lastPublishedOpen: Self.open(0))
        // Bars 1 and 2 were missed; 3 arrives from the stream.
        let out = s.streamed(Self.kline(3))
        #expect(published(out).isEmpty)
        #expect(backfills(out) == [Self.open(1)])
        // Another kline while the backfill is outstanding: buffered, no second request.
        let out4 = s.streamed(Self.kline(4))
        #expect(out4.isEmpty)
        #expect(s.pendingCount == 2)
        // The backfill delivers 1...3 (3 also buffered): published once each, then 4 from the buffer.
        #expect(published(s.backfilled([Self.kline(1), Self.kline(2), Self.kline(3)])) == [1, 2, 3, 4])
        #expect(s.backfillFinished().isEmpty)
        #expect(s.pendingCount == 0)
        #expect(s.statistics.holes == 1)
        #expect(published(s.streamed(Self.kline(5))) == [5])
    }

    @Test func anOpenKlinePastTheNextBarRevealsAMissedClose() {
        var s = KlineSequencer(symbol: "BTCUSDT", interval: Self.iv, lastPublishedOpen: Self.open(0))
        // The stream shows bar 2 in progress: bar 1 closed without our seeing its final update.
        #expect(backfills(s.streamed(Self.kline(2, closed: false))) == [Self.open(1)])
        #expect(published(s.backfilled([Self.kline(1)])) == [1])
        #expect(s.backfillFinished().isEmpty)
    }

    @Test func outOfOrderStreamKlinesComeOutInOrder() {
        var s = KlineSequencer(symbol: "BTCUSDT", interval: Self.iv, lastPublishedOpen: Self.open(0))
        var all: [Int64] = []
        for i: Int64 in [3, 2, 5, 1, 4] { all += published(s.streamed(Self.kline(i))) }
        #expect(all == [1, 2, 3, 4, 5])
        #expect(s.statistics.duplicates == 0)
    }

    @Test func reconnectBackfillsFromTheLastPublishedBar() {
        var s = KlineSequencer(symbol: "BTCUSDT", interval: Self.iv, lastPublishedOpen: Self.open(10))
        #expect(backfills(s.reconnected()) == [Self.open(11)])
        // A second reconnect while the backfill runs does not ask twice.
        #expect(s.reconnected().isEmpty)
        // Stream klines after the reconnect are buffered behind the backfill.
        #expect(published(s.streamed(Self.kline(14))).isEmpty)
        #expect(published(s.backfilled([Self.kline(11), Self.kline(12)])) == [11, 12])
        #expect(published(s.backfilled([Self.kline(13), Self.kline(14)])) == [13, 14])
        #expect(s.backfillFinished().isEmpty)
        #expect(s.statistics.duplicates == 1)
    }

    @Test func aHoleTheExchangeCannotFillIsRetriedOnceThenSkippedAndCounted() {
        var s = KlineSequencer(symbol: "BTCUSDT", interval: Self.iv, lastPublishedOpen: Self.open(0))
        #expect(backfills(s.streamed(Self.kline(4))) == [Self.open(1)])
        #expect(published(s.backfilled([Self.kline(1)])) == [1])
        // Bars 2 and 3 do not exist at the exchange: first finish asks again...
        #expect(backfills(s.backfillFinished()) == [Self.open(2)])
        #expect(published(s.backfilled([])).isEmpty)
        // ...the second skips the hole.
        #expect(published(s.backfillFinished()) == [4])
        #expect(s.statistics.exchangeGaps == 1)
        #expect(s.statistics.missingBars == 2)
        #expect(s.statistics.holeRetries == 1)
    }

    @Test func aHoleInsideABackfillPageIsAnExchangeGap() {
        var s = KlineSequencer(symbol: "BTCUSDT", interval: Self.iv, lastPublishedOpen: Self.open(0))
        #expect(backfills(s.reconnected()) == [Self.open(1)])
        #expect(published(s.backfilled([Self.kline(1), Self.kline(3)])) == [1])
        #expect(backfills(s.backfillFinished()) == [Self.open(2)])
        #expect(published(s.backfilled([Self.kline(3)])).isEmpty)
        #expect(published(s.backfillFinished()) == [3])
        #expect(s.statistics.exchangeGaps == 1)
    }

    @Test func aFailedBackfillKeepsTheBufferAndAsksAgain() {
        var s = KlineSequencer(symbol: "BTCUSDT", interval: Self.iv, lastPublishedOpen: Self.open(0))
        #expect(backfills(s.streamed(Self.kline(3))) == [Self.open(1)])
        s.backfillFailed()
        #expect(backfills(s.streamed(Self.kline(4))) == [Self.open(1)])
        #expect(published(s.backfilled([Self.kline(1), Self.kline(2)])) == [1, 2, 3, 4])
    }

    @Test func aFreshSeriesStartsAtItsFirstKline() {
        var s = KlineSequencer(symbol: "BTCUSDT", interval: Self.iv, lastPublishedOpen: nil)
        #expect(s.reconnected().isEmpty)
        #expect(published(s.backfilled([Self.kline(5), Self.kline(6)])) == [5, 6])
        #expect(published(s.streamed(Self.kline(7))) == [7])
    }

    @Test func otherSeriesAndMisalignedKlinesAreRefused() {
        var s = KlineSequencer(symbol: "BTCUSDT", interval: Self.iv, lastPublishedOpen: Self.open(0))
        #expect(s.streamed(Self.kline(1, symbol: "ETHUSDT")).isEmpty)
        #expect(s.streamed(Self.kline(1, interval: .oneMinute)).isEmpty)
        var odd = Self.kline(1)
        odd.openTime = odd.openTime.adding(milliseconds: 60_000)
        #expect(s.streamed(odd).isEmpty)
        #expect(s.statistics.wrongSeries == 2)
        #expect(s.statistics.misaligned == 1)
    }

    /// Any interleaving of a stream with drops and backfills that cover them publishes 1...N once each.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func randomInterleavingsPublishEveryBarExactlyOnce(seed: UInt64) {
        var rng = SplitMix(seed: seed)
        var s = KlineSequencer(symbol: "BTCUSDT", interval: Self.iv, lastPublishedOpen: Self.open(0))
        var all: [Int64] = []
        var requested: Timestamp?
        let n: Int64 = 200
        func run(_ outputs: [KlineSequencer.Output]) {
            all += published(outputs)
            if let t = backfills(outputs).first { requested = t }
        }
        for i in 1...n {
            if rng.next() % 7 != 0 { run(s.streamed(Self.kline(i, closed: false))) }
            if rng.next() % 5 != 0 { run(s.streamed(Self.kline(i))) }       // some closes are lost
            if rng.next() % 9 == 0 { run(s.streamed(Self.kline(i))) }       // some are repeated
            if rng.next() % 13 == 0 { run(s.reconnected()) }
            if let from = requested, rng.next() % 3 == 0 {
                requested = nil
                let first = (from.milliseconds - Self.base) / Self.iv.milliseconds
                if first <= i { run(s.backfilled((first...i).map { Self.kline($0) })) }
                run(s.backfillFinished())
            }
        }
        // Drain: a reconnect, and the exchange has everything up to n.
        run(s.reconnected())
        for _ in 0..<3 {
            if let from = requested {
                requested = nil
                let first = (from.milliseconds - Self.base) / Self.iv.milliseconds
                if first <= n { run(s.backfilled((first...n).map { Self.kline($0) })) }
                run(s.backfillFinished())
            }
        }
        #expect(all == Array(1...n))
        #expect(s.statistics.exchangeGaps == 0)
    }
}

private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
