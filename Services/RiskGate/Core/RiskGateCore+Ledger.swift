import Domain

extension RiskGateCore {
    /// One division's capital in event time: equity, reserved capital and the UTC day's realized
    /// P&L. The core applies reports to it in event-time order (see ``RiskGateCore``), so the
    /// ledger at a cutoff depends only on which events have an event time at or before it.
    struct Ledger: Sendable {
        /// An intent this gate issued and has not finished with.
        struct Issued: Sendable {
            var intent: TradeIntent
            var reservation: Decimal8
            /// A recovery-shadow intent: paper only, it reserves nothing and its P&L does not
            /// touch the division's equity (it counts for the recovery win rate).
            var recoveryShadow = false
            /// An ack (any status) arrived: stop re-publishing.
            var acknowledged = false
            /// Its last event arrived (exit report, or an expired/rejected ack), applied or not:
            /// the Executor will report nothing more for it.
            var finalArrived = false
            /// Its reservation was given back by an applied event.
            var released = false
            /// Report legs already received (replays of a report are ignored).
            var legsSeen: Set<ExecutionReport.Leg> = []
            /// The entry fill, once applied (for marking to market).
            var entryQuantity: Quantity?
            var entryPrice: Price?
            /// A close intent was issued for this position (an exit signal): a later exit signal
            /// does not close it again.
            var closing = false

            /// A close intent (``TradeIntent/closesIntentID``): no position and no capital of its own.
            var isClose: Bool { intent.isClose }
        }

        let division: String
        private(set) var equity: Decimal8
        private(set) var reserved: Decimal8 = .zero
        private(set) var issued: [IntentID: Issued] = [:]
        /// The UTC day the daily figures are for.
        private(set) var day: Int64?
        private(set) var realizedToday: Decimal8 = .zero

        init(division: Division) {
            self.division = division.name
            self.equity = division.equity
        }

        init(division: String, equity: Decimal8, reserved: Decimal8, issued: [IntentID: Issued], day: Int64?, realizedToday: Decimal8) {
            self.division = division
            self.equity = equity
            self.reserved = reserved
            self.issued = issued
            self.day = day
            self.realizedToday = realizedToday
        }

        var freeCapital: Decimal8 { equity - reserved }
        /// Intents holding capital (waiting to enter or in a position); close intents never count.
        var openPositions: Int { issued.values.count(where: { !$0.released }) }
        func openPositions(symbol: String) -> Int { issued.values.count(where: { !$0.released && $0.intent.bar.symbol == symbol }) }

        /// Symbols with an intent whose events have not all arrived.
        var symbolsAwaitingEvents: Set<String> {
            Set(issued.values.filter { !$0.finalArrived }.map(\.intent.bar.symbol))
        }

        var unacknowledged: [TradeIntent] { issued.values.filter { !$0.acknowledged }.map(\.intent) }

        // MARK: Arrivals (not applied until their event time is passed)

        /// Records a close intent for the open position `intent.closesIntentID`: it reserves
        /// nothing and reports nothing under its own id (the exit comes under the position's id),
        /// so it is released and final at once and only waits for its ack.
        mutating func issueClose(_ intent: TradeIntent) {
            precondition(issued[intent.id] == nil, "intent id \(intent.id) issued twice")
            guard let target = intent.closesIntentID else { preconditionFailure("issueClose takes close intents only") }
            issued[intent.id] = Issued(intent: intent, reservation: .zero, finalArrived: true, released: true)
            issued[target]?.closing = true
        }

        /// Open positions of `symbol` (not released, not already being closed) whose entry time
        /// (the open of the kline after their bar) is at or before `time`, by intent id.
        func closable(symbol: String, enteredBy time: Timestamp) -> [Issued] {
            issued.values.filter {
                !$0.isClose && !$0.released && !$0.closing && $0.intent.bar.symbol == symbol && $0.intent.bar.next.openTime <= time
            }.sorted { $0.intent.id < $1.intent.id }
        }

        mutating func issue(_ intent: TradeIntent, recoveryShadow: Bool) {
            precondition(issued[intent.id] == nil, "intent id \(intent.id) issued twice")
            let reservation = recoveryShadow ? .zero : intent.notional
            issued[intent.id] = Issued(intent: intent, reservation: reservation, recoveryShadow: recoveryShadow)
            reserved += reservation
        }

        /// Records a report's arrival. Returns false for an unknown intent or a replayed leg.
        mutating func receive(_ report: ExecutionReport) -> Bool {
            guard var entry = issued[report.intentID], entry.legsSeen.insert(report.leg).inserted else { return false }
            if report.isExit { entry.finalArrived = true }
            issued[report.intentID] = entry
            return true
        }

        /// Records an ack. Returns the time at which an expired or rejected intent releases its
        /// capital (its would-be entry time: the open of the kline after its bar), or nil; `known`
        /// is false for an unknown intent.
        mutating func receive(_ ack: IntentAck) -> (known: Bool, releaseAt: Timestamp?) {
            guard var entry = issued[ack.intentID] else { return (false, nil) }
            entry.acknowledged = true
            var releaseAt: Timestamp?
            if (ack.status == .expired || ack.status == .rejected) && !entry.released {
                entry.finalArrived = true
                releaseAt = entry.intent.bar.next.openTime
            }
            issued[ack.intentID] = entry
            forgetIfDone(ack.intentID)
            return (true, releaseAt)
        }

        // MARK: Applying, in event time

        /// Records an entry fill (applied in event time): the position is open until its exit.
        mutating func applyEntry(_ report: ExecutionReport) {
            guard var entry = issued[report.intentID] else { return }
            entry.entryQuantity = report.quantity
            entry.entryPrice = report.price
            issued[report.intentID] = entry
        }

        /// Open filled positions valued at `marks` (symbol → mid) minus their entry value; nil when
        /// no open position has a mark and none is open. Recovery-shadow positions are paper.
        func unrealized(marks: [String: Price]) -> Decimal8 {
            issued.values.reduce(.zero) { total, entry in
                guard !entry.released, !entry.recoveryShadow, let quantity = entry.entryQuantity, let price = entry.entryPrice,
                      let mark = marks[entry.intent.bar.symbol] else { return total }
                return total + quantity.multiplied(by: mark - price, rounding: .down)
            }
        }

        /// Books an exit: returns its P&L and whether it was a recovery-shadow trade (whose P&L is not booked).
        mutating func applyExit(_ report: ExecutionReport) -> (pnl: Decimal8, recoveryShadow: Bool)? {
            guard let entry = issued[report.intentID] else { return nil }
            if !entry.recoveryShadow {
                roll(to: report.eventTime.utcDay)
                equity += report.realizedPnL
                if report.eventTime.utcDay == day { realizedToday += report.realizedPnL }
            }
            release(report.intentID)
            return (report.realizedPnL, entry.recoveryShadow)
        }

        mutating func release(_ id: IntentID) {
            guard var entry = issued[id], !entry.released else { return }
            entry.released = true
            reserved -= entry.reservation
            issued[id] = entry
            forgetIfDone(id)
        }

        /// Capital moved in (positive) or out (negative) by a shift between divisions.
        mutating func transfer(_ amount: Decimal8) { equity += amount }

        private mutating func forgetIfDone(_ id: IntentID) {
            if let entry = issued[id], entry.released, entry.acknowledged { issued[id] = nil }
        }

        mutating func roll(to newDay: Int64) {
            if let day, newDay <= day { return }
            day = newDay
            realizedToday = .zero
        }
    }
}
