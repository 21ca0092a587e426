import Domain
import Research
import Testing

/// Hand-traced sequences through ITB's `simulated_trade_performance` (ITB.md §2.6).
@Suite struct ITBSimulateTests {
    // Row: close, buy, sell. Row 2 (close 0) and row 4 (NaN) are skipped; the long opened at row 7
    // is still open at the end and ignored.
    static let close: [Double] = [100, 110, 0, 120, .nan, 90, 99, 110, 100]
    static let buy = [true, false, false, false, true, true, true, true, false]
    static let sell = [false, false, true, true, false, false, true, false, false]

    static func times(spacingSeconds: Int64) -> [Timestamp] {
        let t0 = Timestamp(utcDate: "2024-01-01")!
        return (0..<close.count).map { t0.adding(milliseconds: Int64($0) * spacingSeconds * 1000) }
    }

    /// Documented flip-flop: short 0 (first buy), long 100→120 = +20 (20 %), short 120→90 = +30 (25 %),
    /// long 90→99 = +9 (10 %), short 99→110 = −11 (−11.11 %).
    @Test func documentedFlipFlop() throws {
        let r = try ITBSimulation.simulate(buy: Self.buy, sell: Self.sell, close: Self.close, times: Self.times(spacingSeconds: 86_400))
        #expect(r.long.transactions == 2 && r.long.profit == 29 && r.long.profitPercent == 30 && r.long.profitable == 2)
        #expect(r.short.transactions == 3 && r.short.profit == 19 && r.short.profitable == 1)
        #expect(abs(r.short.profitPercent - (25 - 1100.0 / 99)) < 1e-12)
        let long = r.long.rounded, short = r.short.rounded
        #expect(long["%profitable"] == 100 && long["profit/T"] == 14.5 && long["%profit/T"] == 15)
        #expect(short["profit"] == 19 && short["%profit"] == 13.9 && short["%profitable"] == 33.3)
        #expect(short["profit/T"] == 6.33 && short["%profit/T"] == 4.6)
        // 8 days = 0.26301… months of 365/12 days.
        #expect(abs(r.months! - 8.0 / (365.0 / 12.0)) < 1e-12)
        let m = try #require(r.perMonth(.long))
        #expect(m.transactions == 7.6 && m.profit == 110.26)
        #expect(m.profitPercent == 114.06) // 114.0625 exactly: Python's round goes half to even
        // Combined: 3 profitable of 5.
        #expect(r.combined.transactions == 5 && r.combined.profitable == 0.6 && r.combined.profitablePercent == 60)
    }

    @Test func combinedDictBugOnlyBehindTheFlag() throws {
        let r = try ITBSimulation.simulate(
            buy: Self.buy, sell: Self.sell, close: Self.close, times: Self.times(spacingSeconds: 86_400),
            options: .init(combinedProfitableBug: true)
        )
        #expect(r.combined.profitablePercent == 12) // 100 × 0.6 ÷ 5
    }

    /// Today's common/backtesting.py: a long is measured from the previous sell, a short from the
    /// previous buy; the first sell also records a zero-profit long.
    @Test func backtestingPyReferencePrices() throws {
        let r = try ITBSimulation.simulate(
            buy: Self.buy, sell: Self.sell, close: Self.close, times: Self.times(spacingSeconds: 328_500),
            options: .init(reference: .backtestingPy)
        )
        // Longs: 0 (first sell), 120→99 = −21 (−17.5 %). Shorts: 0 (first buy), 100→90 = +10 (10 %), 90→110 = −20 (−22.2 %).
        #expect(r.long.transactions == 2 && r.long.profit == -21 && r.long.profitPercent == -17.5 && r.long.profitable == 0)
        #expect(r.short.transactions == 3 && r.short.profit == -10 && r.short.profitable == 1)
        #expect(r.short.rounded["%profit"] == -12.2)
        // 8 × 328 500 s = 365/12 days: one month, so the monthly figures equal the rounded sums.
        #expect(r.months == 1)
        let m = try #require(r.perMonth(.short))
        #expect(m.transactions == 3 && m.profit == -10 && m.profitPercent == -12.2)
    }

    @Test func degenerateInputs() throws {
        let r = try ITBSimulation.simulate(buy: [false], sell: [true], close: [5], times: [.zero])
        #expect(r.long.transactions == 0 && r.short.transactions == 0 && r.months == nil && r.perMonth(.long) == nil)
        #expect(r.long.rounded["profit/T"] == .some(nil)) // ITB divides by zero here
        #expect(r.combined.profitablePercent == 0)
        #expect { try ITBSimulation.simulate(buy: [true, false], sell: [true], close: [], times: [.zero]) } throws: { error in
            (error as? ITBSimulation.InputError)?.problems.count == 3
        }
    }

    @Test func thresholdRuleIsInclusiveAndNaNIsNeither() {
        let (buy, sell) = ITBSimulation.thresholdRule(scores: [0.02, 0.015, 0, -0.015, .nan], buyThreshold: 0.015, sellThreshold: -0.015)
        #expect(buy == [true, true, false, false, false])
        #expect(sell == [false, false, false, true, false])
    }

    @Test func pythonRounding() {
        #expect(ITBSimulation.pythonRound(2.675, 2) == 2.67) // 2.67499999… in binary
        #expect(ITBSimulation.pythonRound(0.125, 2) == 0.12)
        #expect(ITBSimulation.pythonRound(0.375, 2) == 0.38)
        #expect(ITBSimulation.pythonRound(-13.95, 1) == -13.9) // −13.9499999…
    }
}
