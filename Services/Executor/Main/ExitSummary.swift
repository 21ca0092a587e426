import Domain
import ExecutorCore

/// A live position's exit report once every exit order has ended (pure): which leg closed it, what
/// the exit orders sold together, its fees and the round trip's realized P&L.
///
/// **One report per position.** When a close (exit signal or time limit) follows exit legs that
/// executed part of the position (a take-profit partly filled before its cancel), the exit is
/// reported once, combined: quantity, quote and fees summed over every exit order (the report's
/// price is their average), leg the close's (`signal` / `time_limit`). Its realized P&L is the
/// whole round trip's quote change (exit quote − exit quote fees − entry quote − entry quote fees),
/// so the sum of realized P&L equals the account's quote change exactly however the exit was split.
/// A close that sold nothing (the exit legs sold everything first, or only dust was left) reports
/// the exit legs' own leg (the one that sold last); a close that found only dust when no exit leg
/// sold anything reports under the close's leg, quantity zero, P&L minus the entry's cost (the
/// dust stays in the account, like every exit's dust).
struct ExitSummary: Sendable, Hashable {
    var leg: ExecutionReport.Leg
    /// The exit orders (the close first when there is one).
    var records: [OrderRecord]
    var fee: Decimal8
    var pnl: Decimal8

    /// nil while an exit order is still working, and when nothing was sold and no close gave up
    /// (the position is still open: its exits were rejected).
    static func of(entry: OrderRecord, exitLegs: [OrderRecord], close: OrderRecord?) -> ExitSummary? {
        let records = (close.map { [$0] } ?? []) + exitLegs
        guard !records.contains(where: { !$0.state.isTerminal }) else { return nil }
        let sold = records.reduce(Decimal8.zero) { $0 + $1.executedQuantity }
        guard sold > .zero || close?.state == .canceled else { return nil }
        let received = records.reduce(Decimal8.zero) { $0 + $1.cumulativeQuote - $1.commissionQuote }
        let pnl = received - entry.cumulativeQuote - entry.commissionQuote
        let leg: ExecutionReport.Leg
        if let close, close.executedQuantity > .zero || sold == .zero {
            leg = close.leg == .signal ? .signal : .timeLimit
        } else {
            let last = records.filter { $0.executedQuantity > .zero }.max { $0.updatedAt < $1.updatedAt }!
            leg = last.leg == .stop ? .stop : .takeProfit
        }
        return ExitSummary(leg: leg, records: records, fee: records.reduce(Decimal8.zero) { $0 + fee(of: $1) }, pnl: pnl)
    }

    /// An order's fees in the quote asset (base-asset commissions valued at its average price).
    static func fee(of r: OrderRecord) -> Decimal8 {
        r.commissionQuote + r.commissionBase.multiplied(by: r.averagePrice, rounding: .up)
    }
}
