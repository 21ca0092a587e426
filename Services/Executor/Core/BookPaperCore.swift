import Domain

/// Shadow fills against the live L2 book (`md.book.<SYM>.`): the Executor's default (env
/// `SHADOW_FILLS=book`). Replays, whose books (if any) run on another clock than their klines, use
/// the kline-based ``ExecutorCore`` (`SHADOW_FILLS=kline`: the demo, the replay parity, every
/// in-process backtest). Outputs have the same shape as the kline core's and the
/// live path's: the journal and reports cannot tell paper from live except by the shadow flag.
///
/// **Entry.** A shadow BUY is a market order: it walks the asks of the symbol's latest book, best
/// first, taking each level's quantity until the intent's quantity is filled; the price is the
/// volume-weighted average of the levels taken (rounded half to even to 1e-8). A top-N book may be
/// too thin: what the shown levels cannot fill is filled at the worst shown level's price. An
/// intent that arrives before any book of its symbol waits for the first one. It is `expired` when
/// `now` (the shell's clock) is past its expiry before it can fill.
///
/// **Exit.** On every book after the entry, in this order: best bid ≤ stop → a market SELL walks
/// the bids (the stop first, as in the kline core); best bid ≥ take-profit → the take-profit LIMIT
/// fills whole at its own price (the book crossed it); an intent with a time limit of N bars whose
/// book is at or after the open of bar N + 1 counted from the entry bar (`bar.next`, as in the
/// kline core) → a market SELL walks the bids (`timeLimit`); a position a close intent named whose
/// book is at or after the open of the bar after the close intent's bar (as in the kline core) → a
/// market SELL walks the bids (`signal`).
///
/// **Close intents** (``TradeIntent/closesIntentID``, side SELL): accepted when the named intent is
/// in a position here (its entry filled); the exit is reported under the position's intent id with
/// leg ``ExecutionReport/Leg/signal``. Refused (`rejected`, reason starting `no_position:`) when the
/// named intent is unknown, finished, expired or not entered yet (its entry, if it comes, then keeps
/// its own take-profit, stop and time limit).
///
/// **Money.** As in ``ExecutorCore``: notional = Σ price × quantity (each rounded half to even),
/// fee = rate × notional rounded up (the division's taker rate for the market entry, the stop and
/// the time limit, its maker rate for the take-profit LIMIT), realized P&L = exit notional − entry
/// notional − both fees. Walking the book is the slippage: `slippageBps` is not added.
///
/// **Watermark.** After each input, for the symbol: `through` = the newest book's event time (every
/// report is stamped with the time of the book it filled on, and books arrive in time order).
public struct BookPaperCore: Sendable {
    public enum Input: Sendable, Hashable {
        case intent(TradeIntent)
        case book(BookSnapshot)
    }

    struct Position: Sendable {
        var intent: TradeIntent
        var entryNotional: Decimal8?
        var entryFee: Decimal8 = .zero
        /// Sell at market on the first book at or after this time (a close intent's).
        var closeAt: Timestamp?
    }

    public let configuration: ExecutorCore.Configuration
    private var seen: Set<IntentID> = []
    private var intentsSeen: [String: Int] = [:]
    private var positions: [IntentID: Position] = [:]
    private var books: [String: BookSnapshot] = [:]

    /// After a restart, `journal` ids are answered `duplicate`; paper positions are not rebuilt
    /// (as in the kline core).
    public init(configuration: ExecutorCore.Configuration, journal: [TradeIntent] = []) {
        self.configuration = configuration
        for intent in journal where seen.insert(intent.id).inserted {
            intentsSeen[intent.bar.symbol, default: 0] += 1
        }
    }

    public var openPositionCount: Int { positions.count }

    /// Whether a book of `symbol` has arrived.
    public func hasBook(_ symbol: String) -> Bool { books[symbol] != nil }

    public mutating func handle(_ input: Input, now: Timestamp) -> [ExecutorCore.Output] {
        switch input {
        case .intent(let intent):
            let symbol = intent.bar.symbol
            guard seen.insert(intent.id).inserted else {
                return [.ack(IntentAck(intentID: intent.id, symbol: symbol, status: .duplicate))]
            }
            intentsSeen[symbol, default: 0] += 1
            var outputs: [ExecutorCore.Output] = [.journalIntent(intent)]
            if intent.isClose {
                outputs += close(intent, now: now)
            } else if let reason = ExecutorCore.rejection(of: intent) {
                outputs.append(.ack(IntentAck(intentID: intent.id, symbol: symbol, status: .rejected, reason: reason)))
            } else if now > intent.expiresAt {
                outputs.append(.ack(IntentAck(intentID: intent.id, symbol: symbol, status: .expired, reason: "received at \(now), after its expiry \(intent.expiresAt)")))
            } else {
                outputs.append(.ack(IntentAck(intentID: intent.id, symbol: symbol, status: .accepted)))
                positions[intent.id] = Position(intent: intent)
                if let book = books[symbol] { outputs += advance(intent.id, on: book, now: now) }
            }
            outputs.append(.watermark(watermark(symbol)))
            return outputs
        case .book(let book):
            books[book.symbol] = book
            var outputs: [ExecutorCore.Output] = []
            for id in positions.values.filter({ $0.intent.bar.symbol == book.symbol }).map(\.intent.id).sorted() {
                outputs += advance(id, on: book, now: now)
            }
            outputs.append(.watermark(watermark(book.symbol)))
            return outputs
        }
    }

    /// Entries still waiting for a first book of their symbol and past their expiry: `expired`, with
    /// a reason that points at the missing feed. (An entry is otherwise only checked when a book of
    /// its symbol arrives, so without books it would wait forever; the shell calls this on every
    /// kline.) Each symbol's watermark follows its expiries.
    public mutating func expireWaiting(now: Timestamp) -> [ExecutorCore.Output] {
        let stale = positions.values.filter { $0.entryNotional == nil && now > $0.intent.expiresAt }.map(\.intent).sorted { $0.id < $1.id }
        var outputs: [ExecutorCore.Output] = []
        for intent in stale {
            positions[intent.id] = nil
            let symbol = intent.bar.symbol
            let detail = books[symbol] == nil ? "no book of \(symbol) has arrived (is the Collector publishing md.book.\(symbol).?)" : "no book since the entry could fill"
            outputs.append(.ack(IntentAck(intentID: intent.id, symbol: symbol, status: .expired, reason: "\(detail) before its expiry \(intent.expiresAt)")))
        }
        for symbol in Set(stale.map(\.bar.symbol)).sorted() { outputs.append(.watermark(watermark(symbol))) }
        return outputs
    }

    /// A close intent: marks the named position to sell at the open of the bar after the close
    /// intent's bar, at once when the latest book is already there.
    private mutating func close(_ intent: TradeIntent, now: Timestamp) -> [ExecutorCore.Output] {
        let symbol = intent.bar.symbol
        func refuse(_ reason: String) -> [ExecutorCore.Output] {
            [.ack(IntentAck(intentID: intent.id, symbol: symbol, status: .rejected, reason: reason))]
        }
        guard let target = intent.closesIntentID else { return [] }
        if let reason = ExecutorCore.closeRefusal(intent, target: target, positionSymbol: positions[target]?.intent.bar.symbol) { return refuse(reason) }
        guard var position = positions[target] else { return [] }
        guard position.entryNotional != nil else {
            return refuse("no_position: intent \(target) has not entered yet (no book has filled its entry)")
        }
        let closeAt = intent.bar.next.openTime
        position.closeAt = min(position.closeAt ?? closeAt, closeAt)
        positions[target] = position
        var outputs: [ExecutorCore.Output] = [.ack(IntentAck(intentID: intent.id, symbol: symbol, status: .accepted))]
        if let book = books[symbol], book.eventTime >= closeAt { outputs += advance(target, on: book, now: now) }
        return outputs
    }

    /// Fills an entry, or checks the exits, of one position on a book.
    private mutating func advance(_ id: IntentID, on book: BookSnapshot, now: Timestamp) -> [ExecutorCore.Output] {
        guard var position = positions[id] else { return [] }
        let intent = position.intent
        guard let entryNotional = position.entryNotional else {
            if now > intent.expiresAt {
                positions[id] = nil
                return [.ack(IntentAck(intentID: id, symbol: intent.bar.symbol, status: .expired, reason: "no book before its expiry \(intent.expiresAt)"))]
            }
            guard let (price, notional) = Self.walk(book.asks, quantity: intent.quantity) else { return [] }
            let fee = configuration.costs(for: intent.division).takerFeeRate.multiplied(by: notional, rounding: .up)
            position.entryNotional = notional
            position.entryFee = fee
            positions[id] = position
            return [.report(report(intent, leg: .entry, side: .buy, price: price, fee: fee, pnl: .zero, at: book.eventTime))]
        }
        let exit: (ExecutionReport.Leg, Price, Decimal8)?
        if let bid = book.bestBid?.price, bid <= intent.stopLoss, let (price, notional) = Self.walk(book.bids, quantity: intent.quantity) {
            exit = (.stop, price, notional)
        } else if let bid = book.bestBid?.price, bid >= intent.takeProfit {
            exit = (.takeProfit, intent.takeProfit, intent.takeProfit.multiplied(by: intent.quantity, rounding: .toNearestOrEven))
        } else if let bars = intent.timeLimitBars,
                  book.eventTime >= intent.bar.next.openTime.adding(milliseconds: Int64(bars) * intent.bar.interval.milliseconds),
                  let (price, notional) = Self.walk(book.bids, quantity: intent.quantity) {
            exit = (.timeLimit, price, notional)
        } else if let closeAt = position.closeAt, book.eventTime >= closeAt, let (price, notional) = Self.walk(book.bids, quantity: intent.quantity) {
            exit = (.signal, price, notional)
        } else {
            exit = nil
        }
        guard let (leg, price, notional) = exit else { return [] }
        let costs = configuration.costs(for: intent.division)
        let fee = (leg == .takeProfit ? costs.makerFeeRate : costs.takerFeeRate).multiplied(by: notional, rounding: .up)
        let pnl = notional - entryNotional - position.entryFee - fee
        positions[id] = nil
        return [.report(report(intent, leg: leg, side: .sell, price: price, fee: fee, pnl: pnl, at: book.eventTime))]
    }

    /// A market order of `quantity` against `levels` (best first): (average price, notional), nil
    /// for an empty side. What the levels cannot fill fills at the last level's price.
    public static func walk(_ levels: [PriceLevel], quantity: Quantity) -> (price: Price, notional: Decimal8)? {
        guard let worst = levels.last, quantity > .zero else { return nil }
        var remaining = quantity
        var notional = Decimal8.zero
        for level in levels where remaining > .zero {
            let take = min(level.quantity, remaining)
            notional += level.price.multiplied(by: take, rounding: .toNearestOrEven)
            remaining -= take
        }
        if remaining > .zero { notional += worst.price.multiplied(by: remaining, rounding: .toNearestOrEven) }
        return (notional.divided(by: quantity, rounding: .toNearestOrEven), notional)
    }

    private func report(_ intent: TradeIntent, leg: ExecutionReport.Leg, side: Side, price: Price, fee: Decimal8, pnl: Decimal8, at time: Timestamp) -> ExecutionReport {
        ExecutionReport(
            intentID: intent.id, clientOrderID: intent.id.clientOrderID(leg: leg), symbol: intent.bar.symbol, leg: leg, side: side,
            price: price, quantity: intent.quantity, fee: fee, realizedPnL: pnl, eventTime: time, shadow: true
        )
    }

    private func watermark(_ symbol: String) -> ExecutionWatermark {
        ExecutionWatermark(symbol: symbol, through: books[symbol]?.eventTime ?? .zero, intentsSeen: intentsSeen[symbol, default: 0])
    }
}
