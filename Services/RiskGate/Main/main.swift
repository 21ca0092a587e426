import Bus
import ControlAuth
import Domain
import Foundation
import RiskGateCore
import Runtime
import Synchronization
import Wire

// quorum-riskgate: signals in (sig.), the Executor's acks, reports and watermarks in (exec.),
// heartbeats (hb.) for health, signed control commands (ctl.riskgate.); intents out
// (intent.<SYM>.), denials (risk.denied.<SYM>.) and states with their events (risk.state.).
// Re-publishes every unacknowledged intent every REPUBLISH_MS until it is acknowledged or expires.
// With DATA_DIR set, every state change is saved (DATA_DIR/riskgate.sqlite) before its outputs
// are published, and restored on start.
await ServiceMain.run(service: "riskgate") { env in
    let configuration = Settings.read(&env)
    let republishMs = env.int("REPUBLISH_MS", default: 250, range: 10...60_000, "re-publication period of unacknowledged intents")
    let waitMs = env.int("EXECUTOR_WAIT_MS", default: 10_000, range: 100...600_000, "deny held signals when the Executor shows no progress this long")
    let dataDirectory = env.string("DATA_DIR", default: "", "folder of the state database (riskgate.sqlite); empty: state is not persisted")
    let controlMaxAge = env.int("CONTROL_MAX_AGE_MS", default: 30_000, range: 1_000...600_000, "control messages older than this are rejected")
    let healthServices = env.list("HEALTH_SERVICES", default: ["collector", "executor"], "services whose heartbeats must stay fresh (empty: no health breaker)")
    let healthStaleMs = env.int("HEALTH_STALE_MS", default: 5_000, range: 100...600_000, "a heartbeat older than this (after the first one) pauses trading")
    let bookStaleMs = env.int("BOOK_STALE_MS", default: 10_000, range: 100...600_000, "an md.book silence this long (after the first one) is a feed failure")
    _ = env.string("QUORUM_CONTROL_KEY", default: "", "shared HMAC key of control messages (≥ 16 bytes; or QUORUM_CONTROL_KEY_FILE); never logged")
    _ = env.string("QUORUM_CONTROL_KEY_FILE", default: "", "file holding the control key")
    var key: ControlKey?
    do throws(ControlKey.Failure) { key = try ControlKey.fromEnvironment() } catch {
        if case .tooShort = error { env.fail("QUORUM_CONTROL_KEY: \(error.description)") }
    }
    let controlKey = key
    let crashText = env.string("RISKGATE_CRASH_AT", default: "", "tests only: <phase>:<n> SIGKILLs the process the n-th time a signal or report reaches a phase")
    let crashHook = Runtime.CrashHook<DecisionPhase>(specification: crashText, service: "riskgate")
    if crashHook == nil { env.fail("RISKGATE_CRASH_AT=\(crashText): expected <phase>:<n> with phase in \(Runtime.CrashHook<DecisionPhase>.phaseNames)") }
    let feedSymbols = Settings.feedSymbols(configuration)
    let needsFeatures = Settings.needsFeatures(configuration)
    return { node in
        var store: RiskStore?
        var core = RiskGateCore(configuration: configuration)
        if !dataDirectory.isEmpty {
            let path = (dataDirectory as NSString).appendingPathComponent("riskgate.sqlite")
            let opened = try RiskStore(path: path)
            if let snapshot = try opened.load() {
                core = try RiskGateCore(configuration: configuration, restoring: snapshot)
                node.logger.notice("state restored", metadata: ["path": "\(path)", "open_intents": "\(core.unacknowledgedIntents.count)"])
            }
            store = opened
        } else {
            node.logger.warning("DATA_DIR is not set: the gate's state is not persisted across restarts")
        }
        if controlKey == nil { node.logger.warning("no QUORUM_CONTROL_KEY: every control message will be rejected") }
        let gate = Gate(core: core, node: node, store: store, verifier: ControlVerifier(key: controlKey, maxAgeMilliseconds: Int64(controlMaxAge)),
                        crash: crashHook ?? .never)
        gate.publishStates()
        var prefixes = [Topic.Prefix.signals, Topic.Prefix.execution, Topic.control(service: "riskgate"), Topic.Prefix.heartbeats]
        if needsFeatures { prefixes.append(Topic.Prefix.features) }
        // Book snapshots: mids mark open positions to market; silence on a fallback division's symbol is a feed failure.
        prefixes += Settings.bookSymbols(configuration).map { Topic.book(symbol: $0) }
        let inbound = try node.subscribe(prefixes)
        let timers = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(republishMs))
                gate.handle(.republishDue, trace: "", cause: "")
                gate.expireStaleHolds(olderThanMs: UInt64(waitMs))
                gate.checkHealth(services: healthServices, staleMs: UInt64(healthStaleMs), feeds: feedSymbols, bookStaleMs: UInt64(bookStaleMs))
            }
        }
        defer { timers.cancel() }
        await inbound.onReceiveThread {
            for await envelope in inbound {
                let input: RiskGateCore.Input
                do {
                    switch envelope.payload {
                    case .signal(let wire):
                        let id = IntentID(milliseconds: WallClock.now().milliseconds, random: UInt64.random(in: 0...UInt64.max))
                        input = .signal(try wire.domain(), newIntentID: id)
                    case .executionReport(let wire): input = .report(try wire.domain())
                    case .intentAck(let wire): input = .ack(try wire.domain())
                    case .executionWatermark(let wire): input = .watermark(try wire.domain())
                    case .features(let wire): input = .features(try wire.domain())
                    case .bookSnapshot(let wire):
                        gate.bookSeen(wire.symbol)
                        guard let bid = wire.bids.first.flatMap({ Decimal8($0.price) }), let ask = wire.asks.first.flatMap({ Decimal8($0.price) }) else { continue }
                        input = .mark(symbol: wire.symbol, price: (bid + ask).divided(by: Decimal8(2), rounding: .down))
                    case .heartbeat(let heartbeat):
                        gate.heartbeatSeen(heartbeat)
                        continue
                    case .control(let control):
                        gate.control(control, publisher: envelope.header.publisher)
                        continue
                    default:
                        node.dropUnexpected(envelope)
                        continue
                    }
                } catch {
                    node.drop(reason: "invalid_payload", detail: "\(error)")
                    continue
                }
                gate.handle(input, trace: envelope.header.traceID, cause: envelope.causationID)
            }
        }
    }
}

/// Where a crash test may kill the gate (`RISKGATE_CRASH_AT=<phase>:<n>`), counted over signals
/// and execution reports: `received` (decoded, not given to the core), `decided` (the core
/// decided, nothing saved), `saved` (the state saved, nothing published), `published` (an intent
/// published).
enum DecisionPhase: String, CaseIterable, Sendable {
    case received, decided, saved, published
}

/// The core behind a mutex: the bus loop and the timer task both drive it, one input at a time.
final class Gate: Sendable {
    private let state: Mutex<State>
    let node: BusNode
    let store: RiskStore?
    let crash: Runtime.CrashHook<DecisionPhase>

    struct State {
        var core: RiskGateCore
        var verifier: ControlVerifier
        /// Since when the first held signal has waited without any watermark progress (monotonic ns).
        var waitingSince: UInt64?
        /// Trace ids of intents, so re-publications carry the original trace.
        var traces: [IntentID: String] = [:]
        /// When each unacknowledged intent was first published (monotonic ns).
        var issuedAt: [IntentID: UInt64] = [:]
        /// Intents no longer re-published: unacknowledged past their lifetime.
        var abandoned: Set<IntentID> = []
        /// Last heartbeat per service (monotonic ns) and its status.
        var heartbeats: [String: (at: UInt64, status: String)] = [:]
        /// Last md.book per symbol (monotonic ns).
        var books: [String: UInt64] = [:]
        /// What the gate last told the core, per component / symbol.
        var healthy: [String: Bool] = [:]
        var feedHealthy: [String: Bool] = [:]
        /// The last snapshot saved, without its watermarks.
        var lastSaved: RiskGateCore.Snapshot?
        /// The last save failed: nothing is published (new or re-published intents) until one succeeds.
        var unsaved = false
    }

    init(core: RiskGateCore, node: BusNode, store: RiskStore?, verifier: ControlVerifier, crash: Runtime.CrashHook<DecisionPhase> = .never) {
        self.state = Mutex(State(core: core, verifier: verifier))
        self.node = node
        self.store = store
        self.crash = crash
    }

    func publishStates() {
        let snapshots = state.withLock { $0.core.states }
        for snapshot in snapshots {
            node.publish(.riskState(Quorum_V1_RiskState(snapshot)), topic: Topic.riskState, eventTime: snapshot.asOf)
        }
    }

    func handle(_ input: RiskGateCore.Input, trace: String, cause: String) {
        let watched: Bool
        switch input {
        case .signal, .report: watched = true
        default: watched = false
        }
        state.withLock { state in
            if watched { crash.reach(.received) }
            let outputs = state.core.handle(input, now: WallClock.now())
            if watched { crash.reach(.decided) }
            // Save before publishing: an intent is published only once it is stored, so a restart
            // re-publishes it (never decides its signal again) and never forgets a breaker.
            var saved = true
            if let store, input.changesState || state.unsaved {
                let events = outputs.flatMap { output -> [RiskEvent] in if case .state(let s) = output { s.events } else { [] } }
                // Watermarks alone are not worth a write: after a restart the next ones replace them
                // (an older one only makes the barrier wait for the next).
                let snapshot = state.core.snapshot
                var comparable = snapshot
                comparable.forgetWatermarks()
                if comparable != state.lastSaved || !events.isEmpty || state.unsaved {
                    do {
                        try store.save(snapshot, events: events, at: WallClock.now())
                        state.lastSaved = comparable
                        state.unsaved = false
                    } catch {
                        saved = false
                        state.unsaved = true
                        node.counters.increment("state_save_failed")
                        node.logger.error("cannot save the risk state: intents are held back until it can", metadata: ["error": "\(error)"])
                    }
                }
            }
            if watched { crash.reach(.saved) }
            for output in outputs {
                switch output {
                case .intent(let intent):
                    state.traces[intent.id] = trace
                    state.issuedAt[intent.id] = WallClock.monotonicNanoseconds()
                    // Unsaved: re-published by the timer once a save succeeds.
                    guard saved else { continue }
                    node.publish(.intent(Quorum_V1_TradeIntent(intent)), topic: Topic.intent(symbol: intent.bar.symbol),
                                 eventTime: intent.createdAt, traceID: trace, causationID: cause)
                    node.counters.increment("intents")
                    crash.reach(.published)
                case .republish(let intent):
                    guard saved else { continue }
                    // Re-published until acknowledged or expired. Expiry is judged on the wall clock
                    // since issue, over the intent's own lifetime (expiresAt − createdAt): the core's
                    // event time runs ahead of the Executor in a replay, the wall clock never does.
                    // Its capital stays reserved until an ack says what happened to it.
                    let lifetime = UInt64(max(0, intent.expiresAt.nanoseconds - intent.createdAt.nanoseconds))
                    if state.issuedAt[intent.id] == nil { state.issuedAt[intent.id] = WallClock.monotonicNanoseconds() }
                    if let issued = state.issuedAt[intent.id], WallClock.monotonicNanoseconds() - issued > lifetime {
                        if state.abandoned.insert(intent.id).inserted {
                            node.counters.increment("intents_expired_unacknowledged")
                            node.logger.warning("intent expired unacknowledged: no longer re-published", metadata: [
                                "intent.id": "\(intent.id)", "intent.symbol": "\(intent.bar.symbol)",
                            ])
                        }
                        continue
                    }
                    node.publish(.intent(Quorum_V1_TradeIntent(intent)), topic: Topic.intent(symbol: intent.bar.symbol),
                                 eventTime: intent.createdAt, traceID: state.traces[intent.id] ?? "")
                    node.counters.increment("intents_republished")
                case .denied(let denied):
                    node.publish(.riskDenied(Quorum_V1_RiskDenied(denied)), topic: Topic.riskDenied(symbol: denied.bar.symbol),
                                 eventTime: denied.bar.closeTime, traceID: trace, causationID: cause)
                    node.counters.increment("denied_\(denied.reason.rawValue)")
                case .state(let snapshot):
                    for event in snapshot.events {
                        node.counters.increment("risk_event_\(event.kind.rawValue)")
                        node.logger.notice("risk event", metadata: [
                            "event.kind": "\(event.kind.rawValue)", "event.division": "\(event.division)", "event.code": "\(event.code)",
                            "event.detail": "\(event.detail)", "event.time": "\(event.time)",
                        ])
                    }
                    node.publish(.riskState(Quorum_V1_RiskState(snapshot)), topic: Topic.riskState, eventTime: snapshot.asOf)
                case .held:
                    node.counters.increment("held")
                case .duplicateSignal:
                    node.counters.increment("duplicate_signals")
                }
            }
            if case .ack(let ack) = input {
                state.traces[ack.intentID] = nil
                state.issuedAt[ack.intentID] = nil
                state.abandoned.remove(ack.intentID)
            }
            // The wait clock runs while something is held and restarts on any Executor progress.
            if state.core.heldSignals.isEmpty {
                state.waitingSince = nil
            } else if state.waitingSince == nil {
                state.waitingSince = WallClock.monotonicNanoseconds()
            } else if case .watermark = input {
                state.waitingSince = WallClock.monotonicNanoseconds()
            }
        }
    }

    /// Denies the held signals that wait on symbols whose Executor progress stalled for too long.
    func expireStaleHolds(olderThanMs limit: UInt64) {
        let now = WallClock.monotonicNanoseconds()
        let stale: [String] = state.withLock { state in
            guard let since = state.waitingSince, now > since, now - since > limit * 1_000_000 else { return [] }
            return state.core.blockingSymbols
        }
        for symbol in stale {
            node.logger.warning("executor silent: denying held signals", metadata: ["symbol": "\(symbol)", "wait.ms": "\(limit)"])
            handle(.timeout(symbol: symbol), trace: "", cause: "")
        }
    }

    // MARK: Health

    func heartbeatSeen(_ heartbeat: Quorum_V1_Heartbeat) {
        state.withLock { $0.heartbeats[heartbeat.service] = (WallClock.monotonicNanoseconds(), heartbeat.status) }
    }

    func bookSeen(_ symbol: String) {
        state.withLock { $0.books[symbol] = WallClock.monotonicNanoseconds() }
    }

    /// Turns heartbeat and book freshness into health inputs, on changes only. A service or a
    /// feed never seen is not judged (the suite may still be starting); a `stopping` heartbeat
    /// is a clean shutdown, not a failure.
    func checkHealth(services: [String], staleMs: UInt64, feeds: Set<String>, bookStaleMs: UInt64) {
        let now = WallClock.monotonicNanoseconds()
        let changes: [RiskGateCore.Input] = state.withLock { state in
            var inputs: [RiskGateCore.Input] = []
            for service in services {
                guard let seen = state.heartbeats[service], seen.status != "stopping" else { continue }
                let age = now > seen.at ? (now - seen.at) / 1_000_000 : 0
                let healthy = age <= staleMs && seen.status != "degraded"
                guard state.healthy[service] != healthy else { continue }
                if state.healthy[service] == nil && healthy { state.healthy[service] = true; continue }
                state.healthy[service] = healthy
                let detail = healthy ? "healthy" : (age > staleMs ? "no heartbeat for \(age) ms" : "heartbeat status \(seen.status)")
                inputs.append(.health(component: service, healthy: healthy, detail: detail))
            }
            for symbol in feeds.sorted() {
                guard let seen = state.books[symbol] else { continue }
                let healthy = now <= seen || (now - seen) / 1_000_000 <= bookStaleMs
                guard state.feedHealthy[symbol] != healthy else { continue }
                if state.feedHealthy[symbol] == nil && healthy { state.feedHealthy[symbol] = true; continue }
                state.feedHealthy[symbol] = healthy
                inputs.append(.feed(symbol: symbol, healthy: healthy))
            }
            return inputs
        }
        for input in changes { handle(input, trace: "", cause: "") }
    }

    // MARK: Control

    /// Verifies a control message (signature, freshness, replay) and applies it; a rejected one is
    /// counted, logged and journaled, never acted on.
    func control(_ control: Quorum_V1_Control, publisher: String) {
        let now = WallClock.now()
        let division = control.arguments["division"].flatMap { $0.isEmpty ? nil : $0 }
        let verdict: Result<Breakers.Command, ControlVerifier.Rejection> = state.withLock { state in
            do throws(ControlVerifier.Rejection) {
                try state.verifier.verify(target: control.target, command: control.command, arguments: control.arguments, nowMs: now.milliseconds)
            } catch {
                return .failure(error)
            }
            guard control.target == "riskgate" || control.target == "*" else { return .failure(.malformed("target \"\(control.target)\" is not riskgate")) }
            guard let command = Breakers.Command(rawValue: control.command) else { return .failure(.malformed("unknown command \"\(control.command)\"")) }
            return .success(command)
        }
        switch verdict {
        case .failure(let rejection):
            node.counters.increment("control_rejected")
            node.counters.increment("control_rejected_\(rejection.code)")
            node.logger.warning("control message rejected", metadata: [
                "ctl.command": "\(control.command)", "ctl.publisher": "\(publisher)", "reason": "\(rejection.description)",
            ])
            store?.logControl(publisher: publisher, command: control.command, division: division ?? "", verdict: rejection.code, detail: rejection.description, at: now)
        case .success(let command):
            node.counters.increment("control_applied")
            node.logger.notice("control applied", metadata: ["ctl.command": "\(command.rawValue)", "ctl.division": "\(division ?? "*")", "ctl.publisher": "\(publisher)"])
            store?.logControl(publisher: publisher, command: command.rawValue, division: division ?? "", verdict: "applied", detail: "", at: now)
            handle(.control(command, division: division), trace: "", cause: "")
            if command == .flatten {
                // Ask the Executor to close the positions (signed with the same key, so it can verify).
                var request = Quorum_V1_Control()
                request.target = "executor"
                request.command = "flatten"
                if let division { request.arguments["division"] = division }
                if let key = state.withLock({ $0.verifier.key }) {
                    request.arguments = ControlSignature.sign(
                        target: request.target, command: request.command, arguments: request.arguments, key: key,
                        timestampMs: now.milliseconds, nonce: String(UInt64.random(in: 0...UInt64.max), radix: 36)
                    )
                }
                node.publish(.control(request), topic: Topic.control(service: "executor"), eventTime: now)
            }
        }
    }
}

extension RiskGateCore.Input {
    /// Inputs that can change the stored state (the re-publication timer and feature vectors do not).
    var changesState: Bool {
        switch self {
        case .republishDue, .features, .mark: return false
        default: return true
        }
    }
}
