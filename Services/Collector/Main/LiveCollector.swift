import Binance
import BinanceClient
import Bus
import CollectorCore
import Domain
import Foundation
import Logging
import OrderBook
import Runtime
import Wire

/// The live collector's shell: REST backfills and the combined stream go through the pure cores
/// (`KlineSequencer` per series, `BookFeed` per symbol, `StreamFreshness`); what they decide is
/// stored and published here. An actor, so stream events, backfill pages and timers never race.
actor LiveCollector {
    struct SeriesKey: Hashable, Sendable { let symbol: String; let interval: Interval }

    let configuration: LiveConfiguration
    let node: BusNode
    let rest: BinanceRESTClient
    let store: KlineStore
    let logger: Logger
    private var sequencers: [SeriesKey: KlineSequencer] = [:]
    private var books: [String: BookFeed] = [:]
    private var freshness: StreamFreshness
    /// Bumped on every stream restart so that a snapshot fetched for an older connection is dropped.
    private var bookGeneration = 0
    private var snapshotTasks: [String: Task<Void, Never>] = [:]
    private var lastBookPersisted: [String: Timestamp] = [:]
    private var backfillTasks: [SeriesKey: Task<Void, Never>] = [:]

    init(configuration: LiveConfiguration, node: BusNode, rest: BinanceRESTClient, store: KlineStore) {
        self.configuration = configuration
        self.node = node
        self.rest = rest
        self.store = store
        self.logger = node.logger
        self.freshness = StreamFreshness(streams: configuration.streamNames, staleAfterMilliseconds: configuration.staleAfterMs)
        let bookConfiguration = BookFeed.Configuration(
            depth: configuration.bookDepth, throttleMilliseconds: configuration.throttleMs, fullPeriodMilliseconds: configuration.fullBookMs
        )
        if configuration.streams.contains(.depth) {
            for symbol in configuration.symbols { books[symbol] = BookFeed(symbol: symbol, configuration: bookConfiguration) }
        }
    }

    var seriesKeys: [SeriesKey] {
        configuration.streams.contains(.kline)
            ? configuration.symbols.flatMap { s in configuration.intervals.map { SeriesKey(symbol: s, interval: $0) } } : []
    }

    // MARK: start

    /// Measures the server clock, loads each series' last stored kline and backfills what is
    /// missing up to now (a fresh store starts `BACKFILL_BARS` back).
    func start() async {
        freshness.started(at: WallClock.now())
        do {
            let offset = try await rest.synchronizeClock()
            freshness.rest(reachable: true)
            logger.info("binance reachable", metadata: ["binance": "\(configuration.endpoints)", "clock.offset_ms": "\(offset)"])
        } catch {
            freshness.rest(reachable: false)
            node.counters.increment("rest_failures")
            logger.error("binance unreachable at start; streaming anyway", metadata: ["error": "\(error)"])
        }
        for key in seriesKeys {
            let last: Timestamp?
            do { last = try store.lastOpenTime(symbol: key.symbol, interval: key.interval) } catch {
                logger.error("cannot read the store", metadata: ["error": "\(error)"])
                last = nil
            }
            sequencers[key] = KlineSequencer(symbol: key.symbol, interval: key.interval, lastPublishedOpen: last)
            let from: Timestamp
            if let last {
                from = last.adding(milliseconds: key.interval.milliseconds)
            } else {
                let now = rest.estimatedServerTime().milliseconds
                let aligned = now - now % key.interval.milliseconds
                from = Timestamp(milliseconds: aligned - Int64(configuration.backfillBars) * key.interval.milliseconds)
            }
            logger.info("series", metadata: ["series": "\(key.symbol).\(key.interval.name)", "stored_until": "\(last.map { "\($0)" } ?? "nothing")", "backfill_from": "\(from)"])
            await backfill(key, from: from)
        }
    }

    // MARK: klines

    private func apply(_ outputs: [KlineSequencer.Output], _ key: SeriesKey, source: String) {
        var toPublish: [Kline] = []
        for output in outputs {
            switch output {
            case .publish(let kline): toPublish.append(kline)
            case .needBackfill(let from): startBackfill(key, from: from)
            }
        }
        guard !toPublish.isEmpty else { return }
        do {
            let inserted = try store.insert(toPublish, source: source)
            if inserted != toPublish.count { node.counters.increment("klines_already_stored", by: UInt64(toPublish.count - inserted)) }
        } catch {
            node.counters.increment("store_failures")
            logger.error("cannot store klines", metadata: ["error": "\(error)"])
        }
        let topic = Topic.kline(symbol: key.symbol, interval: key.interval.name)
        for kline in toPublish {
            node.publish(.kline(Quorum_V1_Kline(kline)), topic: topic, eventTime: kline.closeTime,
                         traceID: "\(kline.symbol).\(kline.interval.name).\(kline.openTime.milliseconds)")
            node.counters.increment("klines_published")
            node.counters.increment(source == "rest" ? "klines_backfilled" : "klines_streamed")
        }
        syncSequencerCounters()
    }

    private func syncSequencerCounters() {
        var total = KlineSequencer.Statistics()
        for s in sequencers.values {
            total.duplicates += s.statistics.duplicates
            total.holes += s.statistics.holes
            total.exchangeGaps += s.statistics.exchangeGaps
            total.missingBars += s.statistics.missingBars
            total.pendingOverflows += s.statistics.pendingOverflows
            total.misaligned += s.statistics.misaligned
        }
        node.counters.set("kline_duplicates_dropped", to: UInt64(total.duplicates))
        node.counters.set("kline_holes", to: UInt64(total.holes))
        node.counters.set("exchange_gaps", to: UInt64(total.exchangeGaps))
        node.counters.set("exchange_missing_bars", to: UInt64(total.missingBars))
        node.counters.set("kline_pending_overflows", to: UInt64(total.pendingOverflows))
        node.counters.set("kline_misaligned", to: UInt64(total.misaligned))
    }

    private func startBackfill(_ key: SeriesKey, from: Timestamp) {
        backfillTasks[key]?.cancel()
        backfillTasks[key] = Task { await self.backfill(key, from: from) }
    }

    /// Backfills one series from `from` to now, feeding every page through its sequencer.
    private func backfill(_ key: SeriesKey, from: Timestamp) async {
        node.counters.increment("backfills")
        // The client marks a REST kline closed against its estimate of the server clock: measure
        // it now (the simulator's replay clock runs at its own speed).
        _ = try? await rest.synchronizeClock()
        logger.info("backfill", metadata: ["series": "\(key.symbol).\(key.interval.name)", "from": "\(from)"])
        do {
            try await rest.allKlines(symbol: key.symbol, interval: key.interval, from: from) { page in
                await self.backfilled(key, page)
            }
            freshness.rest(reachable: true)
            if var s = sequencers[key] {
                let outputs = s.backfillFinished()
                sequencers[key] = s
                apply(outputs, key, source: "stream")
            }
        } catch {
            node.counters.increment("backfill_failures")
            noteRESTFailure(error)
            logger.warning("backfill failed; retried on the next hole or reconnect", metadata: ["series": "\(key.symbol).\(key.interval.name)", "error": "\(error)"])
            sequencers[key]?.backfillFailed()
            // Ask again soon, without waiting for the stream to notice a hole.
            let retry = Task {
                try? await Task.sleep(for: .seconds(2))
                await self.retryBackfill(key)
            }
            _ = retry
        }
    }

    private func retryBackfill(_ key: SeriesKey) {
        guard var s = sequencers[key], !s.backfillOutstanding, s.pendingCount > 0 || s.lastPublishedOpen != nil else { return }
        let outputs = s.reconnected()
        sequencers[key] = s
        apply(outputs, key, source: "rest")
    }

    private func backfilled(_ key: SeriesKey, _ page: [Kline]) {
        guard var s = sequencers[key] else { return }
        let outputs = s.backfilled(page)
        sequencers[key] = s
        apply(outputs, key, source: "rest")
    }

    private func noteRESTFailure(_ error: any Error) {
        if let e = error as? BinanceClientError {
            switch e {
            case .transport, .http, .rateLimited, .banned: freshness.rest(reachable: false)
            default: break
            }
            if case .rateLimited = e { node.counters.increment("rest_rate_limited") }
        } else {
            freshness.rest(reachable: false)
        }
    }

    // MARK: stream events

    func handle(_ event: BinanceStreamClient.Event) {
        switch event {
        case .connected(let connection, let streams):
            node.counters.increment("ws_connects")
            freshness.stream(connected: true, at: WallClock.now())
            logger.info("stream connected", metadata: ["connection": "\(connection)", "streams": "\(streams.count)"])
            for key in seriesKeys {
                guard var s = sequencers[key] else { continue }
                let outputs = s.reconnected()
                sequencers[key] = s
                apply(outputs, key, source: "rest")
            }
        case .disconnected(_, let reason, _):
            node.counters.increment("ws_disconnects")
            freshness.stream(connected: false, at: WallClock.now())
            logger.warning("stream disconnected", metadata: ["reason": "\(reason)"])
            restartBooks()
        case .undecodable(let error, _, _):
            node.drop(reason: "binance_undecodable", detail: "\(error)")
        case .controlResponse:
            break
        case .message(let message, let receivedAt, _):
            freshness.seen(message.stream, at: receivedAt)
            handle(message.event, receivedAt: receivedAt)
        }
    }

    private func handle(_ event: StreamEvent, receivedAt: Timestamp) {
        switch event {
        case .kline(let kline):
            let key = SeriesKey(symbol: kline.symbol, interval: kline.interval)
            guard var s = sequencers[key] else { node.drop(reason: "unexpected_series", detail: "\(kline.symbol) \(kline.interval)"); return }
            let outputs = s.streamed(kline)
            sequencers[key] = s
            apply(outputs, key, source: "stream")
        case .depthUpdate(let update):
            feedBook(update.symbol, .diff(update), now: receivedAt)
        case .aggTrade(let trade), .trade(let trade):
            node.publish(.trade(Quorum_V1_Trade(trade)), topic: Topic.trade(symbol: trade.symbol), eventTime: trade.tradeTime)
            node.counters.increment("trades_published")
        case .bookTicker(let ticker):
            if let book = books[ticker.symbol]?.synchronizer, book.isSynchronized, book.book.lastUpdateID == ticker.updateID {
                node.counters.increment(book.book.top.matches(ticker) ? "book_ticker_matched" : "book_ticker_mismatched")
            }
        case .serverShutdown:
            node.counters.increment("ws_server_shutdowns")
        case .partialDepth, .unknown:
            break
        }
    }

    // MARK: books

    private func restartBooks() {
        bookGeneration += 1
        for (symbol, task) in snapshotTasks { task.cancel(); snapshotTasks[symbol] = nil }
        for symbol in books.keys { feedBook(symbol, .streamRestarted, now: WallClock.now()) }
    }

    private func feedBook(_ symbol: String, _ input: BookFeed.Input, now: Timestamp) {
        guard var feed = books[symbol] else { return }
        let outputs = feed.handle(input, now: now)
        books[symbol] = feed
        for output in outputs {
            switch output {
            case .delta(let update):
                node.publish(.bookDelta(Quorum_V1_BookDelta(update)), topic: Topic.depth(symbol: symbol), eventTime: update.eventTime,
                             traceID: "\(symbol).depth.\(update.finalUpdateID)")
                node.counters.increment("depth_published")
            case .book(let snapshot):
                node.publish(.bookSnapshot(Quorum_V1_BookSnapshot(snapshot)), topic: Topic.book(symbol: symbol), eventTime: snapshot.eventTime,
                             traceID: "\(symbol).book.\(snapshot.lastUpdateID)")
                node.counters.increment(snapshot.isFull ? "books_full_published" : "books_published")
                persistBookIfDue(snapshot, now: now)
            case .needSnapshot:
                fetchSnapshot(symbol)
            case .synchronized(let id):
                node.counters.increment("book_syncs")
                logger.info("book in sync", metadata: ["symbol": "\(symbol)", "update_id": "\(id)"])
            case .resynced(let why):
                node.counters.increment("book_resyncs")
                logger.warning("book resync", metadata: ["symbol": "\(symbol)", "reason": "\(why)"])
            case .snapshotRejected(let why):
                node.counters.increment("book_snapshots_rejected")
                logger.notice("depth snapshot rejected", metadata: ["symbol": "\(symbol)", "reason": "\(why)"])
            }
        }
    }

    private func persistBookIfDue(_ snapshot: BookSnapshot, now: Timestamp) {
        guard configuration.bookPersistMs > 0 else { return }
        if let last = lastBookPersisted[snapshot.symbol], now.milliseconds - last.milliseconds < configuration.bookPersistMs { return }
        lastBookPersisted[snapshot.symbol] = now
        let top = BookSnapshot(symbol: snapshot.symbol, lastUpdateID: snapshot.lastUpdateID, eventTime: snapshot.eventTime,
                               bids: Array(snapshot.bids.prefix(configuration.bookDepth)), asks: Array(snapshot.asks.prefix(configuration.bookDepth)), isFull: false)
        do { try store.insert(top); node.counters.increment("books_stored") } catch {
            node.counters.increment("store_failures")
            logger.error("cannot store a book snapshot", metadata: ["error": "\(error)"])
        }
    }

    /// Fetches a REST depth snapshot (retrying until it arrives or the stream restarts) and feeds it back.
    private func fetchSnapshot(_ symbol: String) {
        let generation = bookGeneration
        let limit = configuration.snapshotLimit
        snapshotTasks[symbol]?.cancel()
        snapshotTasks[symbol] = Task {
            var attempt = 0
            while !Task.isCancelled {
                attempt += 1
                do {
                    let snapshot = try await self.rest.depth(symbol: symbol, limit: limit)
                    await self.snapshotArrived(symbol, snapshot, generation: generation)
                    return
                } catch {
                    await self.snapshotFailed(symbol, error)
                    try? await Task.sleep(for: .milliseconds(min(5_000, 250 * (1 << min(attempt, 5)))))
                }
            }
        }
    }

    private func snapshotArrived(_ symbol: String, _ snapshot: DepthSnapshot, generation: Int) {
        freshness.rest(reachable: true)
        node.counters.increment("depth_snapshots_fetched")
        guard generation == bookGeneration else { return }
        snapshotTasks[symbol] = nil
        feedBook(symbol, .snapshot(snapshot), now: WallClock.now())
    }

    private func snapshotFailed(_ symbol: String, _ error: any Error) {
        node.counters.increment("depth_snapshot_failures")
        noteRESTFailure(error)
        logger.warning("depth snapshot failed; retrying", metadata: ["symbol": "\(symbol)", "error": "\(error)"])
    }

    // MARK: timers

    /// Throttled and periodic book snapshots, freshness and the heartbeat's counters.
    func tick(streamCounters: [String: Int]) {
        let now = WallClock.now()
        for symbol in books.keys { feedBook(symbol, .tick, now: now) }
        let report = freshness.report(now: now)
        node.counters.set("stale_streams", to: UInt64(report.stale.count))
        for (stream, age) in report.ageMilliseconds { node.counters.set("age_ms.\(stream)", to: UInt64(age)) }
        node.counters.set("rest_reachable", to: report.restReachable ? 1 : 0)
        node.counters.set("stream_down", to: report.streamDown ? 1 : 0)
        for (name, value) in streamCounters { node.counters.set("ws_\(name)", to: UInt64(max(0, value))) }
        for (name, value) in rest.counters { node.counters.set("rest_\(name)", to: UInt64(max(0, value))) }
        ServiceMain.status.set(report.status)
    }

    func ping() async {
        do {
            try await rest.ping()
            freshness.rest(reachable: true)
        } catch {
            node.counters.increment("rest_ping_failures")
            noteRESTFailure(error)
        }
    }

    /// Cancels background work (stream-driven backfills and snapshot fetches).
    func stop() {
        for task in backfillTasks.values { task.cancel() }
        for task in snapshotTasks.values { task.cancel() }
    }

    // MARK: history socket

    nonisolated func answer(_ request: Quorum_V1_HistoryRequest) -> Quorum_V1_HistoryResponse {
        var response = Quorum_V1_HistoryResponse()
        response.symbol = request.symbol
        response.interval = request.interval
        guard let interval = Interval(request.interval) else { response.error = "unknown interval \"\(request.interval)\""; return response }
        guard !request.symbol.isEmpty else { response.error = "empty symbol"; return response }
        let limit = request.limit == 0 ? 1000 : Int(request.limit)
        guard (1...5000).contains(limit) else { response.error = "limit \(request.limit) is outside 1...5000"; return response }
        do {
            let klines = try store.last(symbol: request.symbol, interval: interval, limit: limit,
                                        before: request.endTimeMs > 0 ? Timestamp(milliseconds: request.endTimeMs) : nil)
            response.klines = klines.map(Quorum_V1_Kline.init)
        } catch {
            response.error = "store: \(error)"
        }
        return response
    }
}
