import Binance
import Domain

/// How an order's journal row moves forward, whatever told us (pure).
///
/// **Order.** An order's life only goes forward: its executed quantity never decreases, and for a
/// given executed quantity it is first unanswered (journaled, unknown), then open (NEW,
/// PARTIALLY_FILLED), then ended (FILLED, CANCELED, EXPIRED, REJECTED). An observation is applied
/// only when it is further along than the row by that order; an equal one changes nothing and an
/// older one (a late event, a poll answered before an event was applied) is ignored. So applying
/// any set of observations of one order in any order, each any number of times, ends in the row of
/// the furthest one: the stream and the polls can race freely.
///
/// **Commissions** are the sum over the order's trades, in the base and the quote asset (others,
/// e.g. BNB, are not modelled). They are taken from the fills of a FULL answer, or added from a
/// stream TRADE event that follows the row's executed quantity exactly (its quantity before the
/// trade equals the row's); anything else (events missed, a query) needs the order's trades
/// (`myTrades`): ``Outcome/updated(_:needsTrades:)`` says so.
enum OrderProgress {
    enum Outcome: Sendable, Hashable {
        /// Nothing new (the same state again).
        case unchanged
        /// Behind the row (a late or reordered observation): ignored.
        case stale
        /// The row to store; with `needsTrades`, its commissions must first be summed from the
        /// order's trades (``withTrades(_:_:baseAsset:quoteAsset:)``).
        case updated(OrderRecord, needsTrades: Bool)
    }

    /// Unanswered < open < ended.
    static func rank(_ state: OrderRecord.State) -> Int {
        switch state {
        case .journaled, .unknown: 0
        case .open: 1
        case .filled, .canceled, .rejected, .expired: 2
        }
    }

    static func merge(_ record: OrderRecord, _ observation: OrderObservation, baseAsset: String?, quoteAsset: String?) -> Outcome {
        if let known = record.exchangeOrderID, known != observation.exchangeOrderID { return .stale }  // another order's event
        let executed = observation.executedQuantity ?? record.executedQuantity
        let state = observation.state ?? record.state
        if executed < record.executedQuantity { return .stale }
        if executed == record.executedQuantity {
            if rank(state) < rank(record.state) { return .stale }
            if rank(state) == rank(record.state) {
                // Same progress. Only a row that never had Binance's order id learns it here.
                guard record.exchangeOrderID == nil else { return .unchanged }
                var r = record
                r.exchangeOrderID = observation.exchangeOrderID
                return .updated(r, needsTrades: false)
            }
        }
        var r = record
        r.exchangeOrderID = observation.exchangeOrderID
        r.state = state
        r.executedQuantity = executed
        r.cumulativeQuote = observation.cumulativeQuote ?? r.cumulativeQuote
        r.updatedAt = observation.time ?? r.updatedAt
        guard executed > record.executedQuantity else { return .updated(r, needsTrades: false) }
        if let fills = observation.fills, fills.reduce(Decimal8.zero, { $0 + $1.quantity }) == executed {
            r.commissionBase = .zero
            r.commissionQuote = .zero
            for fill in fills { add(fill.commission, asset: fill.commissionAsset, to: &r, baseAsset: baseAsset, quoteAsset: quoteAsset) }
            return .updated(r, needsTrades: false)
        }
        if let trade = observation.trade, record.executedQuantity + trade.quantity == executed {
            add(trade.commission, asset: trade.commissionAsset, to: &r, baseAsset: baseAsset, quoteAsset: quoteAsset)
            return .updated(r, needsTrades: false)
        }
        return .updated(r, needsTrades: true)
    }

    /// The row with its commissions summed from the order's trades; nil when the trades do not add
    /// up to the row's executed quantity (Binance's trade list lags the order, or the order moved
    /// on since): the row is not stored and the next poll or event tries again.
    static func withTrades(_ record: OrderRecord, _ trades: [AccountTrade], baseAsset: String?, quoteAsset: String?) -> OrderRecord? {
        let mine = trades.filter { record.exchangeOrderID == nil || $0.orderID == record.exchangeOrderID }
        guard mine.reduce(Decimal8.zero, { $0 + $1.quantity }) == record.executedQuantity else { return nil }
        var r = record
        r.commissionBase = .zero
        r.commissionQuote = .zero
        for trade in mine { add(trade.commission, asset: trade.commissionAsset, to: &r, baseAsset: baseAsset, quoteAsset: quoteAsset) }
        return r
    }

    private static func add(_ commission: Decimal8, asset: String?, to r: inout OrderRecord, baseAsset: String?, quoteAsset: String?) {
        guard let asset else { return }
        if asset == baseAsset { r.commissionBase += commission } else if asset == quoteAsset { r.commissionQuote += commission }
    }
}
