import Binance
import BinanceClient
import Bus
import Domain
import ExecutorCore
import Foundation
import Runtime
import StrategyConfig
import Wire

// quorum-executor: intents in (intent.), klines in (md.kline.). Journals every intent in SQLite
// before acting (an intent received twice is executed once).
// Shadow mode (the default): paper fills. SHADOW_FILLS=book (the default) walks the live L2 book
// (md.book.<SYM>., BookPaperCore): market entries and stops walk the levels, a take-profit LIMIT
// fills when the bid crosses it. SHADOW_FILLS=kline (replays: the demo, the parity tests, like the
// in-process backtest) fills entries at the next kline's open and exits at take-profit or stop (the
// stop first when both are touched in one bar) or at a time limit's or exit signal's open; taker
// fills slip by SLIPPAGE_BPS. Taker fills pay TAKER_FEE_RATE, the take-profit LIMIT MAKER_FEE_RATE;
// per division from QUORUM_CONFIG when set.
// Live mode (ENABLE_LIVE_TRADING=1 and keys): intents without the shadow flag become Binance orders
// through LiveTrader (journal first, crash-safe); close intents and time limits close live positions
// (exits cancelled, the rest sold at market); shadow intents are still paper-filled.
// Publishes exec.ack., exec.report.<SYM>. and exec.mark.<SYM>.; the mode is printed at start and
// carried in every heartbeat (counter mode_live or mode_shadow = 1).
await ServiceMain.run(service: "executor") { env in
    _ = env.string("MODE", default: "shadow", "deprecated: the mode comes from ENABLE_LIVE_TRADING and the keys")
    let feeRate = env.decimal("FEE_RATE", default: Decimal8("0.001")!, range: Decimal8.zero...Decimal8("0.1")!, "paper fee per side as a fraction of notional (both roles)")
    let makerFee = env.decimal("MAKER_FEE_RATE", default: feeRate, range: Decimal8.zero...Decimal8("0.1")!, "paper fee of a take-profit LIMIT fill (default FEE_RATE)")
    let takerFee = env.decimal("TAKER_FEE_RATE", default: feeRate, range: Decimal8.zero...Decimal8("0.1")!, "paper fee of a market entry, stop or time-limit fill (default FEE_RATE)")
    let slippageBps = env.decimal("SLIPPAGE_BPS", default: .zero, range: Decimal8.zero...Decimal8(1000), "paper slippage of taker fills, basis points of the price (kline fills)")
    let portfolioPath = env.string("QUORUM_CONFIG", default: "", "portfolio config: per-division paper costs (maker/taker fees, slippage_bps); others use the keys above")
    var divisionCosts: [String: ExecutorCore.Costs] = [:]
    if !portfolioPath.isEmpty {
        do {
            for division in try Portfolio.load(path: portfolioPath).portfolio.divisions {
                divisionCosts[division.name] = ExecutorCore.Costs(makerFeeRate: division.makerFeeRate, takerFeeRate: division.takerFeeRate, slippageBps: division.slippageBps)
            }
        } catch {
            env.fail("QUORUM_CONFIG=\(portfolioPath): \(error)")
        }
    }
    let dataDirectory = env.string("DATA_DIR", default: "./var/data", "folder of the journal (executor.sqlite)")
    let symbols = env.list("SYMBOLS", default: [], "only these symbols (empty = all)")
    _ = env.string("ENABLE_LIVE_TRADING", default: "0", "1 = live trading (also needs BINANCE_API_KEY and BINANCE_API_SECRET or BINANCE_ED25519_KEY_FILE, or their *_FILE forms)")
    let binance = env.string("BINANCE", default: "production", "live: production | testnet | sim:<port> | sim:<host>:<port> | <rest-url>|<ws-url>")
    let entryText = env.string("ENTRY_TYPE", default: "MARKET", "live entry order: MARKET or LIMIT (GTC at the intent's reference price)")
    let exitText = env.string("EXIT_MODE", default: "oco", "live exits: oco (LIMIT_MAKER + STOP_LOSS_LIMIT list) | limit+watch (take-profit LIMIT, stop watched)")
    let slippage = env.decimal("STOP_LIMIT_SLIPPAGE", default: Decimal8("0.005")!, range: Decimal8.zero...Decimal8("0.5")!, "STOP_LOSS_LIMIT price = stop × (1 − this)")
    let maxNotional = env.decimal("MAX_ORDER_NOTIONAL", default: .zero, range: Decimal8.zero...Decimal8(1_000_000_000), "largest live entry notional (0 = filters only)")
    let pollMs = env.int("POLL_MS", default: 500, range: 10...60_000, "live: REST polling period (USER_DATA=poll or the stream down) and of the watched stops")
    let userDataText = env.string("USER_DATA", default: "ws", "live fills: ws (user-data stream, REST polling as fallback) | poll (REST polling only)")
    let wsAPIURL = env.string("WS_API_URL", default: "", "live: WebSocket API URL of the user-data stream (empty: derived from BINANCE)")
    let fallbackMs = env.int("POLL_FALLBACK_MS", default: 3000, range: 10...600_000, "live, stream up: an order we placed or cancelled with no event for this long is queried by REST")
    let safetyMs = env.int("SAFETY_POLL_MS", default: 30_000, range: 100...3_600_000, "live, stream up: every open order is queried this often anyway")
    let apiErrorThreshold = env.int("API_ERRORS_DEGRADED", default: 10, range: 0...1_000_000, "live: more API errors than this in the last minute make the heartbeat degraded")
    let clockSync = env.bool("BINANCE_CLOCK_SYNC", default: true, "live: measure Binance's clock offset at start (off: sign with the local clock)")
    let shadowFills = env.string("SHADOW_FILLS", default: "book", "paper fills: book (walk the live md.book. levels) | kline (next kline's open: replays, the demo)")
    if shadowFills != "kline" && shadowFills != "book" { env.fail("SHADOW_FILLS=\(shadowFills): expected book or kline") }
    let crashText = env.string("EXECUTOR_CRASH_AT", default: "", "tests only: <phase>:<n> SIGKILLs the process the n-th time it reaches a phase")

    let mode = TradingMode.read(ProcessInfo.processInfo.environment)
    let endpoints = BinanceEndpoints(named: binance)
    if endpoints == nil { env.fail("BINANCE=\(binance): expected production, testnet, sim:<port>, sim:<host>:<port> or <rest-url>|<ws-url>") }
    let entryKind = OrderSpec.Kind(rawValue: entryText.uppercased())
    if entryKind != .market && entryKind != .limit { env.fail("ENTRY_TYPE=\(entryText): expected MARKET or LIMIT") }
    let exitMode = LiveSettings.ExitMode(rawValue: exitText)
    if exitMode == nil { env.fail("EXIT_MODE=\(exitText): expected oco or limit+watch") }
    let useStream = userDataText == "ws"
    if userDataText != "ws" && userDataText != "poll" { env.fail("USER_DATA=\(userDataText): expected ws or poll") }
    if !wsAPIURL.isEmpty && !wsAPIURL.hasPrefix("ws://") && !wsAPIURL.hasPrefix("wss://") { env.fail("WS_API_URL=\(wsAPIURL): expected a ws:// or wss:// URL") }
    let crash = CrashHook(specification: crashText, service: "executor")
    if crash == nil { env.fail("EXECUTOR_CRASH_AT=\(crashText): expected <phase>:<n> with phase in \(CrashHook.phaseNames)") }
    let isLive: Bool
    if case .live = mode { isLive = true } else { isLive = false }
    let configuration = ExecutorCore.Configuration(
        costs: ExecutorCore.Costs(makerFeeRate: makerFee, takerFeeRate: takerFee, slippageBps: slippageBps),
        divisionCosts: divisionCosts, routesLiveIntents: isLive
    )
    do { try configuration.validate() } catch let error as ExecutorCore.Configuration.ValidationError {
        for violation in error.violations { env.fail(violation) }
    }
    let settings = LiveSettings(entryKind: entryKind ?? .market, exitMode: exitMode ?? .oco, stopLimitSlippage: slippage, maxOrderNotional: maxNotional)
    return { node in
        let crash = crash ?? .never
        switch mode {
        case .shadow(let reason):
            print("quorum-executor: mode shadow (\(reason)): every intent is paper-filled on the \(shadowFills == "book" ? "live book (SHADOW_FILLS=book)" : "next kline's open (SHADOW_FILLS=kline)")")
            node.logger.notice("mode shadow", metadata: ["mode": "shadow", "mode.reason": "\(reason)"])
        case .live(let credentials):
            print("quorum-executor: mode LIVE on \(endpoints!.rest) (orders are sent to the exchange; shadow intents are paper-filled)")
            node.logger.notice("mode live", metadata: ["mode": "live", "binance.rest": "\(endpoints!.rest)", "entry": "\(settings.entryKind.rawValue)",
                                                       "exits": "\(settings.exitMode.rawValue)", "credentials": "\(credentials.signingKey)"])
        }
        node.counters.set(isLive ? "mode_live" : "mode_shadow", to: 1)
        node.counters.set(shadowFills == "book" ? "shadow_fills_book" : "shadow_fills_kline", to: 1)

        let path = (dataDirectory as NSString).appendingPathComponent("executor.sqlite")
        let journal = try Journal(path: path, durable: isLive)
        let (intents, finished) = try journal.load()
        var core = ExecutorCore(configuration: configuration, journal: intents, finished: finished)
        let fillsOnBooks = shadowFills == "book"
        var bookCore = BookPaperCore(configuration: configuration, journal: intents)
        var klinesWithoutBook: [String: Int] = [:]
        node.logger.info("journal opened", metadata: ["journal.path": "\(path)", "journal.intents": "\(intents.count)", "journal.finished": "\(finished.count)"])

        let trader: LiveTrader?
        let client: BinanceRESTClient?
        var background: [Task<Void, Never>] = []
        if case .live(let credentials) = mode, let endpoints {
            let rest = BinanceRESTClient(endpoints: endpoints, credentials: credentials, logger: node.logger)
            client = rest
            if clockSync { try await rest.synchronizeClock() }
            // The user-data stream first: subscribed before reconciliation, no fill falls between them.
            let userData = useStream ? UserDataFills(counters: node.counters, logger: node.logger) : nil
            if let userData {
                let url = wsAPIURL.isEmpty ? BinanceUserDataClient.webSocketAPIURL(for: endpoints) : wsAPIURL
                let stream = UserDataFills.client(credentials: credentials, url: url, rest: rest, logger: node.logger)
                background.append(userData.connect(stream))
                let up = await userData.waitUntilUp(timeout: .seconds(5))
                node.logger.notice(up ? "fills from the user-data stream" : "user-data stream not up yet: polling until it is",
                                   metadata: ["binance.ws_api": "\(url)"])
            }
            let live = LiveTrader(client: rest, fills: PollingFillSource(client: rest, counters: node.counters), journal: journal, node: node,
                                  settings: settings, crash: crash, userData: userData)
            // Reconcile before accepting any intent (it polls everything: no resync needed for what came before).
            _ = userData?.takeResync()
            try await live.reconcile(liveIntents: intents.filter { !$0.shadow && !finished.contains($0.id) })
            if let userData { background.append(userData.consume(into: live)) }
            let schedule = FillSchedule(pollInterval: .milliseconds(pollMs), fallbackAfter: .milliseconds(fallbackMs),
                                        safetyInterval: .milliseconds(safetyMs), apiErrorThreshold: apiErrorThreshold)
            background.append(schedule.start(trader: live, userData: userData, rest: rest, node: node))
            trader = live
        } else {
            trader = nil
            client = nil
        }
        defer { for task in background { task.cancel() } }

        var prefixes = symbols.isEmpty
            ? [Topic.Prefix.intents, Topic.Prefix.klines]
            : symbols.flatMap { [Topic.intent(symbol: $0), "\(Topic.Prefix.klines)\($0)."] }
        if fillsOnBooks { prefixes += symbols.isEmpty ? ["md.book."] : symbols.map { Topic.book(symbol: $0) } }
        let inbound = try node.subscribe(prefixes + [Topic.control(service: "executor")])
        try await inbound.onReceiveThread {
            for await envelope in inbound {
                let input: ExecutorCore.Input?
                var book: BookSnapshot?
                do {
                    switch envelope.payload {
                    case .intent(let wire): input = .intent(try wire.domain())
                    case .kline(let wire): input = .kline(try wire.domain())
                    case .bookSnapshot(let wire) where fillsOnBooks:
                        book = try wire.domain()
                        input = nil
                    case .control(let control):
                        node.logger.notice("control received", metadata: ["ctl.command": "\(control.command)"])
                        continue
                    default:
                        node.dropUnexpected(envelope)
                        continue
                    }
                } catch {
                    node.drop(reason: "invalid_payload", detail: "\(error)")
                    continue
                }
                let arrival = ContinuousClock.now
                let trace = envelope.header.traceID
                let cause = envelope.causationID
                var liveIntent: TradeIntent?
                let outputs: [ExecutorCore.Output]
                if let book {
                    outputs = bookCore.handle(.book(book), now: WallClock.now())
                } else if trader != nil, case .intent(let intent) = input, !intent.shadow {
                    outputs = core.admitLive(intent)
                    if outputs.contains(where: { if case .journalIntent = $0 { true } else { false } }) { liveIntent = intent }
                } else if fillsOnBooks, case .intent(let intent) = input {
                    outputs = bookCore.handle(.intent(intent), now: WallClock.now())
                } else if let input {
                    var produced = core.handle(input, now: WallClock.now())
                    // Book fills: entries still waiting for a first book expire on the klines' beat.
                    if fillsOnBooks, case .kline(let kline) = input {
                        produced += bookCore.expireWaiting(now: WallClock.now())
                        // Klines without any book: a replay, or a Collector not publishing books.
                        // Said once per symbol (after a few closed klines, books may start later).
                        if kline.isClosed, !bookCore.hasBook(kline.symbol) {
                            klinesWithoutBook[kline.symbol, default: 0] += 1
                            if klinesWithoutBook[kline.symbol] == 3 {
                                node.counters.increment("book_fills_without_books")
                                node.logger.warning("SHADOW_FILLS=book but no book on the bus: paper entries cannot fill (replays need SHADOW_FILLS=kline)",
                                                    metadata: ["symbol": "\(kline.symbol)", "topic": "\(Topic.book(symbol: kline.symbol))"])
                            }
                        }
                    }
                    outputs = produced
                } else {
                    outputs = []
                }
                for output in outputs {
                    switch output {
                    case .journalIntent(let intent):
                        if liveIntent != nil { crash.reach(.received) }
                        // Journal before acting: if this write fails, nothing after it happens.
                        let inserted = try await journal.record(intent, receivedAt: WallClock.now())
                        node.counters.increment(inserted ? "intents_journaled" : "intents_already_journaled")
                    case .ack(let ack):
                        try await journal.record(ack)
                        node.publish(.intentAck(Quorum_V1_IntentAck(ack)), topic: Topic.intentAck, eventTime: WallClock.now(), traceID: trace, causationID: cause)
                        node.counters.increment("acks_\(ack.status.rawValue)")
                    case .report(let report):
                        try await journal.record(report)
                        node.publish(.executionReport(Quorum_V1_ExecutionReport(report)), topic: Topic.executionReport(symbol: report.symbol),
                                     eventTime: report.eventTime, traceID: trace, causationID: cause)
                        node.counters.increment("fills_\(report.leg.exitReason ?? "entry")")
                    case .watermark(let mark):
                        node.publish(.executionWatermark(Quorum_V1_ExecutionWatermark(mark)), topic: Topic.executionWatermark(symbol: mark.symbol),
                                     eventTime: mark.through, traceID: trace, causationID: cause)
                    }
                }
                if let liveIntent, let trader {
                    await trader.submit(liveIntent, trace: trace, cause: cause, receivedAt: arrival)
                }
                // Closed klines drive the live positions' time limits (the paper core saw them above).
                if let trader, case .kline(let kline) = input, kline.isClosed {
                    await trader.closedKline(kline)
                }
            }
        }
        for task in background { task.cancel() }
        await client?.shutdown()
    }
}
