import Domain
import Foundation
import GRDB

/// The collector's market history (SQLite, WAL): closed klines, unique on (symbol, interval, open
/// time), and periodic book snapshots. The collector is the only writer; the history socket reads.
final class KlineStore: Sendable {
    let queue: DatabasePool

    init(path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = -1024")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        // DatabasePool uses WAL: the history socket reads while the stream writes.
        queue = try DatabasePool(path: path, configuration: configuration)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE klines (
                    symbol TEXT NOT NULL,
                    interval TEXT NOT NULL,
                    open_time_ms INTEGER NOT NULL,
                    close_time_ms INTEGER NOT NULL,
                    open TEXT NOT NULL,
                    high TEXT NOT NULL,
                    low TEXT NOT NULL,
                    close TEXT NOT NULL,
                    volume TEXT NOT NULL,
                    quote_volume TEXT,
                    trades INTEGER,
                    taker_buy_base TEXT,
                    taker_buy_quote TEXT,
                    source TEXT NOT NULL,
                    PRIMARY KEY (symbol, interval, open_time_ms)
                ) WITHOUT ROWID;
                CREATE TABLE book_snapshots (
                    symbol TEXT NOT NULL,
                    last_update_id INTEGER NOT NULL,
                    event_time_ms INTEGER NOT NULL,
                    bids TEXT NOT NULL,
                    asks TEXT NOT NULL,
                    PRIMARY KEY (symbol, last_update_id)
                );
                """)
        }
        try migrator.migrate(queue)
    }

    /// Open time of the newest stored kline of a series.
    func lastOpenTime(symbol: String, interval: Interval) throws -> Timestamp? {
        try queue.read { db in
            try Int64.fetchOne(db, sql: "SELECT MAX(open_time_ms) FROM klines WHERE symbol = ? AND interval = ?", arguments: [symbol, interval.name])
        }.map { Timestamp(milliseconds: $0) }
    }

    /// Inserts closed klines; returns how many were new (an existing key is left untouched).
    @discardableResult
    func insert(_ klines: [Kline], source: String) throws -> Int {
        guard !klines.isEmpty else { return 0 }
        return try queue.write { db in
            var inserted = 0
            let statement = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO klines (symbol, interval, open_time_ms, close_time_ms, open, high, low, close, volume,
                    quote_volume, trades, taker_buy_base, taker_buy_quote, source)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for k in klines {
                try statement.execute(arguments: [
                    k.symbol, k.interval.name, k.openTime.milliseconds, k.closeTime.milliseconds, k.open.description,
                    k.high.description, k.low.description, k.close.description, k.volume.description,
                    k.quoteVolume?.description, k.trades, k.takerBuyBase?.description, k.takerBuyQuote?.description, source,
                ])
                inserted += db.changesCount
            }
            return inserted
        }
    }

    /// The last `limit` klines of a series (open time < `before` when given), oldest first.
    func last(symbol: String, interval: Interval, limit: Int, before: Timestamp?) throws -> [Kline] {
        let rows = try queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM (
                    SELECT open_time_ms, close_time_ms, open, high, low, close, volume, quote_volume, trades, taker_buy_base, taker_buy_quote
                    FROM klines WHERE symbol = ? AND interval = ? AND open_time_ms < ?
                    ORDER BY open_time_ms DESC LIMIT ?
                ) ORDER BY open_time_ms
                """, arguments: [symbol, interval.name, before?.milliseconds ?? Int64.max, limit])
        }
        return try rows.map { row in
            func d(_ column: String) throws -> Decimal8 { try Decimal8(parsing: row[column] as String) }
            func optional(_ column: String) throws -> Decimal8? {
                guard let text: String = row[column] else { return nil }
                return try Decimal8(parsing: text)
            }
            return Kline(
                symbol: symbol, interval: interval, openTime: Timestamp(milliseconds: row["open_time_ms"]),
                closeTime: Timestamp(milliseconds: row["close_time_ms"]), open: try d("open"), high: try d("high"),
                low: try d("low"), close: try d("close"), volume: try d("volume"), quoteVolume: try optional("quote_volume"),
                trades: row["trades"], takerBuyBase: try optional("taker_buy_base"), takerBuyQuote: try optional("taker_buy_quote"),
                isClosed: true
            )
        }
    }

    func insert(_ book: BookSnapshot) throws {
        func text(_ levels: [PriceLevel]) -> String { levels.map { "\($0.price)@\($0.quantity)" }.joined(separator: ";") }
        try queue.write { db in
            try db.execute(sql: """
                INSERT OR IGNORE INTO book_snapshots (symbol, last_update_id, event_time_ms, bids, asks) VALUES (?, ?, ?, ?, ?)
                """, arguments: [book.symbol, book.lastUpdateID, book.eventTime.milliseconds, text(book.bids), text(book.asks)])
        }
    }
}
