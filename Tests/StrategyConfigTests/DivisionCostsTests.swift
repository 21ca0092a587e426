import Domain
import Foundation
import Testing
import TestKit
@testable import StrategyConfig

/// The division's cost and time-limit keys: `fee_rate` (both roles), `maker_fee_rate`,
/// `taker_fee_rate`, `slippage_bps`, `time_limit_bars`, and the break-even they imply.
@Suite struct DivisionCostsTests {
    static let inline = #"{"symbol": "ETHUSDT", "freq": "1m", "labels": ["low_040_10"], "train_features": ["close_SMA_3"], "algorithms": [{"algo": "rf"}]}"#

    static func load(_ division: String) throws(ConfigError) -> LoadedPortfolio {
        try Portfolio.load(text: #"{"divisions": [{"name": "conservative", "models": [\#(inline)], \#(division)}]}"#, file: "portfolio.jsonc")
    }

    @Test func feeRateSetsBothRolesAndTheSpecificKeysOverrideOne() throws {
        let both = try Self.load(#""fee_rate": 0.00075"#).portfolio.divisions[0]
        #expect(both.makerFeeRate == Decimal8("0.00075")! && both.takerFeeRate == Decimal8("0.00075")!)
        #expect(both.slippageBps == .zero && both.timeLimitBars == nil)
        let split = try Self.load(#""fee_rate": 0.001, "maker_fee_rate": 0.0002, "slippage_bps": 1.5, "time_limit_bars": 6"#).portfolio.divisions[0]
        #expect(split.makerFeeRate == Decimal8("0.0002")! && split.takerFeeRate == Decimal8("0.001")!)
        #expect(split.feeRate == Decimal8("0.001")!, "the single rate is the taker's")
        #expect(split.slippageBps == Decimal8("1.5")! && split.timeLimitBars == 6)
        let defaults = try Self.load(#""taker_fee_rate": 0.002"#).portfolio.divisions[0]
        #expect(defaults.makerFeeRate == Division.defaultFeeRate && defaults.takerFeeRate == Decimal8("0.002")!)
    }

    @Test func everyBadCostKeyIsListed() throws {
        do {
            _ = try Self.load(#""fee_rate": -0.1, "maker_fee_rate": 0.5, "taker_fee_rate": "x", "slippage_bps": 1001, "time_limit_bars": 0"#)
            Issue.record("accepted")
        } catch {
            let text = error.violations.map(\.description)
            func has(_ fragment: String) { #expect(text.contains { $0.contains(fragment) }, "no …\(fragment)… in\n\(text.joined(separator: "\n"))") }
            has("divisions[0].fee_rate: -0.1 must be in [0, 0.1]")
            has("divisions[0].maker_fee_rate: 0.5 must be in [0, 0.1]")
            has("divisions[0].taker_fee_rate")
            has("divisions[0].slippage_bps: 1001 must be in [0, 1000]")
            has("divisions[0].time_limit_bars: 0 is outside 1...100000")
            #expect(text.count >= 5)
        }
        do {
            _ = try Self.load(#""time_limit_bar": 4"#)
            Issue.record("accepted")
        } catch {
            #expect(error.violations.contains { $0.description.contains("did you mean \"time_limit_bars\"") })
        }
    }

    @Test func theBreakEvenCountsMakerTakerAndSlippage() throws {
        // Target 0.3 %, stop 0.5 %, taker 0.1 %, maker 0.02 %, slippage 2 bp:
        // net win = 0.003 − 0.001 − 0.0002 − 0.0002 = 0.0016; net loss = 0.005 + 0.002 + 0.0004 = 0.0074.
        let b = BreakEven(target: 0.003, stop: 0.005, makerFee: 0.0002, takerFee: 0.001, slippage: 0.0002)
        #expect(abs(b.netWin - 0.0016) < 1e-15 && abs(b.netLoss - 0.0074) < 1e-15)
        #expect(abs(try #require(b.winRate) - 0.0074 / 0.009) < 1e-12)
        #expect(b.description == "target 0.30 %, stop 0.50 %, fee 0.10 % taker / 0.02 % maker, slippage 2 bp per taker fill: net +0.16 % per win, −0.74 % per loss; break-even win rate 82.22 %")
        // One rate and no slippage is the single-rate form.
        #expect(BreakEven(target: 0.003, stop: 0.005, makerFee: 0.001, takerFee: 0.001) == BreakEven(target: 0.003, stop: 0.005, feePerSide: 0.001))
        let loaded = try Self.load(#""maker_fee_rate": 0.0002, "slippage_bps": 2"#)
        #expect(loaded.notes.contains { $0.contains("conservative: target 0.30 %, stop 0.50 %, fee 0.10 % taker / 0.02 % maker, slippage 2 bp per taker fill") }, "\(loaded.notes)")
    }

    @Test func slippageNeverHelpsTheBreakEven() throws {
        var g = SeededGenerator(seed: 31)
        for _ in 0..<1_000 {
            let target = Double.random(in: 0.004...0.05, using: &g), stop = Double.random(in: 0.001...0.05, using: &g)
            let maker = Double.random(in: 0...0.001, using: &g), taker = Double.random(in: 0...0.001, using: &g)
            let without = try #require(BreakEven(target: target, stop: stop, makerFee: maker, takerFee: taker).winRate)
            let with = BreakEven(target: target, stop: stop, makerFee: maker, takerFee: taker, slippage: Double.random(in: 0.00001...0.001, using: &g))
            if let rate = with.winRate { #expect(rate > without) }
        }
    }

    @Test func backtestsDefaultTheTimeLimitToTheLabelHorizon() {
        var division = Division.conservative
        #expect(division.backtestTimeLimitBars(labelHorizon: 4) == 4)
        #expect(division.backtestTimeLimitBars(labelHorizon: nil) == nil)
        #expect(division.backtestTimeLimitBars(labelHorizon: 0) == nil)
        division.timeLimitBars = 12
        #expect(division.backtestTimeLimitBars(labelHorizon: 4) == 12, "a configured limit wins")
        #expect(Division.conservative.timeLimitBars == nil, "live divisions have none unless configured")
    }
}
