import Domain
import ExecutorCore
import Testing
@testable import quorum_executor

/// The live exit report (``ExitSummary``): one report per position, the realized P&L always the
/// round trip's quote change, whichever orders sold the position.
@Suite struct ExitSummaryTests {
    static let intent = IntentID(milliseconds: 1_722_556_800_000, random: 7)

    private static func dec(_ text: String) -> Decimal8 { Decimal8(text)! }

    private static func order(_ leg: ClientOrderID.Leg, side: Side, kind: OrderSpec.Kind = .market, state: OrderRecord.State, executed: String = "0",
                              quote: String = "0", baseFee: String = "0", quoteFee: String = "0", at ms: Int64 = 0) -> OrderRecord {
        let id = ClientOrderID.make(intent, leg)
        return OrderRecord(
            clientOrderID: id, intentID: intent, leg: leg,
            spec: OrderSpec(symbol: "BTCUSDT", side: side, kind: kind, quantity: dec("0.00149"), clientOrderID: id),
            state: state, executedQuantity: dec(executed), cumulativeQuote: dec(quote), commissionBase: dec(baseFee),
            commissionQuote: dec(quoteFee), updatedAt: Timestamp(milliseconds: ms)
        )
    }

    /// 0.0015 BTC bought for 90 USDT, 0.0000015 BTC fee: 0.0014985 net, exits sized 0.00149.
    static let entry = order(.entry, side: .buy, state: .filled, executed: "0.0015", quote: "90", baseFee: "0.0000015", at: 1)

    @Test("A take-profit partly filled before the cancel, then the close: one combined report, leg signal, P&L the whole round trip")
    func partialTakeProfitThenClose() throws {
        let tp = Self.order(.takeProfit, side: .sell, kind: .limitMaker, state: .canceled, executed: "0.0007", quote: "42.7", quoteFee: "0.0427", at: 2)
        let stop = Self.order(.stop, side: .sell, kind: .stopLossLimit, state: .canceled, at: 2)
        let close = Self.order(.signal, side: .sell, state: .filled, executed: "0.00079", quote: "47.795", quoteFee: "0.047795", at: 3)
        let exit = try #require(ExitSummary.of(entry: Self.entry, exitLegs: [tp, stop], close: close))
        #expect(exit.leg == .signal)
        // (42.7 − 0.0427) + (47.795 − 0.047795) − 90 = 0.404505: the quote the account gained.
        #expect(exit.pnl == Self.dec("0.404505"))
        #expect(exit.fee == Self.dec("0.090495"))
        #expect(exit.records.reduce(Decimal8.zero) { $0 + $1.executedQuantity } == Self.dec("0.00149"))
        #expect(exit.records.first?.leg == .signal)
    }

    @Test("The time limit's close after nothing else sold: leg time_limit")
    func timeLimitClose() throws {
        let tp = Self.order(.takeProfit, side: .sell, kind: .limit, state: .canceled, at: 2)
        let close = Self.order(.timeLimit, side: .sell, state: .filled, executed: "0.00149", quote: "89.4", quoteFee: "0.0894", at: 3)
        let exit = try #require(ExitSummary.of(entry: Self.entry, exitLegs: [tp], close: close))
        #expect(exit.leg == .timeLimit && exit.pnl == Self.dec("-0.6894"))
    }

    @Test("A take-profit that filled in full before the cancel: the close sold nothing, the report is the take-profit's")
    func mootClose() throws {
        let tp = Self.order(.takeProfit, side: .sell, kind: .limitMaker, state: .filled, executed: "0.00149", quote: "91.0", quoteFee: "0.091", at: 2)
        let stop = Self.order(.stop, side: .sell, kind: .stopLossLimit, state: .expired, at: 2)
        let close = Self.order(.signal, side: .sell, state: .canceled, at: 3)
        let exit = try #require(ExitSummary.of(entry: Self.entry, exitLegs: [tp, stop], close: close))
        #expect(exit.leg == .takeProfit && exit.pnl == Self.dec("0.909"))
    }

    @Test("Only dust left and nothing sold: reported under the close, P&L minus the entry's cost")
    func dustOnly() throws {
        let close = Self.order(.signal, side: .sell, state: .canceled, at: 3)
        let exit = try #require(ExitSummary.of(entry: Self.entry, exitLegs: [], close: close))
        #expect(exit.leg == .signal && exit.pnl == Self.dec("-90") && exit.records.first?.leg == .signal)
    }

    @Test("No report while an exit order works, nor when nothing sold and no close gave up")
    func noReportYet() {
        let tp = Self.order(.takeProfit, side: .sell, kind: .limitMaker, state: .canceled, executed: "0.0007", quote: "42.7", at: 2)
        let working = Self.order(.signal, side: .sell, state: .journaled, at: 3)
        #expect(ExitSummary.of(entry: Self.entry, exitLegs: [tp], close: working) == nil)
        let rejected = Self.order(.takeProfit, side: .sell, kind: .limitMaker, state: .rejected, at: 2)
        #expect(ExitSummary.of(entry: Self.entry, exitLegs: [rejected], close: nil) == nil)
        let failed = Self.order(.signal, side: .sell, state: .rejected, at: 3)
        #expect(ExitSummary.of(entry: Self.entry, exitLegs: [rejected], close: failed) == nil)
    }
}
