import Binance
import BinanceClient
import Bus
import Domain
import ExecutorCore
import Foundation
import Logging
import Runtime
import Wire

/// The live order path: a crash-safe state machine per intent, journal first.
///
/// intent received → journaled (the order row with its client order id is written, fsync'd, before
/// the request) → request sent → answer (filled / resting / rejected, or UNKNOWN on a timeout, 5xx
/// or transport error: then the order is queried by client order id before anything is resent, and
/// only Binance's -2013 "no such order" makes a resend with the same id safe) → journal updated →
/// exit orders journaled and sent the same way → fills (user-data stream events through
/// ``UserDataFills``, REST polling through ``FillSource`` as the fallback; both merged by
/// ``OrderProgress``) → exit report with the round trip's P&L. A position is also closed on demand
/// (an exit signal's close intent, or its time limit): exits cancelled, the rest sold at market,
/// journaled and resumed the same way (LiveTrader+Close.swift).
///
/// Every step after a crash resumes from the journal (``reconcile()``), so an order is never sent
/// twice (the client id is the idempotency key, and a journaled order is looked up before it is
/// sent again) and never lost (a journaled order not found at Binance is sent). 429 and 418 hold
/// every request until Retry-After (the client refuses to send; the order stays journaled and the
/// poll retries).
///
/// **Money.** An entry's fee is charged by Binance in the base asset (BUY): the exit sells the
/// entry's net quantity rounded down to the step; the remainder (dust) stays in the account. An
/// exit report's realized P&L is the quote asset's change over the round trip: exit quote − exit
/// quote commission − entry quote − entry quote commission. So the sum of realized P&L equals the
/// account's quote change, and the dust its base change (the end-to-end test holds both exactly).
actor LiveTrader {
    let client: BinanceRESTClient
    let fills: any FillSource
    let journal: Journal
    let node: BusNode
    let settings: LiveSettings
    let crash: CrashHook
    /// The user-data stream's bookkeeping (nil: REST polling only): which orders await an event.
    let userData: UserDataFills?

    var filters: [String: SymbolFilters] = [:]
    var bands: [String: PercentPriceBand] = [:]
    var orders: [String: OrderRecord] = [:]
    var intents: [IntentID: TradeIntent] = [:]
    private var acked: Set<IntentID> = []
    /// Reports already journaled ("<intent id>/<leg>"): a report a crash interrupted is made on
    /// start, and none is made twice.
    var reported: Set<String> = []
    var traces: [IntentID: (trace: String, cause: String)] = [:]
    /// The close intents accepted for each position being closed (their journal status becomes
    /// `closed`, with what happened, once the position's exit is reported).
    var closeIntents: [IntentID: Set<IntentID>] = [:]
    /// Close orders journaled by this process and never sent: the first send needs no query (any
    /// other unanswered close order is looked up by client order id before it is sent).
    var freshCloses: Set<String> = []
    /// When each intent arrived (for the intent-to-request-sent latency, logged at debug level).
    private var arrivals: [IntentID: ContinuousClock.Instant] = [:]
    /// One operation at a time: the actor is re-entrant at every `await`, and a poll running while
    /// an order is in flight would see it journaled and unanswered, and query (and resend) it.
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }

    init(client: BinanceRESTClient, fills: any FillSource, journal: Journal, node: BusNode, settings: LiveSettings, crash: CrashHook,
         userData: UserDataFills? = nil) {
        self.userData = userData
        self.client = client
        self.fills = fills
        self.journal = journal
        self.node = node
        self.settings = settings
        self.crash = crash
    }

    var logger: Logger { node.logger }

    // MARK: - Start: filters and reconciliation

    /// Loads the symbols' filters and reconciles the journal with Binance (open orders, the
    /// orders' states, recent fills, balances) before any intent is accepted.
    func reconcile(liveIntents: [TradeIntent]) async throws {
        let body = try await client.get("/api/v3/exchangeInfo")
        let info = try BinanceDecoder.exchangeInfo(body)
        for symbol in info.symbols { filters[symbol.symbol] = symbol }
        for (symbol, f) in try BinanceDecoder.percentPriceFilters(body) {
            bands[symbol] = PercentPriceBand(bidMultiplierUp: f.bidMultiplierUp, bidMultiplierDown: f.bidMultiplierDown,
                                             askMultiplierUp: f.askMultiplierUp, askMultiplierDown: f.askMultiplierDown)
        }
        for intent in liveIntents { intents[intent.id] = intent }
        for order in try journal.loadOrders() { orders[order.clientOrderID] = order }

        // Open orders at Binance that the journal does not know: impossible when every order is
        // journaled before it is sent; counted and logged, never touched.
        let open = try await client.openOrders()
        for order in open where ClientOrderID.parse(order.clientOrderID) != nil && orders[order.clientOrderID] == nil {
            node.counters.increment("reconcile_unknown_open_orders")
            logger.warning("open order not in the journal", metadata: ["order.client_id": "\(order.clientOrderID)", "order.symbol": "\(order.symbol)"])
        }
        reported = try journal.reportedLegs()
        // Every order not known to be finished: ask Binance (send the journaled ones it never got).
        await advanceOrders()
        // Reports a crash interrupted (the order's answer journaled, its report not).
        for intent in intents.values.sorted(by: { $0.id < $1.id }) {
            if let entry = orders[ClientOrderID.make(intent.id, .entry)], entry.state.isTerminal, entry.executedQuantity > .zero {
                await report(intent, leg: .entry, side: .buy, records: [entry], pnl: .zero, fee: fee(of: entry))
                await closeIfDone(intent)
            }
        }
        // Intents journaled before a crash that never got their entry order.
        let statuses = try journal.intentStatuses()
        // Close intents whose close was journaled: finished with their position (now, if its exit
        // was reported before the crash).
        for intent in liveIntents where statuses[intent.id] == "closing" {
            guard let target = intent.closesIntentID else { continue }
            closeIntents[target, default: []].insert(intent.id)
            if exitReported(target) { await finishClose(target) }
        }
        for intent in liveIntents.sorted(by: { $0.id < $1.id }) where statuses[intent.id] == "accepted" && !hasOrder(intent.id, .entry) {
            node.counters.increment("reconcile_resubmitted")
            await submitNow(intent, trace: "", cause: "")
        }
        await advancePositions()
        // Recent fills against the journal: the executed quantity of each of our orders must equal
        // the sum of its trades.
        for symbol in Set(orders.values.map(\.spec.symbol)).sorted() {
            let trades = try await client.myTrades(symbol: symbol)
            var executed: [Int64: Decimal8] = [:]
            for trade in trades { executed[trade.orderID, default: .zero] += trade.quantity }
            for order in orders.values where order.spec.symbol == symbol {
                guard let id = order.exchangeOrderID, let traded = executed[id], traded != order.executedQuantity else { continue }
                node.counters.increment("reconcile_fill_mismatches")
                logger.warning("journal fills differ from Binance's trades: re-querying", metadata: ["order.client_id": "\(order.clientOrderID)"])
                if let fresh = try? await fills.order(symbol: symbol, clientOrderID: order.clientOrderID) { await apply(fresh, to: order, fills: nil) }
            }
        }
        let account = try await client.account(omitZeroBalances: true)
        let balances = account.balances.map { "\($0.asset)=\($0.free.compactDescription)+\($0.locked.compactDescription)" }.joined(separator: " ")
        logger.info("reconciled with Binance", metadata: [
            "orders.journaled": "\(orders.count)", "orders.open_at_binance": "\(open.count)", "account.balances": "\(balances)",
        ])
        node.counters.set("reconciled", to: 1)
    }

    func hasOrder(_ intent: IntentID, _ leg: ClientOrderID.Leg) -> Bool { orders[ClientOrderID.make(intent, leg)] != nil }

    // MARK: - Intents

    /// A new live intent, already journaled by the shell: checked, its entry order built, journaled
    /// and sent. Bad intents are refused with a reason (ack `rejected` / `expired`), nothing sent.
    func submit(_ intent: TradeIntent, trace: String = "", cause: String = "", receivedAt: ContinuousClock.Instant = .now) async {
        await acquire()
        defer { release() }
        arrivals[intent.id] = receivedAt
        await submitNow(intent, trace: trace, cause: cause)
    }

    private func submitNow(_ intent: TradeIntent, trace: String, cause: String) async {
        intents[intent.id] = intent
        traces[intent.id] = (trace, cause)
        let symbol = intent.bar.symbol
        if let target = intent.closesIntentID {
            // An exit signal: close the position it names (LiveTrader+Close.swift).
            await submitClose(intent, target: target)
            return
        }
        if WallClock.now() > intent.expiresAt {
            await refuse(intent, .expired, "expired at \(intent.expiresAt) before it could be sent")
            return
        }
        guard let filters = filters[symbol] else {
            await refuse(intent, .rejected, "unknown symbol \(symbol): not in the exchange's exchangeInfo")
            return
        }
        if intent.side != .buy {
            await refuse(intent, .rejected, "short selling not supported on spot")
            return
        }
        if intent.stopLoss <= .zero || intent.takeProfit <= intent.stopLoss {
            await refuse(intent, .rejected, "invalid intent: needs 0 < stopLoss < takeProfit")
            return
        }
        if settings.maxOrderNotional > .zero, intent.notional > settings.maxOrderNotional {
            await refuse(intent, .rejected, "notional \(intent.notional.compactDescription) above MAX_ORDER_NOTIONAL \(settings.maxOrderNotional.compactDescription)")
            return
        }
        let spec: OrderSpec
        do throws(OrderConstruction.Failure) {
            spec = try OrderConstruction.order(
                filters: filters, band: bands[symbol], side: .buy, kind: settings.entryKind, quantity: intent.quantity,
                price: settings.entryKind == .market ? nil : intent.referencePrice, referencePrice: intent.referencePrice,
                clientOrderID: ClientOrderID.make(intent.id, .entry)
            )
        } catch {
            await refuse(intent, .rejected, error.description)
            return
        }
        let record = OrderRecord(clientOrderID: spec.clientOrderID, intentID: intent.id, leg: .entry, spec: spec, state: .journaled)
        do {
            try await journal.journal([record], intentStatus: "working", at: WallClock.now())
        } catch {
            logger.error("journal write failed: the order is not sent", metadata: ["intent.id": "\(intent.id)", "error": "\(error)"])
            node.counters.increment("journal_errors")
            return
        }
        orders[record.clientOrderID] = record
        crash.reach(.journaled)
        node.counters.increment("orders_journaled")
        await send(record)
    }

    func refuse(_ intent: TradeIntent, _ status: IntentAck.Status, _ reason: String) async {
        logger.notice("intent refused", metadata: ["intent.id": "\(intent.id)", "ack.status": "\(status.rawValue)", "reason": "\(reason)"])
        try? await journal.setIntentStatus(intent.id, status.rawValue, reason: reason)
        publishAck(IntentAck(intentID: intent.id, symbol: intent.bar.symbol, status: status, reason: reason))
    }

    // MARK: - Sending

    /// Sends one journaled order (entry, take-profit, or a watched stop's market sell).
    func send(_ record: OrderRecord) async {
        if let held = client.heldUntil, held > WallClock.now() {
            node.counters.increment("orders_held_rate_limit")
            scheduleRetry()
            return  // still journaled: the poll sends it once Retry-After has passed
        }
        node.counters.increment("orders_sent")
        if record.leg == .entry, let arrival = arrivals.removeValue(forKey: record.intentID) {
            let elapsed = ContinuousClock.now - arrival
            let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
            logger.debug("order request sent", metadata: ["order.client_id": "\(record.clientOrderID)", "latency.intent_to_send_us": "\(micros)"])
        }
        userData?.expect(record.clientOrderID)
        do throws(BinanceClientError) {
            let order = try await client.newOrder(record.spec.parameters)
            crash.reach(record.leg == .entry ? .sent : record.leg.isClose ? .closeSent : .exitSent)
            await apply(order, to: record, fills: order.fills, source: .answer)
        } catch {
            await failed(record, error)
        }
    }

    /// Sends the OCO list of an intent's two exit legs.
    private func sendList(takeProfit: OrderRecord, stop: OrderRecord) async {
        if let held = client.heldUntil, held > WallClock.now() {
            node.counters.increment("orders_held_rate_limit")
            return
        }
        let tp = takeProfit.spec
        let sl = stop.spec
        let params: [(String, String)] = [
            ("symbol", tp.symbol), ("side", tp.side.rawValue), ("quantity", tp.quantity.description),
            ("listClientOrderId", takeProfit.listClientOrderID ?? ""),
            ("aboveType", tp.kind.rawValue), ("abovePrice", tp.price?.description ?? ""), ("aboveClientOrderId", tp.clientOrderID),
            ("belowType", sl.kind.rawValue), ("belowPrice", sl.price?.description ?? ""), ("belowStopPrice", sl.stopPrice?.description ?? ""),
            ("belowTimeInForce", "GTC"), ("belowClientOrderId", sl.clientOrderID), ("newOrderRespType", "RESULT"),
        ]
        node.counters.increment("orders_sent", by: 2)
        userData?.expect(takeProfit.clientOrderID)
        userData?.expect(stop.clientOrderID)
        do throws(BinanceClientError) {
            let list = try await client.newOCO(params)
            crash.reach(.exitSent)
            for report in list.orderReports {
                if let record = orders[report.clientOrderID] { await apply(report, to: record, fills: nil, source: .answer) }
            }
        } catch {
            await failed(takeProfit, error)
            if let current = orders[stop.clientOrderID], current.state.isUnresolved, case .api = error {
                var rejected = current
                rejected.state = .rejected
                rejected.reason = orders[takeProfit.clientOrderID]?.reason ?? "order list rejected"
                await store(rejected)
            }
        }
    }

    /// What a failed send means for the order.
    private func failed(_ record: OrderRecord, _ error: BinanceClientError) async {
        var r = orders[record.clientOrderID] ?? record
        switch error {
        case .rateLimited, .banned:
            // Refused before execution (HTTP 429/418, or held by the client): still journaled,
            // sent by a poll once Retry-After has passed.
            node.counters.increment("orders_rate_limited")
            scheduleRetry()
            logger.warning("order held by a rate limit", metadata: ["order.client_id": "\(r.clientOrderID)", "error": "\(error)"])
        case .api(let e) where e.code == BinanceAPIError.newOrderRejected && e.message.contains("Duplicate"):
            // The id is already on Binance's book: it has the order. Find it.
            r.state = .unknown
            await store(r)
            await resolve(r)
        case .api(let e):
            node.counters.increment("orders_rejected")
            r.state = .rejected
            r.reason = "Binance error \(e.code): \(e.message)"
            r.updatedAt = WallClock.now()
            await store(r)
            await consequences(of: r)
        case .invalidRequest(let what):
            r.state = .rejected
            r.reason = what
            await store(r)
            await consequences(of: r)
        case .unknownExecutionStatus, .transport, .decode, .http:
            // Binance may or may not have executed it: query before anything else.
            node.counters.increment("orders_unknown")
            logger.warning("order status unknown: querying by client order id", metadata: ["order.client_id": "\(r.clientOrderID)", "error": "\(error)"])
            r.state = .unknown
            await store(r)
            await resolve(r)
        }
    }

    /// A poll right after the rate-limit hold ends (the regular poll may be far away).
    func scheduleRetry() {
        guard let held = client.heldUntil else { return }
        let wait = max(0, held.milliseconds - WallClock.now().milliseconds) + 10
        Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(wait))
            await self?.poll()
        }
    }

    /// Finds out what Binance has for an order journaled or sent without an answer; sends it (same
    /// client id) only when Binance confirms it has none (-2013).
    func resolve(_ record: OrderRecord) async {
        if let held = client.heldUntil, held > WallClock.now() { return }
        do {
            if let order = try await fills.order(symbol: record.spec.symbol, clientOrderID: record.clientOrderID) {
                await apply(order, to: record, fills: nil)
                return
            }
        } catch {
            node.counters.increment("queries_failed")
            return  // still unresolved: the next poll asks again
        }
        // Confirmed absent: safe to send with the same client order id.
        node.counters.increment("orders_resent_after_absence")
        if let list = record.listClientOrderID {
            let tp = orders[ClientOrderID.make(record.intentID, .takeProfit)]
            let sl = orders[ClientOrderID.make(record.intentID, .stop)]
            guard let tp, let sl, tp.listClientOrderID == list, sl.listClientOrderID == list else { return }
            // Both legs must be absent: a list is all or nothing.
            let other = record.leg == .takeProfit ? sl : tp
            if let found = try? await fills.order(symbol: other.spec.symbol, clientOrderID: other.clientOrderID) {
                await apply(found, to: other, fills: nil)
                return
            }
            await sendList(takeProfit: tp, stop: sl)
        } else {
            await send(record)
        }
    }

    // MARK: - Answers

    /// Stores Binance's view of an order and acts on what changed.
    func apply(_ order: BinanceOrder, to record: OrderRecord, fills given: [OrderFill]?, source: OrderObservation.Source = .query) async {
        await apply(OrderObservation(order, source: source, fills: given), to: record)
    }

    /// Moves an order's row forward by an observation (an answer, a query, a stream event: see
    /// ``OrderProgress``), stores it and acts on what changed. A late or repeated observation changes nothing.
    func apply(_ observation: OrderObservation, to record: OrderRecord) async {
        let current = orders[record.clientOrderID] ?? record
        let filters = filters[current.spec.symbol]
        guard case .updated(var r, let needsTrades) = OrderProgress.merge(current, observation, baseAsset: filters?.baseAsset, quoteAsset: filters?.quoteAsset) else { return }
        if needsTrades {
            do {
                let trades = try await fills.trades(symbol: r.spec.symbol, orderID: observation.exchangeOrderID)
                guard let summed = OrderProgress.withTrades(r, trades, baseAsset: filters?.baseAsset, quoteAsset: filters?.quoteAsset) else {
                    node.counters.increment("trades_incomplete")
                    return  // keep the old row; the next poll or event tries again
                }
                r = summed
            } catch {
                node.counters.increment("queries_failed")
                return  // keep the old row; the poll tries again
            }
            // The actor may have applied a newer observation while the trades were fetched.
            if let latest = orders[r.clientOrderID], latest != current { return await apply(observation, to: latest) }
        }
        node.counters.increment("order_updates_\(observation.source.rawValue)")
        if r.state.isTerminal { userData?.forget(r.clientOrderID) }
        await store(r)
        if r.leg == .entry { crash.reach(.updated) }
        await consequences(of: r)
    }

    func store(_ record: OrderRecord) async {
        orders[record.clientOrderID] = record
        do { try await journal.update(record) } catch {
            node.counters.increment("journal_errors")
            logger.error("journal update failed", metadata: ["order.client_id": "\(record.clientOrderID)", "error": "\(error)"])
        }
    }

    static func state(_ status: String?) -> OrderRecord.State? {
        switch status {
        case "NEW", "PARTIALLY_FILLED", "PENDING_NEW": return .open
        case "FILLED": return .filled
        case "CANCELED", "PENDING_CANCEL": return .canceled
        case "REJECTED": return .rejected
        case "EXPIRED", "EXPIRED_IN_MATCH": return .expired
        default: return nil
        }
    }

    /// What an order's new state means for its intent.
    func consequences(of r: OrderRecord) async {
        guard let intent = intents[r.intentID] else { return }
        switch r.leg {
        case .entry:
            switch r.state {
            case .open:
                publishAck(IntentAck(intentID: intent.id, symbol: intent.bar.symbol, status: .accepted))
            case .filled, .canceled, .expired, .rejected:
                if r.executedQuantity > .zero {
                    publishAck(IntentAck(intentID: intent.id, symbol: intent.bar.symbol, status: .accepted))
                    await report(intent, leg: .entry, side: .buy, records: [r], pnl: .zero, fee: fee(of: r))
                    await placeExits(intent)
                } else {
                    let status: IntentAck.Status = r.state == .rejected ? .rejected : .expired
                    await refuse(intent, status, r.reason.isEmpty ? "entry \(r.state.rawValue) with nothing filled" : r.reason)
                }
            case .journaled, .unknown:
                break
            }
        case .takeProfit, .stop:
            // Any leg ending may complete the exit: in an OCO list the filled leg can be applied
            // before its sibling expires (both in one answer), and then it is the expired one, with
            // nothing executed, that makes every exit leg terminal.
            guard r.state.isTerminal else { return }
            await closeIfDone(intent)
        case .signal, .timeLimit:
            guard r.state.isTerminal else { return }
            if r.executedQuantity == .zero, r.state != .canceled {
                // Binance refused the close (or it expired unfilled): the exits are already
                // cancelled, so the position is left without orders. Said loudly.
                node.counters.increment("closes_failed")
                logger.error("close order ended with nothing sold: the position has no exit orders left", metadata: [
                    "intent.id": "\(intent.id)", "order.client_id": "\(r.clientOrderID)", "order.state": "\(r.state)", "reason": "\(r.reason)",
                ])
                try? await journal.setIntentStatus(intent.id, "close_failed", reason: r.reason)
            }
            await closeIfDone(intent)
        case .list:
            break
        }
    }

    func fee(of r: OrderRecord) -> Decimal8 { ExitSummary.fee(of: r) }

    /// Reports the exit once every exit order (take-profit, stop, and a close order when the
    /// position is being closed) has ended: one report per position (``ExitSummary``).
    func closeIfDone(_ intent: TradeIntent) async {
        guard let entry = orders[ClientOrderID.make(intent.id, .entry)] else { return }
        let close = closeRecord(intent.id)
        guard let exit = ExitSummary.of(entry: entry, exitLegs: exitLegs(intent.id), close: close) else { return }
        await report(intent, leg: exit.leg, side: .sell, records: exit.records, pnl: exit.pnl, fee: exit.fee)
        if close != nil { await finishClose(intent.id) }
    }

    /// The key of an intent's report in ``reported``: one per side ("e" entry, "x" any exit).
    static func reportKey(_ id: IntentID, entry: Bool) -> String { "\(id.rawValue)/\(entry ? "e" : "x")" }

    /// Whether the position's exit has been reported (it is finished).
    func exitReported(_ id: IntentID) -> Bool { reported.contains(Self.reportKey(id, entry: false)) }

    func report(_ intent: TradeIntent, leg: ExecutionReport.Leg, side: Side, records: [OrderRecord], pnl: Decimal8, fee: Decimal8) async {
        // One report per intent and side: an exit is reported once, whichever leg closed it.
        guard reported.insert(Self.reportKey(intent.id, entry: leg == .entry)).inserted else { return }
        let quantity = records.reduce(Decimal8.zero) { $0 + $1.executedQuantity }
        let quote = records.reduce(Decimal8.zero) { $0 + $1.cumulativeQuote }
        let main = records.filter { $0.executedQuantity > .zero }.max { $0.updatedAt < $1.updatedAt } ?? records[0]
        let report = ExecutionReport(
            intentID: intent.id, clientOrderID: main.clientOrderID, symbol: intent.bar.symbol, leg: leg, side: side,
            price: quantity > .zero ? quote.divided(by: quantity) : .zero, quantity: quantity, fee: fee, realizedPnL: pnl,
            eventTime: main.updatedAt, shadow: false
        )
        do { try await journal.record(report) } catch {
            node.counters.increment("journal_errors")
        }
        let trace = traces[intent.id] ?? ("", "")
        node.publish(.executionReport(Quorum_V1_ExecutionReport(report)), topic: Topic.executionReport(symbol: report.symbol),
                     eventTime: report.eventTime, traceID: trace.trace, causationID: trace.cause)
        node.counters.increment("fills_live_\(leg.exitReason ?? "entry")")
    }

    func publishAck(_ ack: IntentAck) {
        if ack.status == .accepted {
            guard acked.insert(ack.intentID).inserted else { return }
        }
        let trace = traces[ack.intentID] ?? ("", "")
        node.publish(.intentAck(Quorum_V1_IntentAck(ack)), topic: Topic.intentAck, eventTime: WallClock.now(), traceID: trace.trace, causationID: trace.cause)
        node.counters.increment("acks_\(ack.status.rawValue)")
    }

    // MARK: - Exits

    /// Journals and sends an intent's exit orders once its entry has filled (once: an intent with
    /// exit rows already journaled goes through ``advanceOrders()`` instead).
    private func placeExits(_ intent: TradeIntent) async {
        guard let entry = orders[ClientOrderID.make(intent.id, .entry)], entry.executedQuantity > .zero,
              !hasOrder(intent.id, .takeProfit), closeRecord(intent.id) == nil, let filters = filters[intent.bar.symbol] else { return }
        let net = entry.executedQuantity - entry.commissionBase
        let reference = entry.averagePrice
        do {
            switch settings.exitMode {
            case .limitAndWatchedStop:
                let tp = try OrderConstruction.order(
                    filters: filters, band: bands[filters.symbol], side: .sell, kind: .limit, quantity: net, price: intent.takeProfit,
                    referencePrice: reference, clientOrderID: ClientOrderID.make(intent.id, .takeProfit))
                let record = OrderRecord(clientOrderID: tp.clientOrderID, intentID: intent.id, leg: .takeProfit, spec: tp, state: .journaled)
                try await journal.journal([record], intentStatus: "open", at: WallClock.now())
                orders[record.clientOrderID] = record
                crash.reach(.exitJournaled)
                await send(record)
            case .oco:
                let list = ClientOrderID.make(intent.id, .list)
                let tp = try OrderConstruction.order(
                    filters: filters, band: bands[filters.symbol], side: .sell, kind: .limitMaker, quantity: net, price: intent.takeProfit,
                    referencePrice: reference, clientOrderID: ClientOrderID.make(intent.id, .takeProfit))
                let limit = intent.stopLoss.multiplied(by: .one - settings.stopLimitSlippage, rounding: .up)
                let sl = try OrderConstruction.order(
                    filters: filters, band: bands[filters.symbol], side: .sell, kind: .stopLossLimit, quantity: net, price: limit,
                    stopPrice: intent.stopLoss, referencePrice: reference, clientOrderID: ClientOrderID.make(intent.id, .stop))
                let records = [
                    OrderRecord(clientOrderID: tp.clientOrderID, intentID: intent.id, leg: .takeProfit, spec: tp, listClientOrderID: list, state: .journaled),
                    OrderRecord(clientOrderID: sl.clientOrderID, intentID: intent.id, leg: .stop, spec: sl, listClientOrderID: list, state: .journaled),
                ]
                try await journal.journal(records, intentStatus: "open", at: WallClock.now())
                for record in records { orders[record.clientOrderID] = record }
                crash.reach(.exitJournaled)
                await sendList(takeProfit: records[0], stop: records[1])
            }
        } catch let failure as OrderConstruction.Failure {
            node.counters.increment("exits_refused")
            logger.error("exit orders cannot be built: the position stays open", metadata: ["intent.id": "\(intent.id)", "reason": "\(failure)"])
            try? await journal.setIntentStatus(intent.id, "exit_refused", reason: failure.description)
        } catch {
            node.counters.increment("journal_errors")
            logger.error("journal write failed: exits not sent", metadata: ["intent.id": "\(intent.id)", "error": "\(error)"])
        }
    }

    /// The watched stop (exit mode `limit+watch`): cancels the take-profit and sells the rest at market.
    private func triggerStop(_ intent: TradeIntent) async {
        guard var tp = orders[ClientOrderID.make(intent.id, .takeProfit)], !hasOrder(intent.id, .stop), closeRecord(intent.id) == nil,
              let filters = filters[intent.bar.symbol] else { return }
        if tp.state == .open {
            userData?.expect(tp.clientOrderID)
            do {
                let canceled = try await client.cancelOrder(symbol: tp.spec.symbol, clientOrderID: tp.clientOrderID)
                await apply(canceled, to: tp, fills: nil, source: .answer)
            } catch {
                // -2011 (already filled or gone) or unknown: look it up and decide on the next poll.
                if let found = try? await fills.order(symbol: tp.spec.symbol, clientOrderID: tp.clientOrderID) { await apply(found, to: tp, fills: nil) }
                return
            }
            tp = orders[tp.clientOrderID] ?? tp
        }
        guard tp.state == .canceled || tp.state == .expired else { return }
        let remaining = tp.spec.quantity - tp.executedQuantity
        guard remaining > .zero else { await closeIfDone(intent); return }
        do {
            let stop = try OrderConstruction.order(
                filters: filters, band: nil, side: .sell, kind: .market, quantity: remaining, referencePrice: intent.stopLoss,
                clientOrderID: ClientOrderID.make(intent.id, .stop))
            let record = OrderRecord(clientOrderID: stop.clientOrderID, intentID: intent.id, leg: .stop, spec: stop, state: .journaled)
            try await journal.journal([record], intentStatus: "stopping", at: WallClock.now())
            orders[record.clientOrderID] = record
            crash.reach(.exitJournaled)
            await send(record)
        } catch {
            node.counters.increment("exits_refused")
            logger.error("stop order cannot be built", metadata: ["intent.id": "\(intent.id)", "error": "\(error)"])
        }
    }

    // MARK: - Polling

    /// One round of the fill source: resolves unanswered orders, refreshes open ones, places exits
    /// that a crash left out, and watches stops. REST polling alone is correct; a stream only
    /// makes the answers arrive sooner.
    func poll() async {
        await acquire()
        defer { release() }
        await advanceOrders()
        await advancePositions()
    }

    /// Queries (or resolves) every order not known to be finished, or only those `include` picks.
    /// Unanswered orders of a position being closed are left to ``advanceClose(_:)``: an exit leg
    /// Binance never got is not sent any more, and the close order is sent only once the exits have ended.
    func advanceOrders(where include: (OrderRecord) -> Bool = { _ in true }) async {
        let pending = orders.values.filter { !$0.state.isTerminal && include($0) && !($0.state.isUnresolved && isClosing($0.intentID)) }.sorted { ($0.updatedAt, $0.clientOrderID) < ($1.updatedAt, $1.clientOrderID) }
        for record in pending {
            guard let current = orders[record.clientOrderID], !current.state.isTerminal else { continue }
            if current.state.isUnresolved {
                await resolve(current)
            } else {
                do {
                    if let order = try await fills.order(symbol: current.spec.symbol, clientOrderID: current.clientOrderID) {
                        await apply(order, to: current, fills: nil)
                    }
                } catch {
                    node.counters.increment("queries_failed")
                }
            }
        }
    }

    /// Positions whose next step a crash interrupted (entry filled but no exits, a watched stop
    /// whose take-profit is cancelled but whose market sell is missing), and watched stops.
    func advancePositions() async {
        var prices: [String: Price] = [:]
        for intent in intents.values.sorted(by: { $0.id < $1.id }) {
            // A resting LIMIT entry past the intent's expiry is cancelled (what filled is kept and exits).
            if let entry = orders[ClientOrderID.make(intent.id, .entry)], entry.state == .open, WallClock.now() > intent.expiresAt {
                node.counters.increment("entries_expired")
                userData?.expect(entry.clientOrderID)
                if let canceled = try? await client.cancelOrder(symbol: entry.spec.symbol, clientOrderID: entry.clientOrderID) {
                    await apply(canceled, to: entry, fills: nil, source: .answer)
                }
                continue
            }
            guard let entry = orders[ClientOrderID.make(intent.id, .entry)], entry.state.isTerminal, entry.executedQuantity > .zero else { continue }
            if isClosing(intent.id) {
                // Closing (an exit signal or the time limit): no exits placed, no stop watched.
                await advanceClose(intent.id)
                continue
            }
            guard let tp = orders[ClientOrderID.make(intent.id, .takeProfit)] else {
                await placeExits(intent)
                continue
            }
            guard settings.exitMode == .limitAndWatchedStop, !hasOrder(intent.id, .stop) else { continue }
            if tp.state == .canceled || tp.state == .expired {
                await triggerStop(intent)
                continue
            }
            guard tp.state == .open else { continue }
            let symbol = intent.bar.symbol
            if prices[symbol] == nil {
                prices[symbol] = try? await client.bookTicker(symbol: symbol).bidPrice
            }
            if let bid = prices[symbol], bid <= intent.stopLoss {
                node.counters.increment("stops_triggered")
                await triggerStop(intent)
            }
        }
    }
}
