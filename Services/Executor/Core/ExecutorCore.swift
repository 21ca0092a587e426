import Domain

/// The Executor's decisions: journals and acknowledges intents exactly once and paper-fills them
/// on closed klines, in event time.
///
/// **Entry.** A long intent for bar B enters at the open of kline `B.next` of the same symbol and
/// interval, whether that kline arrives before the intent (it is kept in a per-series buffer) or
/// after it. If that kline opens after `intent.expiresAt`, or the series has already moved past it
/// without it (a gap, or it left the buffer), the intent is acknowledged `expired` and never
/// executed. The intent's own bar is never used for the entry.
///
/// **Exit.** On every kline from the entry kline on (including it), in this order: a kline that
/// opens at or above the take-profit exits there at its open; one that opens at or below the stop
/// exits there at its open (a gap: the open is the first price of the bar, so the level crossed at
/// the open was hit first; on the entry kline the open is the entry price); then, if the intent has
/// a time limit of N bars (``TradeIntent/timeLimitBars``; the entry kline is bar 1) and this kline
/// opens N or more bars after the entry kline, the position is sold at market at its open
/// (`timeLimit`); otherwise low ≤ stop exits at the stop (the stop first when both levels are
/// inside one bar), else high ≥ take-profit exits at the take-profit. So bars 1…N are checked in
/// full for the take-profit and the stop, and the time limit acts only at the open of bar N + 1,
/// after the gap checks of that same open (the resting orders were there first).
///
/// **Exit by signal.** A close intent (``TradeIntent/closesIntentID``, side SELL, from the
/// RiskGate on an ensemble exit signal for bar C) sells the named position at market at the open
/// of kline `C.next`, checked like the time limit: after the gap checks of that open, and after
/// the time limit when both fall on it (same price, reported `timeLimit`); a take-profit or stop
/// on an earlier kline wins. The exit is reported under the closed intent's id with leg
/// ``ExecutionReport/Leg/signal`` (taker fee, slippage). A close intent is journaled and
/// acknowledged like any intent (exactly once, `duplicate` after); one naming no live position
/// is acknowledged `rejected` with a `no_position:` reason and does nothing.
///
/// **Costs** (``Costs``, by the intent's division). Taker fills (the market entry, a stop, a time
/// limit, a signal exit) slip against the position: the entry pays price × (1 + s), a stop, time-limit or signal exit
/// receives price × (1 − s), rounded adversely to the symbol's tick (``Configuration/tickSizes``)
/// or to 1e-8; s is half the quoted spread of the bar before the fill kline when known
/// (``Input/spread(_:)``: the spread of the bar that just closed when the fill happens), else
/// `slippageBps` / 10 000. They pay the taker fee. The take-profit is a resting LIMIT (a maker
/// order): it fills at its level (or at a better open) without slippage and pays the maker fee.
/// With s = 0 prices are the klines' own, untouched.
///
/// **Money.** notional = price × quantity (rounded to 1e-8, half to even), with the slipped price;
/// fee = rate × notional rounded up to 1e-8, in quote; the exit's realized P&L = (exit − entry) ×
/// quantity − entry fee − exit fee. Every report's event time is the open time of the kline it
/// filled in.
///
/// **Watermark.** After each intent or kline the core emits, after the reports it caused,
/// ``Output/watermark(_:)`` for the symbol: `intentsSeen` distinct intents, and `through`, a time
/// such that no report with an event time at or before it will follow for the intents counted.
/// With no live intent of the symbol it is the close time of the newest kline processed (over the
/// symbol's intervals); otherwise it is the earliest time a live intent could still report at
/// (its entry kline's open when waiting to enter, the next kline's open when in a position), less
/// one millisecond. With one interval per symbol this equals "the newest kline processed"; with
/// several (1m and 5m) it stays correct where the newest open time would not. One exception: a
/// close intent that arrives after its exit kline was processed reports that exit (event time
/// before the previous `through`) at once, before the watermark that counts it; the RiskGate,
/// which counts its close intents, decides nothing until that watermark arrives.
///
/// ```swift
/// var core = ExecutorCore(configuration: .init())
/// core.handle(.intent(intent), now: now)   // [.journalIntent, .ack(accepted), .watermark]
/// core.handle(.kline(next), now: now)      // [.report(entry), (.report(exit)), .watermark]
/// ```
public struct ExecutorCore: Sendable {
    /// A message the Executor reads.
    public enum Input: Sendable, Hashable {
        /// An approved trade from the RiskGate (`intent.<SYM>.`), possibly re-published.
        case intent(TradeIntent)
        /// A kline of the market (`md.kline.<SYM>.<iv>.`); only closed klines are used.
        case kline(Kline)
        /// The quoted spread over a bar: fills on the next kline of that series slip by half of it.
        case spread(BarSpread)
    }

    /// The time-weighted quoted spread (ask − bid over the mid) of one closed bar, in basis points,
    /// as order-flow features compute it (`quoted_spread_bps`). A fill on the kline after `bar`
    /// (`bar.next`) slips by half of it instead of the configured `slippageBps`: when that fill
    /// happens, this bar's spread is the latest one known.
    public struct BarSpread: Sendable, Hashable {
        public var bar: BarKey
        public var bps: Decimal8

        public init(bar: BarKey, bps: Decimal8) {
            self.bar = bar
            self.bps = bps
        }
    }

    /// What the shell must do, in order.
    public enum Output: Sendable, Hashable {
        /// Persist the intent (unique id) before acting on anything that follows.
        case journalIntent(TradeIntent)
        /// Publish on `exec.ack.`.
        case ack(IntentAck)
        /// Publish on `exec.report.<SYM>.`.
        case report(ExecutionReport)
        /// Publish after the reports it follows (the RiskGate's event-time barrier).
        case watermark(ExecutionWatermark)
    }

    /// A symbol and interval: klines of one series.
    struct SeriesKey: Hashable, Sendable {
        var symbol: String
        var interval: Interval

        init(_ bar: BarKey) {
            symbol = bar.symbol
            interval = bar.interval
        }
    }

    /// A filled entry.
    struct Fill: Sendable, Hashable {
        var price: Price
        var fee: Decimal8
    }

    /// An accepted intent not yet finished: waiting for its entry kline, or in a position.
    struct Position: Sendable {
        var intent: TradeIntent
        var entry: Fill?
        /// A close intent's exit time (the open of the kline after its bar), when one arrived.
        var closeAt: Timestamp?

        var entryOpenTime: Timestamp { intent.bar.next.openTime }
    }

    public let configuration: Configuration
    private var seen: Set<IntentID> = []
    private var intentsSeen: [String: Int] = [:]
    private var live: [IntentID: Position] = [:]
    private var buffers: [SeriesKey: KlineBuffer] = [:]
    /// Spreads by series and by the open time of the kline they apply to (the bar after theirs).
    private var spreads: [SeriesKey: [Timestamp: Decimal8]] = [:]

    /// A core for a valid configuration (an invalid one is a broken invariant).
    ///
    /// After a restart, pass the journal: `journal` holds every intent journaled before (their ids
    /// are answered `duplicate` and count in `intentsSeen`); those not in `finished` (the shell
    /// knows an intent is finished when it recorded its exit report or an `expired`/`rejected`
    /// ack) wait for their entry kline again. Paper positions are not rebuilt: one whose entry
    /// kline was already processed before the restart ends with an `expired` ack when the next
    /// kline of its series shows that kline has passed.
    public init(configuration: Configuration, journal: [TradeIntent] = [], finished: Set<IntentID> = []) {
        do { try configuration.validate() } catch { preconditionFailure(error.description) }
        self.configuration = configuration
        for intent in journal where seen.insert(intent.id).inserted {
            intentsSeen[intent.bar.symbol, default: 0] += 1
            // Close intents are not replayed: the paper positions they closed are not rebuilt either.
            if intent.isClose { continue }
            if configuration.routesLiveIntents, !intent.shadow { continue }
            if !finished.contains(intent.id), Self.rejection(of: intent) == nil, intent.bar.next.openTime <= intent.expiresAt {
                live[intent.id] = Position(intent: intent, entry: nil)
            }
        }
    }

    /// Handles one message. `now` is not used: fills and expiry depend on event time only.
    public mutating func handle(_ input: Input, now: Timestamp) -> [Output] {
        switch input {
        case .intent(let intent):
            return receive(intent)
        case .kline(let kline):
            return receive(kline)
        case .spread(let spread):
            record(spread)
            return []
        }
    }

    /// Live mode: an intent without the shadow flag, which the shell sends to the exchange. A new
    /// one is journaled (``Output/journalIntent(_:)``) and counted in the symbol's watermark; the
    /// live path acknowledges it once the exchange has answered. One seen before is answered
    /// `duplicate` (never sent twice). Its fills come later, in the exchange's time, and are not
    /// covered by the watermark's `through`.
    public mutating func admitLive(_ intent: TradeIntent) -> [Output] {
        precondition(configuration.routesLiveIntents && !intent.shadow, "admitLive takes live intents in live mode only")
        let symbol = intent.bar.symbol
        guard seen.insert(intent.id).inserted else {
            return [.ack(IntentAck(intentID: intent.id, symbol: symbol, status: .duplicate))]
        }
        intentsSeen[symbol, default: 0] += 1
        return [.journalIntent(intent), .watermark(watermark(for: symbol))]
    }

    /// Intents accepted and not finished (for metrics and tests).
    public var liveIntentCount: Int { live.count }

    // MARK: - Intents

    private mutating func receive(_ intent: TradeIntent) -> [Output] {
        let symbol = intent.bar.symbol
        guard seen.insert(intent.id).inserted else {
            return [.ack(IntentAck(intentID: intent.id, symbol: symbol, status: .duplicate))]
        }
        intentsSeen[symbol, default: 0] += 1
        var outputs: [Output] = [.journalIntent(intent)]
        outputs += intent.isClose ? close(intent) : admit(intent)
        outputs.append(.watermark(watermark(for: symbol)))
        return outputs
    }

    /// Acknowledges a new intent and, when its entry kline is already buffered, fills it at once as
    /// if the klines had come after it.
    private mutating func admit(_ intent: TradeIntent) -> [Output] {
        let symbol = intent.bar.symbol
        if let reason = Self.rejection(of: intent) {
            return [.ack(IntentAck(intentID: intent.id, symbol: symbol, status: .rejected, reason: reason))]
        }
        let entryOpen = intent.bar.next.openTime
        if entryOpen > intent.expiresAt {
            return [.ack(IntentAck(
                intentID: intent.id, symbol: symbol, status: .expired,
                reason: "entry kline opens at \(entryOpen), after the expiry \(intent.expiresAt)"
            ))]
        }
        let buffered = buffers[SeriesKey(intent.bar)]
        if let latest = buffered?.latestOpen, latest >= entryOpen, buffered?.kline(openingAt: entryOpen) == nil {
            return [.ack(IntentAck(
                intentID: intent.id, symbol: symbol, status: .expired,
                reason: "entry kline \(entryOpen) is not available (missing or no longer buffered)"
            ))]
        }
        var outputs: [Output] = [.ack(IntentAck(intentID: intent.id, symbol: symbol, status: .accepted))]
        live[intent.id] = Position(intent: intent, entry: nil)
        for kline in buffered?.klines(openingFrom: entryOpen) ?? [] {
            guard live[intent.id] != nil else { break }
            outputs += advance(intent.id, on: kline)
        }
        return outputs
    }

    /// A close intent (``TradeIntent/closesIntentID``): the position it names sells at market at
    /// the open of the kline after the close intent's bar (``ExecutionReport/Leg/signal``), unless
    /// it exits earlier. Refused (`rejected`, reason starting `no_position:`) when that intent is
    /// not live here (unknown, finished, expired, or a live-exchange position), or enters only at
    /// or after that time. When the position's series already went past the exit time (the klines
    /// came before the close intent) and the position is still open, no exit condition held on
    /// those klines, so the event-time outcome is the signal exit at that open: it is reported at
    /// once, before the watermark that counts the close intent.
    private mutating func close(_ intent: TradeIntent) -> [Output] {
        let symbol = intent.bar.symbol
        func refuse(_ reason: String) -> [Output] {
            [.ack(IntentAck(intentID: intent.id, symbol: symbol, status: .rejected, reason: reason))]
        }
        guard let target = intent.closesIntentID else { return [] }
        if let reason = Self.closeRefusal(intent, target: target, positionSymbol: live[target]?.intent.bar.symbol) { return refuse(reason) }
        guard var position = live[target] else { return [] }
        let closeAt = intent.bar.next.openTime
        if closeAt <= position.entryOpenTime {
            return refuse("no_position: intent \(target) enters at \(position.entryOpenTime), not before the exit time \(closeAt)")
        }
        position.closeAt = min(position.closeAt ?? closeAt, closeAt)
        live[target] = position
        var outputs: [Output] = [.ack(IntentAck(intentID: intent.id, symbol: symbol, status: .accepted))]
        if position.entry != nil, let buffer = buffers[SeriesKey(position.intent.bar)], let latest = buffer.latestOpen, latest >= closeAt,
           let kline = buffer.klines(openingFrom: closeAt).first {
            outputs += advance(target, on: kline)
        }
        return outputs
    }

    /// Why a close intent for `target` is refused by a paper core, whose position of that id is on
    /// `positionSymbol` (nil: no position of that id here), or nil.
    static func closeRefusal(_ intent: TradeIntent, target: IntentID, positionSymbol: String?) -> String? {
        if intent.side != .sell { return "invalid close intent: side must be SELL, got \(intent.side.rawValue)" }
        guard let positionSymbol else { return "no_position: intent \(target) is not in a position here (unknown, already exited or expired)" }
        if positionSymbol != intent.bar.symbol { return "invalid close intent: \(target) is a \(positionSymbol) position, not \(intent.bar.symbol)" }
        return nil
    }

    /// Why an intent is refused at once, or nil.
    static func rejection(of intent: TradeIntent) -> String? {
        // Only the kline core closes positions on a signal (see ``close(_:)``); other paths refuse.
        if intent.isClose { return "close intents (exit signals) are not supported by this fill path" }
        if intent.side != .buy { return "short selling not supported on spot" }
        if !intent.shadow { return "live trading disabled: this executor only paper-fills shadow intents" }
        if intent.quantity <= .zero { return "invalid intent: quantity must be > 0" }
        if intent.stopLoss <= .zero || intent.takeProfit <= intent.stopLoss {
            return "invalid intent: needs 0 < stopLoss < takeProfit"
        }
        return nil
    }

    // MARK: - Klines

    private mutating func receive(_ kline: Kline) -> [Output] {
        guard kline.isClosed else { return [] }
        let key = SeriesKey(kline.bar)
        // A repeated or out-of-order kline changes nothing: the series has moved past it.
        if let latest = buffers[key]?.latestOpen, kline.openTime <= latest { return [] }
        // Append in place (a copy out of the dictionary would copy the whole buffer every kline).
        buffers[key, default: KlineBuffer(capacity: configuration.klineBufferSize)].append(kline)

        var outputs: [Output] = []
        let affected = live.values
            .filter { SeriesKey($0.intent.bar) == key }
            .sorted { ($0.intent.bar.openTime, $0.intent.id) < ($1.intent.bar.openTime, $1.intent.id) }
            .map(\.intent.id)
        for id in affected {
            outputs += advance(id, on: kline)
        }
        outputs.append(.watermark(watermark(for: kline.symbol)))
        return outputs
    }

    /// Applies one kline (of the intent's series, at or after its entry kline in time) to a live intent.
    private mutating func advance(_ id: IntentID, on kline: Kline) -> [Output] {
        guard var position = live[id] else { return [] }
        let intent = position.intent
        var outputs: [Output] = []
        if position.entry == nil {
            if kline.openTime < position.entryOpenTime { return [] }
            if kline.openTime > position.entryOpenTime {
                live[id] = nil
                return [.ack(IntentAck(
                    intentID: id, symbol: intent.bar.symbol, status: .expired,
                    reason: "entry kline \(position.entryOpenTime) never arrived; the series moved on to \(kline.openTime)"
                ))]
            }
            let costs = configuration.costs(for: intent.division)
            let price = slipped(kline.open, side: .buy, on: kline, costs: costs)
            let fee = fee(price: price, quantity: intent.quantity, rate: costs.takerFeeRate)
            position.entry = Fill(price: price, fee: fee)
            outputs.append(.report(report(intent, leg: .entry, side: .buy, price: price, fee: fee, pnl: .zero, at: kline.openTime)))
        }
        guard let entry = position.entry else { return outputs }
        let barsSinceEntry = (kline.openTime.milliseconds - position.entryOpenTime.milliseconds) / kline.interval.milliseconds
        let timeLimitReached = intent.timeLimitBars.map { barsSinceEntry >= Int64($0) } ?? false
        let signalReached = position.closeAt.map { kline.openTime >= $0 } ?? false
        if let (leg, level) = Self.exit(
            stopLoss: intent.stopLoss, takeProfit: intent.takeProfit, timeLimitReached: timeLimitReached, signalReached: signalReached, on: kline
        ) {
            let costs = configuration.costs(for: intent.division)
            let price = leg == .takeProfit ? level : slipped(level, side: .sell, on: kline, costs: costs)
            let rate = leg == .takeProfit ? costs.makerFeeRate : costs.takerFeeRate
            let exitFee = fee(price: price, quantity: intent.quantity, rate: rate)
            let gross = (price - entry.price).multiplied(by: intent.quantity, rounding: .toNearestOrEven)
            let pnl = gross - entry.fee - exitFee
            outputs.append(.report(report(intent, leg: leg, side: .sell, price: price, fee: exitFee, pnl: pnl, at: kline.openTime)))
            live[id] = nil
        } else {
            live[id] = position
        }
        return outputs
    }

    /// Where a long position with these levels exits on this kline, if it does, and the level it
    /// exits at before costs (see the type's documentation for the order).
    static func exit(
        stopLoss: Price, takeProfit: Price, timeLimitReached: Bool = false, signalReached: Bool = false, on kline: Kline
    ) -> (ExecutionReport.Leg, Price)? {
        if kline.open >= takeProfit { return (.takeProfit, kline.open) }
        if kline.open <= stopLoss { return (.stop, kline.open) }
        if timeLimitReached { return (.timeLimit, kline.open) }
        if signalReached { return (.signal, kline.open) }
        if kline.low <= stopLoss { return (.stop, stopLoss) }
        if kline.high >= takeProfit { return (.takeProfit, takeProfit) }
        return nil
    }

    // MARK: - Costs

    /// Keeps a bar's spread for the fills of the next kline of its series (at most about
    /// `klineBufferSize` spreads per series: older ones can no longer apply to a buffered kline).
    /// A spread that is negative or 100 % or more (a crossed or broken book, not a market) is ignored.
    private mutating func record(_ spread: BarSpread) {
        guard !spread.bps.isNegative, spread.bps < Decimal8(10_000) else { return }
        let key = SeriesKey(spread.bar)
        spreads[key, default: [:]][spread.bar.next.openTime] = spread.bps
        let capacity = configuration.klineBufferSize
        if let count = spreads[key]?.count, count > 2 * capacity {
            let keep = Set(spreads[key]!.keys.sorted().suffix(capacity))
            spreads[key] = spreads[key]!.filter { keep.contains($0.key) }
        }
    }

    /// The fraction a taker fill on `kline` slips by: half the spread of the bar before it when
    /// known, else the division's `slippageBps`.
    func slippage(on kline: Kline, costs: Costs) -> Decimal8 {
        if let bps = spreads[SeriesKey(kline.bar)]?[kline.openTime] {
            return bps.divided(by: Decimal8(20_000), rounding: .up)
        }
        return costs.slippageBps.divided(by: Decimal8(10_000), rounding: .up)
    }

    /// `price` moved against a taker of `side` (a buy pays more, a sell receives less), rounded
    /// adversely to the symbol's tick, or to 1e-8 when it has none. Unchanged when nothing slips.
    private func slipped(_ price: Price, side: Side, on kline: Kline, costs: Costs) -> Price {
        let fraction = slippage(on: kline, costs: costs)
        guard fraction > .zero else { return price }
        return Self.slip(price, by: fraction, side: side, tick: configuration.tickSizes[kline.symbol])
    }

    /// `price` × (1 ± `fraction`), rounded away from the taker's favour: up for a buy, down for a
    /// sell, to `tick` when given, else to 1e-8. Never better than `price`.
    public static func slip(_ price: Price, by fraction: Decimal8, side: Side, tick: Price?) -> Price {
        let buy = side == .buy
        let move = price.multiplied(by: fraction, rounding: .up)  // the larger move is the adverse one either way
        let moved = buy ? price + move : price - move
        guard let tick, tick > .zero else { return moved }
        let rounded = moved.rounded(toMultipleOf: tick, rule: buy ? .up : .down)
        // A price below one tick rounds down to zero: keep the unrounded (still adverse) price.
        return rounded > .zero ? rounded : moved
    }

    private func fee(price: Price, quantity: Quantity, rate: Decimal8) -> Decimal8 {
        let notional = price.multiplied(by: quantity, rounding: .toNearestOrEven)
        return rate.multiplied(by: notional, rounding: .up)
    }

    private func report(
        _ intent: TradeIntent, leg: ExecutionReport.Leg, side: Side, price: Price, fee: Decimal8, pnl: Decimal8, at time: Timestamp
    ) -> ExecutionReport {
        ExecutionReport(
            intentID: intent.id, clientOrderID: intent.id.clientOrderID(leg: leg), symbol: intent.bar.symbol, leg: leg,
            side: side, price: price, quantity: intent.quantity, fee: fee, realizedPnL: pnl, eventTime: time, shadow: true
        )
    }

    // MARK: - Watermark

    /// See the type's documentation for what `through` promises.
    private func watermark(for symbol: String) -> ExecutionWatermark {
        var earliestPending: Timestamp?
        for position in live.values where position.intent.bar.symbol == symbol {
            let next: Timestamp
            if position.entry == nil {
                next = position.entryOpenTime
            } else {
                let key = SeriesKey(position.intent.bar)
                // In a position, so its entry kline was processed and the series has a newest kline.
                next = buffers[key]!.latestOpen!.adding(milliseconds: key.interval.milliseconds)
            }
            earliestPending = min(earliestPending ?? next, next)
        }
        let through: Timestamp
        if let earliestPending {
            through = earliestPending.adding(milliseconds: -1)
        } else {
            var newestClose = Timestamp.zero
            for (key, buffer) in buffers where key.symbol == symbol {
                if let latest = buffer.latestOpen {
                    newestClose = max(newestClose, latest.adding(milliseconds: key.interval.milliseconds - 1))
                }
            }
            through = newestClose
        }
        return ExecutionWatermark(symbol: symbol, through: through, intentsSeen: intentsSeen[symbol, default: 0])
    }
}
