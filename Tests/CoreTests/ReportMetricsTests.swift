import Domain
import Foundation
import Research
import Testing
import TestKit

/// Midnight UTC of a date plus hours.
private func at(_ date: String, _ hours: Double = 0) -> Timestamp {
    Timestamp(utcDate: date)!.adding(milliseconds: Int64(hours * 3_600_000))
}

private func trade(_ id: String, _ entry: Timestamp, _ exit: Timestamp, pnl: String, division: String = "conservative", entryPrice: String = "100", quantity: String = "1") -> BacktestTrade {
    BacktestTrade(
        intentID: id, symbol: "BTCUSDT", division: division, entryTime: entry, exitTime: exit,
        entryPrice: Decimal8(entryPrice)!, exitPrice: Decimal8(entryPrice)! + Decimal8(pnl)!, quantity: Decimal8(quantity)!,
        fees: .zero, pnl: Decimal8(pnl)!, exitReason: Decimal8(pnl)! > .zero ? .target : .stop
    )
}

@Suite struct ReportMetricsTests {
    /// Three trades over five days, every number computed by hand:
    /// equity 1000 → 1020 (day 1) → 969 (day 3) → 1010 (day 5).
    @Test func threeTradesOverFiveDays() throws {
        let window = at("2024-01-01")..<at("2024-01-06")
        let trades = [
            trade("a", at("2024-01-01", 10), at("2024-01-01", 12), pnl: "20"),
            trade("b", at("2024-01-03", 9), at("2024-01-03", 15), pnl: "-51"),
            trade("c", at("2024-01-04"), at("2024-01-05"), pnl: "41"),
        ]
        let m = try PerformanceMetrics.compute(trades: trades, initialEquity: Decimal8(1000), window: window)
        #expect(m.trades == 3 && m.wins == 2 && m.losses == 1)
        #expect(m.finalEquity == Decimal8(1010))
        #expect(abs(m.totalReturn - 0.01) < 1e-15)
        #expect(m.winRate == 2.0 / 3.0)
        #expect(abs(m.tradesPerDay - 0.6) < 1e-15)
        #expect(m.grossProfit == Decimal8(61) && m.grossLoss == Decimal8(51))
        #expect(m.averageWin == Decimal8("30.5")! && m.averageLoss == Decimal8(-51))
        #expect(m.expectancy == Decimal8("3.33333333")!)
        #expect(m.profitFactor == .finite(61.0 / 51.0))
        // Daily returns: +2 %, 0, 969/1020 − 1 = −5 %, 0, 1010/969 − 1.
        let expected = [0.02, 0, 969.0 / 1020.0 - 1, 0, 1010.0 / 969.0 - 1]
        #expect(m.dailyReturns.count == 5)
        for (a, b) in zip(m.dailyReturns, expected) { #expect(abs(a - b) < 1e-15) }
        // mean 0.00246233230134…; sample std (ddof 1); √365. Values from the formulas above.
        #expect(abs(m.sharpe! - 1.3782624852111913) < 1e-12)
        // Downside deviation √(0.05² / 5).
        #expect(abs(m.sortino! - 2.10381764048786) < 1e-12)
        // Peak 1020 at Jan 1 12:00, trough 969 at Jan 3 15:00, not recovered: to the window's end (4.5 days).
        #expect(abs(m.maxDrawdown.depth - 0.05) < 1e-15)
        #expect(m.maxDrawdown.peakTime == at("2024-01-01", 12) && m.maxDrawdown.troughTime == at("2024-01-03", 15))
        #expect(m.maxDrawdown.recoveryTime == nil)
        #expect(m.maxDrawdown.durationSeconds == 4.5 * 86_400)
        // Open 2 h + 6 h + 24 h of 120 h.
        #expect(abs(m.exposure - 32.0 / 120.0) < 1e-15)
        #expect(m.averageHoldSeconds == 32.0 * 3_600 / 3)
        #expect(m.monthlyReturns.count == 1 && m.monthlyReturns[0].label == "2024-01")
        #expect(abs(m.monthlyReturns[0].value - 0.01) < 1e-15)
        #expect(m.exitReasons[.target] == 2 && m.exitReasons[.stop] == 1)
    }

    @Test func drawdownDurationEndsAtRecovery() throws {
        let window = at("2024-03-01")..<at("2024-03-11")
        let trades = [
            trade("a", at("2024-03-01", 1), at("2024-03-01", 2), pnl: "10"),   // 1010: peak
            trade("b", at("2024-03-02", 1), at("2024-03-02", 2), pnl: "-40"),  // 970
            trade("c", at("2024-03-03", 1), at("2024-03-03", 2), pnl: "20"),   // 990
            trade("d", at("2024-03-05", 1), at("2024-03-05", 2), pnl: "25"),   // 1015: recovered
            trade("e", at("2024-03-06", 1), at("2024-03-06", 2), pnl: "-5"),   // 1010: a smaller drawdown
        ]
        let m = try PerformanceMetrics.compute(trades: trades, initialEquity: Decimal8(1000), window: window)
        #expect(abs(m.maxDrawdown.depth - 40.0 / 1010.0) < 1e-15)
        #expect(m.maxDrawdown.peakTime == at("2024-03-01", 2))
        #expect(m.maxDrawdown.recoveryTime == at("2024-03-05", 2))
        #expect(m.maxDrawdown.durationSeconds == 4 * 86_400)
    }

    @Test func zeroTradesAreWellDefined() throws {
        let m = try PerformanceMetrics.compute(trades: [], initialEquity: Decimal8(500), window: PerformanceMetrics.window(endingAt: at("2024-04-01")))
        #expect(m.trades == 0 && m.winRate == nil && m.expectancy == nil && m.averageWin == nil && m.averageLoss == nil)
        #expect(m.profitFactor == .undefined)
        #expect(m.sharpe == nil && m.sortino == nil)
        #expect(m.dailyReturns.count == 90 && m.dailyReturns.allSatisfy { $0 == 0 })
        #expect(m.maxDrawdown.depth == 0 && m.exposure == 0 && m.totalReturn == 0 && m.averageHoldSeconds == nil)
        #expect(m.monthlyReturns.map(\.label) == ["2024-01", "2024-02", "2024-03"])
        let json = String(decoding: Data(m.json.serialized().utf8), as: UTF8.self)
        #expect(json.contains("\"winRate\": null") && json.contains("\"profitFactor\": null") && json.contains("\"profitFactorInfinite\": false"))
    }

    @Test func profitFactorWithoutLossesIsInfiniteAndEncodedAsNullWithFlag() throws {
        let window = at("2024-01-01")..<at("2024-01-03")
        let m = try PerformanceMetrics.compute(trades: [trade("a", at("2024-01-01", 1), at("2024-01-01", 2), pnl: "5")], initialEquity: Decimal8(100), window: window)
        #expect(m.profitFactor == .infinite && m.profitFactor.value == .infinity)
        let json = m.json.serialized()
        #expect(json.contains("\"profitFactor\": null") && json.contains("\"profitFactorInfinite\": true"))
        #expect(!json.contains("inf") && !json.contains("NaN"))
    }

    @Test func exposureCountsOverlapOnceAndClipsToTheWindow() throws {
        let window = at("2024-01-01")..<at("2024-01-02")
        let trades = [
            trade("a", at("2023-12-31", 22), at("2024-01-01", 2), pnl: "1"),   // 2 h inside
            trade("b", at("2024-01-01", 6), at("2024-01-01", 12), pnl: "1"),
            trade("c", at("2024-01-01", 10), at("2024-01-01", 18), pnl: "1"),  // overlaps b: 6..18 = 12 h
            trade("d", at("2024-01-01", 20), at("2024-01-02", 3), pnl: "1"),   // exits after the window: excluded
        ]
        let m = try PerformanceMetrics.compute(trades: trades, initialEquity: Decimal8(100), window: window)
        #expect(m.trades == 3 && m.excludedTrades == 1)
        #expect(abs(m.exposure - 14.0 / 24.0) < 1e-15)
    }

    @Test func badInputListsEveryProblem() {
        let t = trade("x", at("2024-01-02"), at("2024-01-01"), pnl: "1")
        #expect { try PerformanceMetrics.compute(trades: [t], initialEquity: .zero, window: at("2024-01-02")..<at("2024-01-02")) } throws: { error in
            (error as? PerformanceMetrics.InputError)?.problems.count == 3
        }
    }

    /// Random trade lists: invariants that must hold for any input.
    @Test func propertiesHoldOnRandomTrades() throws {
        var rng = SeededGenerator(seed: 20_240_601)
        for _ in 0..<200 {
            let start = at("2024-01-15")
            let days = Int.random(in: 1...120, using: &rng)
            let window = start..<start.adding(milliseconds: Int64(days) * 86_400_000)
            let count = Int.random(in: 0...60, using: &rng)
            var trades: [BacktestTrade] = []
            for i in 0..<count {
                let entryMs = Int64.random(in: 0..<(Int64(days) * 86_400_000), using: &rng)
                let exitMs = min(entryMs + Int64.random(in: 0...(3 * 86_400_000), using: &rng), Int64(days) * 86_400_000 - 1)
                let pnl = Decimal8(units: Int64.random(in: -3_000_000_000...3_000_000_000, using: &rng))
                trades.append(BacktestTrade(
                    intentID: String(i), symbol: "X", division: "d", entryTime: start.adding(milliseconds: entryMs), exitTime: start.adding(milliseconds: exitMs),
                    entryPrice: Decimal8(100), exitPrice: Decimal8(100), quantity: .one, fees: .zero, pnl: pnl, exitReason: .end
                ))
            }
            let initial = Decimal8(Int.random(in: 50...2000, using: &rng))
            let m = try PerformanceMetrics.compute(trades: trades, initialEquity: initial, window: window)
            #expect((0...1).contains(m.maxDrawdown.depth))
            #expect(m.finalEquity == initial + trades.reduce(Decimal8.zero) { $0 + $1.pnl })
            #expect(m.equityCurve.last?.equity == m.finalEquity)
            if let w = m.winRate { #expect((0...1).contains(w)) }
            #expect((0...1).contains(m.exposure))
            #expect(m.dailyReturns.count == days)
            if m.equityCurve.allSatisfy({ $0.equity > .zero }) {
                let compounded = m.monthlyReturns.reduce(1.0) { $0 * (1 + $1.value) } - 1
                #expect(abs(compounded - m.totalReturn) < 1e-9)
                let daily = m.dailyReturns.reduce(1.0) { $0 * (1 + $1) } - 1
                #expect(abs(daily - m.totalReturn) < 1e-9)
            }
        }
    }

    @Test func breakEvenOfTheIssuesExample() {
        let be = BreakEven(target: Decimal8("0.003")!, stop: Decimal8("0.005")!, feeRate: Decimal8("0.001")!)
        #expect(abs(be.winReturn - 0.000997) < 1e-15)
        #expect(abs(be.lossReturn + 0.006995) < 1e-15)
        #expect(abs(be.winRate - 0.006995 / 0.007992) < 1e-12)
        #expect(be.winRate > 0.87 && be.winRate < 0.88)
        #expect(abs(be.expectedReturn(winRate: be.winRate)) < 1e-15)
        let hopeless = BreakEven(target: 0.001, stop: 0.005, feePerSide: 0.001)
        #expect(!hopeless.isAttainable && hopeless.winRate == 1)
    }
}
