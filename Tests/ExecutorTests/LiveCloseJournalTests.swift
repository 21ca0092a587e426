import Binance
import Domain
import ExecutorCore
import Foundation
import TestKit
import Testing
@testable import quorum_executor

/// What a live close writes and reads: the journal keeps a close intent's target across a restart
/// and journals the close decision in one transaction; Binance's order-list cancel answer maps to
/// our legs by `origClientOrderId`.
@Suite struct LiveCloseJournalTests {
    static let target = IntentID(milliseconds: 1_722_556_800_000, random: 7)
    static let signal = IntentID(milliseconds: 1_722_556_900_000, random: 8)

    static func intent(_ id: IntentID, side: Side = .buy, closes: IntentID? = nil, timeLimitBars: Int? = nil) -> TradeIntent {
        let bar = BarKey(symbol: "BTCUSDT", interval: .fiveMinutes, openTime: Timestamp(milliseconds: 1_722_556_800_000))
        return TradeIntent(
            id: id, bar: bar, side: side, division: "conservative", quantity: Decimal8("0.0015")!, referencePrice: Decimal8(60_000),
            takeProfit: Decimal8(61_000), stopLoss: Decimal8(59_000), createdAt: bar.closeTime, expiresAt: bar.closeTime.adding(milliseconds: 60_000),
            shadow: false, timeLimitBars: timeLimitBars, closesIntentID: closes
        )
    }

    static func temporaryJournal() throws -> (Journal, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-close-journal-\(UUID().uuidString.prefix(8))")
        return (try Journal(path: directory.appendingPathComponent("executor.sqlite").path), directory)
    }

    @Test("A close intent's target and an intent's time limit survive a restart (journal v4)")
    func closeIntentRoundTrips() async throws {
        let (journal, directory) = try Self.temporaryJournal()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try await journal.record(Self.intent(Self.target, timeLimitBars: 3), receivedAt: .zero))
        #expect(try await journal.record(Self.intent(Self.signal, side: .sell, closes: Self.target), receivedAt: .zero))
        let (intents, _) = try journal.load()
        #expect(intents.first { $0.id == Self.signal }?.closesIntentID == Self.target)
        #expect(intents.first { $0.id == Self.target }?.closesIntentID == nil)
        #expect(intents.first { $0.id == Self.target }?.timeLimitBars == 3)
    }

    @Test("The close decision is one transaction: the close row, the position and the close intent `closing`; the quantity is rewritten before sending")
    func closeDecisionIsJournaledAtOnce() async throws {
        let (journal, directory) = try Self.temporaryJournal()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try await journal.record(Self.intent(Self.target), receivedAt: .zero)
        _ = try await journal.record(Self.intent(Self.signal, side: .sell, closes: Self.target), receivedAt: .zero)
        let id = ClientOrderID.make(Self.target, .signal)
        var record = OrderRecord(clientOrderID: id, intentID: Self.target, leg: .signal,
                                 spec: OrderSpec(symbol: "BTCUSDT", side: .sell, kind: .market, quantity: Decimal8("0.0014985")!, clientOrderID: id),
                                 state: .journaled)
        try await journal.journalClose(record, closeIntent: Self.signal, at: Timestamp(milliseconds: 1))
        let statuses = try journal.intentStatuses()
        #expect(statuses[Self.target] == "closing" && statuses[Self.signal] == "closing")
        // A re-run (after a crash) keeps the row as it is.
        try await journal.journalClose(record, closeIntent: Self.signal, at: Timestamp(milliseconds: 2))
        record.spec.quantity = Decimal8("0.00079")!
        try await journal.updateSpec(record)
        let rows = try journal.loadOrders()
        #expect(rows.count == 1)
        #expect(rows.first?.leg == .signal && rows.first?.state == .journaled && rows.first?.spec.quantity == Decimal8("0.00079")!)
        #expect(rows.first?.spec.kind == .market && rows.first?.spec.side == .sell)
        #expect(ClientOrderID.parse(id)?.0 == Self.target && ClientOrderID.parse(id)?.1 == .signal)
        #expect(ClientOrderID.parse(ClientOrderID.make(Self.target, .timeLimit))?.1 == .timeLimit)
    }

    @Test("Binance's order-list cancel answer: each report is applied to our leg (origClientOrderId), CANCELED, what it executed")
    func orderListCancelAnswerMapsToTheLegs() throws {
        guard let shared = RepositoryPaths.shared else {
            print("skipped: \(RepositoryPaths.sharedMissingReason ?? "../shared is absent"): no Binance fixtures")
            return
        }
        let bytes = try Data(contentsOf: shared.appendingPathComponent("fixtures/binance/rest_orderList_cancel_response.json"))
        let list = try BinanceDecoder.orderList(Array(bytes))
        #expect(list.listOrderStatus == "ALL_DONE" && list.orderReports.count == 2)
        let observations = list.orderReports.map { OrderObservation($0, source: .answer) }
        // `clientOrderId` is the cancel request's own id; the legs are named by `origClientOrderId`.
        #expect(observations.map(\.clientOrderID) == ["pO9ufTiFGg3nw2fOdgeOXa", "TXOvglzXuaubXAaENpaRCB"])
        #expect(observations.allSatisfy { $0.state == .canceled && $0.executedQuantity == .zero })
    }
}
