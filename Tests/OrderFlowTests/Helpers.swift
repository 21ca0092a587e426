import Domain
import OrderBook
@testable import OrderFlow

/// Hand-made books and events in plain numbers.
enum Make {
    static func level(_ price: Double, _ quantity: Double) -> PriceLevel {
        PriceLevel(price: Decimal8(price), quantity: Decimal8(quantity))
    }

    static func book(bids: [(Double, Double)], asks: [(Double, Double)], id: Int64 = 10) -> OrderBook {
        OrderBook(snapshot: snapshot(bids: bids, asks: asks, id: id))
    }

    static func snapshot(bids: [(Double, Double)], asks: [(Double, Double)], id: Int64 = 10) -> DepthSnapshot {
        DepthSnapshot(symbol: "TEST", lastUpdateID: id, bids: bids.map { level($0.0, $0.1) }, asks: asks.map { level($0.0, $0.1) })
    }

    static func diff(_ id: Int64, at ms: Int64, bids: [(Double, Double)] = [], asks: [(Double, Double)] = [], first: Int64? = nil) -> DepthUpdate {
        DepthUpdate(
            symbol: "TEST", eventTime: Timestamp(milliseconds: ms), firstUpdateID: first ?? id, finalUpdateID: id,
            bids: bids.map { level($0.0, $0.1) }, asks: asks.map { level($0.0, $0.1) }
        )
    }

    static func trade(at ms: Int64, price: Double, quantity: Double, takerBuys: Bool) -> AggTrade {
        AggTrade(
            symbol: "TEST", eventTime: Timestamp(milliseconds: ms), aggregateID: ms, price: Decimal8(price), quantity: Decimal8(quantity),
            firstTradeID: ms, lastTradeID: ms, tradeTime: Timestamp(milliseconds: ms), buyerIsMaker: !takerBuys
        )
    }

    static func configuration(depths: [Int] = [5, 10, 20], freq: String = "10s") -> OrderFlowConfiguration {
        // Valid by construction in the tests that use it.
        (try? OrderFlowConfiguration(depths: depths, freq: freq))!
    }

    /// Measures of one book: name → value (imbalances named imbalance_k).
    static func measures(_ book: OrderBook, depths: [Int] = [1, 2, 5]) -> [String: Double] {
        var m = BookMeasures(depths: depths, wallMultiple: 5)
        var values: [Double] = []
        m.measure(book, into: &values)
        var out: [String: Double] = ["mid": m.mid]
        for (i, k) in depths.enumerated() { out["imbalance_\(k)"] = values[i] }
        for slot in BookMeasures.Slot.allCases { out["\(slot)"] = values[depths.count + slot.rawValue] }
        return out
    }
}

/// |a − b| ≤ tolerance · max(|a|, |b|), or both NaN.
func close(_ a: Double, _ b: Double, relative tolerance: Double = 1e-12) -> Bool {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
    return abs(a - b) <= tolerance * max(abs(a), abs(b)) || a == b
}
