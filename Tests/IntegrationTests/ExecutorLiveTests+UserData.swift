import Binance
import BinanceClient
import Domain
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestKit
import Testing
import Wire

extension Integration {
/// The live Executor's fills from the user-data stream (the WebSocket API subscription at the
/// simulator's /ws-api/v3), with REST polling as the fallback: a fill learned from the stream with
/// no REST order query; a resubscription after the connection drops (gap, one resync poll); the
/// simulator losing every user-data event (the fallback queries finish the trade, nothing doubled
/// or lost); and a stream that never comes up (polling, heartbeat `degraded`).
@Suite struct ExecutorUserDataTests {
    /// A: take-profit 0.1 % above the ask, the stop far below: it exits at the take-profit after a
    /// few simulated minutes.
    static func quickTakeProfit(_ h: LiveExecutorHarness) async throws -> TradeIntent {
        let ask = try await h.client.bookTicker(symbol: "BTCUSDT").askPrice
        return h.intent(quantity: "0.00150", reference: ask, takeProfit: ask.multiplied(by: Decimal8("1.001")!), stopLoss: ask.multiplied(by: Decimal8("0.9")!))
    }

    /// Steps the simulator's clock a minute at a time until the intent's exit is reported.
    static func runToExit(_ h: LiveExecutorHarness, _ intent: TradeIntent, instance: String, log: () -> String) async throws -> Int {
        var steps = 0
        do {
            try await poll("the exit of \(intent.id) reported", timeout: 60, every: .milliseconds(50)) {
                if h.bus.report(intent.id, "t") != nil || h.bus.report(intent.id, "s") != nil { return true }
                if steps < 2_000 { steps += 1; try await h.advance(ms: 60_000) }
                return false
            }
        } catch {
            throw SuiteHarness.HarnessError("\(error)\nheartbeat: \(h.bus.heartbeat(instance)?.counters ?? [:])\n\(log().suffix(3000))")
        }
        return steps
    }

    /// Every client order id once at the simulator, nothing open, and the journal's money equal to
    /// the account's change.
    static func expectNothingDoubledOrLost(_ h: LiveExecutorHarness, _ intents: [TradeIntent], before: AccountInfo) async throws {
        let orders = try await h.client.allOrders(symbol: "BTCUSDT")
        var byClientID: [String: Int] = [:]
        for order in orders { byClientID[order.clientOrderID, default: 0] += 1 }
        #expect(byClientID.filter { $0.value > 1 }.isEmpty, "duplicate orders: \(byClientID)")
        for intent in intents {
            for leg in ["e", "t", "s"] { #expect(byClientID["q\(intent.id.rawValue)-\(leg)"] == 1, "q\(intent.id.rawValue)-\(leg) missing") }
        }
        #expect(try await h.client.openOrders(symbol: "BTCUSDT").isEmpty)
        let rows = try h.journalOrders()
        for order in orders {
            let expected = order.status == "FILLED" ? "filled" : order.status == "EXPIRED" ? "expired" : order.status == "CANCELED" ? "canceled" : "open"
            #expect(rows[order.clientOrderID]?.state == expected, "\(order.clientOrderID): journal \(String(describing: rows[order.clientOrderID])) vs \(order.status ?? "?")")
        }
        let after = try await h.client.account()
        let (quote, base, pnl) = try h.journalMoney()
        let usdt = after.balance("USDT")!.free + after.balance("USDT")!.locked - before.balance("USDT")!.free - before.balance("USDT")!.locked
        let btc = (after.balance("BTC").map { $0.free + $0.locked } ?? .zero) - (before.balance("BTC").map { $0.free + $0.locked } ?? .zero)
        #expect(quote == usdt && pnl == usdt, "journal quote \(quote), P&L \(pnl) vs account \(usdt)")
        #expect(base == btc, "journal base dust \(base) vs account \(btc)")
    }

    func counters(_ h: LiveExecutorHarness, _ instance: String) -> [String: UInt64] { h.bus.heartbeat(instance)?.counters ?? [:] }

    /// (a) The entry's answer, the OCO list's answer and then the stream: the take-profit's fill
    /// and its sibling's expiry arrive as executionReports and the exit is reported without one
    /// REST order or trade query (safety poll off). Then the simulator drops the connection: the
    /// client resubscribes, reports the gap, and the Executor polls everything once.
    @Test func fillsArriveThroughTheStreamWithoutAnOrderQuery() async throws {
        let h = try LiveExecutorHarness(name: "exec-uds")
        defer { h.stopAll() }
        try await h.startBusAndSimulator()
        let executor = try h.startExecutor(instance: "executor-1", pollMs: 100, exitMode: "oco",
                                           environment: ["SAFETY_POLL_MS": "3600000", "POLL_FALLBACK_MS": "10000"])
        try await poll("the executor reconciled on the stream", timeout: 30) {
            let c = counters(h, "executor-1")
            return c["reconciled"] == 1 && c["user_data_up"] == 1
        }
        #expect(h.bus.heartbeat("executor-1")?.status == "ok")
        let before = try await h.client.account()
        let a = try await Self.quickTakeProfit(h)
        try await h.publishUntilAcked(a)
        #expect(h.bus.ack(a.id)?.status == "accepted")
        let steps = try await Self.runToExit(h, a, instance: "executor-1") { executor.log }
        #expect(h.bus.report(a.id, "t") != nil, "A should exit at its take-profit")
        try await poll("the exit's counters in a heartbeat", timeout: 10) { (counters(h, "executor-1")["fills_live_take_profit"] ?? 0) >= 1 }
        let c = counters(h, "executor-1")
        print("executor-uds: exit after \(steps) simulated minutes; counters: " + ["user_data_execution_reports", "user_data_list_status", "order_updates_stream",
              "order_updates_answer", "order_updates_query", "rest_order_queries", "rest_trade_queries", "fallback_queries"].map { "\($0)=\(c[$0] ?? 0)" }.joined(separator: " "))
        #expect((c["order_updates_stream"] ?? 0) >= 2, "the take-profit's fill and the stop's expiry come from the stream")
        for name in ["rest_order_queries", "order_updates_query", "rest_trade_queries", "fallback_polls", "fallback_queries"] {
            #expect((c[name] ?? 0) == 0, "\(name): an order was asked about by REST: \(c)")
        }
        #expect((c["user_data_list_status"] ?? 0) >= 1 && (c["user_data_account_events"] ?? 0) >= 1)
        try await Self.expectNothingDoubledOrLost(h, [a], before: before)

        // The connection drops: resubscribed, a gap reported, one resync poll; healthy again.
        try await h.simAdmin("/sim/faults", body: #"{"dropStreams": true}"#)
        try await poll("a resubscription after the drop", timeout: 20) {
            let c = counters(h, "executor-1")
            return (c["user_data_gaps"] ?? 0) >= 1 && (c["resync_polls"] ?? 0) >= 1 && c["user_data_up"] == 1
                && h.bus.heartbeat("executor-1")?.status == "ok"
        }
        #expect((counters(h, "executor-1")["user_data_reconnects"] ?? 0) >= 1)
        #expect(executor.isRunning)
    }

    /// (b) The simulator loses every user-data event from the start of the trade: no event
    /// confirms the orders the Executor placed, so after `POLL_FALLBACK_MS` it queries them (and
    /// again every interval) and finishes the trade from the answers: no duplicate, nothing lost,
    /// the journal equal to the account.
    @Test func lostEventsAreMadeUpByTheFallbackPoll() async throws {
        let h = try LiveExecutorHarness(name: "exec-uds-drop")
        defer { h.stopAll() }
        try await h.startBusAndSimulator()
        let executor = try h.startExecutor(instance: "executor-1", pollMs: 50, exitMode: "oco",
                                           environment: ["SAFETY_POLL_MS": "3600000", "POLL_FALLBACK_MS": "200"])
        try await poll("the executor reconciled on the stream", timeout: 30) {
            let c = counters(h, "executor-1")
            return c["reconciled"] == 1 && c["user_data_up"] == 1
        }
        try await h.fault(["dropUserDataEvents": 1_000_000])
        let before = try await h.client.account()
        let a = try await Self.quickTakeProfit(h)
        try await h.publishUntilAcked(a)
        _ = try await Self.runToExit(h, a, instance: "executor-1") { executor.log }
        try await poll("the exit's counters in a heartbeat", timeout: 10) { (counters(h, "executor-1")["fills_live_take_profit"] ?? 0) >= 1 }
        let c = counters(h, "executor-1")
        print("executor-uds-drop: counters: " + ["user_data_execution_reports", "fallback_queries", "order_updates_query", "order_updates_stream"]
              .map { "\($0)=\(c[$0] ?? 0)" }.joined(separator: " "))
        #expect((c["user_data_execution_reports"] ?? 0) == 0, "the simulator should have dropped every event")
        #expect((c["fallback_queries"] ?? 0) >= 1 && (c["order_updates_query"] ?? 0) >= 1, "\(c)")
        #expect((c["rest_trade_queries"] ?? 0) >= 1, "the take-profit's commissions come from myTrades: \(c)")

        // Events again, but the first one after B's exits rest is lost: the stop's EXPIRED when
        // the take-profit fills. The list's ALL_DONE and the take-profit's trade still come; the
        // leg the journal has open is queried after the fallback interval.
        try await h.simAdmin("/sim/faults", method: "DELETE")
        let b = try await Self.quickTakeProfit(h)
        try await h.publishUntilAcked(b)
        try await poll("B's take-profit confirmed by the stream", timeout: 20) {
            let c = counters(h, "executor-1")
            return try h.exitsOpen(b.id) && (c["user_data_list_status"] ?? 0) >= 1 && (c["user_data_execution_reports"] ?? 0) >= 4
        }
        let queriesBefore = counters(h, "executor-1")["fallback_queries"] ?? 0
        let streamedBefore = counters(h, "executor-1")["order_updates_stream"] ?? 0
        try await h.fault(["dropUserDataEvents": 1])
        _ = try await Self.runToExit(h, b, instance: "executor-1") { executor.log }
        try await poll("B's exit counted", timeout: 10) { (counters(h, "executor-1")["fills_live_take_profit"] ?? 0) >= 2 }
        let c2 = counters(h, "executor-1")
        #expect((c2["order_updates_stream"] ?? 0) > streamedBefore, "the take-profit's fill comes from the stream: \(c2)")
        #expect((c2["fallback_queries"] ?? 0) > queriesBefore, "the stop's expiry comes from a fallback query: \(c2)")
        try await Self.expectNothingDoubledOrLost(h, [a, b], before: before)
        #expect(executor.isRunning)
    }

    /// A stream that never comes up (nothing listens at WS_API_URL): the Executor polls REST every
    /// POLL_MS, the entry fills and its exits rest at the exchange, and the heartbeat says
    /// `degraded` (counter `degraded_user_data_down`).
    @Test func withoutTheStreamItPollsAndSaysDegraded() async throws {
        let h = try LiveExecutorHarness(name: "exec-uds-down")
        defer { h.stopAll() }
        try await h.startBusAndSimulator()
        let executor = try h.startExecutor(instance: "executor-1", pollMs: 50, exitMode: "oco",
                                           environment: ["WS_API_URL": "ws://127.0.0.1:\(freeLocalPort())/ws-api/v3"])
        try await poll("a degraded heartbeat while polling", timeout: 40) {
            let c = counters(h, "executor-1")
            return c["reconciled"] == 1 && c["degraded_user_data_down"] == 1 && (c["fallback_polls"] ?? 0) >= 1
                && h.bus.heartbeat("executor-1")?.status == "degraded"
        }
        let a = try await Self.quickTakeProfit(h)
        try await h.publishUntilAcked(a)
        #expect(h.bus.ack(a.id)?.status == "accepted")
        try await poll("A's exits resting", timeout: 20) { try h.exitsOpen(a.id) }
        #expect(counters(h, "executor-1")["user_data_up"] == 0)
        #expect(executor.log.contains("degraded"))
        #expect(executor.isRunning)
    }
}
}

extension LiveExecutorHarness {
    /// A request to the simulator's admin API with a raw JSON body.
    func simAdmin(_ path: String, method: String = "POST", body: String = "") async throws {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(simPort)\(path)")!)
        request.httpMethod = method
        request.httpBody = Data(body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "content-type")
        _ = try await URLSession.shared.data(for: request)
    }
}
