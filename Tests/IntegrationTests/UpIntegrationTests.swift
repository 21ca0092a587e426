import Bus
import CollectorCore
import Foundation
import PredictorCore
import Research
import Testing
import TestKit
import Wire

/// `quorum up` runs the real compose file as local processes: every service (two predictor
/// replicas) heartbeats on the bus, the replay finishes, and Ctrl-C stops everything cleanly.
extension Integration {
@Suite struct UpIntegrationTests {
    @Test func upRunsTheComposeFileAndStopsCleanlyOnInterrupt() async throws {
        let harness = try SuiteHarness(name: "up")   // for its temp folder, model and ports
        defer { harness.stopAll() }
        // Both models of the compose file's two divisions.
        let registry = try ModelRegistry(directory: harness.modelDirectory.path)
        for model in try DemoStrategy.trainModels(klines: KlineCSV.read(path: RepositoryPaths.sampleKlines.path)) {
            _ = try registry.write(model)
        }
        let quorum = RepositoryPaths.executable("quorum")
        let front = harness.frontend, back = harness.backend
        let overrides = [
            "BUS_FRONTEND_BIND=\(front)", "BUS_BACKEND_BIND=\(back)", "BUS_PUB_ENDPOINT=\(front)", "BUS_SUB_ENDPOINT=\(back)",
            "MODEL_DIR=\(harness.modelDirectory.path)", "DATA_DIR=\(harness.dataDirectory.path)",
            "REPLAY_FILE=\(RepositoryPaths.sampleKlines.path)", "REPLAY_FROM=2024-08-04", "REPLAY_TO=2024-08-05", "REPLAY_SPEED=2000",
            "HEARTBEAT_INTERVAL_MS=200",
        ]
        let up = try ServiceProcess(
            name: "up", executable: quorum,
            arguments: ["up", "--file", RepositoryPaths.root.appendingPathComponent("compose/compose.yaml").path,
                        "--bin", RepositoryPaths.debugBin.path, "--scale", "predictor-logreg=2"] + overrides.flatMap { ["-e", $0] },
            environment: [:], logDirectory: harness.directory
        )
        let context = BusContext()
        defer { context.terminate() }
        let subscriber = try BusSubscriber(context: context, endpoint: back, prefixes: ["hb."])
        defer { subscriber.close() }
        let seen = HeartbeatBoard()
        let listener = Task.detached {
            for await raw in subscriber.messages {
                if let envelope = try? Envelope.decode(raw), case .heartbeat(let hb) = envelope.payload { seen.update(hb) }
            }
        }
        defer { listener.cancel() }
        let instances = ["bus-1", "collector-1", "features-1", "predictor-logreg-1", "predictor-logreg-2", "predictor-logreg-vol-1", "ensemble-1", "riskgate-1", "executor-1"]
        do {
            try await poll("heartbeats from every process", timeout: 60) { instances.allSatisfy { seen.heartbeat($0) != nil } }
            try await poll("the replay to finish", timeout: 60) { seen.heartbeat("collector-1")?.status == "done" }
        } catch {
            Issue.record("\(error)\n\(up.log.suffix(6000))")
            throw error
        }
        try await poll("both predictor replicas to report predictions", timeout: 30) {
            seen.counter("predictor-logreg-1", "predictions") > 0 && seen.counter("predictor-logreg-2", "predictions") > 0
        }
        #expect(seen.total("gap_messages") == 0)
        // Ctrl-C: the launcher stops every service in reverse order and exits.
        kill(up.pid, SIGINT)
        try await poll("quorum up to exit", timeout: 60) { !up.isRunning }
        #expect(up.log.contains("stopped"))
        let leftovers = try Self.processes(named: ["quorum-bus", "quorum-collector", "quorum-features", "quorum-predictor", "quorum-ensemble", "quorum-riskgate", "quorum-executor", "quorum-exchange-sim"], environmentContaining: back)
        #expect(leftovers.isEmpty, "left running: \(leftovers)")
    }

    /// PIDs of processes with one of `names` whose environment mentions `marker` (this test's bus).
    static func processes(named names: [String], environmentContaining marker: String) throws -> [Int32] {
        var found: [Int32] = []
        for entry in try FileManager.default.contentsOfDirectory(atPath: "/proc") {
            guard let pid = Int32(entry),
                  let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
                  names.contains(where: { $0.hasPrefix(comm) || comm.hasPrefix($0.prefix(15)) }),
                  let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ"),
                  String(decoding: environ, as: UTF8.self).contains(marker) else { continue }
            found.append(pid)
        }
        return found
    }
}
}
