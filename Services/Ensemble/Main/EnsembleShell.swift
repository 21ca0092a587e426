import Bus
import Domain
import EnsembleCore
import Foundation
import Runtime
import Synchronization
import Wire

/// The service around an ``EnsembleCore``: feeds it the bus's messages, publishes its signals,
/// counts what it did, and times out models that lag (wall clock, ``tick(waitNanoseconds:)``):
/// a bar that some model has moved past and that still waits for another model is decided with
/// the models present once it has waited `ENSEMBLE_WAIT_MS`; the missing models are then not
/// waited for again until they speak.
final class EnsembleShell: Sendable {
    private struct State {
        var core: EnsembleCore
        var reportedMissing: [String: Int] = [:]
        var reportedStale: [String] = []
        /// Monotonic time since which bars have waited for a lagging model.
        var laggingSince: UInt64?
        var lastTrace = ""
    }

    private let state: Mutex<State>
    private let node: BusNode
    private let mode: String

    init(core: EnsembleCore, node: BusNode) {
        self.state = Mutex(State(core: core))
        self.node = node
        self.mode = core.configuration.mode.rawValue
    }

    func handle(_ input: EnsembleCore.Input, now: Timestamp, traceID: String, causationID: String) {
        state.withLock { state in
            state.lastTrace = traceID
            apply(state.core.handle(input, now: now), traceID: traceID, causationID: causationID, state: &state)
        }
    }

    /// Called periodically: times out the lagging models once bars have waited long enough.
    func tick(waitNanoseconds: UInt64) {
        state.withLock { state in
            guard state.laggingSince != nil, WallClock.monotonicNanoseconds() - state.laggingSince! >= waitNanoseconds else { return }
            node.counters.increment("lagging_timeouts")
            node.logger.notice("deciding bars without the models that lag", metadata: ["waited_ms": "\(waitNanoseconds / 1_000_000)"])
            apply(state.core.handle(.timeout, now: WallClock.now()), traceID: state.lastTrace, causationID: "", state: &state)
        }
    }

    private func apply(_ outputs: [EnsembleCore.Output], traceID: String, causationID: String, state: inout State) {
        for output in outputs {
            switch output {
            case .signal(let signal):
                node.publish(.signal(Quorum_V1_EnsembleSignal(signal)), topic: Topic.signal(symbol: signal.bar.symbol, interval: signal.bar.interval.name),
                             eventTime: signal.bar.closeTime, traceID: traceID, causationID: causationID)
                node.counters.increment(signal.action == .exit ? "exit_signals" : "signals")
            case .noSignal(let decision):
                node.counters.increment("no_signal_\(decision.reason.rawValue)")
            case .duplicate:
                node.counters.increment("duplicate_predictions")
            case .ignored(_, let reason):
                node.counters.increment("ignored_\(reason.rawValue)")
            case .late:
                node.counters.increment("late_predictions")
            }
        }
        if state.core.hasLaggingBars {
            if state.laggingSince == nil { state.laggingSince = WallClock.monotonicNanoseconds() }
        } else {
            state.laggingSince = nil
        }
        // Missing and stale predictors: counted per model, the stale ones named in the heartbeat.
        for (model, count) in state.core.missingCounts where count > state.reportedMissing[model, default: 0] {
            node.counters.increment("missing_\(model)", by: UInt64(count - state.reportedMissing[model, default: 0]))
            state.reportedMissing[model] = count
        }
        let stale = state.core.staleModels
        if stale != state.reportedStale {
            state.reportedStale = stale
            ServiceMain.status.set("running mode=\(mode)" + (stale.isEmpty ? "" : " stale=\(stale.joined(separator: ","))"))
        }
    }
}
