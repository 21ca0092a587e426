import Bus
import Domain
import Foundation
import RiskGateCore
import Runtime
import Synchronization
import Wire

// quorum-riskgate: signals in (sig.), the Executor's acks, reports and watermarks in (exec.);
// intents out (intent.<SYM>.), denials (risk.denied.<SYM>.) and state (risk.state.). Re-publishes
// every unacknowledged intent every REPUBLISH_MS until it is acknowledged or expires.
await ServiceMain.run(service: "riskgate") { env in
    let division = RiskGateCore.Division(
        name: env.string("DIVISION", default: "default", "division name"),
        equity: env.decimal("EQUITY", default: Decimal8(1000), "division equity in the quote asset"),
        riskPerTrade: env.decimal("RISK_PER_TRADE", default: Decimal8("0.005")!, "fraction of equity lost at a stop-out"),
        stopDistance: env.decimal("STOP_DISTANCE", default: Decimal8("0.005")!, "stop distance as a fraction of the entry price"),
        target: env.decimal("TARGET", default: Decimal8("0.003")!, "take-profit distance as a fraction of the entry price"),
        maxDailyLoss: env.decimal("MAX_DAILY_LOSS", default: Decimal8("0.02")!, "daily realized loss (fraction of start-of-day equity) that trips the breaker"),
        quantityStep: env.decimal("QUANTITY_STEP", default: Decimal8("0.00001")!, "quantity step size"),
        tickSize: env.decimal("TICK_SIZE", default: Decimal8("0.01")!, "price tick size"),
        minNotional: env.decimal("MIN_NOTIONAL", default: Decimal8(5), "smallest order value"),
        shadow: env.bool("SHADOW", default: true, "mark intents shadow (paper)")
    )
    let republishMs = env.int("REPUBLISH_MS", default: 250, range: 10...60_000, "re-publication period of unacknowledged intents")
    let waitMs = env.int("EXECUTOR_WAIT_MS", default: 10_000, range: 100...600_000, "deny held signals when the Executor shows no progress this long")
    let configuration = RiskGateCore.Configuration(division: division)
    do { try configuration.validate() } catch let error as RiskGateCore.Configuration.ValidationError {
        for violation in error.violations { env.fail(violation) }
    }
    return { node in
        let gate = Gate(core: RiskGateCore(configuration: configuration), node: node)
        gate.publishState()
        let inbound = try node.subscribe([Topic.Prefix.signals, Topic.Prefix.execution, Topic.control(service: "riskgate")])
        let timers = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(republishMs))
                gate.handle(.republishDue, trace: "", cause: "")
                gate.expireStaleHolds(olderThanMs: UInt64(waitMs))
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
                    case .control(let control):
                        node.logger.notice("control received", metadata: ["ctl.command": "\(control.command)"])
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

/// The core behind a mutex: the bus loop and the timer task both drive it, one input at a time.
final class Gate: Sendable {
    private let state: Mutex<State>
    let node: BusNode

    struct State {
        var core: RiskGateCore
        /// Since when the first held signal has waited without any watermark progress (monotonic ns).
        var waitingSince: UInt64?
        /// Trace ids of intents, so re-publications carry the original trace.
        var traces: [IntentID: String] = [:]
        /// When each unacknowledged intent was first published (monotonic ns).
        var issuedAt: [IntentID: UInt64] = [:]
        /// Intents no longer re-published: unacknowledged past their lifetime.
        var abandoned: Set<IntentID> = []
    }

    init(core: RiskGateCore, node: BusNode) {
        self.state = Mutex(State(core: core))
        self.node = node
    }

    func publishState() {
        let snapshot = state.withLock { $0.core.state }
        node.publish(.riskState(Quorum_V1_RiskState(snapshot)), topic: Topic.riskState, eventTime: snapshot.asOf)
    }

    func handle(_ input: RiskGateCore.Input, trace: String, cause: String) {
        state.withLock { state in
            let outputs = state.core.handle(input, now: WallClock.now())
            for output in outputs {
                switch output {
                case .intent(let intent):
                    state.traces[intent.id] = trace
                    state.issuedAt[intent.id] = WallClock.monotonicNanoseconds()
                    node.publish(.intent(Quorum_V1_TradeIntent(intent)), topic: Topic.intent(symbol: intent.bar.symbol),
                                 eventTime: intent.createdAt, traceID: trace, causationID: cause)
                    node.counters.increment("intents")
                case .republish(let intent):
                    // Re-published until acknowledged or expired. Expiry is judged on the wall clock
                    // since issue, over the intent's own lifetime (expiresAt − createdAt): the core's
                    // event time runs ahead of the Executor in a replay, the wall clock never does.
                    // Its capital stays reserved until an ack says what happened to it.
                    let lifetime = UInt64(max(0, intent.expiresAt.nanoseconds - intent.createdAt.nanoseconds))
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
}
