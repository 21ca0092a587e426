import Testing
@testable import OrderFlow

@Suite struct OrderFlowFeatureTests {
    @Test func thereAreNineteenNamesInTheSpecificationsOrder() {
        let names = OrderFlowFeature.allCases.map(\.rawValue)
        #expect(names.count == 19)
        #expect(names == [
            "imbalance_5", "imbalance_10", "imbalance_20", "level1_imbalance", "bid_pressure", "ask_pressure",
            "bid_slope", "ask_slope", "bid_wall_count", "ask_wall_count", "effective_spread", "quoted_spread_bps",
            "microprice_dev", "ofi", "trade_imbalance", "depth_bid_10bps", "depth_ask_10bps", "book_update_rate", "mid_return",
        ])
        #expect(OrderFlowFeature.fixed.count == 16)
        #expect(Make.configuration().names == names)
    }

    @Test func validNamesIncludeAnyImbalanceDepth() {
        for name in ["imbalance_5", "ofi", "mid_return", "imbalance_3", "imbalance_1", "imbalance_5000", "depth_ask_10bps"] {
            #expect(OrderFlowFeature.isValidName(name), "\(name)")
        }
        for name in ["imbalance_0", "imbalance_03", "imbalance_", "imbalance_-3", "imbalance_5001", "imbalance_x", "Imbalance_5",
                     "depth_bid_20bps", "close_RSI_14", "", "imbalance_１"] {
            #expect(!OrderFlowFeature.isValidName(name), "\(name)")
        }
        #expect(OrderFlowFeature.imbalanceLevels(inName: "imbalance_3") == 3)
    }

    @Test func configuredDepthsComeFirstInTheirOrder() throws {
        let c = try OrderFlowConfiguration(depths: [3, 50], freq: "1m")
        #expect(c.names.prefix(3) == ["imbalance_3", "imbalance_50", "level1_imbalance"])
        #expect(c.names.count == 18)
        #expect(c.column(of: "ofi") == 2 + 10)
    }

    @Test(arguments: [
        ("5m", 300_000), ("1m", 60_000), ("10s", 10_000), ("5T", 300_000), ("5min", 300_000), ("30S", 30_000),
        ("1h", 3_600_000), ("1H", 3_600_000), ("500ms", 500), ("T", 60_000), ("1d", 86_400_000), ("15sec", 15_000),
    ] as [(String, Int64)])
    func frequenciesParse(text: String, milliseconds: Int64) throws {
        #expect(try BarFrequency(text).milliseconds == milliseconds)
    }

    @Test(arguments: ["", "0m", "5", "5x", "-5m", "5 m", "1.5m", "1234567s", "m5"])
    func badFrequenciesAreRejected(text: String) {
        #expect(throws: OrderFlowConfigurationError.self) { try BarFrequency(text) }
    }

    @Test func everyConfigurationProblemIsListed() {
        do {
            _ = try OrderFlowConfiguration(depths: [5, 0, 5], freq: "5q", wallMultiple: -1)
            Issue.record("accepted")
        } catch {
            #expect(error.problems.count == 4, "\(error.problems)")
            let text = error.description
            for field in ["freq", "depths[1]", "depths[2]", "wallMultiple"] { #expect(text.contains(field), "\(field) in \(text)") }
        }
        #expect(throws: OrderFlowConfigurationError.self) { try OrderFlowConfiguration(depths: [], freq: "1m") }
    }

    @Test func barsAlignToTheEpoch() throws {
        let f = try BarFrequency("10s")
        #expect(f.open(containing: 1_723_161_255_208) == 1_723_161_250_000)
        #expect(f.open(containing: 20_000) == 20_000)
        #expect(f.open(containing: -1) == -10_000)
    }
}
