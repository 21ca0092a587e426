import Domain
import Foundation
import GRDB
import RiskGateCore

/// The RiskGate's state database (SQLite, WAL; `DATA_DIR/riskgate.sqlite`): the core's snapshot
/// (ledgers, breakers, latches, recovery steps, capital shares, decided bars), saved after every
/// input that changed it and before its outputs are published, so a restart (even `kill -9`)
/// never resets a breaker or a latch and never issues a second intent for a signal; and the
/// journal of risk events (breakers, capital shifts with their reasons, control commands, rejected
/// control messages).
final class RiskStore: Sendable {
    let queue: DatabaseQueue

    init(path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA cache_size = -512") }
        queue = try DatabaseQueue(path: path, configuration: configuration)
        _ = try queue.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
        // WAL with NORMAL sync is durable against process crashes (kill -9), which is what a restart
        // must survive, without an fsync per decision in a fast replay (as the Executor's journal).
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE state (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    snapshot TEXT NOT NULL,
                    saved_at_ns INTEGER NOT NULL
                );
                CREATE TABLE events (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    time_ns INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    division TEXT NOT NULL,
                    code TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    figures TEXT NOT NULL,
                    recorded_at_ns INTEGER NOT NULL
                );
                CREATE TABLE control (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    received_at_ns INTEGER NOT NULL,
                    publisher TEXT NOT NULL,
                    command TEXT NOT NULL,
                    division TEXT NOT NULL,
                    verdict TEXT NOT NULL,
                    detail TEXT NOT NULL
                );
                """)
        }
        try migrator.migrate(queue)
    }

    /// The stored snapshot, or nil on a fresh database.
    func load() throws -> RiskGateCore.Snapshot? {
        try queue.read { db in
            guard let text = try String.fetchOne(db, sql: "SELECT snapshot FROM state WHERE id = 1") else { return nil }
            return try JSONDecoder().decode(RiskGateCore.Snapshot.self, from: Data(text.utf8))
        }
    }

    /// Saves the snapshot and journals `events`, in one transaction.
    func save(_ snapshot: RiskGateCore.Snapshot, events: [RiskEvent], at now: Timestamp) throws {
        let encoder = JSONEncoder()
        let text = String(decoding: try encoder.encode(snapshot), as: UTF8.self)
        let rows = try events.map { event in
            (event, String(decoding: try encoder.encode(event.figures.mapValues(\.description)), as: UTF8.self))
        }
        try queue.write { db in
            try db.execute(
                sql: "INSERT INTO state (id, snapshot, saved_at_ns) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET snapshot = excluded.snapshot, saved_at_ns = excluded.saved_at_ns",
                arguments: [text, now.nanoseconds]
            )
            for (event, figures) in rows {
                try db.execute(
                    sql: "INSERT INTO events (time_ns, kind, division, code, detail, figures, recorded_at_ns) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [event.time.nanoseconds, event.kind.rawValue, event.division, event.code, event.detail, figures, now.nanoseconds]
                )
            }
        }
    }

    /// Journals a control message and what became of it (`applied`, or the rejection code).
    func logControl(publisher: String, command: String, division: String, verdict: String, detail: String, at now: Timestamp) {
        try? queue.write { db in
            try db.execute(
                sql: "INSERT INTO control (received_at_ns, publisher, command, division, verdict, detail) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [now.nanoseconds, publisher, command, division, verdict, detail]
            )
        }
    }
}
