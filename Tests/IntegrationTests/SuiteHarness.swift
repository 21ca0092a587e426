import Bus
import CollectorCore
import Domain
import Foundation
import GRDB
import PredictorCore
import Research
import Synchronization
import TestKit
import Wire

/// The whole suite as real processes over a real bus on loopback: quorum-bus and the six services,
/// started from the debug build, with their own ports, data folder and model registry.
final class SuiteHarness: @unchecked Sendable {
    static let features = DemoStrategy.features
    static let modelName = DemoStrategy.modelName

    let directory: URL
    let modelDirectory: URL
    let dataDirectory: URL
    let frontend: String
    let backend: String
    private(set) var processes: [String: ServiceProcess] = [:]
    let heartbeats = HeartbeatBoard()
    private var context: BusContext?
    private var heartbeatSubscriber: BusSubscriber?
    private var heartbeatTask: Task<Void, Never>?

    init(name: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-it-\(name)-\(UUID().uuidString.prefix(8))")
        modelDirectory = directory.appendingPathComponent("models")
        dataDirectory = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        frontend = "tcp://127.0.0.1:\(freeLocalPort())"
        backend = "tcp://127.0.0.1:\(freeLocalPort())"
        for executable in ["quorum-bus", "quorum-collector", "quorum-features", "quorum-predictor", "quorum-ensemble", "quorum-riskgate", "quorum-executor"] {
            let path = RepositoryPaths.executable(executable).path
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw HarnessError("\(path) is missing: build the executables first (`swift build --build-tests` builds them)")
            }
        }
    }

    struct HarnessError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Trains the demo's model on July 2024 of the embedded sample, into this harness's registry.
    func trainModel() throws -> Model {
        let klines = try KlineCSV.read(path: RepositoryPaths.sampleKlines.path, openTimes: Timestamp(utcDate: "2024-07-01")!..<Timestamp(utcDate: "2024-08-01")!)
        let model = try ModelTraining.trainLogisticRegression(
            klines: klines, features: Self.features, label: DemoStrategy.label,
            range: Timestamp(utcDate: "2024-07-01")!..<Timestamp(utcDate: "2024-08-01")!,
            name: Self.modelName, version: "20240801T000000Z", created: Timestamp(utcDate: "2024-08-01")!
        )
        _ = try ModelRegistry(directory: modelDirectory.path).write(model)
        return model
    }

    var commonEnvironment: [String: String] {
        ["BUS_PUB_ENDPOINT": frontend, "BUS_SUB_ENDPOINT": backend, "LOG_LEVEL": "info", "HEARTBEAT_INTERVAL_MS": "200"]
    }

    func start(_ name: String, executable: String, environment: [String: String]) throws {
        let env = commonEnvironment.merging(["SERVICE_INSTANCE": name]) { $1 }.merging(environment) { $1 }
        processes[name] = try ServiceProcess(name: name, executable: RepositoryPaths.executable(executable), environment: env, logDirectory: directory)
    }

    /// Starts the bus, a heartbeat listener, and every service but the collector.
    func startPipeline(threshold: Double = 0.6, predictorReplicas: Int = 1) throws {
        try start("bus", executable: "quorum-bus", environment: ["BUS_FRONTEND_BIND": frontend, "BUS_BACKEND_BIND": backend])
        let context = BusContext()
        self.context = context
        let subscriber = try BusSubscriber(context: context, endpoint: backend, prefixes: [Topic.Prefix.heartbeats])
        heartbeatSubscriber = subscriber
        let board = heartbeats
        heartbeatTask = Task.detached {
            for await raw in subscriber.messages {
                if let envelope = try? Envelope.decode(raw), case .heartbeat(let hb) = envelope.payload { board.update(hb) }
            }
        }
        try start("features", executable: "quorum-features", environment: ["FEATURES": Self.features.joined(separator: ",")])
        for replica in 1...predictorReplicas {
            try startPredictor(instance: "predictor-\(replica)")
        }
        try start("ensemble", executable: "quorum-ensemble", environment: ["ENSEMBLE_MODELS": "\(Self.modelName):1", "ENSEMBLE_THRESHOLD": String(threshold)])
        // The wall-clock safety nets (stale heartbeats pause trading; a silent Executor denies held
        // signals) are off: the parity tests compare event-time decisions with the in-process run,
        // which has no wall clock, and on a loaded 2-core machine a heartbeat can be late.
        try start("riskgate", executable: "quorum-riskgate", environment: [
            "EQUITY": "1000", "RISK_PER_TRADE": "0.005", "TARGET": "0.003", "REPUBLISH_MS": "100",
            "HEALTH_SERVICES": "", "EXECUTOR_WAIT_MS": "600000",
        ])
        try start("executor", executable: "quorum-executor", environment: ["FEE_RATE": "0.001", "DATA_DIR": dataDirectory.path, "SHADOW_FILLS": "kline"])
    }

    func startPredictor(instance: String) throws {
        try start(instance, executable: "quorum-predictor", environment: ["MODEL_DIR": modelDirectory.path, "MODEL_NAME": Self.modelName])
    }

    /// Starts the collector replaying [from, to) of the sample once every service heartbeats.
    func startCollector(from: String, to: String, speed: Double) throws {
        try start("collector", executable: "quorum-collector", environment: [
            "REPLAY_FILE": RepositoryPaths.sampleKlines.path, "SYMBOL": "BTCUSDT", "INTERVAL": "5m",
            "REPLAY_FROM": from, "REPLAY_TO": to, "REPLAY_SPEED": String(speed),
            "REPLAY_WAIT_FOR_SUBSCRIBERS": "features,predictor,ensemble,riskgate,executor", "REPLAY_SETTLE_MS": "300",
        ])
    }

    var journalPath: String { dataDirectory.appendingPathComponent("executor.sqlite").path }

    /// Intents and fills in the Executor's journal, in a form comparable with a backtest.
    func journal() throws -> (intents: [IntentRow], fills: [FillRow]) {
        guard FileManager.default.fileExists(atPath: journalPath) else { return ([], []) }
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: journalPath, configuration: configuration)
        return try queue.read { db in
            let intents = try Row.fetchAll(db, sql: "SELECT * FROM intents ORDER BY bar_open_ms, id").map {
                IntentRow(symbol: $0["symbol"], barOpenMs: $0["bar_open_ms"], side: $0["side"], quantity: $0["quantity"],
                          referencePrice: $0["reference_price"], takeProfit: $0["take_profit"], stopLoss: $0["stop_loss"], expiresAtNs: $0["expires_at_ns"])
            }
            let fills = try Row.fetchAll(db, sql: """
                SELECT f.*, i.bar_open_ms FROM fills f JOIN intents i ON i.id = f.intent_id ORDER BY i.bar_open_ms, f.leg
                """).map {
                FillRow(intentBarOpenMs: $0["bar_open_ms"], leg: $0["leg"], side: $0["side"], price: $0["price"], quantity: $0["quantity"],
                        fee: $0["fee"], realizedPnL: $0["realized_pnl"], eventTimeMs: $0["event_time_ms"])
            }
            return (intents, fills)
        }
    }

    func stopAll() {
        for name in ["collector", "features", "ensemble", "riskgate", "executor"] + processes.keys.filter({ $0.hasPrefix("predictor") }).sorted() + ["bus"] {
            processes[name]?.stop()
        }
        heartbeatSubscriber?.close()
        heartbeatTask?.cancel()
        context?.terminate()
        context = nil
    }

    /// The logs of every process, for a failure message.
    func logs() -> String {
        processes.sorted { $0.key < $1.key }.map { "===== \($0.key) =====\n\($0.value.log.suffix(4000))" }.joined(separator: "\n")
    }

    deinit {
        stopAll()
        try? FileManager.default.removeItem(at: directory)
    }
}

struct IntentRow: Hashable, Comparable, CustomStringConvertible {
    var symbol: String
    var barOpenMs: Int64
    var side: String
    var quantity: String
    var referencePrice: String
    var takeProfit: String
    var stopLoss: String
    var expiresAtNs: Int64

    init(symbol: String, barOpenMs: Int64, side: String, quantity: String, referencePrice: String, takeProfit: String, stopLoss: String, expiresAtNs: Int64) {
        self.symbol = symbol; self.barOpenMs = barOpenMs; self.side = side; self.quantity = quantity
        self.referencePrice = referencePrice; self.takeProfit = takeProfit; self.stopLoss = stopLoss; self.expiresAtNs = expiresAtNs
    }

    init(_ intent: TradeIntent) {
        self.init(symbol: intent.bar.symbol, barOpenMs: intent.bar.openTime.milliseconds, side: intent.side.rawValue, quantity: intent.quantity.description,
                  referencePrice: intent.referencePrice.description, takeProfit: intent.takeProfit.description, stopLoss: intent.stopLoss.description,
                  expiresAtNs: intent.expiresAt.nanoseconds)
    }

    static func < (a: IntentRow, b: IntentRow) -> Bool { (a.barOpenMs, a.symbol) < (b.barOpenMs, b.symbol) }
    var description: String { "\(symbol) \(Timestamp(milliseconds: barOpenMs)) \(side) \(quantity) @\(referencePrice) tp \(takeProfit) sl \(stopLoss)" }
}

struct FillRow: Hashable, Comparable, CustomStringConvertible {
    var intentBarOpenMs: Int64
    var leg: String
    var side: String
    var price: String
    var quantity: String
    var fee: String
    var realizedPnL: String
    var eventTimeMs: Int64

    init(intentBarOpenMs: Int64, leg: String, side: String, price: String, quantity: String, fee: String, realizedPnL: String, eventTimeMs: Int64) {
        self.intentBarOpenMs = intentBarOpenMs; self.leg = leg; self.side = side; self.price = price; self.quantity = quantity
        self.fee = fee; self.realizedPnL = realizedPnL; self.eventTimeMs = eventTimeMs
    }

    init(_ report: ExecutionReport, intentBar: Int64) {
        self.init(intentBarOpenMs: intentBar, leg: report.leg.rawValue, side: report.side.rawValue, price: report.price.description,
                  quantity: report.quantity.description, fee: report.fee.description, realizedPnL: report.realizedPnL.description,
                  eventTimeMs: report.eventTime.milliseconds)
    }

    static func < (a: FillRow, b: FillRow) -> Bool { (a.intentBarOpenMs, a.leg) < (b.intentBarOpenMs, b.leg) }
    var description: String { "\(Timestamp(milliseconds: intentBarOpenMs)) \(leg) \(side) \(quantity) @\(price) fee \(fee) pnl \(realizedPnL) at \(Timestamp(milliseconds: eventTimeMs))" }
}

/// The latest heartbeat of every service instance.
final class HeartbeatBoard: Sendable {
    private let latest = Mutex<[String: Quorum_V1_Heartbeat]>([:])

    func update(_ hb: Quorum_V1_Heartbeat) { latest.withLock { $0["\(hb.service)/\(hb.instance)"] = hb } }

    func heartbeat(_ instance: String) -> Quorum_V1_Heartbeat? { latest.withLock { $0.values.first { $0.instance == instance } } }

    func counter(_ instance: String, _ name: String) -> UInt64 { heartbeat(instance)?.counters[name] ?? 0 }

    func all() -> [Quorum_V1_Heartbeat] { latest.withLock { Array($0.values) } }

    /// Sum of a counter over every instance.
    func total(_ name: String) -> UInt64 { all().reduce(0) { $0 + ($1.counters[name] ?? 0) } }
}
