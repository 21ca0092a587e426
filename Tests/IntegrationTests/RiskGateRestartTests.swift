import Bus
import ControlAuth
import Domain
import Foundation
import Synchronization
import TestKit
import Testing
import Wire

/// The real quorum-riskgate over the real bus, killed with SIGKILL and restarted on its state
/// database: the manual pause survives, the unacknowledged intent is re-published with its id, the
/// same signal delivered again gives no second intent, and unsigned control is rejected.
extension Integration {
@Suite struct RiskGateRestartTests {
    static let key = "integration-test-control-key-0123456789"
    static let dayStart: Int64 = 1_722_816_000_000

    final class Inbox: Sendable {
        let messages = Mutex<[Envelope]>([])
        var all: [Envelope] { messages.withLock { $0 } }
        func intents() -> [Quorum_V1_TradeIntent] { all.compactMap { if case .intent(let i) = $0.payload { i } else { nil } } }
        func states() -> [Quorum_V1_RiskState] { all.compactMap { if case .riskState(let s) = $0.payload { s } else { nil } } }
        func denials() -> [Quorum_V1_RiskDenied] { all.compactMap { if case .riskDenied(let d) = $0.payload { d } else { nil } } }
        func heartbeats() -> [Quorum_V1_Heartbeat] { all.compactMap { if case .heartbeat(let h) = $0.payload { h } else { nil } } }
        func clear() { messages.withLock { $0.removeAll() } }
    }

    /// The test's own bus connection: a publisher, and a subscriber collecting into an ``Inbox``.
    final class TestBus: Sendable {
        let context = BusContext()
        let subscriber: BusSubscriber
        let publisher: BusPublisher
        let inbox = Inbox()
        private let reader: Task<Void, Never>

        init(_ harness: SuiteHarness, prefixes: [String], service: String, instance: String) throws {
            subscriber = try BusSubscriber(context: context, endpoint: harness.backend, prefixes: prefixes)
            publisher = try BusPublisher(context: context, endpoint: harness.frontend, identity: PublisherIdentity(service: service, instance: instance))
            let subscriber = subscriber, inbox = inbox
            reader = Task.detached {
                for await raw in subscriber.messages {
                    if let envelope = try? Envelope.decode(raw) { inbox.messages.withLock { $0.append(envelope) } }
                }
            }
        }

        /// Every socket closed before the context is terminated (terminating waits for them).
        func close() {
            reader.cancel()
            publisher.close()
            subscriber.close()
            context.terminate()
        }
    }

    static func bar(_ minute: Int64) -> BarKey {
        BarKey(symbol: "BTCUSDT", interval: .oneMinute, openTime: Timestamp(milliseconds: dayStart + minute * 60_000))
    }

    static func publishSignal(_ publisher: BusPublisher, minute: Int64, seen: Int) {
        let signal = EnsembleSignal(bar: bar(minute), side: .buy, probability: 0.7, threshold: 0.6, models: ["m"], referencePrice: Decimal8(100))
        publisher.publish(.executionWatermark(Quorum_V1_ExecutionWatermark(ExecutionWatermark(symbol: "BTCUSDT", through: bar(minute).closeTime, intentsSeen: seen))),
                          topic: Topic.executionWatermark(symbol: "BTCUSDT"), eventTime: bar(minute).closeTime)
        publisher.publish(.signal(Quorum_V1_EnsembleSignal(signal)), topic: Topic.signal(symbol: "BTCUSDT", interval: "1m"), eventTime: bar(minute).closeTime)
    }

    static func publishControl(_ publisher: BusPublisher, _ command: String, signed: Bool) {
        var control = Quorum_V1_Control()
        control.target = "riskgate"
        control.command = command
        if signed {
            control.arguments = ControlSignature.sign(
                target: "riskgate", command: command, arguments: [:], key: try! ControlKey(text: key),
                timestampMs: WallClock.now().milliseconds, nonce: UUID().uuidString
            )
        }
        publisher.publish(.control(control), topic: Topic.control(service: "riskgate"), eventTime: WallClock.now())
    }

    @Test func aKilledRiskGateKeepsItsPauseAndNeverIssuesAnIntentTwice() async throws {
        let harness = try SuiteHarness(name: "riskgate-kill")
        defer { harness.stopAll() }
        try harness.start("bus", executable: "quorum-bus", environment: ["BUS_FRONTEND_BIND": harness.frontend, "BUS_BACKEND_BIND": harness.backend])
        let environment = [
            "DATA_DIR": harness.dataDirectory.path, "QUORUM_CONTROL_KEY": Self.key, "EQUITY": "1000", "REPUBLISH_MS": "100",
            "HEALTH_SERVICES": "", "LOG_LEVEL": "notice",
        ]
        try harness.start("riskgate", executable: "quorum-riskgate", environment: environment)
        let bus = try TestBus(harness, prefixes: ["intent.", "risk.", "hb.riskgate."], service: "test", instance: "riskgate-kill")
        defer { bus.close() }
        let publisher = bus.publisher, inbox = bus.inbox

        // 1. A signal becomes an intent (repeated until the gate's subscription is in place; copies are duplicates).
        do {
            try await poll("the first intent", timeout: 60, every: .milliseconds(200)) {
                Self.publishSignal(publisher, minute: 0, seen: 0)
                return !inbox.intents().isEmpty
            }
        } catch {
            Issue.record("\(error): received \(inbox.all.map(\.topic))\n\(harness.logs())")
            throw error
        }
        let first = inbox.intents()[0].intentID
        // 2. A signed pause is applied; an unsigned one is rejected and counted.
        try await poll("the pause", timeout: 30, every: .milliseconds(200)) {
            Self.publishControl(publisher, "pause", signed: true)
            return inbox.states().contains { $0.tradingState == "REDUCING" && $0.causes.contains("manual_pause") }
        }
        Self.publishControl(publisher, "resume", signed: false)
        try await poll("the unsigned resume to be rejected", timeout: 30) {
            inbox.heartbeats().contains { ($0.counters["control_rejected_unsigned"] ?? 0) >= 1 }
        }

        // 3. SIGKILL, restart on the same database.
        harness.processes["riskgate"]!.kill9()
        inbox.clear()
        try harness.start("riskgate", executable: "quorum-riskgate", environment: environment)
        // The unacknowledged intent comes back with its id.
        try await poll("the intent re-published after the restart", timeout: 60) { inbox.intents().contains { $0.intentID == first } }
        // The same signal again, and the next bar: no second intent; the next bar is denied by the pause.
        try await poll("the next bar denied by the kept pause", timeout: 30, every: .milliseconds(200)) {
            Self.publishSignal(publisher, minute: 0, seen: 1)
            Self.publishSignal(publisher, minute: 1, seen: 1)
            return inbox.denials().contains { $0.barOpenTimeMs == Self.bar(1).openTime.milliseconds && $0.reason == "manual_pause" }
        }
        #expect(Set(inbox.intents().map(\.intentID)) == [first])
        // 4. status shows the pause.
        inbox.clear()
        try await poll("the status", timeout: 30, every: .milliseconds(300)) {
            Self.publishControl(publisher, "status", signed: true)
            return inbox.states().contains { $0.events.contains { $0.kind == "control" && $0.code == "status" } }
        }
        let status = inbox.states().last { $0.division == "default" }
        #expect(status?.tradingState == "REDUCING")
        #expect(status?.openPositions == 1)
    }

    /// SIGKILL at random moments while signals flow, restarting each time: no bar ever gets two
    /// intents (different ids), and every intent seen survives as the same id.
    @Test func killedAtRandomMomentsNoBarGetsTwoIntents() async throws {
        let harness = try SuiteHarness(name: "riskgate-kills")
        defer { harness.stopAll() }
        try harness.start("bus", executable: "quorum-bus", environment: ["BUS_FRONTEND_BIND": harness.frontend, "BUS_BACKEND_BIND": harness.backend])
        // Stops 5 % away: each intent takes a tenth of the capital, so most bars get one.
        let environment = [
            "DATA_DIR": harness.dataDirectory.path, "QUORUM_CONTROL_KEY": Self.key, "EQUITY": "1000", "STOP_DISTANCE": "0.05",
            "REPUBLISH_MS": "50", "HEALTH_SERVICES": "", "LOG_LEVEL": "warning",
        ]
        try harness.start("riskgate", executable: "quorum-riskgate", environment: environment)
        let bus = try TestBus(harness, prefixes: ["intent.", "risk.denied."], service: "test", instance: "riskgate-kills")
        defer { bus.close() }
        let publisher = bus.publisher, inbox = bus.inbox
        try await poll("the gate to listen", timeout: 60, every: .milliseconds(200)) {
            Self.publishSignal(publisher, minute: 0, seen: 0)
            return !inbox.intents().isEmpty
        }
        var generator = SeededGenerator(seed: 7)
        var kills = 0
        for round in 1...8 {
            // A few bars, then a kill after a random pause (during or after their decisions).
            for minute in Int64(round * 3 - 2)...Int64(round * 3) {
                let seen = Set(inbox.intents().map(\.intentID)).count
                Self.publishSignal(publisher, minute: minute, seen: seen)
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...40, using: &generator)))
            harness.processes["riskgate"]!.kill9()
            kills += 1
            try harness.start("riskgate", executable: "quorum-riskgate", environment: environment)
        }
        // After the last restart: every bar again (duplicates for those decided), until all are answered.
        try await poll("every bar decided", timeout: 60, every: .milliseconds(300)) {
            let intents = inbox.intents()
            let seen = Set(intents.map(\.intentID)).count
            for minute in Int64(0)...24 { Self.publishSignal(publisher, minute: minute, seen: seen) }
            let decided = Set(intents.map(\.barOpenTimeMs)).union(inbox.denials().map(\.barOpenTimeMs))
            return decided.count >= 25
        }
        var idsByBar: [Int64: Set<String>] = [:]
        for intent in inbox.intents() { idsByBar[intent.barOpenTimeMs, default: []].insert(intent.intentID) }
        let doubled = idsByBar.filter { $0.value.count > 1 }
        #expect(doubled.isEmpty, "bars with two intents: \(doubled)")
        #expect(kills == 8)
        #expect(idsByBar.count >= 5)
    }

    /// The crash test of issue 5 for the RiskGate: 100 SIGKILLs spread over the four phases of a
    /// decision (a signal or report received → decided → state saved → intent published), each
    /// from the crash hook (`RISKGATE_CRASH_AT`), restarting on the state database every time. The
    /// test plays the Executor: it acknowledges every intent as expired (releasing its capital, so
    /// every bar can get one) and publishes watermarks. No bar ever gets two intents, every bar is
    /// decided in the end, and the kills per phase are reported.
    @Test func killedAtEveryPhaseOfADecisionNoBarGetsTwoIntents() async throws {
        let harness = try SuiteHarness(name: "riskgate-phases")
        defer { harness.stopAll() }
        try harness.start("bus", executable: "quorum-bus", environment: ["BUS_FRONTEND_BIND": harness.frontend, "BUS_BACKEND_BIND": harness.backend])
        let base = [
            "DATA_DIR": harness.dataDirectory.path, "QUORUM_CONTROL_KEY": Self.key, "EQUITY": "1000", "STOP_DISTANCE": "0.05",
            "MAX_POSITIONS_PER_SYMBOL": "1000", "MAX_POSITIONS": "1000", "REPUBLISH_MS": "20", "HEALTH_SERVICES": "", "LOG_LEVEL": "error",
        ]
        let bus = try TestBus(harness, prefixes: ["intent.", "risk.denied."], service: "executor", instance: "riskgate-phases")
        defer { bus.close() }
        let publisher = bus.publisher, inbox = bus.inbox
        /// Plays the Executor for every intent seen, then publishes the signal of `minute`.
        func step(_ minute: Int64) {
            let intents = inbox.intents()
            var seen: Set<String> = []
            for wire in intents where seen.insert(wire.intentID).inserted {
                guard let intent = try? wire.domain() else { continue }
                publisher.publish(.intentAck(Quorum_V1_IntentAck(IntentAck(intentID: intent.id, symbol: "BTCUSDT", status: .expired, reason: "test"))),
                                  topic: Topic.intentAck, eventTime: intent.bar.closeTime)
            }
            Self.publishSignal(publisher, minute: minute, seen: seen.count)
        }
        let phases = ["received", "decided", "saved", "published"]
        var killsPerPhase: [String: Int] = [:]
        var generator = SeededGenerator(seed: 100)
        var minute: Int64 = 0
        let clock = ContinuousClock()
        let began = clock.now
        for kill in 0..<100 {
            let phase = phases[kill % phases.count]
            let n = Int.random(in: 1...2, using: &generator)
            try harness.start("riskgate", executable: "quorum-riskgate", environment: base.merging(["RISKGATE_CRASH_AT": "\(phase):\(n)"]) { $1 })
            let process = harness.processes["riskgate"]!
            do {
                try await poll("the gate to die at \(phase):\(n)", timeout: 60, every: .milliseconds(5)) {
                    if !process.isRunning { return true }
                    // One new bar per 20 ms while it lives; earlier bars again now and then (duplicates).
                    step(minute)
                    minute += 1
                    if minute % 7 == 0 { step(minute - 3) }
                    try await Task.sleep(for: .milliseconds(15))
                    return !process.isRunning
                }
            } catch {
                Issue.record("\(error)\n\(process.log.suffix(2000))")
                throw error
            }
            #expect(process.log.contains("crash hook: SIGKILL at phase \(phase)"), "\(process.log.suffix(500))")
            killsPerPhase[phase, default: 0] += 1
        }
        let killing = clock.now - began
        // A last start without the hook: every earlier bar again (each is a duplicate now, or gets
        // decided for the first time; a denial is not re-published, an unacknowledged intent is),
        // then ten new bars, which must all be decided.
        try harness.start("riskgate", executable: "quorum-riskgate", environment: base)
        let bars = minute
        for m in Int64(0)..<bars { step(m) }
        try await poll("the new bars decided", timeout: 60, every: .milliseconds(100)) {
            for m in bars..<(bars + 10) { step(m) }
            let decided = Set(inbox.intents().map(\.barOpenTimeMs)).union(inbox.denials().map(\.barOpenTimeMs))
            return (bars..<(bars + 10)).allSatisfy { decided.contains(Self.bar($0).openTime.milliseconds) }
        }
        var idsByBar: [Int64: Set<String>] = [:]
        for intent in inbox.intents() { idsByBar[intent.barOpenTimeMs, default: []].insert(intent.intentID) }
        let doubled = idsByBar.filter { $0.value.count > 1 }
        print("riskgate-crash: \(killsPerPhase.values.reduce(0, +)) kills in \(killing) over \(bars) bars; kills per phase: \(phases.map { "\($0) \(killsPerPhase[$0] ?? 0)" }.joined(separator: ", ")); bars with an intent \(idsByBar.count), with two \(doubled.count)")
        #expect(doubled.isEmpty, "bars with two intents: \(doubled)")
        #expect(phases.allSatisfy { killsPerPhase[$0] == 25 })
        #expect(idsByBar.count >= 50)
    }
}
}
