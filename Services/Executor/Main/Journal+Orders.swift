import Domain
import ExecutorCore
import Foundation
import GRDB

extension Journal {
    /// The live tables (migration v2): `orders`, one row per Binance order of a live intent.
    static func registerOrderTables(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2-orders") { db in
            try db.execute(sql: """
                CREATE TABLE orders (
                    client_order_id TEXT PRIMARY KEY NOT NULL,
                    intent_id TEXT NOT NULL REFERENCES intents(id),
                    leg TEXT NOT NULL,
                    list_client_order_id TEXT NOT NULL DEFAULT '',
                    symbol TEXT NOT NULL,
                    side TEXT NOT NULL,
                    type TEXT NOT NULL,
                    quantity TEXT NOT NULL,
                    price TEXT NOT NULL DEFAULT '',
                    stop_price TEXT NOT NULL DEFAULT '',
                    time_in_force TEXT NOT NULL DEFAULT '',
                    state TEXT NOT NULL,
                    exchange_order_id INTEGER,
                    executed_qty TEXT NOT NULL DEFAULT '0.00000000',
                    cum_quote TEXT NOT NULL DEFAULT '0.00000000',
                    commission_base TEXT NOT NULL DEFAULT '0.00000000',
                    commission_quote TEXT NOT NULL DEFAULT '0.00000000',
                    reason TEXT NOT NULL DEFAULT '',
                    created_at_ns INTEGER NOT NULL,
                    updated_at_ns INTEGER NOT NULL
                );
                CREATE INDEX orders_by_intent ON orders(intent_id);
                """)
        }
    }

    /// Writes new order rows (and the intent's status) in one transaction; existing rows are kept
    /// as they are (a re-run after a crash does not reset what Binance already answered).
    func journal(_ orders: [OrderRecord], intentStatus: String, at time: Timestamp) async throws {
        try await pool.write { db in
            for order in orders { try Self.insert(order, at: time, db) }
            if let intent = orders.first?.intentID {
                try db.execute(sql: "UPDATE intents SET status = ? WHERE id = ?", arguments: [intentStatus, intent.rawValue])
            }
        }
    }

    /// Journals a close decision in one transaction: the close order's row (``journal(_:intentStatus:at:)``'s
    /// insert: a re-run keeps the row as it is), the position's status `closing`, and the close
    /// intent that asked for it (none for a time limit) `closing` too, so a restart resumes the close
    /// and does not take the close intent for a new one.
    func journalClose(_ order: OrderRecord, closeIntent: IntentID?, at time: Timestamp) async throws {
        try await pool.write { db in
            try Self.insert(order, at: time, db)
            try db.execute(sql: "UPDATE intents SET status = 'closing' WHERE id = ?", arguments: [order.intentID.rawValue])
            if let closeIntent {
                try db.execute(sql: "UPDATE intents SET status = 'closing', reason = ? WHERE id = ?",
                               arguments: ["closes \(order.intentID)", closeIntent.rawValue])
            }
        }
    }

    /// Rewrites an order's type, quantity and prices while it is still only journaled (a close
    /// order's quantity is fixed once the exits have ended, before it is sent).
    func updateSpec(_ order: OrderRecord) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE orders SET type = ?, quantity = ?, price = ?, stop_price = ?, time_in_force = ? WHERE client_order_id = ?
                """, arguments: [
                    order.spec.kind.rawValue, order.spec.quantity.description, order.spec.price?.description ?? "",
                    order.spec.stopPrice?.description ?? "", order.spec.timeInForce ?? "", order.clientOrderID,
                ])
        }
    }

    private static func insert(_ order: OrderRecord, at time: Timestamp, _ db: Database) throws {
        try db.execute(sql: """
            INSERT OR IGNORE INTO orders (client_order_id, intent_id, leg, list_client_order_id, symbol, side, type, quantity, price,
                stop_price, time_in_force, state, created_at_ns, updated_at_ns)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [
                order.clientOrderID, order.intentID.rawValue, order.leg.rawValue, order.listClientOrderID ?? "", order.spec.symbol,
                order.spec.side.rawValue, order.spec.kind.rawValue, order.spec.quantity.description,
                order.spec.price?.description ?? "", order.spec.stopPrice?.description ?? "", order.spec.timeInForce ?? "",
                order.state.rawValue, time.nanoseconds, time.nanoseconds,
            ])
    }

    /// Stores what Binance answered for an order (and optionally the intent's new status).
    func update(_ order: OrderRecord, intentStatus: String? = nil, reason: String? = nil) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE orders SET state = ?, exchange_order_id = ?, executed_qty = ?, cum_quote = ?, commission_base = ?,
                    commission_quote = ?, reason = ?, updated_at_ns = ? WHERE client_order_id = ?
                """, arguments: [
                    order.state.rawValue, order.exchangeOrderID, order.executedQuantity.description, order.cumulativeQuote.description,
                    order.commissionBase.description, order.commissionQuote.description, order.reason, order.updatedAt.nanoseconds,
                    order.clientOrderID,
                ])
            if let intentStatus {
                try db.execute(sql: "UPDATE intents SET status = ?, reason = COALESCE(?, reason) WHERE id = ?",
                               arguments: [intentStatus, reason, order.intentID.rawValue])
            }
        }
    }

    /// Sets an intent's status (and reason).
    func setIntentStatus(_ id: IntentID, _ status: String, reason: String = "") async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE intents SET status = ?, reason = ? WHERE id = ?", arguments: [status, reason, id.rawValue])
        }
    }

    /// Every order row, oldest first.
    func loadOrders() throws -> [OrderRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM orders ORDER BY created_at_ns, client_order_id").compactMap { row in
                guard let intent = IntentID(row["intent_id"] as String), let leg = ClientOrderID.Leg(rawValue: row["leg"] as String),
                      let side = Side(rawValue: row["side"] as String), let kind = OrderSpec.Kind(rawValue: row["type"] as String),
                      let state = OrderRecord.State(rawValue: row["state"] as String) else { return nil }
                let price: String = row["price"]
                let stop: String = row["stop_price"]
                let tif: String = row["time_in_force"]
                let list: String = row["list_client_order_id"]
                let spec = OrderSpec(
                    symbol: row["symbol"], side: side, kind: kind, quantity: Decimal8(row["quantity"] as String) ?? .zero,
                    price: Decimal8(price), stopPrice: Decimal8(stop), timeInForce: tif.isEmpty ? nil : tif, clientOrderID: row["client_order_id"]
                )
                return OrderRecord(
                    clientOrderID: row["client_order_id"], intentID: intent, leg: leg, spec: spec, listClientOrderID: list.isEmpty ? nil : list,
                    state: state, exchangeOrderID: row["exchange_order_id"], executedQuantity: Decimal8(row["executed_qty"] as String) ?? .zero,
                    cumulativeQuote: Decimal8(row["cum_quote"] as String) ?? .zero, commissionBase: Decimal8(row["commission_base"] as String) ?? .zero,
                    commissionQuote: Decimal8(row["commission_quote"] as String) ?? .zero, reason: row["reason"],
                    updatedAt: Timestamp(nanoseconds: row["updated_at_ns"])
                )
            }
        }
    }

    /// The reports journaled, as "<intent id>/e" (entry) and "<intent id>/x" (exit, either leg).
    func reportedLegs() throws -> Set<String> {
        try pool.read { db in
            Set(try Row.fetchAll(db, sql: "SELECT intent_id, leg FROM fills").map { row in
                let leg: String = row["leg"]
                return "\(row["intent_id"] as String)/\(leg == "e" ? "e" : "x")"
            })
        }
    }

    /// The status of every intent (for the live trader's recovery).
    func intentStatuses() throws -> [IntentID: String] {
        try pool.read { db in
            var out: [IntentID: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, status FROM intents") {
                if let id = IntentID(row["id"] as String) { out[id] = row["status"] }
            }
            return out
        }
    }
}
