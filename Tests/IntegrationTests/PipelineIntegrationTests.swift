import Bus
import CollectorCore
import Domain
import EnsembleCore
import ExecutorCore
import Foundation
import PredictorCore
import Research
import RiskGateCore
import Testing
import TestKit
import Wire

/// The real executables over the real bus on loopback, against the in-process chain of the same
/// cores on the same klines (ARCHITECTURE.md §3: replay and backtest decide identically).
extension Integration {
@Suite struct PipelineIntegrationTests {
    static let from = "2024-08-04", to = "2024-08-07"   // three days of real BTCUSDT 5m, the 2024-08-05 crash included

    /// The in-process reference: the intents and fills the cores make on the replayed klines.
    static func reference(model: Model) throws -> (intents: [IntentRow], fills: [FillRow], klines: Int) {
        let klines = try KlineCSV.read(path: RepositoryPaths.sampleKlines.path, openTimes: Timestamp(utcDate: from)!..<Timestamp(utcDate: to)!)
        var backtest = try Backtest(configuration: .init(
            features: SuiteHarness.features, models: [model],
            ensemble: .init(models: [.init(name: SuiteHarness.modelName, weight: 1)], threshold: 0.6),
            risk: .init(division: .init()), executor: .init(feeRate: Decimal8("0.001")!)
        ))
        backtest.run(klines)
        let barOf = Dictionary(uniqueKeysWithValues: backtest.result.intents.map { ($0.id, $0.bar.openTime.milliseconds) })
        let fills = backtest.result.reports.map { FillRow($0, intentBar: barOf[$0.intentID]!) }.sorted()
        return (backtest.result.intents.map(IntentRow.init).sorted(), fills, klines.count)
    }

    static func diff<T: Hashable & CustomStringConvertible>(_ label: String, _ got: [T], _ expected: [T]) -> String {
        let missing = Set(expected).subtracting(got), extra = Set(got).subtracting(expected)
        return "\(label): got \(got.count), expected \(expected.count); missing \(missing.map(\.description).sorted().prefix(5)); unexpected \(extra.map(\.description).sorted().prefix(5))"
    }

    /// Waits until the journal equals the reference, then until the risk gate has decided every
    /// signal the ensemble sent, and checks the journal again (nothing extra arrived late).
    static func expectParity(_ harness: SuiteHarness, expected: (intents: [IntentRow], fills: [FillRow], klines: Int), timeout: Double = 90) async throws {
        try await poll("collector finished its replay", timeout: timeout) { harness.heartbeats.heartbeat("collector")?.status == "done" }
        #expect(harness.heartbeats.counter("collector", "klines_published") == UInt64(expected.klines))
        do {
            try await poll("the executor's journal to match the in-process run", timeout: timeout) {
                let journal = try harness.journal()
                return journal.intents.sorted() == expected.intents && journal.fills.sorted() == expected.fills
            }
        } catch {
            let journal = try harness.journal()
            let counters = ["ensemble", "riskgate", "executor"].map { "\($0): \((harness.heartbeats.heartbeat($0)?.counters ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))" }
            Issue.record("\(error)\n\(diff("intents", journal.intents.sorted(), expected.intents))\n\(diff("fills", journal.fills.sorted(), expected.fills))\n\(counters.joined(separator: "\n"))\n\(harness.logs())")
            throw error
        }
        try await poll("the risk gate to decide every signal", timeout: timeout) {
            let signals = harness.heartbeats.counter("ensemble", "signals")
            let gate = harness.heartbeats.heartbeat("riskgate")?.counters ?? [:]
            let decided = gate.filter { $0.key == "intents" || $0.key.hasPrefix("denied_") }.values.reduce(0, +)
            return signals > 0 && decided == signals
        }
        let journal = try harness.journal()
        #expect(journal.intents.sorted() == expected.intents, "\(diff("intents", journal.intents.sorted(), expected.intents))")
        #expect(journal.fills.sorted() == expected.fills, "\(diff("fills", journal.fills.sorted(), expected.fills))")
        #expect(Set(journal.intents).count == journal.intents.count, "an intent was journaled twice")
    }

    @Test func replayOverTheBusMakesExactlyTheInProcessDecisions() async throws {
        let harness = try SuiteHarness(name: "parity")
        defer { harness.stopAll() }
        let model = try harness.trainModel()
        let expected = try Self.reference(model: model)
        #expect(expected.intents.count >= 5, "the slice must produce intents")
        #expect(expected.fills.count >= 5, "the slice must produce fills")
        try harness.startPipeline()
        try harness.startCollector(from: Self.from, to: Self.to, speed: 2000)
        try await Self.expectParity(harness, expected: expected)
        // Zero sequence gaps anywhere, and every process still running.
        try await poll("fresh heartbeats", timeout: 10) { harness.heartbeats.all().count >= 7 }
        #expect(harness.heartbeats.total("gap_messages") == 0, "sequence gaps: \(harness.heartbeats.all().map { "\($0.instance): \($0.counters["gap_messages"] ?? 0)" })")
        #expect(harness.heartbeats.total("dropped_slow_consumer") == 0)
        for (name, process) in harness.processes { #expect(process.isRunning, "\(name) died:\n\(process.log.suffix(2000))") }
    }

    /// Two replicas of the predictor (their duplicate predictions count once) and an attacker
    /// sending malformed messages: the decisions are still exactly the in-process ones.
    @Test func garbageOnTheBusIsCountedAndIgnoredWithReplicatedPredictors() async throws {
        let harness = try SuiteHarness(name: "garbage")
        defer { harness.stopAll() }
        let model = try harness.trainModel()
        let expected = try Self.reference(model: model)
        try harness.startPipeline(predictorReplicas: 2)
        // An attacker on the bus sends malformed messages on every subscribed topic family while the replay runs.
        let context = BusContext()
        defer { context.terminate() }
        let attacker = try BusPublisher(context: context, endpoint: harness.frontend, identity: PublisherIdentity(service: "attacker", instance: "1"))
        defer { attacker.close() }
        var badKline = Quorum_V1_Kline()
        badKline.symbol = "BTCUSDT"; badKline.interval = "5m"; badKline.open = "not-a-price"
        let garbage = Task {
            var rounds = 0
            while !Task.isCancelled && rounds < 2_000 {
                rounds += 1
                for topic in ["md.kline.BTCUSDT.5m.", "feat.BTCUSDT.5m.", "pred.BTCUSDT.5m.x.", "sig.BTCUSDT.5m.", "intent.BTCUSDT.", "exec.report.BTCUSDT."] {
                    try? attacker.publishRaw(RawMessage(frames: [Array(topic.utf8)]))
                    try? attacker.publishRaw(RawMessage(frames: [Array(topic.utf8), [0xFF, 0x01], [0x02]]))
                    try? attacker.publishRaw(RawMessage(frames: [Array(topic.utf8), [], [], [], []]))
                }
                attacker.publish(.kline(badKline), topic: "md.kline.BTCUSDT.5m.", eventTime: .zero)
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        try harness.startCollector(from: Self.from, to: Self.to, speed: 2000)
        try await poll("every service to count dropped garbage", timeout: 60) {
            ["features", "executor", "ensemble", "riskgate", "predictor-1"].allSatisfy { instance in
                (harness.heartbeats.heartbeat(instance)?.counters ?? [:]).contains { $0.key.hasPrefix("dropped_") && $0.value > 0 }
            }
        }
        garbage.cancel()
        _ = await garbage.value
        // The decisions are untouched by the garbage.
        try await Self.expectParity(harness, expected: expected)
        #expect(harness.heartbeats.counter("features", "dropped_wrong_frame_count") > 0)
        #expect(harness.heartbeats.counter("features", "dropped_bad_header") > 0)
        #expect(harness.heartbeats.counter("features", "dropped_invalid_kline") > 0)
        #expect(harness.heartbeats.counter("predictor-2", "predictions") > 0)
        // The second replica's copy of a bar arrives when the bar is pending (duplicate) or already decided (late): never counted twice.
        #expect(harness.heartbeats.counter("ensemble", "duplicate_predictions") + harness.heartbeats.counter("ensemble", "late_predictions") > 0)
        for (name, process) in harness.processes { #expect(process.isRunning, "\(name) died:\n\(process.log.suffix(2000))") }
    }

    /// A predictor whose model needs features the vectors do not carry refuses to run, naming them.
    @Test func aPredictorRefusesVectorsWithoutItsFeatures() async throws {
        let harness = try SuiteHarness(name: "missing")
        defer { harness.stopAll() }
        _ = try harness.trainModel()
        try harness.start("bus", executable: "quorum-bus", environment: ["BUS_FRONTEND_BIND": harness.frontend, "BUS_BACKEND_BIND": harness.backend])
        try harness.start("features", executable: "quorum-features", environment: ["FEATURES": "close_SMA_3,close_RSI_14"])
        try harness.startPredictor(instance: "predictor-1")
        try harness.start("collector", executable: "quorum-collector", environment: [
            "REPLAY_FILE": RepositoryPaths.sampleKlines.path, "REPLAY_FROM": "2024-08-04", "REPLAY_TO": "2024-08-05",
            "REPLAY_SPEED": "500", "REPLAY_WAIT_FOR_SUBSCRIBERS": "features,predictor", "REPLAY_SETTLE_MS": "300",
        ])
        let predictor = harness.processes["predictor-1"]!
        try await poll("the predictor to refuse", timeout: 60) { !predictor.isRunning }
        #expect(predictor.process.terminationStatus != 0)
        for name in ["close_SMA_6", "close_SMA_12", "high_low_close_ATR_14"] { #expect(predictor.log.contains(name), "\(predictor.log)") }
        #expect(predictor.log.contains("refusing"))
    }

    @Test func aKilledPredictorIsRestartedAndThePipelineContinues() async throws {
        let harness = try SuiteHarness(name: "kill")
        defer { harness.stopAll() }
        _ = try harness.trainModel()
        try harness.startPipeline()
        // Five days at 150 bars/s (about 10 s): long enough that the restarted predictor joins while bars still flow.
        try harness.startCollector(from: "2024-08-04", to: "2024-08-09", speed: 150)
        try await poll("predictions flowing", timeout: 60) { harness.heartbeats.counter("predictor-1", "predictions") >= 100 }
        harness.processes["predictor-1"]!.kill9()
        // Bars keep coming while no predictor runs; the ensemble holds them (known from their vectors).
        // Heartbeats are up to 200 ms (30 bars) old, so wait for 150 bars (1 s) to be sure of 100.
        let vectorsAtKill = harness.heartbeats.counter("features", "vectors")
        try await poll("bars to pass without a predictor", timeout: 30) { harness.heartbeats.counter("features", "vectors") >= vectorsAtKill + 150 }
        let decidedAtRestart = harness.heartbeats.counter("ensemble", "signals") + harness.heartbeats.counter("ensemble", "no_signal_below_threshold")
        try harness.startPredictor(instance: "predictor-1")
        // The restarted predictor's first prediction closes the bars it missed: counted, not lost silently.
        try await poll("the restart to be counted", timeout: 30) { harness.heartbeats.counter("ensemble", "publisher_restarts") >= 1 }
        do {
            try await poll("the missed bars to be counted", timeout: 30) { harness.heartbeats.counter("ensemble", "no_signal_no_predictions") >= 20 }
        } catch {
            Issue.record("\(error): ensemble \(harness.heartbeats.heartbeat("ensemble")?.counters ?? [:]); predictor \(harness.heartbeats.heartbeat("predictor-1")?.counters ?? [:])\n\(harness.logs())")
            throw error
        }
        try await poll("decisions to resume", timeout: 30) {
            harness.heartbeats.counter("ensemble", "signals") + harness.heartbeats.counter("ensemble", "no_signal_below_threshold") > decidedAtRestart + 20
        }
        try await poll("collector finished its replay", timeout: 60) { harness.heartbeats.heartbeat("collector")?.status == "done" }
        try await poll("the executor to follow to the end", timeout: 30) {
            harness.heartbeats.counter("executor", "received") >= UInt64(5 * 288)
        }
        for (name, process) in harness.processes { #expect(process.isRunning, "\(name) died:\n\(process.log.suffix(2000))") }
    }
}
}
