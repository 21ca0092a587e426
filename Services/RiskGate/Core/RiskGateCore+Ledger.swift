import Domain

extension RiskGateCore {
    /// One division's capital in event time: equity, reserved capital and the UTC day's realized P&L.
    /// Events are applied in event-time order, so the ledger at a cutoff depends only on which
    /// events have an event time at or before it.
    struct Ledger: Sendable {
        /// An intent this gate issued and has not finished with.
        struct Issued: Sendable {
            var intent: TradeIntent
            var reservation: Decimal8
            /// An ack (any status) arrived: stop re-publishing.
            var acknowledged = false
            /// Its last event arrived (exit report, or an expired/rejected ack), applied or not:
            /// the Executor will report nothing more for it.
            var finalArrived = false
            /// Its reservation was given back by an applied event.
            var released = false
            /// Report legs already received (replays of a report are ignored).
            var legsSeen: Set<ExecutionReport.Leg> = []
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

        let division: Division
        private(set) var equity: Decimal8
        private(set) var reserved: Decimal8 = .zero
        private(set) var issued: [IntentID: Issued] = [:]
        private var pending: [Event] = []
        /// The UTC day the daily figures are for.
        private(set) var day: Int64?
        private(set) var startOfDayEquity: Decimal8
        private(set) var realizedToday: Decimal8 = .zero
        private var trippedDay: Int64?
        /// The latest cutoff applied: every event at or before it is in the figures.
        private(set) var appliedThrough: Timestamp?

        init(division: Division) {
            self.division = division
            self.equity = division.equity
            self.startOfDayEquity = division.equity
        }

        var freeCapital: Decimal8 { equity - reserved }
        var breakerTripped: Bool { trippedDay != nil && trippedDay == day }
        var openPositions: Int { issued.values.count(where: { !$0.released }) }
        /// The daily loss that trips the breaker today, as a positive amount.
        var dailyLossLimit: Decimal8 { division.maxDailyLoss.multiplied(by: startOfDayEquity, rounding: .down) }

        /// Symbols with an intent whose events have not all arrived.
        var symbolsAwaitingEvents: Set<String> {
            Set(issued.values.filter { !$0.finalArrived }.map(\.intent.bar.symbol))
        }

        var unacknowledged: [TradeIntent] {
            issued.values.filter { !$0.acknowledged }.map(\.intent).sorted { $0.id < $1.id }
        }

        func snapshot() -> RiskState {
            RiskState(
                division: division.name, asOf: appliedThrough ?? .zero, equity: equity, freeCapital: freeCapital,
                realizedPnLToday: realizedToday, openPositions: openPositions, breakerTripped: breakerTripped
            )
        }

        // MARK: Arrivals (not applied until their event time is passed)

        mutating func issue(_ intent: TradeIntent) {
            precondition(issued[intent.id] == nil, "intent id \(intent.id) issued twice")
            let reservation = intent.notional
            issued[intent.id] = Issued(intent: intent, reservation: reservation)
            reserved += reservation
        }

        /// Queues a report of an intent of this gate. Returns false for an unknown intent or a replayed leg.
        mutating func receive(_ report: ExecutionReport) -> Bool {
            guard var entry = issued[report.intentID], entry.legsSeen.insert(report.leg).inserted else { return false }
            if report.isExit { entry.finalArrived = true }
            issued[report.intentID] = entry
            pending.append(Event(time: report.eventTime, intentID: report.intentID, kind: .report(report)))
            return true
        }

        /// Records an ack. Expired and rejected intents release their capital at their would-be entry
        /// time (the open of the kline after their bar). Returns false for an unknown intent.
        mutating func receive(_ ack: IntentAck) -> Bool {
            guard var entry = issued[ack.intentID] else { return false }
            entry.acknowledged = true
            if (ack.status == .expired || ack.status == .rejected) && !entry.released {
                entry.finalArrived = true
                pending.append(Event(time: entry.intent.bar.next.openTime, intentID: ack.intentID, kind: .release))
            }
            issued[ack.intentID] = entry
            forgetIfDone(ack.intentID)
            return true
        }

        // MARK: Applying, in event time

        /// Applies every queued event at or before `cutoff` in event-time order, then moves the day
        /// to the cutoff's UTC day. `cutoff` never moves back (the latest one applied wins).
        mutating func apply(through requested: Timestamp) {
            let cutoff = max(requested, appliedThrough ?? requested)
            let due = pending.filter { $0.time <= cutoff }.sorted { $0.order < $1.order }
            pending.removeAll { $0.time <= cutoff }
            for event in due { apply(event) }
            roll(to: cutoff.utcDay)
            appliedThrough = cutoff
        }

        private mutating func apply(_ event: Event) {
            switch event.kind {
            case .report(let report):
                guard report.isExit else { return }
                roll(to: report.eventTime.utcDay)
                equity += report.realizedPnL
                if report.eventTime.utcDay == day {
                    realizedToday += report.realizedPnL
                    if realizedToday <= -dailyLossLimit { trippedDay = day }
                }
                release(event.intentID)
            case .release:
                release(event.intentID)
            }
        }

        private mutating func release(_ id: IntentID) {
            guard var entry = issued[id], !entry.released else { return }
            entry.released = true
            reserved -= entry.reservation
            issued[id] = entry
            forgetIfDone(id)
        }

        private mutating func forgetIfDone(_ id: IntentID) {
            if let entry = issued[id], entry.released, entry.acknowledged { issued[id] = nil }
        }

        private mutating func roll(to newDay: Int64) {
            if let day, newDay <= day { return }
            day = newDay
            startOfDayEquity = equity
            realizedToday = .zero
        }
    }
}
