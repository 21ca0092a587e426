import Bus
import CollectorCore
import Domain
import Foundation
import PredictorCore
import Research
import Synchronization
import TestKit
import Wire

/// The suite as real processes (release build) over the real bus: a tap measures, per trace id,
/// from the Collector's ts_publish of a closed kline to the RiskGate's ts_publish of the intent
/// (or denial) it caused; at the end it reads each service's resident memory (VmRSS).
enum PipelineBench {
    struct Result {
        var klineToIntent = Samples()
        var klineToDecision = Samples()
        var klineToFeatures = Samples()
        var klineToSignal = Samples()
        var rssKiB: [(String, Int)] = []
        /// Proportional set size and private (unshared) memory, from /proc/<pid>/smaps_rollup.
        var pssKiB: [String: Int] = [:]
        var privateKiB: [String: Int] = [:]
        var replaySeconds = 0.0
        var klines = 0
    }

    static let services: [(name: String, executable: String)] = [
        ("bus", "quorum-bus"), ("features", "quorum-features"), ("predictor", "quorum-predictor"),
        ("ensemble", "quorum-ensemble"), ("riskgate", "quorum-riskgate"), ("executor", "quorum-executor"), ("collector", "quorum-collector"),
    ]

    static func run(bin: URL, data: String, from: String, to: String, speed: Double) async throws -> Result {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-bench-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("data"), withIntermediateDirectories: true)
        let features = DemoStrategy.features
        let july = try KlineCSV.read(path: data, openTimes: Timestamp(utcDate: "2024-07-01")!..<Timestamp(utcDate: "2024-08-01")!)
        let model = try ModelTraining.trainLogisticRegression(
            klines: july, features: features, label: DemoStrategy.label, range: Timestamp(utcDate: "2024-07-01")!..<Timestamp(utcDate: "2024-08-01")!,
            version: "bench", created: Timestamp(utcDate: "2024-08-01")!
        )
        let models = dir.appendingPathComponent("models").path
        _ = try ModelRegistry(directory: models).write(model)
        let front = "tcp://127.0.0.1:\(freeLocalPort())", back = "tcp://127.0.0.1:\(freeLocalPort())"
        let common = ["BUS_PUB_ENDPOINT": front, "BUS_SUB_ENDPOINT": back, "LOG_LEVEL": "warning"]
        let specific: [String: [String: String]] = [
            "bus": ["BUS_FRONTEND_BIND": front, "BUS_BACKEND_BIND": back],
            "features": ["FEATURES": features.joined(separator: ",")],
            "predictor": ["MODEL_DIR": models, "MODEL_NAME": model.metadata.name],
            "ensemble": ["ENSEMBLE_MODELS": "\(model.metadata.name):1"],
            "riskgate": [:],
            // A replay: paper fills on the klines (the Executor's default walks live books, which a replay has not).
            "executor": ["DATA_DIR": dir.appendingPathComponent("data").path, "SHADOW_FILLS": "kline"],
            "collector": ["REPLAY_FILE": data, "REPLAY_FROM": from, "REPLAY_TO": to, "REPLAY_SPEED": String(speed),
                          "REPLAY_WAIT_FOR_SUBSCRIBERS": "features,predictor,ensemble,riskgate,executor"],
        ]
        // The tap, before anything publishes.
        let context = BusContext()
        var processes: [String: ServiceProcess] = [:]
        processes["bus"] = try ServiceProcess(name: "bus", executable: bin.appendingPathComponent("quorum-bus"), environment: common.merging(specific["bus"]!) { $1 }, logDirectory: dir)
        let tap = try BusSubscriber(context: context, endpoint: back, prefixes: ["md.kline.", "feat.", "sig.", "intent.", "risk.denied.", "hb.collector."])
        let recorder = Recorder()
        let consumer = Task.detached {
            for await raw in tap.messages {
                guard let envelope = try? Envelope.decode(raw) else { continue }
                recorder.record(envelope)
                if recorder.done { break }
            }
        }
        for (name, executable) in services where name != "bus" {
            processes[name] = try ServiceProcess(name: name, executable: bin.appendingPathComponent(executable),
                                                 environment: common.merging(["SERVICE_INSTANCE": name]) { $1 }.merging(specific[name]!) { $1 }, logDirectory: dir)
        }
        let started = Date()
        try await poll("replay to finish", timeout: 3600, every: .milliseconds(200)) { recorder.done }
        // Let the last decisions land.
        try? await Task.sleep(for: .seconds(1))
        var result = recorder.result()
        result.replaySeconds = Date().timeIntervalSince(started)
        for (name, _) in services {
            if let process = processes[name] {
                result.rssKiB.append((name, residentKiB(pid: process.pid)))
                let rollup = smapsRollup(pid: process.pid)
                result.pssKiB[name] = rollup["Pss"] ?? -1
                result.privateKiB[name] = (rollup["Private_Clean"] ?? 0) + (rollup["Private_Dirty"] ?? 0)
            }
        }
        for (name, _) in services.reversed() { processes[name]?.stop() }
        tap.close()
        consumer.cancel()
        context.terminate()
        return result
    }

    static func smapsRollup(pid: Int32) -> [String: Int] {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8) else { return [:] }
        var values: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, parts[0].hasSuffix(":"), let value = Int(parts[1]) { values[String(parts[0].dropLast())] = value }
        }
        return values
    }

    static func residentKiB(pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return -1 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
        }
        return -1
    }

    final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var klineAt: [String: Int64] = [:]
        private var state = Result()
        private var finished = false

        var done: Bool { lock.lock(); defer { lock.unlock() }; return finished }

        func record(_ envelope: Envelope) {
            lock.lock(); defer { lock.unlock() }
            let trace = envelope.header.traceID
            let published = envelope.header.tsPublishNs
            switch envelope.payload {
            case .kline:
                klineAt[trace] = published
                state.klines += 1
            case .features:
                if let k = klineAt[trace] { state.klineToFeatures.add(Double(published - k)) }
            case .signal:
                if let k = klineAt[trace] { state.klineToSignal.add(Double(published - k)) }
            case .intent:
                if let k = klineAt[trace] { state.klineToIntent.add(Double(published - k)); state.klineToDecision.add(Double(published - k)) }
            case .riskDenied:
                if let k = klineAt[trace] { state.klineToDecision.add(Double(published - k)) }
            case .heartbeat(let hb):
                if hb.status == "done" { finished = true }
            default:
                break
            }
        }

        func result() -> Result { lock.lock(); defer { lock.unlock() }; return state }
    }
}
