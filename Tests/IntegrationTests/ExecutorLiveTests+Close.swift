import Binance
import BinanceClient
import Domain
import Foundation
import TestKit
import Testing
import Wire

/// The live Executor closing positions on demand against the simulator: a close intent (exit
/// signal) and a time limit cancel the exchange-side exits and sell the rest at market, reported
/// with `exit_reason` signal / time_limit and the journal's P&L equal to the account; close intents
/// with no position are refused; and SIGKILL at every phase of a close loses and doubles nothing.
extension Integration.ExecutorLiveTests {
    /// The journal's quote change and summed realized P&L against the simulator's account since `before`.
    static func expectJournalMatchesAccount(_ h: LiveExecutorHarness, before: AccountInfo, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let after = try await h.client.account()
        let (quote, base, pnl) = try h.journalMoney()
        let usdt = after.balance("USDT")!.free + after.balance("USDT")!.locked - before.balance("USDT")!.free - before.balance("USDT")!.locked
        let btc = (after.balance("BTC").map { $0.free + $0.locked } ?? .zero) - (before.balance("BTC").map { $0.free + $0.locked } ?? .zero)
        #expect(quote == usdt, "journal quote change \(quote) vs account \(usdt)", sourceLocation: sourceLocation)
        #expect(pnl == usdt, "sum of realized P&L \(pnl) vs account \(usdt)", sourceLocation: sourceLocation)
        #expect(base == btc, "journal base dust \(base) vs account \(btc)", sourceLocation: sourceLocation)
        #expect(try await h.client.openOrders(symbol: "BTCUSDT").isEmpty, "open orders left", sourceLocation: sourceLocation)
    }

    /// (a) An exit signal on an open position: its exits are cancelled at the simulator, a MARKET
    /// SELL of the rest fills, the exit is reported `signal`, the journal equals the account. (c)
    /// Close intents for that now closed position and for a position that never existed: refused
    /// with a reason, nothing sent.
    @Test(arguments: ["oco", "limit+watch"])
    func closeIntentCancelsTheExitsAndSellsAtMarket(exitMode: String) async throws {
        let h = try LiveExecutorHarness(name: "exec-close")
        defer { h.stopAll() }
        try await h.startBusAndSimulator()
        let executor = try h.startExecutor(instance: "executor-1", exitMode: exitMode)
        let before = try await h.client.account()
        let ask = try await h.client.bookTicker(symbol: "BTCUSDT").askPrice
        // Levels far away: only the signal closes it.
        let a = h.intent(quantity: "0.00150", reference: ask, takeProfit: ask.multiplied(by: Decimal8("1.5")!), stopLoss: ask.multiplied(by: Decimal8("0.5")!))
        try await h.publishUntilAcked(a)
        #expect(h.bus.ack(a.id)?.status == "accepted")
        do {
            try await poll("A's exits open", timeout: 30) { try h.exitsOpen(a.id) }
        } catch {
            throw SuiteHarness.HarnessError("\(error)\n\(executor.log.suffix(3000))")
        }
        let close = h.closeIntent(for: a)
        try await h.publishUntilAcked(close)
        #expect(h.bus.ack(close.id)?.status == "accepted", "\(String(describing: h.bus.ack(close.id)))")
        do {
            try await poll("A's exit reported", timeout: 30) { h.bus.report(a.id, "s") != nil }
        } catch {
            let orders = (try? await h.client.allOrders(symbol: "BTCUSDT").map { "\($0.clientOrderID) \($0.type ?? "") \($0.status ?? "")" }) ?? []
            throw SuiteHarness.HarnessError("\(error)\norders: \(orders)\n\(executor.log.suffix(3000))")
        }
        let report = try #require(h.bus.report(a.id, "s"))
        #expect(report.exitReason == "signal")
        #expect(report.clientOrderID == "q\(a.id.rawValue)-g")
        #expect(report.shadow == false)

        // At the simulator: the exits cancelled, one MARKET SELL filled for what the exits held.
        let tp = try await h.client.queryOrder(symbol: "BTCUSDT", clientOrderID: "q\(a.id.rawValue)-t")
        #expect(tp.status == "CANCELED" && tp.executedQuantity == Decimal8.zero)
        if exitMode == "oco" {
            let stop = try await h.client.queryOrder(symbol: "BTCUSDT", clientOrderID: "q\(a.id.rawValue)-s")
            #expect(stop.status == "CANCELED" || stop.status == "EXPIRED", "\(stop.status ?? "?")")
        }
        let sell = try await h.client.queryOrder(symbol: "BTCUSDT", clientOrderID: "q\(a.id.rawValue)-g")
        #expect(sell.status == "FILLED" && sell.type == "MARKET" && sell.side == "SELL")
        #expect(sell.executedQuantity == tp.originalQuantity, "the close sold \(String(describing: sell.executedQuantity)), the exits held \(String(describing: tp.originalQuantity))")
        #expect(Decimal8(report.quantity) == sell.executedQuantity)
        try await Self.expectJournalMatchesAccount(h, before: before)
        #expect(try h.exitLegs(a.id) == ["g"])
        #expect(try h.intentStatus(close.id)?.status == "closed")

        // (c) No position: the same position again, and one that never existed. Nothing sent.
        let ordersBefore = try await h.client.allOrders(symbol: "BTCUSDT").count
        let again = h.closeIntent(for: a)
        let ghost = h.closeIntent(for: h.intent(quantity: "0.001", reference: ask, takeProfit: ask + Decimal8(100), stopLoss: ask - Decimal8(100)))
        for intent in [again, ghost] {
            try await h.publishUntilAcked(intent)
            let ack = h.bus.ack(intent.id)
            #expect(ack?.status == "rejected" && ack?.reason.contains("no open position for \(intent.closesIntentID!)") == true, "\(String(describing: ack))")
        }
        #expect(try await h.client.findOrder(symbol: "BTCUSDT", clientOrderID: "q\(ghost.closesIntentID!.rawValue)-g") == nil)
        #expect(try await h.client.allOrders(symbol: "BTCUSDT").count == ordersBefore, "a refused close sent an order")
        print("executor-live close (\(exitMode)): refusals: " + [again, ghost].map { h.bus.ack($0.id)?.reason ?? "?" }.joined(separator: " | "))
        try await poll("the close counters in a heartbeat", timeout: 10) {
            let c = h.bus.heartbeat("executor-1")?.counters ?? [:]
            return c["close_intents_accepted"] == 1 && c["close_intents_rejected"] == 2 && c["closes_done"] == 1
        }
        #expect(executor.isRunning)
    }

    /// A close intent that arrives after the take-profit filled at the exchange but before the
    /// Executor learnt it (no stream, no poll for a minute): the list's cancel answers -2011, the
    /// legs are queried, the take-profit is found filled, and nothing is sold: the exit is reported
    /// as the take-profit and the close intent is finished with that reason. Never sold twice.
    @Test func closeAfterTheTakeProfitFilledSellsNothing() async throws {
        let h = try LiveExecutorHarness(name: "exec-close-moot")
        defer { h.stopAll() }
        try await h.startBusAndSimulator()
        let executor = try h.startExecutor(instance: "executor-1", pollMs: 60_000, exitMode: "oco", environment: ["USER_DATA": "poll"])
        let before = try await h.client.account()
        let ask = try await h.client.bookTicker(symbol: "BTCUSDT").askPrice
        let a = h.intent(quantity: "0.00150", reference: ask, takeProfit: ask.multiplied(by: Decimal8("1.001")!), stopLoss: ask.multiplied(by: Decimal8("0.9")!))
        try await h.publishUntilAcked(a)
        try await poll("A's exits open", timeout: 30) { try h.exitsOpen(a.id) }
        try await poll("A's take-profit filled at the simulator", timeout: 60, every: .milliseconds(20)) {
            if try await h.client.queryOrder(symbol: "BTCUSDT", clientOrderID: "q\(a.id.rawValue)-t").status == "FILLED" { return true }
            try await h.advance(ms: 60_000)
            return false
        }
        #expect(try h.exitsOpen(a.id), "the executor learnt the fill before the close intent: the test shows nothing")
        let close = h.closeIntent(for: a)
        try await h.publishUntilAcked(close)
        #expect(h.bus.ack(close.id)?.status == "accepted")
        do {
            try await poll("A's exit reported", timeout: 30) { h.bus.report(a.id, "t") != nil || h.bus.report(a.id, "s") != nil }
        } catch {
            throw SuiteHarness.HarnessError("\(error)\n\(executor.log.suffix(3000))")
        }
        #expect(h.bus.report(a.id, "t")?.exitReason == "take_profit")
        #expect(h.bus.report(a.id, "s") == nil)
        #expect(try await h.client.findOrder(symbol: "BTCUSDT", clientOrderID: "q\(a.id.rawValue)-g") == nil, "a close order was sent")
        try await Self.expectJournalMatchesAccount(h, before: before)
        #expect(try h.exitLegs(a.id) == ["t"])
        let status = try h.intentStatus(close.id)
        #expect(status?.status == "closed" && status?.reason.contains("nothing sold") == true, "\(String(describing: status))")
        try await poll("the moot close counted", timeout: 10) {
            let c = h.bus.heartbeat("executor-1")?.counters ?? [:]
            return c["closes_moot"] == 1 && c["cancels_unknown_order"] == 1
        }
    }

    /// The close under faults: the take-profit's cancel answered 429 (Retry-After 1 s: nothing is
    /// sent until it has passed, then the cancel is retried), and the close MARKET SELL executed but
    /// answered 503 (the status unknown: it is looked up by client order id, found filled, never
    /// resent). Exactly one close order, the journal equal to the account.
    @Test func closeWaitsOutARateLimitAndResolvesAnUnknownStatus() async throws {
        let h = try LiveExecutorHarness(name: "exec-close-faults")
        defer { h.stopAll() }
        try await h.startBusAndSimulator()
        // No background polling: the faults hit the close's own requests.
        let executor = try h.startExecutor(instance: "executor-1", pollMs: 60_000, exitMode: "limit+watch")
        let before = try await h.client.account()
        let ask = try await h.client.bookTicker(symbol: "BTCUSDT").askPrice
        let a = h.intent(quantity: "0.00150", reference: ask, takeProfit: ask.multiplied(by: Decimal8("1.5")!), stopLoss: ask.multiplied(by: Decimal8("0.5")!))
        try await h.publishUntilAcked(a)
        try await poll("A's take-profit open", timeout: 30) { try h.exitsOpen(a.id) }
        // From here the test sends the simulator nothing until the exit is reported (a 429 is anyone's).
        try await h.fault(["http429": 1, "http429RetryAfter": 1, "http5xxAfterExecute": 1])
        let close = h.closeIntent(for: a)
        try await h.publishUntilAcked(close)
        #expect(h.bus.ack(close.id)?.status == "accepted")
        do {
            try await poll("A's exit reported", timeout: 30) { h.bus.report(a.id, "s") != nil }
        } catch {
            throw SuiteHarness.HarnessError("\(error)\nheartbeat: \(h.bus.heartbeat("executor-1")?.counters ?? [:])\n\(executor.log.suffix(3000))")
        }
        #expect(h.bus.report(a.id, "s")?.exitReason == "signal")
        let orders = try await h.client.allOrders(symbol: "BTCUSDT")
        let closes = orders.filter { $0.clientOrderID == "q\(a.id.rawValue)-g" }
        #expect(closes.count == 1 && closes.first?.status == "FILLED", "\(closes.map { $0.status ?? "?" })")
        #expect(orders.first { $0.clientOrderID == "q\(a.id.rawValue)-t" }?.status == "CANCELED")
        try await Self.expectJournalMatchesAccount(h, before: before)
        try await poll("the faults in a heartbeat", timeout: 10) {
            let c = h.bus.heartbeat("executor-1")?.counters ?? [:]
            return (c["orders_rate_limited"] ?? 0) >= 1 && (c["orders_unknown"] ?? 0) >= 1 && c["closes_done"] == 1
        }
        #expect(executor.isRunning)
    }

    /// (b) A position with a time limit of 2 bars: nothing happens until the simulator's second
    /// bar after the entry closes (its kline published on the bus, as the Collector does); then its
    /// exits are cancelled and the rest sold at market, reported `time_limit`.
    @Test func timeLimitClosesThePositionAfterNBars() async throws {
        let h = try LiveExecutorHarness(name: "exec-timelimit")
        defer { h.stopAll() }
        try await h.startBusAndSimulator()
        let executor = try h.startExecutor(instance: "executor-1", exitMode: "oco")
        let before = try await h.client.account()
        let ask = try await h.client.bookTicker(symbol: "BTCUSDT").askPrice
        let a = h.intent(quantity: "0.00150", reference: ask, takeProfit: ask.multiplied(by: Decimal8("1.5")!), stopLoss: ask.multiplied(by: Decimal8("0.5")!),
                         timeLimitBars: 2)
        try await h.publishUntilAcked(a)
        try await poll("A's exits open", timeout: 30) { try h.exitsOpen(a.id) }
        var steps = 0
        do {
            try await poll("A's time-limit exit", timeout: 60, every: .milliseconds(100)) {
                if h.bus.report(a.id, "s") != nil { return true }
                if steps < 60 {
                    steps += 1
                    try await h.advance(ms: 60_000)
                    try await h.publishClosedKlines(from: a.bar.openTime)
                }
                return false
            }
        } catch {
            throw SuiteHarness.HarnessError("\(error)\nheartbeat: \(h.bus.heartbeat("executor-1")?.counters ?? [:])\n\(executor.log.suffix(3000))")
        }
        let report = try #require(h.bus.report(a.id, "s"))
        #expect(report.exitReason == "time_limit")
        #expect(report.clientOrderID == "q\(a.id.rawValue)-x")
        // Bar 1 is the bar after the intent's (the entry filled in the intent's own bar): the close
        // comes once bar 2 has closed, i.e. at or after the open of bar 3, within the steps that follow.
        let sell = try await h.client.queryOrder(symbol: "BTCUSDT", clientOrderID: "q\(a.id.rawValue)-x")
        let barThree = a.bar.openTime.adding(milliseconds: 3 * 300_000)
        let sold = try #require(sell.updateTime ?? sell.transactTime ?? sell.time)
        #expect(sold >= barThree && sold < barThree.adding(milliseconds: 300_000), "sold at \(sold), bar 3 opens at \(barThree)")
        #expect(sell.status == "FILLED" && sell.type == "MARKET" && sell.side == "SELL")
        let tp = try await h.client.queryOrder(symbol: "BTCUSDT", clientOrderID: "q\(a.id.rawValue)-t")
        #expect(tp.status == "CANCELED")
        try await Self.expectJournalMatchesAccount(h, before: before)
        #expect(try h.exitLegs(a.id) == ["x"])
        print("executor-live time limit: closed after \(steps) simulated minutes")
        #expect((h.bus.heartbeat("executor-1")?.counters["live_time_limits_ignored"]) == nil)
    }

    /// Kills the Executor with SIGKILL at each phase of a close (`close_journaled`, `cancel_sent`,
    /// `close_sent`; `EXECUTOR_CLOSE_CRASH_POINTS` kills, default 12: rounds of the three phases,
    /// the order rotated each round and the exit mode alternated, so each phase is hit both on the
    /// live path and while the restarted process resumes the close it left), each time with a
    /// position whose exits are open and a close intent for it on the bus, and restarts it: at the
    /// simulator no order twice and none lost, exactly one close per position, every position
    /// closed, and the journal equal to the account.
    @Test func killNineWhileClosingLosesAndDoublesNothing() async throws {
        let points = Int(ProcessInfo.processInfo.environment["EXECUTOR_CLOSE_CRASH_POINTS"] ?? "") ?? 12
        let phases = ["close_journaled", "cancel_sent", "close_sent"]
        let h = try LiveExecutorHarness(name: "exec-close-crash")
        defer { h.stopAll() }
        try await h.startBusAndSimulator()
        let before = try await h.client.account()
        let ask = try await h.client.bookTicker(symbol: "BTCUSDT").askPrice
        func next() -> TradeIntent {
            h.intent(quantity: "0.001", reference: ask, takeProfit: ask.multiplied(by: Decimal8("1.5")!), stopLoss: ask.multiplied(by: Decimal8("0.5")!))
        }
        var positions = [next()]
        var closes: [IntentID: TradeIntent] = [:]
        /// Publishes what the last position needs next (its entry, then a close intent once its exits are open).
        func drive() throws {
            if try !h.exitLegs(positions.last!.id).isEmpty { positions.append(next()) }
            let current = positions.last!
            if closes[current.id] == nil, try h.exitsOpen(current.id) { closes[current.id] = h.closeIntent(for: current) }
            h.publish(current)
            if let close = closes[current.id] { h.publish(close) }
        }
        var kills: [String: Int] = [:]
        let started = Date()
        for k in 0..<points {
            let round = k / phases.count
            let phase = phases[(k + round) % phases.count]
            let mode = round % 2 == 0 ? "oco" : "limit+watch"
            let process = try h.startExecutor(instance: "executor-\(k)", crashAt: "\(phase):1", pollMs: 250, exitMode: mode)
            let deadline = Date().addingTimeInterval(30)
            while process.isRunning {
                if Date() > deadline {
                    throw SuiteHarness.HarnessError("no kill at \(phase) within 30 s (point \(k))\n\(process.log.suffix(3000))")
                }
                try drive()
                try await Task.sleep(for: .milliseconds(20))
            }
            process.process.waitUntilExit()
            #expect(process.process.terminationReason == .uncaughtSignal && process.process.terminationStatus == SIGKILL,
                    "executor-\(k) ended without the hook's SIGKILL\n\(process.log.suffix(2000))")
            #expect(process.log.contains("crash hook: SIGKILL at phase \(phase)"), "executor-\(k) died elsewhere\n\(process.log.suffix(2000))")
            kills[phase, default: 0] += 1
        }
        // A last run without the hook finishes every close (the last position is closed too).
        let last = try h.startExecutor(instance: "executor-final", exitMode: "oco")
        try await poll("every position closed", timeout: 60, every: .milliseconds(50)) {
            let current = positions.last!
            if closes[current.id] == nil, try h.exitsOpen(current.id) { closes[current.id] = h.closeIntent(for: current) }
            h.publish(current)
            if let close = closes[current.id] { h.publish(close) }
            return try positions.allSatisfy { try !h.exitLegs($0.id).isEmpty }
        }
        last.stop()
        print("executor-close-crash: \(points) kills in \(String(format: "%.1f", Date().timeIntervalSince(started))) s over \(positions.count) positions; kills per phase: "
              + phases.map { "\($0) \(kills[$0] ?? 0)" }.joined(separator: ", "))
        for phase in phases { #expect((kills[phase] ?? 0) > 0, "no kill at \(phase)") }

        let orders = try await h.client.allOrders(symbol: "BTCUSDT")
        var byClientID: [String: Int] = [:]
        for order in orders { byClientID[order.clientOrderID, default: 0] += 1 }
        let duplicates = byClientID.filter { $0.value > 1 }
        #expect(duplicates.isEmpty, "duplicate orders at the simulator: \(duplicates)")
        var lost: [String] = []
        for position in positions {
            let id = position.id.rawValue
            for leg in ["e", "t", "g"] where byClientID["q\(id)-\(leg)"] == nil { lost.append("q\(id)-\(leg)") }
            #expect(byClientID["q\(id)-x"] == nil)
            let close = orders.first { $0.clientOrderID == "q\(id)-g" }
            #expect(close?.status == "FILLED" && close?.type == "MARKET", "\(id): close \(String(describing: close?.status))")
            let legs = try h.exitLegs(position.id)
            #expect(legs == ["g"], "\(id): exit reports \(legs)")
            if let request = closes[position.id] { #expect(try h.intentStatus(request.id)?.status == "closed") }
        }
        #expect(lost.isEmpty, "orders lost: \(lost)")
        try await Self.expectJournalMatchesAccount(h, before: before)
        let rows = try h.journalOrders()
        for order in orders {
            #expect(rows[order.clientOrderID]?.exchangeID == order.orderID, "\(order.clientOrderID): journal \(String(describing: rows[order.clientOrderID]))")
        }
        print("executor-close-crash: duplicates \(duplicates.count), lost \(lost.count), orders \(orders.count)")
    }
}
