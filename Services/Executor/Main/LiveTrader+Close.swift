import Binance
import BinanceClient
import Bus
import Domain
import ExecutorCore
import Logging
import Runtime

/// Closing a live position on demand: an exit signal (a close intent, ``TradeIntent/closesIntentID``)
/// or the intent's time limit (``TradeIntent/timeLimitBars``). Journal first and crash-safe, like
/// every order:
///
/// close decided → the close order's row journaled (leg `g` signal / `x` time limit, a MARKET SELL
/// whose quantity is provisional; the position's status `closing`) → the exchange-side exits
/// cancelled (`DELETE /api/v3/orderList` for an OCO list, `DELETE /api/v3/order` for a take-profit
/// LIMIT; -2011 or an unknown answer: the legs are queried by client order id) → once every exit
/// leg has ended, what is left to sell is fixed (``LiveClose/order(filters:netQuantity:soldByExits:referencePrice:clientOrderID:)``:
/// the entry's net quantity minus what the exit legs executed, rounded down) and journaled → the
/// MARKET SELL sent (looked up by client order id first unless this process journaled it and never
/// sent it) → its fills → one exit report (``closeIfDone(_:)``).
///
/// Nothing is sold twice: the close order's client id is derived from the position's intent id
/// (one close per position, whichever signal or limit asked first), it is sent only after every
/// exit leg has ended (so the exits and the close never both sell), and a take-profit that filled
/// before the cancel leaves nothing to sell (the close is then not sent, and the exit is reported
/// as the take-profit). After a crash, ``advancePositions()`` resumes a journaled close at whatever
/// step it stopped.
extension LiveTrader {
    /// The position's close order (signal or time limit), if one is journaled.
    func closeRecord(_ id: IntentID) -> OrderRecord? {
        orders[ClientOrderID.make(id, .signal)] ?? orders[ClientOrderID.make(id, .timeLimit)]
    }

    /// Whether the position is being (or was) closed on demand.
    func isClosing(_ id: IntentID) -> Bool { closeRecord(id) != nil }

    /// The position's journaled exit legs (take-profit, stop).
    func exitLegs(_ id: IntentID) -> [OrderRecord] {
        [ClientOrderID.Leg.takeProfit, .stop].compactMap { orders[ClientOrderID.make(id, $0)] }
    }

    /// What the exit legs have sold so far.
    private func soldByExits(_ id: IntentID) -> Decimal8 {
        exitLegs(id).reduce(Decimal8.zero) { $0 + $1.executedQuantity }
    }

    // MARK: - Starting a close

    /// A close intent (already journaled by the shell): the position it names is closed, or the
    /// intent is refused (`rejected`, with the reason; nothing sent) when there is no open live
    /// position of that id here. A second close intent for a position already closing is accepted
    /// and changes nothing.
    func submitClose(_ intent: TradeIntent, target: IntentID) async {
        func refuse(_ reason: String) async {
            node.counters.increment("close_intents_rejected")
            await self.refuse(intent, .rejected, reason)
        }
        if intent.side != .sell { return await refuse("invalid close intent: side must be SELL, got \(intent.side.rawValue)") }
        if isClosing(target), !exitReported(target) {
            // Already closing (another signal, the time limit, or this intent again after a restart).
            closeIntents[target, default: []].insert(intent.id)
            try? await journal.setIntentStatus(intent.id, "closing", reason: "closes \(target)")
            publishAck(IntentAck(intentID: intent.id, symbol: intent.bar.symbol, status: .accepted))
            await advanceClose(target)
            return
        }
        guard let position = intents[target], !position.isClose, let entry = orders[ClientOrderID.make(target, .entry)] else {
            return await refuse("no open position for \(target): not a live position here (unknown, shadow, or already finished)")
        }
        if position.bar.symbol != intent.bar.symbol {
            return await refuse("invalid close intent: \(target) is a \(position.bar.symbol) position, not \(intent.bar.symbol)")
        }
        if exitReported(target) {
            return await refuse("no open position for \(target): already closed")
        }
        guard entry.state.isTerminal, entry.executedQuantity > .zero else {
            return await refuse("no open position for \(target): its entry has not filled (entry \(entry.state))")
        }
        closeIntents[target, default: []].insert(intent.id)
        guard await startClose(position, leg: .signal, closeIntent: intent.id) else {
            closeIntents[target]?.remove(intent.id)
            return
        }
        node.counters.increment("close_intents_accepted")
        publishAck(IntentAck(intentID: intent.id, symbol: intent.bar.symbol, status: .accepted))
        await advanceClose(target)
    }

    /// A closed kline: positions of its series whose time limit it reaches are closed (reason
    /// `time_limit`; see ``LiveClose`` for how the bars are counted).
    func closedKline(_ kline: Kline) async {
        // Checked before taking the operation lock: most klines reach no time limit, and the bus
        // loop that delivers them should not wait behind a poll for nothing.
        guard kline.isClosed, !timeLimitsDue(on: kline).isEmpty else { return }
        await acquire()
        defer { release() }
        for intent in timeLimitsDue(on: kline) {
            node.counters.increment("time_limits_reached")
            logger.notice("time limit reached: closing the position", metadata: [
                "intent.id": "\(intent.id)", "time_limit_bars": "\(intent.timeLimitBars ?? 0)", "kline.open": "\(kline.openTime)",
            ])
            if await startClose(intent, leg: .timeLimit, closeIntent: nil) { await advanceClose(intent.id) }
        }
    }

    /// The open positions of the kline's series whose time limit this closed kline reaches, by id.
    private func timeLimitsDue(on kline: Kline) -> [TradeIntent] {
        intents.values.filter { intent in
            guard let bars = intent.timeLimitBars, bars > 0, !intent.isClose, intent.bar.symbol == kline.symbol,
                  intent.bar.interval == kline.interval, !isClosing(intent.id), !exitReported(intent.id),
                  let entry = orders[ClientOrderID.make(intent.id, .entry)], entry.state.isTerminal, entry.executedQuantity > .zero
            else { return false }
            let first = LiveClose.entryBarOpen(intentBar: intent.bar, filledAt: entry.updatedAt)
            return LiveClose.timeLimitReached(bars: bars, entryBarOpen: first, interval: intent.bar.interval, closedKlineOpen: kline.openTime)
        }.sorted { $0.id < $1.id }
    }

    /// Journals the close decision (the close order's row, before anything is cancelled or sent).
    /// Returns false when it could not be journaled (nothing else is done then).
    func startClose(_ intent: TradeIntent, leg: ClientOrderID.Leg, closeIntent: IntentID?) async -> Bool {
        guard let entry = orders[ClientOrderID.make(intent.id, .entry)] else { return false }
        let sold = soldByExits(intent.id)
        // Provisional: the quantity is fixed once every exit leg has ended (``advanceClose(_:)``).
        let left = entry.executedQuantity - entry.commissionBase - sold
        let spec = OrderSpec(symbol: intent.bar.symbol, side: .sell, kind: .market, quantity: max(Decimal8.zero, left),
                             clientOrderID: ClientOrderID.make(intent.id, leg))
        let record = OrderRecord(clientOrderID: spec.clientOrderID, intentID: intent.id, leg: leg, spec: spec, state: .journaled,
                                 updatedAt: WallClock.now())
        do {
            try await journal.journalClose(record, closeIntent: closeIntent, at: WallClock.now())
        } catch {
            node.counters.increment("journal_errors")
            logger.error("journal write failed: the position is not closed", metadata: ["intent.id": "\(intent.id)", "error": "\(error)"])
            return false
        }
        orders[record.clientOrderID] = record
        freshCloses.insert(record.clientOrderID)
        crash.reach(.closeJournaled)
        node.counters.increment("closes_journaled")
        logger.notice("closing the position", metadata: [
            "intent.id": "\(intent.id)", "reason": "\(leg == .signal ? "signal" : "time_limit")", "order.client_id": "\(record.clientOrderID)",
        ])
        return true
    }

    // MARK: - Moving a close forward

    /// The next steps of a journaled close, from wherever it stands: exits cancelled, the quantity
    /// fixed, the close order sent (or found at Binance). Called when the close starts, and by every
    /// poll (``advancePositions()``) until the close order is answered; the rest (fills, the
    /// report) follows the close order like any order.
    func advanceClose(_ id: IntentID) async {
        guard let intent = intents[id], let close = closeRecord(id), close.state.isUnresolved,
              let entry = orders[ClientOrderID.make(id, .entry)], let filters = filters[close.spec.symbol] else { return }
        guard await endExits(intent) else { return }
        let sold = soldByExits(id)
        let decision = LiveClose.order(filters: filters, netQuantity: entry.executedQuantity - entry.commissionBase, soldByExits: sold,
                                       referencePrice: entry.averagePrice, clientOrderID: close.clientOrderID)
        switch decision {
        case .sell(let spec):
            var record = orders[close.clientOrderID] ?? close
            if record.spec != spec {
                record.spec = spec
                do { try await journal.updateSpec(record) } catch {
                    node.counters.increment("journal_errors")
                    logger.error("journal update failed: the close order is not sent", metadata: ["order.client_id": "\(record.clientOrderID)", "error": "\(error)"])
                    return
                }
                orders[record.clientOrderID] = record
            }
            if freshCloses.remove(record.clientOrderID) == nil {
                // Maybe sent before a crash, or sent without an answer: Binance is asked first.
                if let held = client.heldUntil, held > WallClock.now() { return }
                do {
                    if let found = try await fills.order(symbol: record.spec.symbol, clientOrderID: record.clientOrderID) {
                        await apply(found, to: record, fills: nil)
                        return
                    }
                } catch {
                    node.counters.increment("queries_failed")
                    return
                }
            }
            await send(record)
        case .soldOut:
            node.counters.increment("closes_moot")
            await endUnsent(close, intent: intent, reason: "not sent: the exit orders sold the whole position before they were cancelled")
        case .dust(_, let reason):
            node.counters.increment("closes_dust")
            await endUnsent(close, intent: intent, reason: "not sent: dust: \(reason)")
        case .refused(let failure):
            node.counters.increment("closes_refused")
            var record = orders[close.clientOrderID] ?? close
            record.state = .rejected
            record.reason = failure.description
            record.updatedAt = WallClock.now()
            await store(record)
            await consequences(of: record)
        }
    }

    /// A close that sends nothing: its row ends `canceled` with the reason; the exit is reported by
    /// what the exit legs sold.
    private func endUnsent(_ close: OrderRecord, intent: TradeIntent, reason: String) async {
        var record = orders[close.clientOrderID] ?? close
        record.state = .canceled
        record.reason = reason
        record.updatedAt = WallClock.now()
        freshCloses.remove(record.clientOrderID)
        logger.notice("close order not sent", metadata: ["intent.id": "\(intent.id)", "reason": "\(reason)"])
        await store(record)
        await closeIfDone(intent)
    }

    /// Ends every exit leg of a closing position: unanswered ones are looked up (and, when Binance
    /// never got them, never sent), open ones cancelled. True once every exit leg has ended.
    private func endExits(_ intent: TradeIntent) async -> Bool {
        func legs() -> [OrderRecord] { exitLegs(intent.id) }
        for leg in legs() where leg.state.isUnresolved {
            do {
                if let found = try await fills.order(symbol: leg.spec.symbol, clientOrderID: leg.clientOrderID) {
                    await apply(found, to: leg, fills: nil)
                } else {
                    var r = orders[leg.clientOrderID] ?? leg
                    r.state = .canceled
                    r.reason = "not sent: the position is being closed"
                    r.updatedAt = WallClock.now()
                    await store(r)
                }
            } catch {
                node.counters.increment("queries_failed")
                return false
            }
        }
        let open = legs().filter { $0.state == .open }
        if !open.isEmpty {
            if let held = client.heldUntil, held > WallClock.now() {
                node.counters.increment("orders_held_rate_limit")
                scheduleRetry()
                return false
            }
            var lists: Set<String> = []
            for leg in open {
                if let list = leg.listClientOrderID {
                    guard lists.insert(list).inserted else { continue }
                    await cancelList(list, legs: open.filter { $0.listClientOrderID == list })
                } else if leg.spec.kind != .market {
                    await cancel(leg)
                }
                // A watched stop's MARKET sell does not rest: its end is awaited.
            }
        }
        return !legs().contains { !$0.state.isTerminal }
    }

    /// `DELETE /api/v3/orderList`: both legs of an OCO list.
    private func cancelList(_ list: String, legs: [OrderRecord]) async {
        guard let symbol = legs.first?.spec.symbol else { return }
        for leg in legs { userData?.expect(leg.clientOrderID) }
        do {
            let answer = try await client.cancelOrderList(symbol: symbol, listClientOrderID: list)
            crash.reach(.cancelSent)
            node.counters.increment("exits_canceled", by: UInt64(answer.orderReports.count))
            for report in answer.orderReports {
                if let record = orders[report.originalClientOrderID ?? report.clientOrderID] {
                    await apply(report, to: record, fills: nil, source: .answer)
                }
            }
        } catch {
            await cancelFailed(error, legs: legs)
        }
    }

    /// `DELETE /api/v3/order`: a single exit leg (the take-profit LIMIT of `limit+watch`).
    private func cancel(_ leg: OrderRecord) async {
        userData?.expect(leg.clientOrderID)
        do {
            let answer = try await client.cancelOrder(symbol: leg.spec.symbol, clientOrderID: leg.clientOrderID)
            crash.reach(.cancelSent)
            node.counters.increment("exits_canceled")
            await apply(answer, to: leg, fills: nil, source: .answer)
        } catch {
            await cancelFailed(error, legs: [leg])
        }
    }

    /// A cancel that failed: -2011 (the order or list is no longer open: it filled or ended) or an
    /// unknown answer. The legs are re-read by client order id before anything is decided; a rate
    /// limit waits for its end.
    private func cancelFailed(_ error: BinanceClientError, legs: [OrderRecord]) async {
        switch error {
        case .rateLimited, .banned:
            node.counters.increment("orders_rate_limited")
            scheduleRetry()
            return
        case .api(let e) where e.code == -2011:
            node.counters.increment("cancels_unknown_order")
        default:
            node.counters.increment("cancels_failed")
            logger.warning("cancel failed: querying the exit legs", metadata: ["order.client_id": "\(legs.map(\.clientOrderID))", "error": "\(error)"])
        }
        for leg in legs {
            guard let current = orders[leg.clientOrderID] else { continue }
            if let found = try? await fills.order(symbol: current.spec.symbol, clientOrderID: current.clientOrderID) {
                await apply(found, to: current, fills: nil)
            }
        }
    }

    // MARK: - Finishing

    /// The position's exit is reported: the close intents that asked for it are finished in the
    /// journal (status `closed`, the reason saying what the close did).
    func finishClose(_ id: IntentID) async {
        let close = closeRecord(id)
        let what: String
        if let close, close.executedQuantity > .zero {
            what = "sold \(close.executedQuantity.compactDescription) at market (\(close.leg == .signal ? "signal" : "time_limit"))"
        } else {
            what = "nothing sold by the close: \(close?.reason ?? "")"
        }
        node.counters.increment("closes_done")
        for closeIntent in (closeIntents.removeValue(forKey: id) ?? []).sorted() {
            try? await journal.setIntentStatus(closeIntent, "closed", reason: "position \(id) closed: \(what)")
        }
    }
}
