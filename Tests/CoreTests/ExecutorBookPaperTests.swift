import Domain
import ExecutorCore
import Testing

/// Shadow fills against the L2 book: market entries walk the asks, take-profits fill when the bid
/// crosses them, stops walk the bids; fees and P&L exact; duplicates, expiry and waiting for a book.
@Suite struct ExecutorBookPaperTests {
    static func d(_ text: String) -> Decimal8 { Decimal8(text)! }
    static func level(_ p: String, _ q: String) -> PriceLevel { PriceLevel(price: d(p), quantity: d(q)) }

    static func book(_ ms: Int64, bids: [PriceLevel], asks: [PriceLevel]) -> BookSnapshot {
        BookSnapshot(symbol: "BTCUSDT", lastUpdateID: ms, eventTime: Timestamp(milliseconds: ms), bids: bids, asks: asks, isFull: false)
    }

    static func intent(_ n: UInt64, quantity: String = "0.3", tp: String = "102", sl: String = "98", expiresMs: Int64 = 10_000, shadow: Bool = true) -> TradeIntent {
        TradeIntent(
            id: IntentID(milliseconds: 1_000, random: n), bar: BarKey(symbol: "BTCUSDT", interval: .oneMinute, openTime: .zero), side: .buy,
            division: "conservative", quantity: d(quantity), referencePrice: d("100"), takeProfit: d(tp), stopLoss: d(sl),
            createdAt: .zero, expiresAt: Timestamp(milliseconds: expiresMs), shadow: shadow)
    }

    static func reports(_ outputs: [ExecutorCore.Output]) -> [ExecutionReport] {
        outputs.compactMap { if case .report(let r) = $0 { r } else { nil } }
    }

    static func acks(_ outputs: [ExecutorCore.Output]) -> [IntentAck] {
        outputs.compactMap { if case .ack(let a) = $0 { a } else { nil } }
    }

    @Test func marketEntryWalksTheAsksAndExitsFillOnTheBook() {
        var core = BookPaperCore(configuration: .init(feeRate: Self.d("0.001")))
        _ = core.handle(.book(Self.book(1_000, bids: [Self.level("99.9", "1")], asks: [Self.level("100", "0.1"), Self.level("100.5", "0.1"), Self.level("101", "5")])), now: .zero)
        let entry = Self.reports(core.handle(.intent(Self.intent(1)), now: .zero))
        // 0.1 × 100 + 0.1 × 100.5 + 0.1 × 101 = 30.15 → average 100.5; fee 0.03015.
        #expect(entry.count == 1)
        #expect(entry.first?.price == Self.d("100.5") && entry.first?.fee == Self.d("0.03015") && entry.first?.eventTime == Timestamp(milliseconds: 1_000))
        #expect(entry.first?.shadow == true && entry.first?.leg == .entry)
        // A bid below the take-profit: nothing. At it: the take-profit fills whole at its price.
        #expect(Self.reports(core.handle(.book(Self.book(2_000, bids: [Self.level("101.99", "1")], asks: [Self.level("102", "1")])), now: .zero)).isEmpty)
        let exit = Self.reports(core.handle(.book(Self.book(3_000, bids: [Self.level("102", "0.01")], asks: [Self.level("102.01", "1")])), now: .zero))
        #expect(exit.first?.leg == .takeProfit && exit.first?.price == Self.d("102"))
        // 30.6 − 30.15 − 0.03015 − 0.0306 = 0.38925
        #expect(exit.first?.fee == Self.d("0.0306") && exit.first?.realizedPnL == Self.d("0.38925"))
        #expect(core.openPositionCount == 0)
    }

    @Test func stopWalksTheBidsAndThinBooksFillAtTheWorstLevel() {
        var core = BookPaperCore(configuration: .init(feeRate: .zero))
        // Intent first: it waits for the first book.
        let first = core.handle(.intent(Self.intent(2, quantity: "1")), now: .zero)
        #expect(Self.acks(first).map(\.status) == [.accepted] && Self.reports(first).isEmpty)
        let entry = Self.reports(core.handle(.book(Self.book(1_000, bids: [Self.level("99", "1")], asks: [Self.level("100", "0.4")])), now: .zero))
        #expect(entry.first?.price == Self.d("100"), "the unfilled 0.6 fills at the worst shown ask")
        let stop = Self.reports(core.handle(.book(Self.book(2_000, bids: [Self.level("97", "0.5"), Self.level("96", "0.5")], asks: [Self.level("97.1", "1")])), now: .zero))
        #expect(stop.first?.leg == .stop && stop.first?.price == Self.d("96.5") && stop.first?.realizedPnL == Self.d("-3.5"))
    }

    @Test func duplicatesExpiryAndLiveIntentsAreRefused() {
        var core = BookPaperCore(configuration: .init())
        let intent = Self.intent(3)
        _ = core.handle(.intent(intent), now: .zero)
        #expect(Self.acks(core.handle(.intent(intent), now: .zero)).map(\.status) == [.duplicate])
        let late = core.handle(.intent(Self.intent(4, expiresMs: 10)), now: Timestamp(milliseconds: 11))
        #expect(Self.acks(late).map(\.status) == [.expired])
        let live = core.handle(.intent(Self.intent(5, shadow: false)), now: .zero)
        #expect(Self.acks(live).map(\.status) == [.rejected])
        // Waiting for a book past the expiry: expired, never filled.
        let expired = core.handle(.book(Self.book(20_000, bids: [Self.level("99", "1")], asks: [Self.level("100", "1")])), now: Timestamp(milliseconds: 20_000))
        #expect(Self.acks(expired).map(\.status) == [.expired] && Self.reports(expired).isEmpty)
        // After a restart the journal's ids are duplicates.
        var restarted = BookPaperCore(configuration: .init(), journal: [intent])
        #expect(Self.acks(restarted.handle(.intent(intent), now: .zero)).map(\.status) == [.duplicate])
    }

    static func closeIntent(_ n: UInt64, closes target: IntentID, barOpenMs: Int64, side: Side = .sell) -> TradeIntent {
        TradeIntent(
            id: IntentID(milliseconds: 2_000, random: n), bar: BarKey(symbol: "BTCUSDT", interval: .oneMinute, openTime: Timestamp(milliseconds: barOpenMs)),
            side: side, division: "conservative", quantity: d("0.3"), referencePrice: d("100"), takeProfit: .zero, stopLoss: .zero,
            createdAt: .zero, expiresAt: Timestamp(milliseconds: 10_000_000), shadow: true, closesIntentID: target)
    }

    /// A close intent sells the named position on the first book at or after the open of the bar
    /// after its own, walking the bids; it is reported under the position's id with leg `signal`.
    @Test func closeIntentWalksTheBidsAtTheNextBarsOpen() {
        var core = BookPaperCore(configuration: .init(feeRate: Self.d("0.001")))
        let position = Self.intent(10, quantity: "0.3", tp: "110", sl: "90")
        _ = core.handle(.intent(position), now: .zero)
        let entry = Self.reports(core.handle(.book(Self.book(1_000, bids: [Self.level("99.9", "1")], asks: [Self.level("100", "1")])), now: .zero))
        #expect(entry.map(\.leg) == [.entry])
        // Close on bar 60_000 (1m): it exits on the first book at or after 120_000.
        let close = core.handle(.intent(Self.closeIntent(1, closes: position.id, barOpenMs: 60_000)), now: .zero)
        #expect(Self.acks(close).map(\.status) == [.accepted] && Self.reports(close).isEmpty)
        #expect(Self.reports(core.handle(.book(Self.book(119_999, bids: [Self.level("101", "1")], asks: [Self.level("101.1", "1")])), now: .zero)).isEmpty)
        let exit = Self.reports(core.handle(.book(Self.book(120_000, bids: [Self.level("101", "0.1"), Self.level("100", "1")], asks: [Self.level("101.1", "1")])), now: .zero))
        // 0.1 × 101 + 0.2 × 100 = 30.1 → 100.33333333; fee 0.0301; P&L 30.1 − 30 − 0.03 − 0.0301 = 0.0399.
        #expect(exit.count == 1)
        #expect(exit.first?.leg == .signal && exit.first?.intentID == position.id && exit.first?.side == .sell)
        #expect(exit.first?.fee == Self.d("0.0301") && exit.first?.realizedPnL == Self.d("0.0399"))
        #expect(core.openPositionCount == 0)
        // Closing it again: nothing to close.
        let again = core.handle(.intent(Self.closeIntent(2, closes: position.id, barOpenMs: 120_000)), now: .zero)
        #expect(Self.acks(again).first?.status == .rejected && Self.acks(again).first?.reason.hasPrefix("no_position:") == true)
    }

    /// When the latest book is already past the exit time, the close sells at once; a close for an
    /// unknown or not-yet-entered position, or a BUY close, is refused and changes nothing.
    @Test func closeIntentSellsAtOnceOrIsRefused() {
        var core = BookPaperCore(configuration: .init(feeRate: .zero))
        let position = Self.intent(11, quantity: "1", tp: "110", sl: "90")
        _ = core.handle(.intent(position), now: .zero)
        let waiting = Self.intent(12, quantity: "1", tp: "110", sl: "90")
        _ = core.handle(.book(Self.book(1_000, bids: [Self.level("99", "5")], asks: [Self.level("100", "5")])), now: .zero)
        _ = core.handle(.book(Self.book(200_000, bids: [Self.level("102", "5")], asks: [Self.level("102.5", "5")])), now: .zero)
        let now = core.handle(.intent(Self.closeIntent(3, closes: position.id, barOpenMs: 60_000)), now: .zero)
        #expect(Self.acks(now).map(\.status) == [.accepted])
        #expect(Self.reports(now).first?.leg == .signal && Self.reports(now).first?.realizedPnL == Self.d("2"))
        let unknown = core.handle(.intent(Self.closeIntent(4, closes: IntentID(milliseconds: 1, random: 99), barOpenMs: 60_000)), now: .zero)
        #expect(Self.acks(unknown).first?.reason.hasPrefix("no_position:") == true)
        // An intent waiting for its entry (expired long ago here, so give it a fresh core).
        var fresh = BookPaperCore(configuration: .init(feeRate: .zero))
        _ = fresh.handle(.intent(waiting), now: .zero)
        let early = fresh.handle(.intent(Self.closeIntent(5, closes: waiting.id, barOpenMs: 0)), now: .zero)
        #expect(Self.acks(early).first?.status == .rejected && Self.acks(early).first?.reason.contains("not entered") == true)
        let buy = core.handle(.intent(Self.closeIntent(6, closes: position.id, barOpenMs: 60_000, side: .buy)), now: .zero)
        #expect(Self.acks(buy).first?.status == .rejected && Self.reports(buy).isEmpty)
    }

    /// Without any book, an entry cannot fill: the klines' beat expires it with a reason naming the
    /// missing feed, and an entry within its expiry keeps waiting.
    @Test func entriesWithoutABookExpireOnTheKlinesBeat() {
        var core = BookPaperCore(configuration: .init())
        _ = core.handle(.intent(Self.intent(20, expiresMs: 5_000)), now: .zero)
        _ = core.handle(.intent(Self.intent(21, expiresMs: 50_000)), now: .zero)
        #expect(core.expireWaiting(now: Timestamp(milliseconds: 4_000)).isEmpty)
        let out = core.expireWaiting(now: Timestamp(milliseconds: 6_000))
        #expect(Self.acks(out).map(\.status) == [.expired] && Self.acks(out).first?.intentID == Self.intent(20).id)
        #expect(Self.acks(out).first?.reason.contains("md.book.BTCUSDT.") == true)
        #expect(core.openPositionCount == 1)
    }
}
