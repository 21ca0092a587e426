import Bus
import Domain
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GRDB
import SwiftProtobuf
import Synchronization
import Testing
import TestKit
import Wire

extension Integration {
/// The real quorum-collector in live mode against the real exchange simulator (quorum-exchange-sim,
/// replay clock stepped by the test through /sim/clock) over a real quorum-bus: klines and books on
/// the bus, a dropped stream, garbage frames, 5xx and 429, a stop and a restart with backfill; no
/// duplicate and no missing kline on the bus or in the store; the history REP socket answers.
@Suite struct CollectorLiveTests {
    static let bar: Int64 = 300_000

    @Test func klinesExactlyOnceAcrossDropsFaultsAndRestart() async throws {
        let h = try CollectorLiveHarness(name: "collector-live")
        defer { h.stopAll() }
        try h.startBusAndSimulator(start: "2024-07-05")
        let t0 = try await h.simTime()
        #expect(t0 % Self.bar == 0)
        let backfillBars: Int64 = 30
        try h.startCollector(backfillBars: Int(backfillBars))

        // 1. Start-up backfill: the 30 bars before the replay clock, on the bus and in the store.
        var expected = (0..<backfillBars).map { t0 - (backfillBars - $0) * Self.bar }
        try await h.waitForKlines(expected, "start-up backfill")
        h.phase("start-up backfill")

        // 2. Streaming: the clock moves three bars; their closes arrive through the WebSocket.
        try await h.advance(ms: 3 * Self.bar)
        expected += (0..<3).map { t0 + $0 * Self.bar }
        try await h.waitForKlines(expected, "three streamed bars")
        // With the replay clock stopped, the diffs of a big step all arrive before the depth
        // snapshot: the book syncs on the next diff. Step 5 s at a time (within the current bar).
        var steps = 0
        try await poll("books, diffs and trades on the bus", timeout: 30, every: .milliseconds(200)) {
            if h.bus.count(.depth) > 0 && h.bus.count(.book) > 0 && h.bus.count(.fullBook) > 0 && h.bus.count(.trade) > 0 { return true }
            if steps < 40 { steps += 1; try await h.advance(ms: 5_000) }
            return false
        }
        try await poll("a heartbeat with per-stream freshness", timeout: 10) {
            guard let hb = h.bus.lastHeartbeat else { return false }
            return hb.counters["stale_streams"] != nil && hb.counters.keys.contains { $0.hasPrefix("age_ms.btcusdt@depth") }
        }

        // 3. The simulator drops every stream; two bars close while the collector reconnects.
        try await h.fault(["dropStreams": true])
        try await h.advance(ms: 2 * Self.bar)
        expected += (3..<5).map { t0 + $0 * Self.bar }
        h.phase("books")
        try await h.waitForKlines(expected, "bars closed during the drop (backfilled after the reconnect)")
        h.phase("drop")
        try await poll("a reconnect counted", timeout: 20) { (h.bus.lastHeartbeat?.counters["ws_connects"] ?? 0) >= 2 }

        // 4. Garbage and truncated frames, 5xx and 429 on REST, then another drop that forces a backfill through them.
        try await h.fault(["garbageFrames": 3, "truncatedJSON": 2])
        try await h.advance(ms: 1 * Self.bar)
        expected.append(t0 + 5 * Self.bar)
        try await h.waitForKlines(expected, "a bar after garbage frames")
        // The 429's Retry-After is fixed at 3 s (Binance's, and the simulator's default, is the rest
        // of the weight minute: up to 60 s, which would make this phase depend on the wall clock).
        try await h.fault(["http5xx": 2, "http429": 1, "http429RetryAfter": 3])
        try await h.fault(["dropStreams": true])
        try await h.advance(ms: 2 * Self.bar)
        expected += (6..<8).map { t0 + $0 * Self.bar }
        try await h.waitForKlines(expected, "bars backfilled through 5xx and 429")
        try await poll("undecodable frames, 5xx and 429 counted", timeout: 10) {
            let c = h.bus.lastHeartbeat?.counters ?? [:]
            return (c["dropped_binance_undecodable"] ?? 0) >= 1 && (c["rest_http_5xx"] ?? 0) >= 2 && (c["rest_http_429"] ?? 0) >= 1
        }
        h.phase("faults survived")

        // 5. The history socket answers the last N klines of the store.
        let history = try await h.history(symbol: "BTCUSDT", interval: "5m", limit: 5)
        #expect(history.error.isEmpty)
        #expect(try history.domainKlines().map(\.openTime.milliseconds) == Array(expected.suffix(5)))
        let refused = try await h.history(symbol: "BTCUSDT", interval: "7m", limit: 5)
        #expect(!refused.error.isEmpty)

        // 6. Stop the collector; four bars close while it is down; the restart backfills them only.
        h.stopCollector()
        try await h.advance(ms: 4 * Self.bar)
        try h.startCollector(backfillBars: Int(backfillBars))
        expected += (8..<12).map { t0 + $0 * Self.bar }
        h.phase("stopped")
        try await h.waitForKlines(expected, "bars closed while the collector was stopped")
        h.phase("restart backfill")
        try await h.advance(ms: 1 * Self.bar)
        expected.append(t0 + 12 * Self.bar)
        try await h.waitForKlines(expected, "streaming after the restart")

        // The store holds exactly the same bars, once each.
        #expect(try h.storedOpenTimes() == expected)
        #expect(h.bus.klineOpenTimes() == expected, "bus klines: \(h.bus.klineOpenTimes().map { ($0 - t0) / Self.bar })")

        // 7. Binance unreachable: the heartbeat says degraded (the stream cannot reconnect; the REST
        // ping's own retries take longer to give up).
        try await poll("an ok heartbeat from the restarted collector", timeout: 10) { h.bus.lastHeartbeat?.status == "ok" }
        h.processes["sim"]?.stop()
        try await poll("a degraded heartbeat once the exchange is gone", timeout: 20) {
            guard let hb = h.bus.lastHeartbeat else { return false }
            return hb.status == "degraded" && hb.counters["stream_down"] == 1
        }
    }

    /// The FeatureService warms up from the collector's history socket; with a dead endpoint it
    /// gives up after its timeout (counted) and runs cold.
    @Test func featureServiceWarmsUpFromTheHistorySocket() async throws {
        let h = try CollectorLiveHarness(name: "collector-warmup")
        defer { h.stopAll() }
        try h.startBusAndSimulator(start: "2024-07-05")
        let t0 = try await h.simTime()
        try h.startCollector(backfillBars: 40)
        try await h.waitForKlines((0..<40).map { t0 - (40 - $0) * Self.bar }, "start-up backfill")
        try h.startFeatures(instance: "features-warm", historyEndpoint: "tcp://127.0.0.1:\(h.historyPort)", timeoutMs: 5_000)
        try h.startFeatures(instance: "features-cold", historyEndpoint: "tcp://127.0.0.1:\(freeLocalPort())", timeoutMs: 300)
        try await poll("both feature services to finish their warm-up", timeout: 30) {
            (h.bus.heartbeat(instance: "features-warm")?.counters["warmup_series"] ?? 0) == 1
                && (h.bus.heartbeat(instance: "features-cold")?.counters["warmup_failures"] ?? 0) == 1
        }
        #expect(h.bus.heartbeat(instance: "features-warm")?.counters["warmup_klines"] == 30)
        #expect(h.bus.vectors(publisher: "features/features-warm") == 0, "warm-up klines must not publish vectors")
        // Let both subscriptions settle, then one live bar: only the warmed-up service has a vector for it.
        try await poll("both feature services subscribed", timeout: 10) {
            (h.bus.heartbeat(instance: "features-warm")?.uptimeMs ?? 0) > 1_000 && (h.bus.heartbeat(instance: "features-cold")?.uptimeMs ?? 0) > 1_000
        }
        try await h.advance(ms: Self.bar)
        try await h.waitForKlines((0..<41).map { t0 - (40 - $0) * Self.bar }, "one live bar")
        try await poll("a vector from the warmed-up service", timeout: 20) { h.bus.vectors(publisher: "features/features-warm") >= 1 }
        #expect(h.bus.vectors(publisher: "features/features-cold") == 0)
    }
}
}

extension Integration.CollectorLiveTests {
    /// Order-flow features served live: the FeatureService aggregates the collector's synced diffs
    /// and trades (md.depth, md.book, md.trade) to the bar with the research pipeline's aggregator
    /// and appends them to the kline's vector; before the book has been in sync for a whole bar,
    /// the book-derived columns are NaN (never made up).
    /// Shadow fills against the live book (`SHADOW_FILLS=book`): the simulator's book through the
    /// live collector (md.book.) to a real Executor; a paper entry walks the asks, the exit comes
    /// from a later book, and the money adds up as in the kline core.
    @Test func shadowFillsWalkTheLiveBook() async throws {
        let h = try CollectorLiveHarness(name: "book-fills")
        defer { h.stopAll() }
        try h.startBusAndSimulator(start: "2024-08-05")
        _ = try await h.simTime()   // the simulator is up
        h.phase("simulator up")
        try h.startCollector(backfillBars: 1)
        try h.startExecutor(extra: ["SHADOW_FILLS": "book", "SYMBOLS": "BTCUSDT", "FEE_RATE": "0.001"])
        do {
            try await poll("a book on the bus and the executor up", timeout: 60, every: .milliseconds(50)) {
                if h.bus.lastBook == nil { try await h.advance(ms: 1_000) }
                return h.bus.lastBook != nil && h.bus.heartbeat(instance: "executor") != nil
            }
        } catch {
            throw SuiteHarness.HarnessError("\(error)\n\(h.logs())")
        }
        h.phase("book and executor up")
        let book = try #require(h.bus.lastBook)
        let bid = try #require(Decimal8(book.bids[0].price)), ask = try #require(Decimal8(book.asks[0].price))
        let now = Timestamp(milliseconds: try await h.simTime())
        let bar = BarKey(symbol: "BTCUSDT", interval: .fiveMinutes, openTime: Timestamp(milliseconds: now.milliseconds / 300_000 * 300_000 - 300_000))
        // A tight bracket (±0.05 %) so an exit comes within simulated minutes; quantity larger
        // than the best level, so the entry walks more than one.
        let first = try #require(Decimal8(book.asks[0].quantity)), second = try #require(book.asks.count > 1 ? Decimal8(book.asks[1].quantity) : Decimal8.zero)
        let quantity = first + second.divided(by: Decimal8(2), rounding: .down)
        let intent = TradeIntent(
            id: IntentID(milliseconds: now.milliseconds, random: 7), bar: bar, side: .buy, division: "default", quantity: quantity,
            referencePrice: ask, takeProfit: ask.multiplied(by: Decimal8("1.0005")!, rounding: .down),
            stopLoss: bid.multiplied(by: Decimal8("0.9995")!, rounding: .down),
            // Book fills judge expiry on the shell's wall clock (the simulator's clock is in 2024).
            createdAt: now, expiresAt: Timestamp(milliseconds: Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000), shadow: true)
        try await poll("the intent acknowledged", timeout: 30, every: .milliseconds(100)) {
            try h.publish(.intent(Quorum_V1_TradeIntent(intent)), topic: Topic.intent(symbol: "BTCUSDT"), eventTime: now)
            return h.bus.acks.contains { $0.intentID == intent.id.rawValue }
        }
        h.phase("intent acknowledged")
        #expect(h.bus.acks.first { $0.intentID == intent.id.rawValue }?.status == "accepted")
        var steps = 0
        try await poll("the entry and the exit filled on the book", timeout: 90, every: .milliseconds(20)) {
            let legs = Set(h.bus.reports.filter { $0.intentID == intent.id.rawValue }.map(\.leg))
            if legs.count >= 2 { return true }
            if steps < 2_000 { steps += 1; try await h.advance(ms: 2_000) }
            return false
        }
        let reports = try h.bus.reports.filter { $0.intentID == intent.id.rawValue }.map { try $0.domain() }
        let entry = try #require(reports.first { $0.leg == .entry })
        let exit = try #require(reports.first { $0.isExit })
        #expect(entry.quantity == quantity && exit.quantity == quantity && entry.shadow && exit.shadow)
        // The entry walked the asks of a book at or after the intent: never better than a best ask
        // a good way below the one seen (the simulator's book moves with its clock).
        #expect(entry.price > bid.multiplied(by: Decimal8("0.99")!, rounding: .down))
        let fee = { (notional: Decimal8) in Decimal8("0.001")!.multiplied(by: notional, rounding: .up) }
        let entryNotional = entry.price.multiplied(by: entry.quantity, rounding: .toNearestOrEven)
        let exitNotional = exit.price.multiplied(by: exit.quantity, rounding: .toNearestOrEven)
        #expect(entry.fee == fee(entryNotional))
        if exit.leg == .takeProfit { #expect(exit.price == intent.takeProfit) }
        // Realized P&L = exit notional − entry notional − both fees (within the VWAP's rounding).
        let expected = exitNotional - entryNotional - entry.fee - exit.fee
        #expect(abs((exit.realizedPnL - expected).doubleValue) < 1e-6, "\(exit.realizedPnL) vs \(expected)")
        print("book-fills: entry \(entry.price) exit \(exit.price) (\(exit.leg.exitReason ?? "?")) after \(steps) clock steps; P&L \(exit.realizedPnL)")
    }

    @Test func featureServiceServesOrderFlowFromTheBookStream() async throws {
        let h = try CollectorLiveHarness(name: "collector-orderflow")
        defer { h.stopAll() }
        try h.startBusAndSimulator(start: "2024-07-05")
        let t0 = try await h.simTime()
        try h.startCollector(backfillBars: 30)
        try await h.waitForKlines((0..<30).map { t0 - (30 - $0) * Self.bar }, "start-up backfill")
        let orderFlow = ["imbalance_5", "imbalance_10", "ofi", "quoted_spread_bps", "trade_imbalance", "book_update_rate"]
        // Warmed up from the history socket, so the first live bar already has its SMA.
        try h.startFeatures(instance: "features-of", historyEndpoint: "tcp://127.0.0.1:\(h.historyPort)", timeoutMs: 5_000, extra: [
            "FEATURES": (["close_SMA_3"] + orderFlow).joined(separator: ","), "ORDERFLOW_FREQ": "5m",
        ])
        do {
            try await poll("the feature service's warm-up", timeout: 30) {
                (h.bus.heartbeat(instance: "features-of")?.counters["warmup_series"] ?? 0) == 1
            }
        } catch {
            throw SuiteHarness.HarnessError("\(error)\n\(h.logs())")
        }
        var first: Quorum_V1_FeatureVector?
        var steps = 0
        try await poll("a vector with the order-flow columns of a fully synced bar", timeout: 90, every: .milliseconds(20)) {
            if let vector = h.bus.lastVector(publisher: "features/features-of") {
                if first == nil { first = vector }
                if vector.values.allSatisfy(\.isFinite) { return true }
            }
            if steps < 600 { steps += 1; try await h.advance(ms: 5_000) }
            return false
        }
        let vector = try #require(h.bus.lastVector(publisher: "features/features-of"))
        #expect(vector.names == ["close_SMA_3"] + orderFlow)
        let value = { (name: String) in vector.values[vector.names.firstIndex(of: name)!] }
        #expect(abs(value("imbalance_5")) <= 1 && abs(value("imbalance_10")) <= 1 && abs(value("trade_imbalance")) <= 1)
        #expect(value("quoted_spread_bps") > 0 && value("book_update_rate") > 0)
        // The first live bar began before the book was in sync: its book columns were NaN, not zero.
        let early = try #require(first)
        #expect(!early.values[early.names.firstIndex(of: "imbalance_5")!].isFinite, "\(early.values)")
        let counters = h.bus.heartbeat(instance: "features-of")?.counters ?? [:]
        #expect((counters["orderflow_vectors_incomplete"] ?? 0) >= 1)
    }
}

/// Bus, simulator and collector processes for one live-mode test, with a bus listener.
final class CollectorLiveHarness: @unchecked Sendable {
    let directory: URL
    let frontend: String
    let backend: String
    let simPort: Int
    let historyPort: Int
    private(set) var processes: [String: ServiceProcess] = [:]
    let bus = BusLog()
    private var context: BusContext?
    private var subscriber: BusSubscriber?
    private var listener: Task<Void, Never>?
    private var restarts = 0
    private var last = Date()

    /// Prints how long a phase took (the test's log shows where the time goes).
    func phase(_ name: String) {
        FileHandle.standardError.write(Data("collector-live: \(name) after \(String(format: "%.1f", Date().timeIntervalSince(last))) s\n".utf8))
        last = Date()
    }

    init(name: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-it-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        frontend = "tcp://127.0.0.1:\(freeLocalPort())"
        backend = "tcp://127.0.0.1:\(freeLocalPort())"
        simPort = freeLocalPort()
        historyPort = freeLocalPort()
        for executable in ["quorum-bus", "quorum-collector", "quorum-exchange-sim", "quorum-features"] {
            let path = RepositoryPaths.executable(executable).path
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw SuiteHarness.HarnessError("\(path) is missing: build it first (swift build --product \(executable))")
            }
        }
    }

    var databasePath: String { directory.appendingPathComponent("collector.sqlite").path }

    func startBusAndSimulator(start: String) throws {
        processes["bus"] = try ServiceProcess(name: "bus", executable: RepositoryPaths.executable("quorum-bus"),
                                              environment: ["BUS_FRONTEND_BIND": frontend, "BUS_BACKEND_BIND": backend, "SERVICE_INSTANCE": "bus"],
                                              logDirectory: directory)
        processes["sim"] = try ServiceProcess(name: "sim", executable: RepositoryPaths.executable("quorum-exchange-sim"), arguments: [
            "--klines", RepositoryPaths.sampleKlines.path, "--port", String(simPort), "--speed", "0", "--start", start,
            "--book-levels", "50",
        ], environment: [:], logDirectory: directory)
        let context = BusContext()
        self.context = context
        let subscriber = try BusSubscriber(context: context, endpoint: backend, prefixes: ["md.", "hb.", "feat.", "exec."])
        self.subscriber = subscriber
        let log = bus
        listener = Task.detached {
            for await raw in subscriber.messages {
                if let envelope = try? Envelope.decode(raw) { log.add(envelope) }
            }
        }
    }

    func startCollector(backfillBars: Int) throws {
        restarts += 1
        let name = "collector-\(restarts)"
        processes[name] = try ServiceProcess(name: name, executable: RepositoryPaths.executable("quorum-collector"), environment: [
            "BUS_PUB_ENDPOINT": frontend, "BUS_SUB_ENDPOINT": backend, "SERVICE_INSTANCE": "collector-1",
            "HEARTBEAT_INTERVAL_MS": "200", "LOG_LEVEL": "info",
            "BINANCE": "sim:\(simPort)", "SYMBOLS": "BTCUSDT", "INTERVALS": "5m", "STREAMS": "kline,depth,bookTicker,aggTrade",
            "DB_PATH": databasePath, "HISTORY_PORT": String(historyPort), "BACKFILL_BARS": String(backfillBars),
            "BOOK_DEPTH": "10", "BOOK_SNAPSHOT_LIMIT": "100", "BOOK_FULL_MS": "1000", "BOOK_PERSIST_MS": "1000",
            "STALE_AFTER_MS": "60000", "REST_MAX_RETRY_AFTER_MS": "500", "PING_INTERVAL_MS": "500",
        ], logDirectory: directory)
    }

    /// A shadow Executor on the bus (paper fills), with `extra` settings.
    func startExecutor(extra: [String: String]) throws {
        var environment = [
            "BUS_PUB_ENDPOINT": frontend, "BUS_SUB_ENDPOINT": backend, "SERVICE_INSTANCE": "executor",
            "HEARTBEAT_INTERVAL_MS": "200", "LOG_LEVEL": "info", "DATA_DIR": directory.appendingPathComponent("executor").path,
        ]
        environment.merge(extra) { $1 }
        processes["executor"] = try ServiceProcess(name: "executor", executable: RepositoryPaths.executable("quorum-executor"),
                                                   environment: environment, logDirectory: directory)
    }

    /// Publishes on the bus as the RiskGate would (a test-owned publisher, created on first use).
    func publish(_ payload: Payload, topic: String, eventTime: Timestamp) throws {
        if publisher == nil, let context {
            publisher = try BusPublisher(context: context, endpoint: frontend, identity: PublisherIdentity(service: "riskgate", instance: "test"))
        }
        _ = publisher?.publish(payload, topic: topic, eventTime: eventTime)
    }
    private var publisher: BusPublisher?

    func startFeatures(instance: String, historyEndpoint: String, timeoutMs: Int, extra: [String: String] = [:]) throws {
        var environment = [
            "BUS_PUB_ENDPOINT": frontend, "BUS_SUB_ENDPOINT": backend, "SERVICE_INSTANCE": instance,
            "HEARTBEAT_INTERVAL_MS": "200", "LOG_LEVEL": "info", "SYMBOLS": "BTCUSDT",
            "HISTORY_ENDPOINT": historyEndpoint, "HISTORY_INTERVALS": "5m", "HISTORY_BARS": "30", "HISTORY_TIMEOUT_MS": String(timeoutMs),
        ]
        environment.merge(extra) { $1 }
        processes[instance] = try ServiceProcess(name: instance, executable: RepositoryPaths.executable("quorum-features"),
                                                 environment: environment, logDirectory: directory)
    }

    func stopCollector() {
        for (name, process) in processes where name.hasPrefix("collector") { process.stop() }
    }

    // MARK: simulator admin

    func admin(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(simPort)\(path)")!)
        request.httpMethod = method
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "content-type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard (response as? HTTPURLResponse)?.statusCode == 200 else {
            throw SuiteHarness.HarnessError("\(method) \(path): \(String(decoding: data, as: UTF8.self))")
        }
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    func simTime() async throws -> Int64 {
        var state: [String: Any] = [:]
        try await poll("the simulator to answer", timeout: 30, every: .milliseconds(100)) {
            state = (try? await self.admin("GET", "/sim/state")) ?? [:]
            return !state.isEmpty
        }
        guard let time = (state["serverTime"] as? NSNumber)?.int64Value else { throw SuiteHarness.HarnessError("no serverTime in \(state)") }
        return time
    }

    func advance(ms: Int64) async throws { _ = try await admin("POST", "/sim/clock", ["advanceMs": ms]) }
    func fault(_ faults: [String: Any]) async throws { _ = try await admin("POST", "/sim/faults", faults) }

    // MARK: checks

    func waitForKlines(_ expected: [Int64], _ what: String, timeout: Double = 60) async throws {
        do {
            try await poll(what, timeout: timeout, every: .milliseconds(50)) { self.bus.klineOpenTimes().count >= expected.count }
        } catch {
            throw SuiteHarness.HarnessError("\(error): have \(bus.klineOpenTimes().count) of \(expected.count) klines\n\(logs())")
        }
        let got = bus.klineOpenTimes()
        #expect(got == expected, "\(what): bus klines differ")
        #expect(Set(got).count == got.count, "duplicate klines on the bus")
    }

    func storedOpenTimes() throws -> [Int64] {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: databasePath, configuration: configuration)
        return try queue.read { db in
            try Int64.fetchAll(db, sql: "SELECT open_time_ms FROM klines WHERE symbol = 'BTCUSDT' AND interval = '5m' ORDER BY open_time_ms")
        }
    }

    func history(symbol: String, interval: String, limit: Int32) async throws -> Quorum_V1_HistoryResponse {
        var request = Quorum_V1_HistoryRequest()
        request.symbol = symbol
        request.interval = interval
        request.limit = limit
        let bytes: [UInt8] = try request.serializedBytes()
        switch await RequestClient.request([bytes], endpoint: "tcp://127.0.0.1:\(historyPort)", timeoutMilliseconds: 5_000) {
        case .success(let frames): return try Quorum_V1_HistoryResponse(serializedBytes: frames.first ?? [])
        case .failure(let failure): throw SuiteHarness.HarnessError("history request: \(failure)\n\(logs())")
        }
    }

    func logs() -> String {
        processes.sorted { $0.key < $1.key }.map { "===== \($0.key) =====\n\($0.value.log.suffix(3000))" }.joined(separator: "\n")
    }

    func stopAll() {
        for (name, process) in processes where name != "bus" { process.stop() }
        processes["bus"]?.stop()
        subscriber?.close()
        publisher?.close()   // every socket closed first: terminating a ZeroMQ context waits for them
        publisher = nil
        listener?.cancel()
        context?.terminate()
        context = nil
    }

    deinit {
        stopAll()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// What the test's bus subscriber saw.
final class BusLog: Sendable {
    enum Kind { case depth, book, fullBook, trade }
    private struct State {
        var klines: [Int64] = []
        var counts: [Kind: Int] = [:]
        var heartbeat: Quorum_V1_Heartbeat?
        var heartbeats: [String: Quorum_V1_Heartbeat] = [:]
        var vectors: [String: Int] = [:]
        var lastVector: [String: Quorum_V1_FeatureVector] = [:]
        var lastBook: Quorum_V1_BookSnapshot?
        var reports: [Quorum_V1_ExecutionReport] = []
        var acks: [Quorum_V1_IntentAck] = []
    }
    private let state = Mutex(State())

    func add(_ envelope: Envelope) {
        state.withLock { s in
            switch envelope.payload {
            case .kline(let k): if k.closed { s.klines.append(k.openTimeMs) }
            case .bookDelta: s.counts[.depth, default: 0] += 1
            case .bookSnapshot(let b):
                s.counts[b.full ? .fullBook : .book, default: 0] += 1
                if !b.bids.isEmpty && !b.asks.isEmpty { s.lastBook = b }
            case .executionReport(let r): s.reports.append(r)
            case .intentAck(let a): s.acks.append(a)
            case .trade: s.counts[.trade, default: 0] += 1
            case .heartbeat(let hb):
                s.heartbeats[hb.instance] = hb
                if hb.service == "collector", hb.status != "stopping" { s.heartbeat = hb }
            case .features(let vector):
                s.vectors[envelope.header.publisher, default: 0] += 1
                s.lastVector[envelope.header.publisher] = vector
            default: break
            }
        }
    }

    func klineOpenTimes() -> [Int64] { state.withLock { $0.klines } }
    func count(_ kind: Kind) -> Int { state.withLock { $0.counts[kind] ?? 0 } }
    var lastHeartbeat: Quorum_V1_Heartbeat? { state.withLock { $0.heartbeat } }
    func heartbeat(instance: String) -> Quorum_V1_Heartbeat? { state.withLock { $0.heartbeats[instance] } }
    func vectors(publisher: String) -> Int { state.withLock { $0.vectors[publisher] ?? 0 } }
    func lastVector(publisher: String) -> Quorum_V1_FeatureVector? { state.withLock { $0.lastVector[publisher] } }
    var lastBook: Quorum_V1_BookSnapshot? { state.withLock { $0.lastBook } }
    var reports: [Quorum_V1_ExecutionReport] { state.withLock { $0.reports } }
    var acks: [Quorum_V1_IntentAck] { state.withLock { $0.acks } }
}
