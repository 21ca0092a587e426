import ArgumentParser
import Bus
import CollectorCore
import Domain
import Foundation
import Launcher
import PredictorCore
import Research
import Synchronization
import Wire

/// `quorum demo`: the whole suite in shadow mode from compose/compose.yaml as local processes,
/// replaying the embedded sample fast, with progress and a summary at the end.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the whole suite in shadow mode on the embedded sample and summarize.")

    @OptionGroup var compose: ComposeOptions

    @Option(help: "Kline CSV to replay.")
    var data: String = DemoStrategy.sampleFile

    @Option(help: "First UTC day replayed.")
    var from: String = DemoStrategy.replayFrom

    @Option(help: "UTC day the replay stops before.")
    var to: String = DemoStrategy.replayTo

    @Option(help: "Replay speed in bars per second (each intent waits for the Executor's answer before the next decision: too fast, and entries expire).")
    var speed: Int = 250

    @Option(help: "Bus frontend port (the backend is the next one).")
    var port: Int = 5555

    @Option(help: "Model registry folder.")
    var models: String = "models"


    func run() async throws {
        let began = Date()
        let runDirectory = URL(fileURLWithPath: "var/demo/\(Int(began.timeIntervalSince1970))").standardizedFileURL
        let logs = runDirectory.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        guard let start = Timestamp(utcDate: from), let end = Timestamp(utcDate: to) else { throw ValidationError("--from/--to must be YYYY-MM-DD") }
        let klines = try KlineCSV.read(path: data, openTimes: start..<end)
        let front = "tcp://127.0.0.1:\(port)", back = "tcp://127.0.0.1:\(port + 1)"
        let overrides: [String: String] = [
            "BUS_FRONTEND_BIND": front, "BUS_BACKEND_BIND": back, "BUS_PUB_ENDPOINT": front, "BUS_SUB_ENDPOINT": back,
            "REPLAY_FILE": URL(fileURLWithPath: data).standardizedFileURL.path, "REPLAY_FROM": from, "REPLAY_TO": to,
            "REPLAY_SPEED": String(speed), "MODEL_DIR": URL(fileURLWithPath: models).standardizedFileURL.path,
            "DATA_DIR": runDirectory.appendingPathComponent("data").path, "LOG_LEVEL": "notice",
        ]
        let plan = try LocalCompose.plan(compose, environment: [], services: [], extra: overrides)
        print("Quorum demo: \(plan.processes.count) processes from \(compose.file), shadow mode, replaying \(klines.count) klines of \(klines.first?.symbol ?? "?") \(klines.first?.interval.name ?? "") from \(from) to \(to) at \(speed) bars/s")
        print("  logs: \(logs.path)")

        // The tap: everything on the bus, counted and kept for the summary.
        let context = BusContext()
        let tap = try BusSubscriber(context: context, endpoint: back, prefixes: [""])
        let board = DemoBoard(expectedKlines: klines.count)
        let consumer = Task.detached {
            for await raw in tap.messages { board.record(raw) }
        }
        let logSink = try LogFiles(directory: logs)
        let runner = ComposeRunner(plan: plan, options: RunOptions(sink: LineSink { logSink.write($0) }, mayExitSuccessfully: []))
        let signals = SignalStop { runner.stop(reason: "interrupted") }
        defer { signals.cancel() }
        let running = Task { await runner.run() }

        // Progress until the replay is done and every signal is decided.
        var lastLine = ""
        var settledSince: Date? = nil
        while true {
            try? await Task.sleep(for: .milliseconds(500))
            if let exits = Optional(runner.exits), !exits.isEmpty, exits.contains(where: { !$0.expected }) { break }
            let p = board.progress()
            let text = String(format: "  klines %5d/%d  signals %4d  intents %3d  denied %4d  trades %3d  P&L %@ USDT", p.klines, klines.count, p.signals, p.intents, p.denied, p.trades, p.pnl.compactDescription)
            if text != lastLine { print(text); lastLine = text }
            if p.collectorDone && p.decided >= p.signals && p.klines >= klines.count {
                if settledSince == nil { settledSince = Date() }
                if Date().timeIntervalSince(settledSince!) > 1.5 { break }
            } else {
                settledSince = nil
            }
            if Date().timeIntervalSince(began) > 1800 { print("demo: giving up after 30 minutes"); break }
        }
        let replaySeconds = board.replaySeconds()
        runner.stop(reason: "demo finished")
        let summary = await running.value
        tap.close()
        consumer.cancel()
        context.terminate()

        // The same cores in one process on the same klines, for comparison.
        var reference: Backtest.Result? = nil
        let registry = try ModelRegistry(directory: models)
        if let conservative = try? registry.load(name: DemoStrategy.modelName),
           let aggressive = try? registry.load(name: DemoStrategy.aggressiveModelName) {
            var backtest = try DemoStrategy.backtest(models: [conservative, aggressive])
            backtest.run(klines)
            reference = backtest.result
        }
        print(board.summary(replaySeconds: replaySeconds, reference: reference, stop: summary))
        print("  journal: \(runDirectory.appendingPathComponent("data/executor.sqlite").path)")
        let failed = summary.exits.filter { !$0.expected && !$0.stoppedByLauncher }
        if !failed.isEmpty { throw ExitCode(1) }
    }
}

/// Per-service log files (the launcher's prefixed lines, split by prefix).
final class LogFiles: @unchecked Sendable {
    private let lock = NSLock()
    private let directory: URL
    private var handles: [String: FileHandle] = [:]

    init(directory: URL) throws { self.directory = directory }

    func write(_ line: String) {
        let name = line.split(separator: "|", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? "launcher"
        lock.lock(); defer { lock.unlock() }
        if handles[name] == nil {
            let url = directory.appendingPathComponent("\(name.isEmpty ? "launcher" : name).log")
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
            handles[name] = try? FileHandle(forWritingTo: url)
        }
        handles[name]?.write(Data((line + "\n").utf8))
    }
}

/// What the demo's tap saw.
final class DemoBoard: @unchecked Sendable {
    private let lock = NSLock()
    private let expectedKlines: Int
    private var perTopic: [String: Int] = [:]
    private var malformed = 0
    private var klines = 0
    private var firstKline: Date?
    private var lastKline: Date?
    private var signals = 0
    private var intents: [String: TradeIntent] = [:]
    private var republished = 0
    private var denied: [String: Int] = [:]
    private var reports: [ExecutionReport] = []
    private var heartbeats: [String: Quorum_V1_Heartbeat] = [:]
    private var collectorDone = false
    private var riskEvents: [RiskEvent] = []
    private var expiredIntents: Set<String> = []
    private var riskStates: [String: RiskState] = [:]

    init(expectedKlines: Int) { self.expectedKlines = expectedKlines }

    static func family(_ topic: String) -> String {
        let parts = topic.split(separator: ".")
        switch parts.first {
        case "md", "exec", "risk": return parts.prefix(2).joined(separator: ".")
        default: return String(parts.first ?? "?")
        }
    }

    func record(_ raw: RawMessage) {
        guard let envelope = try? Envelope.decode(raw) else { lock.lock(); malformed += 1; lock.unlock(); return }
        lock.lock(); defer { lock.unlock() }
        perTopic[Self.family(envelope.topic), default: 0] += 1
        switch envelope.payload {
        case .kline:
            klines += 1
            let now = Date()
            if firstKline == nil { firstKline = now }
            lastKline = now
        case .signal: signals += 1
        case .intent(let wire):
            if let intent = try? wire.domain() {
                if intents[intent.id.rawValue] == nil { intents[intent.id.rawValue] = intent } else { republished += 1 }
            }
        case .riskDenied(let wire): denied[wire.reason, default: 0] += 1
        case .intentAck(let wire):
            if wire.status == "expired" { expiredIntents.insert(wire.intentID) }
        case .riskState(let wire):
            if let state = try? wire.domain() {
                riskEvents += state.events
                riskStates[state.division] = state
            }
        case .executionReport(let wire): if let report = try? wire.domain() { reports.append(report) }
        case .heartbeat(let hb):
            heartbeats["\(hb.service)/\(hb.instance)"] = hb
            if hb.service == "collector" && hb.status == "done" { collectorDone = true }
        default: break
        }
    }

    struct Progress {
        var klines: Int, signals: Int, intents: Int, denied: Int, decided: Int, trades: Int, pnl: Decimal8, collectorDone: Bool
    }

    func progress() -> Progress {
        lock.lock(); defer { lock.unlock() }
        let exits = reports.filter(\.isExit)
        let deniedCount = denied.values.reduce(0, +)
        return Progress(klines: klines, signals: signals, intents: intents.count, denied: deniedCount, decided: intents.count + deniedCount,
                        trades: exits.count, pnl: exits.reduce(.zero) { $0 + $1.realizedPnL }, collectorDone: collectorDone)
    }

    func replaySeconds() -> Double {
        lock.lock(); defer { lock.unlock() }
        guard let a = firstKline, let b = lastKline else { return 0 }
        return b.timeIntervalSince(a)
    }

    func summary(replaySeconds: Double, reference: Backtest.Result?, stop: RunSummary) -> String {
        lock.lock(); defer { lock.unlock() }
        var out: [String] = ["", "== Summary =="]
        out.append(String(format: "Replay: %d klines in %.1f s (%.0f bars/s); suite stopped: %@", klines, replaySeconds, replaySeconds > 0 ? Double(klines) / replaySeconds : 0, "\(stop.reason)"))
        out.append("Messages per topic: " + perTopic.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        let counters = heartbeats.values.map(\.counters)
        let gaps = counters.reduce(0) { $0 + ($1["gap_messages"] ?? 0) }
        let restarts = counters.reduce(0) { $0 + ($1["publisher_restarts"] ?? 0) }
        var drops: [String: UInt64] = [:]
        for hb in heartbeats.values {
            for (key, value) in hb.counters where key.hasPrefix("dropped_") { drops["\(hb.service).\(key.dropFirst(8))", default: 0] += value }
        }
        out.append("Gaps and drops: sequence gaps \(gaps) messages, publisher restarts \(restarts), dropped \(drops.isEmpty ? "none" : drops.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")), malformed on the tap \(malformed)")
        let deniedText = denied.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        out.append("Signals \(signals); intents \(intents.count) (re-published copies \(republished)); denied \(denied.values.reduce(0, +))\(deniedText.isEmpty ? "" : " (\(deniedText))")")
        let exits = reports.filter(\.isExit).sorted { $0.eventTime < $1.eventTime }
        let wins = exits.filter { $0.realizedPnL > .zero }.count
        let pnl = exits.reduce(Decimal8.zero) { $0 + $1.realizedPnL }
        let winRate = exits.isEmpty ? 0 : 100 * Double(wins) / Double(exits.count)
        out.append(String(format: "Paper trades %d: %d won, %d lost, win rate %.1f %%; realized P&L %@ USDT on 1000 (%+.2f %%), fees of 0.1 %% per side included",
                          exits.count, wins, exits.count - wins, winRate, pnl.compactDescription, pnl.doubleValue / 10))
        if !expiredIntents.isEmpty {
            out.append("Expired intents \(expiredIntents.count): their entry kline had passed when the Executor got them. The replay ran faster than the RiskGate and Executor could answer each other on this machine; run with a lower --speed (DEMO_SPEED) to decide as the in-process backtest does.")
        }
        out += divisionLines(exits: exits)
        out += eventLines()
        let entries = Dictionary(reports.filter { $0.leg == .entry }.map { ($0.intentID, $0) }, uniquingKeysWith: { a, _ in a })
        if !exits.isEmpty {
            out.append("Trades (first and last 5):")
            out.append("  entry time (UTC)          qty        entry        exit        why          P&L")
            let shown = exits.count <= 10 ? exits : Array(exits.prefix(5)) + Array(exits.suffix(5))
            for (i, exit) in shown.enumerated() {
                if exits.count > 10 && i == 5 { out.append("  ...") }
                let entry = entries[exit.intentID]
                out.append("  \(entry.map { "\($0.eventTime)" } ?? "?".padding(toLength: 24, withPad: " ", startingAt: 0))  \(exit.quantity.compactDescription.padding(toLength: 9, withPad: " ", startingAt: 0))  \((entry?.price.compactDescription ?? "?").padding(toLength: 10, withPad: " ", startingAt: 0))  \(exit.price.compactDescription.padding(toLength: 10, withPad: " ", startingAt: 0))  \((exit.leg.exitReason ?? "?").padding(toLength: 11, withPad: " ", startingAt: 0))  \(exit.realizedPnL.compactDescription)")
            }
        }
        if let reference {
            let sameIntents = Set(intents.values.map { "\($0.bar.openTime.milliseconds)|\($0.quantity)|\($0.takeProfit)|\($0.stopLoss)" })
                == Set(reference.intents.map { "\($0.bar.openTime.milliseconds)|\($0.quantity)|\($0.takeProfit)|\($0.stopLoss)" })
            let sameFills = Set(reports.map { "\($0.leg.rawValue)|\($0.price)|\($0.quantity)|\($0.eventTime.milliseconds)|\($0.realizedPnL)" })
                == Set(reference.reports.map { "\($0.leg.rawValue)|\($0.price)|\($0.quantity)|\($0.eventTime.milliseconds)|\($0.realizedPnL)" })
            let sameEvents = Set(riskEvents.filter(Self.isBreakerEvent).map(Self.eventKey)) == Set(reference.riskEvents.filter(Self.isBreakerEvent).map(Self.eventKey))
            let same = sameIntents && sameFills && sameEvents
            out.append("In-process backtest of the same cores on the same klines: \(reference.signals.count) signals, \(reference.intents.count) intents, \(reference.exits.count) trades, P&L \(reference.realizedPnL.compactDescription), \(reference.riskEvents.filter(Self.isBreakerEvent).count) breaker events: \(same ? "identical decisions" : "DIFFERENT decisions (intents \(sameIntents ? "same" : "differ"), fills \(sameFills ? "same" : "differ"), breaker events \(sameEvents ? "same" : "differ"))")")
        }
        return out.joined(separator: "\n")
    }

    /// Breakers, latches, recovery steps and capital shifts: what event time decides (control
    /// results and health alerts depend on the wall clock and are left out of the comparison).
    static func isBreakerEvent(_ event: RiskEvent) -> Bool {
        switch event.kind {
        case .breakerTripped, .breakerCleared, .retrainRequested, .capitalShifted, .recoveryStep: return true
        case .alert, .control, .controlRejected: return false
        }
    }

    static func eventKey(_ event: RiskEvent) -> String {
        "\(event.kind.rawValue)|\(event.division)|\(event.code)|\(event.time.milliseconds)"
    }

    /// One line per division: its intents, round trips, win rate and P&L, and its state at the end.
    private func divisionLines(exits: [ExecutionReport]) -> [String] {
        let divisionOf = Dictionary(intents.values.map { ($0.id, $0.division) }, uniquingKeysWith: { a, _ in a })
        var names = Set(intents.values.map(\.division)).union(riskStates.keys)
        names.remove(RiskState.portfolio)
        guard !names.isEmpty else { return [] }
        var out = ["Divisions:"]
        for name in names.sorted() {
            let mine = exits.filter { divisionOf[$0.intentID] == name }
            let won = mine.filter { $0.realizedPnL > .zero }.count
            let pnl = mine.reduce(Decimal8.zero) { $0 + $1.realizedPnL }
            let opened = intents.values.filter { $0.division == name }.count
            var line = String(format: "  %@ intents %d, trades %d, won %d (%.1f %%), P&L %@ USDT",
                              name.padding(toLength: 13, withPad: " ", startingAt: 0), opened, mine.count, won,
                              mine.isEmpty ? 0 : 100 * Double(won) / Double(mine.count), pnl.compactDescription)
            if let state = riskStates[name] {
                line += "; at the end \(state.tradingState.rawValue), equity \(state.equity.compactDescription), capital share \(state.capitalShare.compactDescription)"
                if !state.causes.isEmpty { line += ", causes \(state.causes.joined(separator: ","))" }
                if state.retrainRequested { line += ", retrain requested" }
            }
            out.append(line)
        }
        if let portfolio = riskStates[RiskState.portfolio] {
            out.append("  portfolio     \(portfolio.tradingState.rawValue), equity \(portfolio.equity.compactDescription)\(portfolio.causes.isEmpty ? "" : ", causes \(portfolio.causes.joined(separator: ","))")")
        }
        return out
    }

    /// The RiskGate's events as they were published on risk.state. (breakers first of all).
    private func eventLines() -> [String] {
        guard !riskEvents.isEmpty else { return ["Risk events: none"] }
        let trips = riskEvents.filter { $0.kind == .breakerTripped }.count
        var out = ["Risk events \(riskEvents.count) (breaker trips \(trips)):"]
        for event in riskEvents.sorted(by: { ($0.time, $0.division) < ($1.time, $1.division) }) {
            let who = event.division.isEmpty ? "portfolio" : event.division
            out.append("  \(event.time)  \(who.padding(toLength: 12, withPad: " ", startingAt: 0)) \(event.kind.rawValue) \(event.code): \(event.detail)")
        }
        return out
    }
}
