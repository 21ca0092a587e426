import Binance
import Domain

/// The user-data stream's entry points into the live order path (``UserDataFills``). Every one
/// holds the trader's operation lock, like a poll, so an event never interleaves with a request in
/// flight, and goes through the same ``OrderProgress`` as the REST answers.
extension LiveTrader {
    /// An `executionReport`: applied to the order it names (by client order id, else by Binance's
    /// order id). Events of orders that are not ours (placed by hand, another program) are counted
    /// and left alone.
    func streamed(_ report: ExecutionReportEvent) async {
        await acquire()
        defer { release() }
        var observation = OrderObservation(report)
        guard let record = orders[observation.clientOrderID]
            ?? orders.values.first(where: { $0.exchangeOrderID == report.orderID && $0.spec.symbol == report.symbol })
        else {
            node.counters.increment("user_data_foreign_events")
            return
        }
        observation.clientOrderID = record.clientOrderID
        await apply(observation, to: record)
        // One leg of a list ended (filled, or expired by its sibling's trigger): the others end
        // with it, and their events should follow.
        if let list = record.listClientOrderID, orders[record.clientOrderID]?.state.isTerminal == true { expectOpenLegs(of: list) }
    }

    /// A `listStatus`: once the list is ALL_DONE every leg has ended, so a leg the journal still
    /// has open missed its event, or its event is still to come (Binance does not promise the
    /// list's status after its orders' reports; the simulator sends it before the filling trade).
    /// It is queried if no event about it follows within the fallback interval.
    func streamedList(listClientOrderID: String, listOrderStatus: String) async {
        guard listOrderStatus == "ALL_DONE" else { return }
        expectOpenLegs(of: listClientOrderID)
    }

    /// The list's legs the journal still has open await their events (queried if none comes).
    private func expectOpenLegs(of listClientOrderID: String) {
        for leg in orders.values where leg.listClientOrderID == listClientOrderID && !leg.state.isTerminal {
            userData?.expectIfIdle(leg.clientOrderID)
        }
    }

    /// One round with the stream up: orders without an answer are resolved (always by REST), the
    /// `overdue` ones (no event since we changed them) are queried, and positions move on (exits a
    /// crash left out, expired LIMIT entries, watched stops). Open orders that are merely resting
    /// are left to the stream (and the safety poll).
    func pollStreaming(overdue: Set<String>) async {
        await acquire()
        defer { release() }
        var due: Set<String> = []
        for id in overdue {
            if let order = orders[id], !order.state.isTerminal { due.insert(id) } else { userData?.forget(id) }
        }
        if !due.isEmpty { node.counters.increment("fallback_queries", by: UInt64(due.count)) }
        await advanceOrders { $0.state.isUnresolved || due.contains($0.clientOrderID) }
        await advancePositions()
    }
}
