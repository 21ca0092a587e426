import Domain

/// Turns ensemble signals into sized trade intents for its divisions, or denies them, so that the
/// decisions depend on event time only: the same inputs give the same intents whether the cores
/// run chained in one process or over the bus with any arrival order.
///
/// **Event-time barrier.** A signal for bar B is held until the Executor's watermarks prove that
/// every report with an event time at or before the cutoff `max(B.openTime, previous cutoff)`
/// has arrived: for B's symbol, and for every symbol with an intent of this gate (any division)
/// whose last event has not arrived yet, the latest watermark has `through ≥ cutoff` and
/// `intentsSeen ≥` the number of intents this gate issued for that symbol. Held signals are
/// decided one by one in the order (bar close time, symbol, interval), the head blocking those
/// behind it. Deciding applies exactly the queued reports and releases with an event time at or
/// before the cutoff, in event-time order, feeding every closed trade and every UTC day and week
/// boundary to the ``Breakers``; then it resolves the division, checks its trading state, its
/// position limits, and sizes (``size(price:equity:freeCapital:division:atr:filters:)``).
/// ``Input/timeout(symbol:)`` (the shell saw no progress for too long in wall time) denies with
/// `executorStale` the held signals of that symbol and those waiting for its watermark
/// (``blockingSymbols`` names the symbols the first held signal waits for).
///
/// **Divisions.** A signal goes to the division it names, else to the first division listing its
/// symbol, else to the first division. Each division has a ledger: equity = initial + Σ realized
/// P&L of its applied exit reports ± capital shifts; each intent reserves its notional at issue
/// until its exit report, or an `expired`/`rejected` ack (applied at the would-be entry time, the
/// open of the kline after its bar); freeCapital = equity − reserved. During a recovery's shadow
/// step a division's intents are shadow and reserve nothing; during its reduced step it sizes on
/// `recoveryCapitalFraction` of its equity.
///
/// **Exit signals** (``EnsembleSignal/Action/exit``, side SELL) pass the same barrier and order;
/// deciding one issues a close intent (``TradeIntent/closesIntentID``) for every open position of
/// the symbol that entered by the bar's close, in the named division or in all, in any trading
/// state (closing reduces risk), or denies `noPosition`. Close intents reserve nothing and count
/// in `issuedCount` (the Executor counts them in `intentsSeen`); the position's exit report, with
/// leg ``ExecutionReport/Leg/signal``, releases its capital as any exit does.
///
/// **Health and control** (``Input/health(component:healthy:detail:)``, ``Input/feed(symbol:healthy:)``,
/// ``Input/control(_:division:)``) come from the shell, which verifies control signatures; they
/// take effect at the gate's latest event time (or `now` before any).
///
/// **Delivery.** Intents are re-published on ``Input/republishDue`` until any ack arrives: the
/// Executor acknowledges every copy (`duplicate` for the second one) and judges expiry in event
/// time, so the gate never gives up on its own. Each division's state (and, with several
/// divisions, the portfolio's) is published on every change, with the events since the last one.
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
        /// A feature vector (`feat.`): the gate keeps the ATR of the latest bar per series for
        /// divisions that place their stop by ATR.
        case features(FeatureVector)
        /// A component's health as the shell sees it (heartbeats of the Collector and Executor,
        /// the exchange, the API error rate): unhealthy pauses every division.
        case health(component: String, healthy: Bool, detail: String)
        /// The order-book feed of a symbol failed or recovered.
        case feed(symbol: String, healthy: Bool)
        /// A verified control command (`quorum risk …`); `division` nil: the portfolio.
        case control(Breakers.Command, division: String?)
        /// A book mid price (`md.book.`): marks open positions to market in the published states
        /// (``RiskState/markedEquity``); decisions do not use it.
        case mark(symbol: String, price: Price)
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

        init(symbol: String, intervalMilliseconds: Int64) {
            self.symbol = symbol
            self.intervalMilliseconds = intervalMilliseconds
        }
    }

    /// A report or a release waiting for the event-time cutoff to pass it.
    struct Event: Sendable {
        enum Kind: Sendable {
            case report(ExecutionReport)
            /// The intent ended unexecuted (expired or rejected ack): its would-be entry time.
            case release
        }

        var time: Timestamp
        var intentID: IntentID
        var kind: Kind

        /// Event time, then intent id, then entry before exit before release.
        var order: (Timestamp, IntentID, Int) {
            switch kind {
            case .report(let report): return (time, intentID, report.isExit ? 1 : 0)
            case .release: return (time, intentID, 2)
            }
        }
    }

    public let configuration: Configuration
    var ledgers: [Ledger]
    var breakers: Breakers
    var pending: [Event] = []
    var held: [Held] = []
    /// Open time of the newest bar decided per series (older and equal signals are duplicates).
    var decidedThrough: [SeriesKey: Timestamp] = [:]
    var watermarks: [String: ExecutionWatermark] = [:]
    var issuedCount: [String: Int] = [:]
    /// The ATR of the latest feature vector per series, with its bar's open time.
    var atr: [SeriesKey: (openTime: Timestamp, value: Decimal8)] = [:]
    /// The latest cutoff applied: every event at or before it is in the figures.
    var appliedThrough: Timestamp?
    /// The latest book mid per symbol.
    var marks: [String: Price] = [:]
    /// Events not yet published (the core's own, e.g. capital moved, besides the breakers').
    var events: [RiskEvent] = []
    /// The states last published, by division (the initial ones count: the shell publishes
    /// ``states`` at start).
    var lastPublished: [String: RiskState] = [:]

    /// A gate for a valid configuration (an invalid one is a broken invariant).
    public init(configuration: Configuration) {
        do { try configuration.validate() } catch { preconditionFailure(error.description) }
        self.configuration = configuration
        self.ledgers = configuration.divisions.map(Ledger.init(division:))
        self.breakers = Breakers(rules: configuration.rules, divisions: configuration.divisions, portfolioEquity: configuration.portfolioEquity)
        for state in states { lastPublished[state.division] = state }
    }

    /// The first division's current state (as of the latest cutoff applied).
    public var state: RiskState { snapshot(division: 0) }
    /// Every division's state, then the portfolio's when there are several divisions.
    public var states: [RiskState] {
        var all = ledgers.indices.map { snapshot(division: $0) }
        if ledgers.count > 1 { all.append(portfolioSnapshot()) }
        return all
    }
    /// The breakers (read-only).
    public var breakerState: Breakers { breakers }
    /// Signals waiting for the barrier, in decision order.
    public var heldSignals: [EnsembleSignal] { held.map(\.signal) }
    /// The symbols whose Executor watermarks the first held signal waits for (empty when nothing
    /// is held). The shell times out these symbols when they make no progress for too long.
    public var blockingSymbols: [String] { held.first.map { blockers(for: $0.signal.bar) } ?? [] }
    /// Intents not acknowledged yet, by id.
    public var unacknowledgedIntents: [TradeIntent] { ledgers.flatMap(\.unacknowledged).sorted { $0.id < $1.id } }
    /// Open intents (issued, capital not released yet) by division name.
    public var openIntents: [String: [TradeIntent]] {
        Dictionary(uniqueKeysWithValues: ledgers.map { ledger in
            (ledger.division, ledger.issued.values.filter { !$0.released }.map(\.intent).sorted { $0.id < $1.id })
        })
    }
    /// The portfolio's equity: every division's plus the reserve.
    public var portfolioEquity: Decimal8 { ledgers.reduce(configuration.reserve) { $0 + $1.equity } }

    /// Handles one message. `now` only stamps health and control events before any event time is
    /// known: decisions depend on event time only.
    public mutating func handle(_ input: Input, now: Timestamp) -> [Output] {
        var outputs: [Output] = []
        switch input {
        case .signal(let signal, let id):
            receive(signal, id: id, into: &outputs)
        case .report(let report):
            if let i = ledgerIndex(of: report.intentID), ledgers[i].receive(report) {
                pending.append(Event(time: report.eventTime, intentID: report.intentID, kind: .report(report)))
                decideReleased(into: &outputs)
            }
        case .ack(let ack):
            if let i = ledgerIndex(of: ack.intentID) {
                let (_, releaseAt) = ledgers[i].receive(ack)
                if let releaseAt { pending.append(Event(time: releaseAt, intentID: ack.intentID, kind: .release)) }
                decideReleased(into: &outputs)
            }
        case .watermark(let mark):
            watermarks[mark.symbol] = mark
            decideReleased(into: &outputs)
        case .timeout(let symbol):
            timeOut(symbol, into: &outputs)
            decideReleased(into: &outputs)
        case .republishDue:
            outputs = unacknowledgedIntents.map { .republish($0) }
        case .features(let vector):
            remember(vector)
        case .mark(let symbol, let price):
            if price > .zero { marks[symbol] = price }
        case .health(let component, let healthy, let detail):
            breakers.health(component: component, healthy: healthy, detail: detail, time: appliedThrough ?? now)
            publishStateIfChanged(into: &outputs)
        case .feed(let symbol, let healthy):
            for division in configuration.divisions where division.symbols.contains(symbol) {
                breakers.feed(symbol: symbol, division: division.name, healthy: healthy, time: appliedThrough ?? now)
            }
            applyShifts()
            publishStateIfChanged(into: &outputs)
        case .control(let command, let division):
            let time = appliedThrough ?? now
            do {
                _ = try breakers.control(command, division: division, time: time)
            } catch {
                events.append(RiskEvent(kind: .controlRejected, division: "", code: command.rawValue, time: time, detail: error.description))
            }
            applyShifts()
            if command == .status {
                // Everything, changed or not.
                lastPublished.removeAll()
            }
            publishStateIfChanged(into: &outputs)
        }
        return outputs
    }

    private func ledgerIndex(of id: IntentID) -> Int? { ledgers.firstIndex { $0.issued[id] != nil } }

    private mutating func remember(_ vector: FeatureVector) {
        let needed = Set(configuration.divisions.filter { $0.stopATRMultiple != nil }.map(\.atrFeature))
        guard !needed.isEmpty else { return }
        for name in needed {
            guard let index = vector.names.firstIndex(of: name), index < vector.values.count else { continue }
            let value = vector.values[index]
            guard value.isFinite, value > 0 else { continue }
            let key = SeriesKey(symbol: vector.bar.symbol, intervalMilliseconds: vector.bar.interval.milliseconds)
            if let known = atr[key], known.openTime > vector.bar.openTime { continue }
            atr[key] = (vector.bar.openTime, Decimal8(value))
        }
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
        if signal.side != .buy && !Self.isExit(signal) {
            // Needs no state: denied at once.
            markDecided(bar)
            outputs.append(.denied(RiskDenied(
                bar: bar, reason: .unsupportedSide, detail: "spot is long only: \(signal.side.rawValue) signals are not traded", division: signal.division
            )))
            return
        }
        let entry = Held(signal: signal, intentID: id)
        let index = held.firstIndex { entry.order < $0.order } ?? held.endIndex
        held.insert(entry, at: index)
        decideReleased(into: &outputs)
        if held.contains(where: { $0.signal.bar == bar }) { outputs.append(.held(signal)) }
    }

    /// An ensemble exit signal (``EnsembleSignal/Action/exit``, side SELL): closes positions.
    static func isExit(_ signal: EnsembleSignal) -> Bool { signal.action == .exit && signal.side == .sell }

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
        let cutoff = max(bar.openTime, appliedThrough ?? bar.openTime)
        var symbols = ledgers.reduce(into: Set<String>()) { $0.formUnion($1.symbolsAwaitingEvents) }
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
            outputs.append(.denied(RiskDenied(bar: entry.signal.bar, reason: .executorStale, detail: detail, division: entry.signal.division)))
        }
        let own = held.filter { $0.signal.bar.symbol == symbol }
        held.removeAll { $0.signal.bar.symbol == symbol }
        for entry in own { deny(entry, "no executor watermark for \(symbol) reached \(entry.signal.bar.openTime) in time") }
        while let head = held.first, blockers(for: head.signal.bar).contains(symbol) {
            held.removeFirst()
            deny(head, "waits for the executor's watermark of \(symbol), which has an open intent, and it did not come in time")
        }
    }

    // MARK: - Event time

    private var equities: [String: Decimal8] {
        Dictionary(uniqueKeysWithValues: ledgers.map { ($0.division, $0.equity) })
    }

    /// Applies every queued event at or before `requested` (never back) in event-time order, feeding
    /// the breakers each closed trade after moving them to its time, then moves every ledger and
    /// the breakers to the cutoff's UTC day.
    mutating func applyDue(through requested: Timestamp) {
        let cutoff = max(requested, appliedThrough ?? requested)
        let due = pending.filter { $0.time <= cutoff }.sorted { $0.order < $1.order }
        pending.removeAll { $0.time <= cutoff }
        for event in due {
            guard let i = ledgerIndex(of: event.intentID) else { continue }
            switch event.kind {
            case .report(let report):
                guard report.isExit else {
                    ledgers[i].applyEntry(report)
                    continue
                }
                breakers.advance(to: report.eventTime, equities: equities, portfolio: portfolioEquity)
                applyShifts()
                guard let (pnl, recoveryShadow) = ledgers[i].applyExit(report) else { continue }
                if recoveryShadow {
                    breakers.recoveryTradeClosed(division: ledgers[i].division, pnl: pnl)
                } else {
                    breakers.tradeClosed(division: ledgers[i].division, time: report.eventTime, pnl: pnl, equities: equities, portfolio: portfolioEquity)
                }
            case .release:
                ledgers[i].release(event.intentID)
            }
        }
        for i in ledgers.indices { ledgers[i].roll(to: cutoff.utcDay) }
        breakers.advance(to: cutoff, equities: equities, portfolio: portfolioEquity)
        applyShifts()
        appliedThrough = cutoff
    }

    /// Moves the capital of the breakers' shifts: share × the portfolio's equity, at most the
    /// giver's free capital.
    private mutating func applyShifts() {
        for shift in breakers.drainShifts() {
            guard let from = ledgers.firstIndex(where: { $0.division == shift.from }),
                  let to = ledgers.firstIndex(where: { $0.division == shift.to }) else { continue }
            let wanted = shift.share.multiplied(by: portfolioEquity, rounding: .down)
            let amount = max(.zero, min(wanted, ledgers[from].freeCapital))
            ledgers[from].transfer(.zero - amount)
            ledgers[to].transfer(amount)
            var figures = shift.figures
            figures["amount"] = amount
            figures["wanted"] = wanted
            events.append(RiskEvent(kind: .capitalShifted, division: shift.from, code: shift.reason, time: shift.time,
                                    detail: shift.detail + ": \(amount.compactDescription) moved", figures: figures))
        }
    }

    // MARK: - Decisions

    private func resolveDivision(_ signal: EnsembleSignal) -> Int? {
        if !signal.division.isEmpty { return configuration.divisions.firstIndex { $0.name == signal.division } }
        return configuration.divisions.firstIndex { $0.symbols.contains(signal.bar.symbol) } ?? 0
    }

    private mutating func decide(_ entry: Held, into outputs: inout [Output]) {
        let signal = entry.signal
        let bar = signal.bar
        applyDue(through: bar.openTime)
        markDecided(bar)
        publishStateIfChanged(into: &outputs)
        if Self.isExit(signal) {
            decideExit(entry, into: &outputs)
            return
        }
        func deny(_ reason: RiskDenied.Reason, _ division: String, _ detail: String, _ figures: [String: Decimal8] = [:]) {
            outputs.append(.denied(RiskDenied(bar: bar, reason: reason, detail: detail, division: division, figures: figures)))
        }
        guard let index = resolveDivision(signal) else {
            deny(.unknownDivision, signal.division, "no division named \"\(signal.division)\"")
            return
        }
        let division = configuration.divisions[index]
        let ledger = ledgers[index]
        if let cause = breakers.causes(for: division.name).first {
            if cause == .dailyLossBreaker {
                let limit = breakers.dailyLossLimit(of: division.name)
                deny(cause.reason, division.name,
                     "realized P&L today \(breakers.dayPnL(of: division.name).compactDescription) reached the limit −\(limit.compactDescription)",
                     ["loss": breakers.dayPnL(of: division.name), "limit": limit])
            } else {
                deny(cause.reason, division.name, "\(division.name) is \(breakers.tradingState(for: division.name).rawValue) (\(cause.rawValue))",
                     ["equity": ledger.equity, "portfolio_equity": portfolioEquity, "peak_equity": breakers.peakEquity])
            }
            return
        }
        if breakers.isFeedFailing(bar.symbol, division: division.name) {
            deny(.feedFailure, division.name, "the order-book feed of \(bar.symbol) failed")
            return
        }
        if let limit = division.maxOpenPositionsPerSymbol, ledger.openPositions(symbol: bar.symbol) >= limit {
            deny(.maxPositionsSymbol, division.name, "\(ledger.openPositions(symbol: bar.symbol)) open positions in \(bar.symbol), limit \(limit)",
                 ["open": Decimal8(ledger.openPositions(symbol: bar.symbol)), "limit": Decimal8(limit)])
            return
        }
        if let limit = division.maxOpenPositions, ledger.openPositions >= limit {
            deny(.maxPositionsDivision, division.name, "\(ledger.openPositions) open positions, limit \(limit)",
                 ["open": Decimal8(ledger.openPositions), "limit": Decimal8(limit)])
            return
        }
        var stopATR: Decimal8?
        if division.stopATRMultiple != nil {
            guard let known = atr[SeriesKey(bar)], known.openTime == bar.openTime else {
                deny(.atrUnavailable, division.name, "no \(division.atrFeature) for \(bar)")
                return
            }
            stopATR = known.value
        }
        let recoveryShadow = breakers.recovery(of: division.name) == .shadow
        let fraction = breakers.capitalFraction(of: division.name)
        let equity = ledger.equity.multiplied(by: fraction, rounding: .down)
        let free = recoveryShadow ? ledger.freeCapital : min(ledger.freeCapital, equity - ledger.reserved)
        let filters = configuration.symbolFilters[bar.symbol]
        switch Self.size(price: signal.referencePrice, equity: equity, freeCapital: free, division: division, atr: stopATR, filters: filters) {
        case .refused(let reason, let detail):
            deny(reason, division.name, detail, [
                "price": signal.referencePrice, "equity": equity, "free_capital": free,
                "risk_budget": division.riskPerTrade.multiplied(by: max(equity, .zero), rounding: .down), "min_notional": division.minNotional,
            ])
        case .sized(let sizing):
            let close = bar.closeTime
            let intent = TradeIntent(
                id: entry.intentID, bar: bar, side: .buy, division: division.name, quantity: sizing.quantity,
                referencePrice: signal.referencePrice, takeProfit: sizing.takeProfit, stopLoss: sizing.stopLoss,
                createdAt: close, expiresAt: close.adding(milliseconds: division.intentTTL(for: bar.interval)),
                shadow: division.shadow || recoveryShadow, timeLimitBars: division.timeLimitBars
            )
            ledgers[index].issue(intent, recoveryShadow: recoveryShadow)
            issuedCount[bar.symbol, default: 0] += 1
            outputs.append(.intent(intent))
            publishStateIfChanged(into: &outputs)
        }
    }

    /// An exit signal for bar B: one close intent per open position of B's symbol (in the named
    /// division, or in every division when it names none) that entered at or before B's close,
    /// in division order then intent id. Allowed in every trading state (closing reduces risk:
    /// REDUCING means exits only, and a HALTED or paused division may still close), and whatever
    /// the feed. The first close intent takes the shell's id, the others ids derived from it
    /// (``derivedID(_:index:)``). Nothing to close: denied `noPosition`.
    private mutating func decideExit(_ entry: Held, into outputs: inout [Output]) {
        let signal = entry.signal
        let bar = signal.bar
        let indices: [Int]
        if signal.division.isEmpty {
            indices = Array(ledgers.indices)
        } else if let index = configuration.divisions.firstIndex(where: { $0.name == signal.division }) {
            indices = [index]
        } else {
            outputs.append(.denied(RiskDenied(bar: bar, reason: .unknownDivision, detail: "no division named \"\(signal.division)\"", division: signal.division)))
            return
        }
        var count = 0
        for index in indices {
            for position in ledgers[index].closable(symbol: bar.symbol, enteredBy: bar.closeTime) {
                let target = position.intent
                let close = TradeIntent(
                    id: count == 0 ? entry.intentID : Self.derivedID(entry.intentID, index: count), bar: bar, side: .sell,
                    division: target.division, quantity: position.entryQuantity ?? target.quantity, referencePrice: signal.referencePrice,
                    takeProfit: target.takeProfit, stopLoss: target.stopLoss, createdAt: bar.closeTime, expiresAt: bar.next.openTime,
                    shadow: target.shadow, closesIntentID: target.id
                )
                ledgers[index].issueClose(close)
                issuedCount[bar.symbol, default: 0] += 1
                outputs.append(.intent(close))
                count += 1
            }
        }
        if count == 0 {
            let scope = signal.division.isEmpty ? "any division" : signal.division
            outputs.append(.denied(RiskDenied(
                bar: bar, reason: .noPosition, detail: "exit signal: no open position of \(bar.symbol) in \(scope) entered by \(bar.closeTime)",
                division: signal.division,
                figures: ["open": Decimal8(indices.reduce(0) { $0 + ledgers[$1].openPositions(symbol: bar.symbol) })]
            )))
        }
    }

    /// The id of the `index`-th (from 1) extra close intent of one exit signal: same time digits as
    /// `base`, random digits from a hash of `base` and `index` (deterministic, so a replay issues
    /// the same ids).
    static func derivedID(_ base: IntentID, index: Int) -> IntentID {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
        for byte in base.rawValue.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        hash ^= UInt64(index) &* 0x9E37_79B9_7F4A_7C15
        return IntentID(milliseconds: base.milliseconds, random: hash)
    }

    // MARK: - States

    func snapshot(division index: Int) -> RiskState {
        let ledger = ledgers[index]
        let division = configuration.divisions[index]
        let causes = breakers.causes(for: ledger.division)
        var codes = causes.map(\.rawValue)
        if breakers.divisionFeedFailing(ledger.division) { codes.append(RiskDenied.Reason.feedFailure.rawValue) }
        let recovery = breakers.recovery(of: ledger.division)
        return RiskState(
            division: ledger.division, asOf: appliedThrough ?? .zero, equity: ledger.equity, freeCapital: ledger.freeCapital,
            realizedPnLToday: ledger.realizedToday, openPositions: ledger.openPositions, breakerTripped: causes.contains(.dailyLossBreaker),
            tradingState: Breakers.state(of: causes), capitalShare: breakers.share(of: ledger.division), causes: codes,
            retrainRequested: breakers.retrainRequested(ledger.division), recovery: recovery?.rawValue ?? "",
            shadow: division.shadow || recovery == .shadow,
            markedEquity: marks.isEmpty ? nil : ledger.equity + ledger.unrealized(marks: marks)
        )
    }

    func portfolioSnapshot() -> RiskState {
        RiskState(
            division: RiskState.portfolio, asOf: appliedThrough ?? .zero, equity: portfolioEquity,
            freeCapital: ledgers.reduce(configuration.reserve) { $0 + $1.freeCapital },
            realizedPnLToday: ledgers.reduce(.zero) { $0 + $1.realizedToday }, openPositions: ledgers.reduce(0) { $0 + $1.openPositions },
            breakerTripped: false, tradingState: breakers.portfolioState, capitalShare: .one, causes: breakers.portfolioCauses.map(\.rawValue),
            retrainRequested: ledgers.contains { breakers.retrainRequested($0.division) }, recovery: "", shadow: configuration.divisions.allSatisfy(\.shadow),
            markedEquity: marks.isEmpty ? nil : ledgers.reduce(configuration.reserve) { $0 + $1.equity + $1.unrealized(marks: marks) }
        )
    }

    /// Publishes each state that changed (apart from its time), or that has events to carry.
    /// Portfolio events go on the portfolio's state, or on the only division's.
    private mutating func publishStateIfChanged(into outputs: inout [Output]) {
        var pendingEvents = breakers.drainEvents() + events
        events.removeAll()
        let single = ledgers.count == 1
        for var current in states {
            let mine = pendingEvents.filter { event in
                event.division == current.division || (event.division.isEmpty && (single || current.division == RiskState.portfolio))
                    || (single && !configuration.divisions.contains { $0.name == event.division })
            }
            pendingEvents.removeAll { mine.contains($0) }
            if let last = lastPublished[current.division] {
                // Time and marks alone do not make a new state (marks move with every book update).
                var comparable = current
                comparable.asOf = last.asOf
                comparable.markedEquity = last.markedEquity
                if comparable == last && mine.isEmpty { continue }
            }
            lastPublished[current.division] = current
            current.events = mine
            outputs.append(.state(current))
        }
    }
}
