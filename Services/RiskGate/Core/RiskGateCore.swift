import Domain

/// Turns ensemble signals into sized trade intents for one division, or denies them, so that the
/// decisions depend on event time only: the same inputs give the same intents whether the cores
/// run chained in one process or over the bus with any arrival order.
///
/// **Event-time barrier.** A signal for bar B is held until the Executor's watermarks prove that
/// every report with an event time at or before the cutoff `max(B.openTime, previous cutoff)`
/// has arrived: for B's symbol, and for every symbol with an intent of this gate whose last event
/// has not arrived yet, the latest watermark has `through ≥ cutoff` and `intentsSeen ≥` the
/// number of intents this gate issued for that symbol. Held signals are decided one by one in the
/// order (bar close time, symbol, interval), the head blocking those behind it. Deciding applies
/// exactly the queued reports and releases with an event time at or before the cutoff, in
/// event-time order, then checks the breaker and sizes (``size(price:equity:freeCapital:division:)``).
/// ``Input/timeout(symbol:)`` (the shell saw no progress for too long in wall time) denies with
/// `executorStale` the held signals of that symbol and those waiting for its watermark
/// (``blockingSymbols`` names the symbols the first held signal waits for).
///
/// **Ledger.** equity = initial + Σ realized P&L of applied exit reports; each intent reserves its
/// notional at issue until its exit report, or an `expired`/`rejected` ack (applied at the
/// would-be entry time, the open of the kline after its bar); freeCapital = equity − reserved.
/// The daily-loss breaker trips when the UTC day's realized P&L (by report event time) is at or
/// below −maxDailyLoss × that day's starting equity, and denies until the next UTC day.
///
/// **Delivery.** Intents are re-published on ``Input/republishDue`` until any ack arrives: the
/// Executor acknowledges every copy (`duplicate` for the second one) and judges expiry in event
/// time, so the gate never gives up on its own. The state is published on every change.
///
/// ```swift
/// var gate = RiskGateCore(configuration: .init())
/// gate.handle(.signal(signal, newIntentID: id), now: now)   // [.held(signal)]
/// gate.handle(.watermark(mark), now: now)                  // [.intent(intent), .state(state)]
/// ```
public struct RiskGateCore: Sendable {
    /// A message the gate reads.
    public enum Input: Sendable, Hashable {
        /// A signal (`sig.<SYM>.<iv>.`) and the id to give its intent if approved (the shell makes ids).
        case signal(EnsembleSignal, newIntentID: IntentID)
        /// A fill (`exec.report.<SYM>.`).
        case report(ExecutionReport)
        /// The Executor's receipt of an intent (`exec.ack.`).
        case ack(IntentAck)
        /// The Executor's progress for one symbol (published after the reports it covers).
        case watermark(ExecutionWatermark)
        /// The shell saw no progress from the Executor for this symbol for too long (wall time):
        /// deny its held signals, and the held signals at the head that wait for its watermark
        /// (see ``blockingSymbols``).
        case timeout(symbol: String)
        /// The shell's re-publication timer fired.
        case republishDue
    }

    /// What the shell must do.
    public enum Output: Sendable, Hashable {
        /// Publish a new intent on `intent.<SYM>.`.
        case intent(TradeIntent)
        /// Publish an unacknowledged intent again.
        case republish(TradeIntent)
        /// Publish on `risk.denied.<SYM>.`.
        case denied(RiskDenied)
        /// Publish on `risk.state.`.
        case state(RiskState)
        /// The signal waits for the Executor's watermarks (start the wall-time timeout).
        case held(EnsembleSignal)
        /// The signal's bar was already decided or is already held (a replica's copy): ignored.
        case duplicateSignal(EnsembleSignal)
    }

    struct Held: Sendable {
        var signal: EnsembleSignal
        var intentID: IntentID

        /// Decision order: bar close time, symbol, interval, open time.
        var order: (Timestamp, String, Int64, Timestamp) {
            let bar = signal.bar
            return (bar.closeTime, bar.symbol, bar.interval.milliseconds, bar.openTime)
        }
    }

    struct SeriesKey: Hashable, Sendable {
        var symbol: String
        var intervalMilliseconds: Int64

        init(_ bar: BarKey) {
            symbol = bar.symbol
            intervalMilliseconds = bar.interval.milliseconds
        }
    }

    public let configuration: Configuration
    private var ledger: Ledger
    private var held: [Held] = []
    /// Open time of the newest bar decided per series (older and equal signals are duplicates).
    private var decidedThrough: [SeriesKey: Timestamp] = [:]
    private var watermarks: [String: ExecutionWatermark] = [:]
    private var issuedCount: [String: Int] = [:]
    /// The state last published (the initial one counts: the shell publishes ``state`` at start).
    private var lastPublished: RiskState

    /// A gate for a valid configuration (an invalid one is a broken invariant).
    public init(configuration: Configuration) {
        do { try configuration.validate() } catch { preconditionFailure(error.description) }
        self.configuration = configuration
        self.ledger = Ledger(division: configuration.division)
        self.lastPublished = ledger.snapshot()
    }

    /// The division's current state (as of the latest cutoff applied).
    public var state: RiskState { ledger.snapshot() }
    /// Signals waiting for the barrier, in decision order.
    public var heldSignals: [EnsembleSignal] { held.map(\.signal) }
    /// The symbols whose Executor watermarks the first held signal waits for (empty when nothing
    /// is held). The shell times out these symbols when they make no progress for too long.
    public var blockingSymbols: [String] { held.first.map { blockers(for: $0.signal.bar) } ?? [] }
    /// Intents not acknowledged yet, by id.
    public var unacknowledgedIntents: [TradeIntent] { ledger.unacknowledged }

    /// Handles one message. `now` is not used: decisions depend on event time only.
    public mutating func handle(_ input: Input, now: Timestamp) -> [Output] {
        var outputs: [Output] = []
        switch input {
        case .signal(let signal, let id):
            receive(signal, id: id, into: &outputs)
        case .report(let report):
            if ledger.receive(report) { decideReleased(into: &outputs) }
        case .ack(let ack):
            if ledger.receive(ack) { decideReleased(into: &outputs) }
        case .watermark(let mark):
            watermarks[mark.symbol] = mark
            decideReleased(into: &outputs)
        case .timeout(let symbol):
            timeOut(symbol, into: &outputs)
            decideReleased(into: &outputs)
        case .republishDue:
            outputs = ledger.unacknowledged.map { .republish($0) }
        }
        return outputs
    }

    // MARK: - Signals

    private mutating func receive(_ signal: EnsembleSignal, id: IntentID, into outputs: inout [Output]) {
        let bar = signal.bar
        if let through = decidedThrough[SeriesKey(bar)], bar.openTime <= through {
            outputs.append(.duplicateSignal(signal))
            return
        }
        if held.contains(where: { $0.signal.bar == bar }) {
            outputs.append(.duplicateSignal(signal))
            return
        }
        if signal.side != .buy {
            // Needs no state: denied at once.
            markDecided(bar)
            outputs.append(.denied(RiskDenied(bar: bar, reason: .unsupportedSide, detail: "spot is long only: \(signal.side.rawValue) signals are not traded")))
            return
        }
        let entry = Held(signal: signal, intentID: id)
        let index = held.firstIndex { entry.order < $0.order } ?? held.endIndex
        held.insert(entry, at: index)
        decideReleased(into: &outputs)
        if held.contains(where: { $0.signal.bar == bar }) { outputs.append(.held(signal)) }
    }

    private mutating func markDecided(_ bar: BarKey) {
        let key = SeriesKey(bar)
        decidedThrough[key] = max(decidedThrough[key] ?? bar.openTime, bar.openTime)
    }

    /// Decides held signals from the head while the barrier lets them through.
    private mutating func decideReleased(into outputs: inout [Output]) {
        while let head = held.first, barrierPasses(for: head.signal.bar) {
            held.removeFirst()
            decide(head, into: &outputs)
        }
        publishStateIfChanged(into: &outputs)
    }

    /// True when every report with an event time at or before the cutoff for `bar` has arrived.
    private func barrierPasses(for bar: BarKey) -> Bool { blockers(for: bar).isEmpty }

    /// The symbols whose watermarks do not yet cover the cutoff for `bar` (or lack intents), sorted.
    private func blockers(for bar: BarKey) -> [String] {
        let cutoff = max(bar.openTime, ledger.appliedThrough ?? bar.openTime)
        var symbols = ledger.symbolsAwaitingEvents
        symbols.insert(bar.symbol)
        return symbols.filter { symbol in
            guard let mark = watermarks[symbol] else { return true }
            return mark.through < cutoff || mark.intentsSeen < issuedCount[symbol, default: 0]
        }.sorted()
    }

    /// Denies, as `executorStale`, the held signals of `symbol` and those at the head that wait
    /// for its watermark (an intent of `symbol` still has events to come).
    private mutating func timeOut(_ symbol: String, into outputs: inout [Output]) {
        func deny(_ entry: Held, _ detail: String) {
            markDecided(entry.signal.bar)
            outputs.append(.denied(RiskDenied(bar: entry.signal.bar, reason: .executorStale, detail: detail)))
        }
        let own = held.filter { $0.signal.bar.symbol == symbol }
        held.removeAll { $0.signal.bar.symbol == symbol }
        for entry in own { deny(entry, "no executor watermark for \(symbol) reached \(entry.signal.bar.openTime) in time") }
        while let head = held.first, blockers(for: head.signal.bar).contains(symbol) {
            held.removeFirst()
            deny(head, "waits for the executor's watermark of \(symbol), which has an open intent, and it did not come in time")
        }
    }

    private mutating func decide(_ entry: Held, into outputs: inout [Output]) {
        let signal = entry.signal
        let bar = signal.bar
        ledger.apply(through: bar.openTime)
        markDecided(bar)
        publishStateIfChanged(into: &outputs)
        let division = configuration.division
        if ledger.breakerTripped {
            outputs.append(.denied(RiskDenied(
                bar: bar, reason: .dailyLossBreaker,
                detail: "realized P&L today \(ledger.realizedToday.compactDescription) reached the limit −\(ledger.dailyLossLimit.compactDescription)"
            )))
            return
        }
        switch Self.size(price: signal.referencePrice, equity: ledger.equity, freeCapital: ledger.freeCapital, division: division) {
        case .refused(let reason, let detail):
            outputs.append(.denied(RiskDenied(bar: bar, reason: reason, detail: detail)))
        case .sized(let sizing):
            let close = bar.closeTime
            let intent = TradeIntent(
                id: entry.intentID, bar: bar, side: .buy, division: division.name, quantity: sizing.quantity,
                referencePrice: signal.referencePrice, takeProfit: sizing.takeProfit, stopLoss: sizing.stopLoss,
                createdAt: close, expiresAt: close.adding(milliseconds: division.intentTTL(for: bar.interval)),
                shadow: division.shadow
            )
            ledger.issue(intent)
            issuedCount[bar.symbol, default: 0] += 1
            outputs.append(.intent(intent))
            publishStateIfChanged(into: &outputs)
        }
    }

    private mutating func publishStateIfChanged(into outputs: inout [Output]) {
        let current = ledger.snapshot()
        var comparable = current
        comparable.asOf = lastPublished.asOf
        if comparable == lastPublished { return }
        lastPublished = current
        outputs.append(.state(current))
    }
}
