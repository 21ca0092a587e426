import Domain
import OrderFlow
import Testing

/// The FeatureService's join: the same values as the aggregator fed directly, NaN where there is
/// no bar (or the interval is not the frequency), closed on the kline's close.
@Suite struct StreamingOrderFlowJoinTests {
    static let t0: Int64 = 1_722_816_000_000

    static func level(_ price: String, _ quantity: String) -> PriceLevel { PriceLevel(price: Decimal8(price)!, quantity: Decimal8(quantity)!) }

    /// A book, diffs through two 1-minute bars, and trades.
    static func events() -> [OrderFlowAggregator.Input] {
        var inputs: [OrderFlowAggregator.Input] = [.book(BookSnapshot(
            symbol: "SOLUSDT", lastUpdateID: 100, eventTime: Timestamp(milliseconds: t0 - 1),
            bids: (0..<25).map { PriceLevel(price: Decimal8(units: Int64(15_000 - $0) * 1_000_000), quantity: Decimal8(1 + $0)) },
            asks: (0..<25).map { PriceLevel(price: Decimal8(units: Int64(15_001 + $0) * 1_000_000), quantity: Decimal8(2 + $0)) }, isFull: true
        ))]
        var id: Int64 = 101
        for second in stride(from: 0, to: 125, by: 5) {
            let time = Timestamp(milliseconds: t0 + Int64(second) * 1000)
            inputs.append(.depth(DepthUpdate(symbol: "SOLUSDT", eventTime: time, firstUpdateID: id, finalUpdateID: id,
                                             bids: [level("150", "\(3 + second % 7)")], asks: [level("150.01", "\(4 + second % 5)")])))
            id += 1
            inputs.append(.trade(AggTrade(symbol: "SOLUSDT", eventTime: time, aggregateID: id, price: Decimal8("150.01")!, quantity: Decimal8("0.5")!,
                                          firstTradeID: id, lastTradeID: id, tradeTime: time, buyerIsMaker: second % 10 == 0)))
        }
        return inputs
    }

    @Test func joinedColumnsEqualTheAggregatorsBar() throws {
        let configuration = try OrderFlowConfiguration(depths: [5, 10], freq: "1m")
        var join = try StreamingOrderFlowJoin(names: ["ofi", "imbalance_10", "trade_imbalance"], configuration: configuration)
        var direct = OrderFlowAggregator(symbol: "SOLUSDT", configuration: configuration)
        var bars: [OrderFlowBar] = []
        for input in Self.events() {
            join.handle(symbol: "SOLUSDT", input)
            bars += direct.handle(input)
        }
        bars += direct.handle(.advance(to: Timestamp(milliseconds: Self.t0 + 120_000)))
        let bar1 = BarKey(symbol: "SOLUSDT", interval: .oneMinute, openTime: Timestamp(milliseconds: Self.t0 + 60_000))
        let columns = join.values(for: bar1)
        let reference = try #require(bars.first { $0.openTime == bar1.openTime })
        #expect(reference.bookValid)
        let expected = ["ofi", "imbalance_10", "trade_imbalance"].map { reference.values[configuration.column(of: $0)!] }
        #expect(columns.count == 3 && zip(columns, expected).allSatisfy { $0.bitPattern == $1.bitPattern })
        #expect(join.joined == 1)
        // The first bar began before the book was timed by a diff... it was, at t0: but bar 0 was
        // already passed over by bar 1's request and is forgotten; asking for it again gives NaN.
        let bar0 = BarKey(symbol: "SOLUSDT", interval: .oneMinute, openTime: Timestamp(milliseconds: Self.t0))
        let again = join.values(for: bar0)
        #expect(again.allSatisfy { $0.isNaN })
        // Another symbol without events, and a 5m series against a 1m frequency: NaN, counted.
        let otherSymbol = join.values(for: BarKey(symbol: "BNBUSDT", interval: .oneMinute, openTime: bar1.openTime))
        let otherInterval = join.values(for: BarKey(symbol: "SOLUSDT", interval: .fiveMinutes, openTime: bar1.openTime))
        #expect(otherSymbol.allSatisfy { $0.isNaN } && otherInterval.allSatisfy { $0.isNaN })
        #expect(join.missing == 2 && join.wrongInterval == 1)
    }

    @Test func unknownNamesAreAllListed() throws {
        let configuration = try OrderFlowConfiguration(depths: [5], freq: "5m")
        do {
            _ = try StreamingOrderFlowJoin(names: ["imbalance_20", "ofi", "nope"], configuration: configuration)
            Issue.record("accepted unknown names")
        } catch {
            #expect(error.problems.count == 2 && error.problems[0].hasPrefix("imbalance_20") && error.problems[1].hasPrefix("nope"))
        }
    }
}
