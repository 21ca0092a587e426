import Binance
import BinanceClient
import Bus
import Domain
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import AsyncHTTPClient
import GRDB
import Logging
import Synchronization
import TestKit
import Testing
import Wire

extension Integration {
/// The real quorum-executor in live mode against the real exchange simulator (quorum-exchange-sim,
/// stepped clock) over a real quorum-bus, intents published on the bus as the RiskGate does
/// (re-published until acknowledged): entries and exits placed and filled, the journal's P&L equal
/// to the simulator's account, bad intents refused, keys never written anywhere; and the crash
/// test: SIGKILL at every phase of order placement, restart, zero duplicate and zero lost orders.
@Suite struct ExecutorLiveTests {
    /// Both exit modes: one OCO list (LIMIT_MAKER take-profit + STOP_LOSS_LIMIT, the default) and a
    /// take-profit LIMIT with a stop the executor watches.
    @Test(arguments: ["oco", "limit+watch"])
    func entriesAndExitsFillAndTheJournalMatchesTheAccount(exitMode: String) async throws {
        try await Self.entriesAndExits(exitMode: exitMode)
    }

    static func entriesAndExits(exitMode: String) async throws {
        let h = try LiveExecutorHarness(name: "exec-live")
        defer { h.stopAll() }
        try await h.startBusAndSimulator()
        let executor = try h.startExecutor(instance: "executor-1", exitMode: exitMode)
        let before = try await h.client.account()
        let ask = try await h.client.bookTicker(symbol: "BTCUSDT").askPrice

        // A: take-profit 0.1 % above (the stop far); B: stop 0.1 % below (the take-profit far).
        let a = h.intent(quantity: "0.00150", reference: ask, takeProfit: ask.multiplied(by: Decimal8("1.001")!), stopLoss: ask.multiplied(by: Decimal8("0.9")!))
        let b = h.intent(quantity: "0.00200", reference: ask, takeProfit: ask.multiplied(by: Decimal8("1.5")!), stopLoss: ask.multiplied(by: Decimal8("0.999")!))
        // C carries the shadow flag: paper only, even in live mode.
        var c = h.intent(quantity: "0.001", reference: ask, takeProfit: ask.multiplied(by: Decimal8("1.01")!), stopLoss: ask.multiplied(by: Decimal8("0.99")!))
        c.shadow = true
        for intent in [a, b, c] { try await h.publishUntilAcked(intent) }
        #expect(h.bus.ack(a.id)?.status == "accepted")
        #expect(h.bus.ack(c.id)?.status == "accepted")
        try await poll("both live entries reported", timeout: 30) { h.bus.report(a.id, "e") != nil && h.bus.report(b.id, "e") != nil }
        #expect(h.bus.report(a.id, "e")?.shadow == false)
        #expect(try await h.client.findOrder(symbol: "BTCUSDT", clientOrderID: "q\(c.id.rawValue)-e") == nil, "a shadow intent reached the exchange")
        // The exits are placed once the entry's fill is known.
        do {
            try await poll("A's take-profit at the exchange", timeout: 20) {
                (try? await h.client.findOrder(symbol: "BTCUSDT", clientOrderID: "q\(a.id.rawValue)-t")) != nil
            }
        } catch {
            throw SuiteHarness.HarnessError("\(error)\n\(executor.log.suffix(4000))")
        }
        let tpA = try await h.client.queryOrder(symbol: "BTCUSDT", clientOrderID: "q\(a.id.rawValue)-t")
        #expect(tpA.status == "NEW" && tpA.type == (exitMode == "oco" ? "LIMIT_MAKER" : "LIMIT") && tpA.side == "SELL")
        if exitMode == "oco" {
            let stopB = try await h.client.queryOrder(symbol: "BTCUSDT", clientOrderID: "q\(b.id.rawValue)-s")
            #expect(stopB.status == "NEW" && stopB.type == "STOP_LOSS_LIMIT" && stopB.side == "SELL")
        }

        // The market moves (the replay clock steps a minute at a time) until both have exited.
        var steps = 0
        do {
            try await poll("both exits reported", timeout: 120, every: .milliseconds(100)) {
                if h.bus.report(a.id, "t") != nil && (h.bus.report(b.id, "s") != nil || h.bus.report(b.id, "t") != nil) { return true }
                if steps < 3_000 { steps += 1; try await h.advance(ms: 60_000) }
                return false
            }
        } catch {
            let orders = (try? await h.client.allOrders(symbol: "BTCUSDT").map { "\($0.clientOrderID) \($0.type) \($0.status)" }) ?? []
            throw SuiteHarness.HarnessError("\(error)\norders: \(orders)\nheartbeat: \(h.bus.heartbeat("executor-1")?.counters ?? [:])\n\(executor.log.suffix(3000))")
        }
        print("executor-live: exits after \(steps) simulated minutes")
        #expect(h.bus.report(b.id, "s") != nil, "B should have been stopped out")

        // The journal against the simulator's account, exactly.
        let after = try await h.client.account()
        let (quote, base, pnl) = try h.journalMoney()
        let usdt = after.balance("USDT")!.free + after.balance("USDT")!.locked - before.balance("USDT")!.free - before.balance("USDT")!.locked
        let btc = (after.balance("BTC").map { $0.free + $0.locked } ?? .zero) - (before.balance("BTC").map { $0.free + $0.locked } ?? .zero)
        #expect(quote == usdt, "journal quote change \(quote) vs account \(usdt)")
        #expect(pnl == usdt, "sum of realized P&L \(pnl) vs account \(usdt)")
        #expect(base == btc, "journal base dust \(base) vs account \(btc)")
        #expect(try await h.client.openOrders(symbol: "BTCUSDT").isEmpty)

        // Bad input: refused with a reason, nothing sent, the service keeps running.
        let expired = h.intent(quantity: "0.001", reference: ask, takeProfit: ask + Decimal8(100), stopLoss: ask - Decimal8(100), expiresIn: -1_000)
        var unknown = h.intent(quantity: "0.001", reference: ask, takeProfit: ask + Decimal8(100), stopLoss: ask - Decimal8(100))
        unknown.bar.symbol = "FOOUSDT"
        let absurd = h.intent(quantity: "1000000", reference: ask, takeProfit: ask + Decimal8(100), stopLoss: ask - Decimal8(100))
        let inverted = h.intent(quantity: "0.001", reference: ask, takeProfit: ask - Decimal8(100), stopLoss: ask + Decimal8(100))
        for intent in [expired, unknown, absurd, inverted] { try await h.publishUntilAcked(intent) }
        #expect(h.bus.ack(expired.id)?.status == "expired")
        for intent in [unknown, absurd, inverted] {
            let ack = h.bus.ack(intent.id)
            #expect(ack?.status == "rejected" && ack?.reason.isEmpty == false, "\(String(describing: ack))")
        }
        print("executor-live: refusals: " + [expired, unknown, absurd, inverted].map { h.bus.ack($0.id)?.reason ?? "?" }.joined(separator: " | "))
        for intent in [expired, absurd, inverted] {
            #expect(try await h.client.findOrder(symbol: "BTCUSDT", clientOrderID: "q\(intent.id.rawValue)-e") == nil)
        }
        #expect(executor.isRunning)

        // The mode is in the heartbeat; the keys are nowhere: logs, heartbeats, journal.
        // ...with its fills from the user-data stream (USER_DATA=ws, the default), and healthy.
        try await poll("a live heartbeat on the stream", timeout: 10) {
            let hb = h.bus.heartbeat("executor-1")
            return hb?.counters["mode_live"] == 1 && hb?.counters["user_data_up"] == 1 && hb?.status == "ok"
        }
        #expect((h.bus.heartbeat("executor-1")?.counters["user_data_execution_reports"] ?? 0) > 0)
        executor.stop()
        let journalBytes = try Data(contentsOf: URL(fileURLWithPath: h.journalPath)) + ((try? Data(contentsOf: URL(fileURLWithPath: h.journalPath + "-wal"))) ?? Data())
        for secret in [LiveExecutorHarness.apiKey, LiveExecutorHarness.apiSecret] {
            #expect(!executor.log.contains(secret), "a key is in the executor's log")
            #expect(journalBytes.range(of: Data(secret.utf8)) == nil, "a key is in the journal")
            #expect(!h.bus.heartbeatText().contains(secret), "a key is in a heartbeat")
        }
        #expect(executor.log.contains("mode LIVE"))
    }

    /// A 5xx after the exchange executed the order, a 5xx before it did, and a 429 with Retry-After:
    /// each order is placed exactly once (found by client order id, or resent after -2013, or sent
    /// once the rate limit has passed), and the service keeps running.
    @Test func unknownStatusAndRateLimitsNeverDoubleAnOrder() async throws {
        let h = try LiveExecutorHarness(name: "exec-faults")
        defer { h.stopAll() }
        try await h.startBusAndSimulator()
        // No background polling: the faults hit the order requests.
        let executor = try h.startExecutor(instance: "executor-1", pollMs: 60_000)
        let ask = try await h.client.bookTicker(symbol: "BTCUSDT").askPrice
        func next() -> TradeIntent {
            h.intent(quantity: "0.001", reference: ask, takeProfit: ask.multiplied(by: Decimal8("1.5")!), stopLoss: ask.multiplied(by: Decimal8("0.5")!))
        }
        try await poll("the executor reconciled", timeout: 30) { h.bus.heartbeat("executor-1")?.counters["reconciled"] == 1 }
        var intents: [TradeIntent] = []
        for fault in [["http5xxAfterExecute": 1], ["http5xx": 1], ["http429": 1, "http429RetryAfter": 1]] as [[String: Int]] {
            try await h.fault(fault)
            let intent = next()
            intents.append(intent)
            try await h.publishUntilAcked(intent)
            #expect(h.bus.ack(intent.id)?.status == "accepted", "\(fault): \(String(describing: h.bus.ack(intent.id)))")
            try await poll("the take-profit of \(fault) open", timeout: 30) { try h.exitsOpen(intent.id) }
        }
        let orders = try await h.client.allOrders(symbol: "BTCUSDT")
        for intent in intents {
            for leg in ["e", "t"] {
                #expect(orders.filter { $0.clientOrderID == "q\(intent.id.rawValue)-\(leg)" }.count == 1, "\(intent.id) \(leg)")
            }
        }
        // The heartbeat (every 200 ms) shows what happened: two unknown statuses (one found, one
        // resent after -2013) and one rate-limited order.
        try await poll("the counters in a heartbeat", timeout: 10) {
            let c = h.bus.heartbeat("executor-1")?.counters ?? [:]
            return (c["orders_unknown"] ?? 0) >= 2 && (c["orders_resent_after_absence"] ?? 0) >= 1 && (c["orders_rate_limited"] ?? 0) >= 1
        }
        #expect(executor.isRunning)
    }

    /// `quorum order test` against the simulator: the Executor's rounding, one signed
    /// /api/v3/order/test, nothing placed; a quantity below the minimum is refused before sending,
    /// and a wrong secret is refused by the endpoint (-1022).
    @Test func quorumOrderTestSendsOneSignedTestOrder() async throws {
        let h = try LiveExecutorHarness(name: "order-test")
        defer { h.stopAll() }
        try await h.startBusAndSimulator()
        let quorum = RepositoryPaths.executable("quorum")
        func run(_ arguments: [String], secret: String = LiveExecutorHarness.apiSecret) async throws -> (Int32, String) {
            var environment = ProcessInfo.processInfo.environment
            environment["BINANCE_API_KEY"] = LiveExecutorHarness.apiKey
            environment["BINANCE_API_SECRET"] = secret
            let result = try await CommandRunner.run(quorum, ["order", "test"] + arguments + ["--base-url", "http://127.0.0.1:\(h.simPort)"], environment: environment)
            return (result.status, result.output)
        }
        let (status, output) = try await run(["--symbol", "BTCUSDT", "--side", "BUY", "--quantity", "0.0012345", "--price", "60000.123456"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("BUY LIMIT 0.00123 BTCUSDT @ 60000.12"), "\(output)")
        #expect(output.contains("result: accepted"), "\(output)")
        #expect(!output.contains(LiveExecutorHarness.apiSecret) && !output.contains(LiveExecutorHarness.apiKey))
        #expect(try await h.client.allOrders(symbol: "BTCUSDT").isEmpty, "a test order was placed")
        let (small, smallOutput) = try await run(["--quantity", "0.00001", "--price", "60000"])
        #expect(small != 0 && smallOutput.contains("refused before sending") && smallOutput.contains("NOTIONAL"), "\(smallOutput)")
        let (badKey, badKeyOutput) = try await run(["--quantity", "0.001"], secret: "wrong")
        #expect(badKey != 0 && badKeyOutput.contains("-1022"), "\(badKeyOutput)")
    }

    /// Kills the Executor with SIGKILL at `EXECUTOR_CRASH_POINTS` points (default 100), cycling
    /// through every phase of order placement, and restarts it each time: zero duplicate and zero
    /// lost orders at the simulator, and the journal agrees with it.
    @Test func killNineAtEveryPhaseLosesAndDoublesNothing() async throws {
        let points = Int(ProcessInfo.processInfo.environment["EXECUTOR_CRASH_POINTS"] ?? "") ?? 100
        let phases = ["received", "journaled", "sent", "updated", "exit_journaled", "exit_sent"]
        let h = try LiveExecutorHarness(name: "exec-crash")
        defer { h.stopAll() }
        try await h.startBusAndSimulator()
        let ask = try await h.client.bookTicker(symbol: "BTCUSDT").askPrice
        func next() -> TradeIntent {
            h.intent(quantity: "0.001", reference: ask, takeProfit: ask.multiplied(by: Decimal8("1.5")!), stopLoss: ask.multiplied(by: Decimal8("0.5")!))
        }
        var published: [TradeIntent] = []
        var current = next()
        published.append(current)
        var kills: [String: Int] = [:]
        let started = Date()
        for k in 0..<points {
            let phase = phases[k % phases.count]
            let process = try h.startExecutor(instance: "executor-\(k)", crashAt: "\(phase):1", pollMs: 250)
            let deadline = Date().addingTimeInterval(30)
            while process.isRunning {
                if Date() > deadline {
                    throw SuiteHarness.HarnessError("no kill at \(phase) within 30 s (point \(k))\n\(process.log.suffix(3000))")
                }
                if try h.exitsOpen(current.id) {
                    current = next()
                    published.append(current)
                }
                h.publish(current)
                try await Task.sleep(for: .milliseconds(20))
            }
            process.process.waitUntilExit()
            #expect(process.process.terminationReason == .uncaughtSignal && process.process.terminationStatus == SIGKILL,
                    "executor-\(k) ended without the hook's SIGKILL\n\(process.log.suffix(2000))")
            #expect(process.log.contains("crash hook: SIGKILL at phase \(phase)"), "executor-\(k) died elsewhere\n\(process.log.suffix(2000))")
            kills[phase, default: 0] += 1
        }
        // A last run without the hook finishes everything.
        let last = try h.startExecutor(instance: "executor-final")
        try await poll("every intent's exits open", timeout: 60, every: .milliseconds(50)) {
            h.publish(current)
            return try published.allSatisfy { try h.exitsOpen($0.id) }
        }
        last.stop()
        print("executor-crash: \(points) kills in \(String(format: "%.1f", Date().timeIntervalSince(started))) s over \(published.count) intents; kills per phase: "
              + phases.map { "\($0) \(kills[$0] ?? 0)" }.joined(separator: ", "))
        for phase in phases { #expect((kills[phase] ?? 0) > 0, "no kill at \(phase)") }

        // At the simulator: each client order id once (no duplicate), and every intent's entry and
        // take-profit present (none lost); the journal's rows agree.
        let orders = try await h.client.allOrders(symbol: "BTCUSDT")
        var byClientID: [String: Int] = [:]
        for order in orders { byClientID[order.clientOrderID, default: 0] += 1 }
        let duplicates = byClientID.filter { $0.value > 1 }
        #expect(duplicates.isEmpty, "duplicate orders at the simulator: \(duplicates)")
        var lost: [String] = []
        for intent in published {
            for leg in ["e", "t"] where byClientID["q\(intent.id.rawValue)-\(leg)"] == nil { lost.append("q\(intent.id.rawValue)-\(leg)") }
        }
        #expect(lost.isEmpty, "orders lost: \(lost)")
        #expect(orders.count == published.count * 2, "\(orders.count) orders for \(published.count) intents")
        let rows = try h.journalOrders()
        #expect(rows.count == published.count * 2)
        for order in orders {
            #expect(rows[order.clientOrderID]?.state == (order.status == "FILLED" ? "filled" : "open"), "\(order.clientOrderID): journal \(String(describing: rows[order.clientOrderID])) vs \(order.status ?? "?")")
            #expect(rows[order.clientOrderID]?.exchangeID == order.orderID)
        }
        print("executor-crash: duplicates \(duplicates.count), lost \(lost.count), orders \(orders.count)")
    }
}
}

/// Bus, simulator and executor processes for the live tests.
final class LiveExecutorHarness: @unchecked Sendable {
    static let apiKey = "quorumTestApiKey7x9QaZ"
    static let apiSecret = "quorumTestSecret3k5WsX"

    let directory: URL
    let frontend: String
    let backend: String
    let simPort: Int
    private(set) var processes: [String: ServiceProcess] = [:]
    let bus = ExecutorBusLog()
    let client: BinanceRESTClient
    private var context: BusContext?
    private var publisher: BusPublisher?
    private var subscriber: BusSubscriber?
    private var listener: Task<Void, Never>?
    private var counter: UInt64 = 0
    private var barOpen: Timestamp = .zero

    init(name: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-it-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        frontend = "tcp://127.0.0.1:\(freeLocalPort())"
        backend = "tcp://127.0.0.1:\(freeLocalPort())"
        simPort = freeLocalPort()
        for executable in ["quorum-bus", "quorum-exchange-sim", "quorum-executor"] {
            let path = RepositoryPaths.executable(executable).path
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw SuiteHarness.HarnessError("\(path) is missing: build it first (swift build --build-tests)")
            }
        }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        client = BinanceRESTClient(
            endpoints: .simulator(port: simPort), credentials: BinanceCredentials(apiKey: Self.apiKey, signingKey: .hmac(secret: Self.apiSecret)),
            policy: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(50)), httpClient: .shared, logger: logger)
    }

    var journalPath: String { directory.appendingPathComponent("data/executor.sqlite").path }

    func startBusAndSimulator() async throws {
        processes["bus"] = try ServiceProcess(name: "bus", executable: RepositoryPaths.executable("quorum-bus"),
                                              environment: ["BUS_FRONTEND_BIND": frontend, "BUS_BACKEND_BIND": backend, "SERVICE_INSTANCE": "bus"],
                                              logDirectory: directory)
        // Stepped clock; timestamps checked against the wall clock (the executor signs with its own);
        // a weight limit no polling loop reaches.
        processes["sim"] = try ServiceProcess(name: "sim", executable: RepositoryPaths.executable("quorum-exchange-sim"), arguments: [
            "--klines", RepositoryPaths.sampleKlines.path, "--port", String(simPort), "--speed", "0", "--start", "2024-08-02",
            "--book-levels", "50", "--timestamp-clock", "wall", "--weight-limit", "100000000", "--balance", "USDT=1000000",
            "--api-key", Self.apiKey, "--api-secret", Self.apiSecret, "--log-level", "warning",
        ], environment: [:], logDirectory: directory)
        let context = BusContext()
        self.context = context
        publisher = try BusPublisher(context: context, endpoint: frontend, identity: PublisherIdentity(service: "riskgate", instance: "test"))
        let subscriber = try BusSubscriber(context: context, endpoint: backend, prefixes: ["exec.", "hb."])
        self.subscriber = subscriber
        let log = bus
        listener = Task.detached {
            for await raw in subscriber.messages {
                if let envelope = try? Envelope.decode(raw) { log.add(envelope) }
            }
        }
        try await poll("the simulator to answer", timeout: 30, every: .milliseconds(50)) {
            do { try await self.client.ping(); return true } catch { return false }
        }
        let time = try await client.serverTime()
        barOpen = Timestamp(milliseconds: time.milliseconds / 300_000 * 300_000)
    }

    @discardableResult
    func startExecutor(instance: String, crashAt: String? = nil, pollMs: Int = 50, exitMode: String = "limit+watch",
                       environment extra: [String: String] = [:]) throws -> ServiceProcess {
        var environment = [
            "BUS_PUB_ENDPOINT": frontend, "BUS_SUB_ENDPOINT": backend, "SERVICE_INSTANCE": instance,
            "HEARTBEAT_INTERVAL_MS": "200", "LOG_LEVEL": "info", "DATA_DIR": directory.appendingPathComponent("data").path,
            "ENABLE_LIVE_TRADING": "1", "BINANCE_API_KEY": Self.apiKey, "BINANCE_API_SECRET": Self.apiSecret,
            "BINANCE": "sim:\(simPort)", "BINANCE_CLOCK_SYNC": "false", "ENTRY_TYPE": "MARKET", "EXIT_MODE": exitMode,
            "POLL_MS": String(pollMs), "SYMBOLS": "BTCUSDT,FOOUSDT",
        ]
        if let crashAt { environment["EXECUTOR_CRASH_AT"] = crashAt }
        environment.merge(extra) { _, new in new }
        let process = try ServiceProcess(name: instance, executable: RepositoryPaths.executable("quorum-executor"), environment: environment, logDirectory: directory)
        processes[instance] = process
        return process
    }

    /// A live BUY intent on the simulator's current bar, expiring `expiresIn` ms from now (wall clock).
    func intent(quantity: String, reference: Price, takeProfit: Price, stopLoss: Price, expiresIn: Int64 = 600_000,
                timeLimitBars: Int? = nil) -> TradeIntent {
        counter += 1
        let now = WallClock.now()
        return TradeIntent(
            id: IntentID(milliseconds: now.milliseconds, random: counter &* 0x9E37_79B9 &+ UInt64(simPort)),
            bar: BarKey(symbol: "BTCUSDT", interval: .fiveMinutes, openTime: barOpen), side: .buy, division: "conservative",
            quantity: Decimal8(quantity)!, referencePrice: reference, takeProfit: takeProfit, stopLoss: stopLoss,
            createdAt: now, expiresAt: now.adding(milliseconds: expiresIn), shadow: false, timeLimitBars: timeLimitBars
        )
    }

    /// A close intent (an exit signal, as the RiskGate sends it) for `target`'s position.
    func closeIntent(for target: TradeIntent) -> TradeIntent {
        var close = intent(quantity: target.quantity.description, reference: target.referencePrice, takeProfit: target.takeProfit,
                           stopLoss: target.stopLoss)
        close.side = .sell
        close.closesIntentID = target.id
        return close
    }

    /// Publishes the simulator's closed 5-minute klines from `from` on (md.kline.BTCUSDT.5m.), as the
    /// Collector does: the Executor's time limits count them.
    func publishClosedKlines(from: Timestamp) async throws {
        let now = try await client.serverTime()
        for var kline in try await client.klines(symbol: "BTCUSDT", interval: .fiveMinutes, startTime: from, limit: 100) where kline.closeTime < now {
            kline.isClosed = true
            _ = publisher?.publish(.kline(Quorum_V1_Kline(kline)), topic: Topic.kline(symbol: "BTCUSDT", interval: "5m"), eventTime: kline.closeTime)
        }
    }

    func publish(_ intent: TradeIntent) {
        _ = publisher?.publish(.intent(Quorum_V1_TradeIntent(intent)), topic: Topic.intent(symbol: intent.bar.symbol), eventTime: intent.createdAt)
    }

    /// Publishes an intent every 50 ms until an ack other than `duplicate` arrives, as the RiskGate does.
    func publishUntilAcked(_ intent: TradeIntent, timeout: Double = 30) async throws {
        try await poll("an ack for \(intent.id)", timeout: timeout, every: .milliseconds(50)) {
            if let ack = self.bus.ack(intent.id), ack.status != "duplicate" { return true }
            self.publish(intent)
            return false
        }
    }

    func advance(ms: Int64) async throws {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(simPort)/sim/clock")!)
        request.httpMethod = "POST"
        request.httpBody = Data("{\"advanceMs\":\(ms)}".utf8)
        request.setValue("application/json", forHTTPHeaderField: "content-type")
        _ = try await URLSession.shared.data(for: request)
    }

    func fault(_ faults: [String: Int]) async throws {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(simPort)/sim/faults")!)
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: faults)
        request.setValue("application/json", forHTTPHeaderField: "content-type")
        _ = try await URLSession.shared.data(for: request)
    }

    private func readJournal<T>(_ body: (Database) throws -> T) throws -> T? {
        guard FileManager.default.fileExists(atPath: journalPath) else { return nil }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        let queue = try DatabaseQueue(path: journalPath, configuration: configuration)
        return try queue.read(body)
    }

    /// Whether the intent's take-profit is journaled as resting on the simulator's book.
    func exitsOpen(_ id: IntentID) throws -> Bool {
        // While the executor creates the journal, its tables may not exist yet: not open.
        let state = try? readJournal { db in
            try String.fetchOne(db, sql: "SELECT state FROM orders WHERE client_order_id = ?", arguments: ["q\(id.rawValue)-t"])
        }
        return state.flatMap { $0 } == "open"
    }

    /// The exit legs journaled in `fills` for an intent ("t", "s", "g", "x"): one once its position is closed.
    func exitLegs(_ id: IntentID) throws -> [String] {
        (try? readJournal { db in
            try String.fetchAll(db, sql: "SELECT leg FROM fills WHERE intent_id = ? AND leg != 'e'", arguments: [id.rawValue])
        }).flatMap { $0 } ?? []
    }

    /// An intent's journal status and reason.
    func intentStatus(_ id: IntentID) throws -> (status: String, reason: String)? {
        try readJournal { db in
            try Row.fetchOne(db, sql: "SELECT status, reason FROM intents WHERE id = ?", arguments: [id.rawValue]).map { ($0["status"], $0["reason"]) }
        } ?? nil
    }

    func journalOrders() throws -> [String: (state: String, exchangeID: Int64?)] {
        try readJournal { db in
            var out: [String: (String, Int64?)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT client_order_id, state, exchange_order_id FROM orders") {
                out[row["client_order_id"]] = (row["state"], row["exchange_order_id"])
            }
            return out
        } ?? [:]
    }

    /// From the journal: the quote change (exit quote − exit quote fees − entry quote − entry quote
    /// fees), the base left over (entry net of base fees − exits), and the sum of realized P&L.
    func journalMoney() throws -> (quote: Decimal8, base: Decimal8, pnl: Decimal8) {
        try readJournal { db in
            var quote = Decimal8.zero
            var base = Decimal8.zero
            for row in try Row.fetchAll(db, sql: "SELECT * FROM orders") {
                let executed = Decimal8(row["executed_qty"] as String)!
                let cum = Decimal8(row["cum_quote"] as String)!
                let feeBase = Decimal8(row["commission_base"] as String)!
                let feeQuote = Decimal8(row["commission_quote"] as String)!
                if (row["side"] as String) == "BUY" {
                    quote -= cum + feeQuote
                    base += executed - feeBase
                } else {
                    quote += cum - feeQuote
                    base -= executed + feeBase
                }
            }
            var pnl = Decimal8.zero
            for text in try String.fetchAll(db, sql: "SELECT realized_pnl FROM fills WHERE leg != 'e' AND shadow = 0") { pnl += Decimal8(text)! }
            return (quote, base, pnl)
        } ?? (.zero, .zero, .zero)
    }

    func stopAll() {
        for (name, process) in processes where name != "bus" { process.stop() }
        processes["bus"]?.stop()
        subscriber?.close()
        publisher?.close()
        listener?.cancel()
        context?.terminate()
        context = nil
    }

    deinit {
        stopAll()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// What the test's subscriber saw on exec. and hb.
final class ExecutorBusLog: Sendable {
    private struct State {
        var acks: [String: Quorum_V1_IntentAck] = [:]
        var reports: [String: Quorum_V1_ExecutionReport] = [:]
        var heartbeats: [String: Quorum_V1_Heartbeat] = [:]
        var heartbeatText = ""
    }
    private let state = Mutex(State())

    func add(_ envelope: Envelope) {
        state.withLock { s in
            switch envelope.payload {
            case .intentAck(let ack):
                // The first decisive ack counts; later duplicates do not overwrite it.
                if s.acks[ack.intentID] == nil || s.acks[ack.intentID]?.status == "duplicate" { s.acks[ack.intentID] = ack }
            case .executionReport(let report): s.reports["\(report.intentID)/\(report.leg)"] = report
            case .heartbeat(let hb):
                s.heartbeats[hb.instance] = hb
                if s.heartbeatText.count < 200_000 { s.heartbeatText += "\(hb)" }
            default: break
            }
        }
    }

    func ack(_ id: IntentID) -> Quorum_V1_IntentAck? { state.withLock { $0.acks[id.rawValue] } }
    func report(_ id: IntentID, _ leg: String) -> Quorum_V1_ExecutionReport? { state.withLock { $0.reports["\(id.rawValue)/\(leg)"] } }
    func heartbeat(_ instance: String) -> Quorum_V1_Heartbeat? { state.withLock { $0.heartbeats[instance] } }
    func heartbeatText() -> String { state.withLock { $0.heartbeatText } }
}
