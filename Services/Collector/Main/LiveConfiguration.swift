import BinanceClient
import Domain
import Runtime

/// The live mode's keys (Services/Collector/README.md), read through `EnvironmentReader` so that
/// every violation is listed at once.
struct LiveConfiguration: Sendable {
    enum Stream: String, Sendable, CaseIterable { case kline, depth, bookTicker, aggTrade }

    var endpoints: BinanceEndpoints
    var symbols: [String]
    var intervals: [Interval]
    var streams: Set<Stream>
    var databasePath: String
    var historyBind: String
    var backfillBars: Int
    var bookDepth: Int
    var snapshotLimit: Int
    var throttleMs: Int64
    var fullBookMs: Int64
    var bookPersistMs: Int64
    var staleAfterMs: Int64
    var pingIntervalMs: Int
    var silenceTimeoutMs: Int
    var restMaxRetryAfterMs: Int
    var busWaitMs: Int

    static func read(_ env: inout EnvironmentReader, binance: String) -> LiveConfiguration {
        let endpoints = BinanceEndpoints(named: binance)
        if endpoints == nil {
            env.fail("BINANCE=\"\(binance)\" is not production, testnet, sim:<port>, sim:<host>:<port> or <rest-url>|<ws-url>")
        }
        let symbols = env.list("SYMBOLS", default: ["BTCUSDT"], "symbols to collect (uppercase)")
        for s in symbols where s.isEmpty || !s.allSatisfy({ ($0.isUppercase && $0.isASCII) || $0.isNumber }) {
            env.fail("SYMBOLS: \"\(s)\" is not an uppercase Binance symbol")
        }
        if symbols.isEmpty { env.fail("SYMBOLS is empty") }
        let intervalNames = env.list("INTERVALS", default: ["1m", "5m"], "kline intervals (1m, 5m, 15m, ...)")
        var intervals: [Interval] = []
        for name in intervalNames {
            if let iv = Interval(name) { intervals.append(iv) } else { env.fail("INTERVALS: \"\(name)\" is not a Binance interval") }
        }
        let streamNames = env.list("STREAMS", default: ["kline", "depth", "bookTicker", "aggTrade"], "streams: kline, depth, bookTicker, aggTrade")
        var streams: Set<Stream> = []
        for name in streamNames {
            if let s = Stream(rawValue: name) { streams.insert(s) } else { env.fail("STREAMS: \"\(name)\" is not one of kline, depth, bookTicker, aggTrade") }
        }
        let dataDir = env.string("DATA_DIR", default: "var/collector", "directory of the market-history database")
        let db = env.string("DB_PATH", default: "", "SQLite file (default $DATA_DIR/collector.sqlite)")
        let port = env.int("HISTORY_PORT", default: 5557, range: 0...65_535, "TCP port of the history REP socket (0 = any free port)")
        let bind = env.string("HISTORY_BIND", default: "", "REP endpoint to bind (default tcp://*:$HISTORY_PORT)")
        let backfill = env.int("BACKFILL_BARS", default: 1000, range: 0...1_000_000, "bars to backfill per series on a fresh store")
        let depth = env.int("BOOK_DEPTH", default: 20, range: 1...5000, "levels per side of md.book snapshots")
        let snapshotLimit = env.int("BOOK_SNAPSHOT_LIMIT", default: 1000, range: 5...5000, "levels of the REST depth snapshot that seeds the book")
        let throttle = env.int("BOOK_THROTTLE_MS", default: 100, range: 0...60_000, "minimum time between top-N md.book snapshots")
        let full = env.int("BOOK_FULL_MS", default: 5000, range: 100...3_600_000, "period of the full md.book snapshot")
        let persist = env.int("BOOK_PERSIST_MS", default: 60_000, range: 0...86_400_000, "period of stored book snapshots (0 = never)")
        let stale = env.int("STALE_AFTER_MS", default: 10_000, range: 100...3_600_000, "a stream without a frame for this long is stale")
        let ping = env.int("PING_INTERVAL_MS", default: 10_000, range: 100...600_000, "REST ping period (reachability)")
        let silence = env.int("WS_SILENCE_TIMEOUT_MS", default: 30_000, range: 500...600_000, "reconnect the stream after this long without a frame")
        let retryAfter = env.int("REST_MAX_RETRY_AFTER_MS", default: 60_000, range: 0...600_000, "longest 429 Retry-After a REST read waits before failing (the collector retries later)")
        let busWait = env.int("BUS_WAIT_MS", default: 5_000, range: 0...600_000, "at start, wait this long at most for our own heartbeat to come back through the bus before publishing")
        return LiveConfiguration(
            endpoints: endpoints ?? .production, symbols: symbols, intervals: intervals, streams: streams,
            databasePath: db.isEmpty ? dataDir + "/collector.sqlite" : db,
            historyBind: bind.isEmpty ? "tcp://*:\(port)" : bind, backfillBars: backfill, bookDepth: depth,
            snapshotLimit: snapshotLimit, throttleMs: Int64(throttle), fullBookMs: Int64(full), bookPersistMs: Int64(persist),
            staleAfterMs: Int64(stale), pingIntervalMs: ping, silenceTimeoutMs: silence,
            restMaxRetryAfterMs: retryAfter, busWaitMs: busWait
        )
    }

    /// Binance stream names for the configuration.
    var streamNames: [String] {
        var names: [String] = []
        for symbol in symbols {
            if streams.contains(.kline) { names += intervals.map { StreamNames.kline(symbol, $0) } }
            if streams.contains(.depth) { names.append(StreamNames.depth(symbol)) }
            if streams.contains(.bookTicker) { names.append(StreamNames.bookTicker(symbol)) }
            if streams.contains(.aggTrade) { names.append(StreamNames.aggTrade(symbol)) }
        }
        return names
    }
}
