import Domain
import Foundation
import GRDB

/// The Executor's journal (SQLite, WAL): every intent, journaled before the Executor acts on it
/// (the primary key makes an id unique), and every fill. The record of truth for paper and live.
/// One connection (the Executor is its only writer and reads only at start) with a small page
/// cache: the journal is append-mostly, and every service stays within its memory budget.
final class Journal: Sendable {
    let pool: DatabaseQueue

    /// - Parameter durable: `synchronous = FULL` (every commit fsync'd; live mode, where an order
    ///   row must survive a power loss before its request is sent) instead of NORMAL.
    init(path: String, durable: Bool = false) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var configuration = Configuration()
        // A reader (a tap, a test) holding a lock, or the WAL recovery after a crash, must not
        // fail the start: wait for the lock instead.
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = -512")
        }
        pool = try DatabaseQueue(path: path, configuration: configuration)
        // WAL: readers (a tap on the journal, the tests) never block the writer; NORMAL sync is
        // durable against process crashes, which is what the journal must survive.
        _ = try pool.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
        try pool.writeWithoutTransaction { db in try db.execute(sql: durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL") }
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE intents (
                    id TEXT PRIMARY KEY NOT NULL,
                    symbol TEXT NOT NULL,
                    interval TEXT NOT NULL,
                    bar_open_ms INTEGER NOT NULL,
                    side TEXT NOT NULL,
                    division TEXT NOT NULL,
                    quantity TEXT NOT NULL,
                    reference_price TEXT NOT NULL,
                    take_profit TEXT NOT NULL,
                    stop_loss TEXT NOT NULL,
                    created_at_ns INTEGER NOT NULL,
                    expires_at_ns INTEGER NOT NULL,
                    shadow INTEGER NOT NULL,
                    received_at_ns INTEGER NOT NULL,
                    status TEXT NOT NULL DEFAULT 'accepted',
                    reason TEXT NOT NULL DEFAULT ''
                );
                CREATE TABLE fills (
                    intent_id TEXT NOT NULL REFERENCES intents(id),
                    leg TEXT NOT NULL,
                    client_order_id TEXT NOT NULL UNIQUE,
                    symbol TEXT NOT NULL,
                    side TEXT NOT NULL,
                    price TEXT NOT NULL,
                    quantity TEXT NOT NULL,
                    fee TEXT NOT NULL,
                    realized_pnl TEXT NOT NULL,
                    event_time_ms INTEGER NOT NULL,
                    shadow INTEGER NOT NULL,
                    PRIMARY KEY (intent_id, leg)
                );
                """)
        }
        Self.registerOrderTables(&migrator)
        // Intents carry a time limit (bars; NULL: none). Journals written before keep NULL.
        migrator.registerMigration("v3-time-limit") { db in
            try db.execute(sql: "ALTER TABLE intents ADD COLUMN time_limit_bars INTEGER")
        }
        // Close intents name the position they close (NULL: an entry). Journals written before keep NULL.
        migrator.registerMigration("v4-closes-intent") { db in
            try db.execute(sql: "ALTER TABLE intents ADD COLUMN closes_intent_id TEXT")
        }
        try migrator.migrate(pool)
    }

    /// Journals an intent; returns false when the id was already there (nothing written).
    func record(_ intent: TradeIntent, receivedAt: Timestamp) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT OR IGNORE INTO intents (id, symbol, interval, bar_open_ms, side, division, quantity, reference_price,
                    take_profit, stop_loss, created_at_ns, expires_at_ns, shadow, received_at_ns, time_limit_bars, closes_intent_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    intent.id.rawValue, intent.bar.symbol, intent.bar.interval.name, intent.bar.openTime.milliseconds,
                    intent.side.rawValue, intent.division, intent.quantity.description, intent.referencePrice.description,
                    intent.takeProfit.description, intent.stopLoss.description, intent.createdAt.nanoseconds,
                    intent.expiresAt.nanoseconds, intent.shadow, receivedAt.nanoseconds, intent.timeLimitBars, intent.closesIntentID?.rawValue,
                ])
            return db.changesCount == 1
        }
    }

    func record(_ report: ExecutionReport) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT OR IGNORE INTO fills (intent_id, leg, client_order_id, symbol, side, price, quantity, fee, realized_pnl, event_time_ms, shadow)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    report.intentID.rawValue, report.leg.rawValue, report.clientOrderID, report.symbol, report.side.rawValue,
                    report.price.description, report.quantity.description, report.fee.description, report.realizedPnL.description,
                    report.eventTime.milliseconds, report.shadow,
                ])
            let status = report.leg == .entry ? "filled" : "closed"
            try db.execute(sql: "UPDATE intents SET status = ? WHERE id = ?", arguments: [status, report.intentID.rawValue])
        }
    }

    func record(_ ack: IntentAck) async throws {
        guard ack.status == .expired || ack.status == .rejected else { return }
        try await pool.write { db in
            try db.execute(sql: "UPDATE intents SET status = ?, reason = ? WHERE id = ?", arguments: [ack.status.rawValue, ack.reason, ack.intentID.rawValue])
        }
    }

    /// Every journaled intent, and the ids of those that are finished (closed, expired, rejected).
    func load() throws -> (intents: [TradeIntent], finished: Set<IntentID>) {
        try pool.read { db in
            var intents: [TradeIntent] = []
            var finished: Set<IntentID> = []
            for row in try Row.fetchAll(db, sql: "SELECT * FROM intents ORDER BY id") {
                guard let id = IntentID(row["id"] as String), let interval = Interval(row["interval"] as String),
                      let side = Side(rawValue: row["side"] as String) else { continue }
                let intent = TradeIntent(
                    id: id, bar: BarKey(symbol: row["symbol"], interval: interval, openTime: Timestamp(milliseconds: row["bar_open_ms"])),
                    side: side, division: row["division"], quantity: Decimal8(row["quantity"] as String) ?? .zero,
                    referencePrice: Decimal8(row["reference_price"] as String) ?? .zero, takeProfit: Decimal8(row["take_profit"] as String) ?? .zero,
                    stopLoss: Decimal8(row["stop_loss"] as String) ?? .zero, createdAt: Timestamp(nanoseconds: row["created_at_ns"]),
                    expiresAt: Timestamp(nanoseconds: row["expires_at_ns"]), shadow: row["shadow"],
                    timeLimitBars: row["time_limit_bars"] as Int?,
                    closesIntentID: (row["closes_intent_id"] as String?).flatMap { IntentID($0) }
                )
                intents.append(intent)
                let status: String = row["status"]
                if ["closed", "expired", "rejected"].contains(status) { finished.insert(id) }
            }
            return (intents, finished)
        }
    }
}
