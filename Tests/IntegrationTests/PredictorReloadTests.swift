import Bus
import Domain
import Foundation
import PredictorCore
import Synchronization
import Testing
import TestKit
import Wire

/// The real quorum-predictor switches model versions on SIGHUP and on a `reload` control message
/// while vectors stream in, predicts every vector (none dropped), and refuses a version whose
/// features the vectors do not carry, keeping the running one.
extension Integration {
@Suite struct PredictorReloadTests {
    static let features = ["close_SMA_3", "close_RSI_14"]

    static func model(version: String, intercept: Double, features: [String] = features) throws -> Model {
        try Model(metadata: ModelMetadata(
            name: "reload-test", version: version, algorithm: "logistic_regression", label: "high_030_4", features: features,
            interval: .fiveMinutes, symbols: ["BTCUSDT"], created: "2024-08-01T00:00:00.000Z",
            means: features.map { _ in 0 }, stds: features.map { _ in 1 }, coefficients: features.map { _ in 0.01 }, intercept: intercept
        ))
    }

    /// Predictions received: bar open time (ms) → model version.
    final class Received: Sendable {
        let byBar = Mutex<[Int64: String]>([:])
        func versions() -> Set<String> { byBar.withLock { Set($0.values) } }
        var count: Int { byBar.withLock { $0.count } }
    }

    @Test func switchesVersionsOnSighupAndControlWithoutDroppingMessages() async throws {
        let harness = try SuiteHarness(name: "reload")
        defer { harness.stopAll() }
        let registry = ModelRegistry(directory: harness.modelDirectory.path)
        try registry.write(try Self.model(version: "v1", intercept: -1))
        try harness.start("bus", executable: "quorum-bus", environment: ["BUS_FRONTEND_BIND": harness.frontend, "BUS_BACKEND_BIND": harness.backend])
        try harness.start("predictor", executable: "quorum-predictor", environment: ["MODEL_DIR": harness.modelDirectory.path, "MODEL_NAME": "reload-test"])

        let context = BusContext()
        defer { context.terminate() }
        let publisher = try BusPublisher(context: context, endpoint: harness.frontend, identity: PublisherIdentity(service: "features", instance: "t"))
        defer { publisher.close() }
        let subscriber = try BusSubscriber(context: context, endpoint: harness.backend, prefixes: ["pred."])
        defer { subscriber.close() }
        let received = Received()
        let listener = Task.detached {
            for await raw in subscriber.messages {
                if let envelope = try? Envelope.decode(raw), case .prediction(let p) = envelope.payload {
                    received.byBar.withLock { $0[p.barOpenTimeMs] = p.modelVersion }
                }
            }
        }
        defer { listener.cancel() }

        var bar: Int64 = 1_722_470_400_000
        func send() {
            let vector = FeatureVector(
                bar: BarKey(symbol: "BTCUSDT", interval: .fiveMinutes, openTime: Timestamp(milliseconds: bar)),
                close: .one, high: .one, low: .one, names: ["x"] + Self.features, values: [1, 2, 3]
            )
            _ = publisher.publish(.features(Quorum_V1_FeatureVector(vector)), topic: "feat.BTCUSDT.5m.", eventTime: .zero)
            bar += 300_000
        }
        // Until the subscriptions have propagated: the first prediction.
        try await poll("a first prediction", timeout: 30) {
            send()
            try? await Task.sleep(for: .milliseconds(20))
            return received.count > 0
        }
        let firstBar = bar
        let pid = harness.processes["predictor"]!.pid

        // SIGHUP: the latest version (v2) replaces v1 while vectors keep coming.
        try registry.write(try Self.model(version: "v2", intercept: 1))
        kill(pid, SIGHUP)
        try await poll("predictions by v2", timeout: 30) {
            send()
            try? await Task.sleep(for: .milliseconds(5))
            return received.versions().contains("v2")
        }
        // A control message pins v3, which needs a feature the vectors lack: refused, v2 keeps running.
        try registry.write(try Self.model(version: "v3", intercept: 0, features: ["close_SMA_3", "close_SMA_99"]))
        var control = Quorum_V1_Control()
        control.target = "predictor"
        control.command = "reload"
        control.arguments = ["model": "reload-test", "version": "v3"]
        _ = publisher.publish(.control(control), topic: Topic.control(service: "predictor"), eventTime: .zero)
        try await poll("the refusal in the log", timeout: 30) {
            send()
            try? await Task.sleep(for: .milliseconds(5))
            return harness.processes["predictor"]!.log.contains("model reload refused")
        }
        // Then a control message back to v1: accepted.
        control.arguments = ["version": "v1"]
        let beforeV1 = bar
        _ = publisher.publish(.control(control), topic: Topic.control(service: "predictor"), eventTime: .zero)
        try await poll("predictions by v1 again", timeout: 30) {
            send()
            try? await Task.sleep(for: .milliseconds(5))
            return received.byBar.withLock { $0.contains { $0.key >= beforeV1 && $0.value == "v1" } }
        }
        let lastBar = bar - 300_000
        // Every vector sent after the first prediction was predicted (none dropped by the swaps).
        try await poll("every prediction", timeout: 30) {
            received.byBar.withLock { map in stride(from: firstBar, through: lastBar, by: 300_000).allSatisfy { map[$0] != nil } }
        }
        let versions = received.versions()
        #expect(versions == ["v1", "v2"], "v3 must never have predicted: \(versions)")
        let log = harness.processes["predictor"]!.log
        #expect(log.contains("model switched") && log.contains("close_SMA_99"), "\(log.suffix(3000))")
        #expect(harness.processes["predictor"]!.isRunning)
    }
}
}
