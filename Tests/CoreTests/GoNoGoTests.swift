import Domain
import Research
import Testing

/// Metrics with a given win rate over `n` trades (the other numbers follow from the trades).
private func metrics(winRate: Double?, trades n: Int = 100, winPnL: String = "3", lossPnL: String = "-1") -> PerformanceMetrics {
    let start = Timestamp(utcDate: "2024-01-01")!
    var trades: [BacktestTrade] = []
    if let winRate {
        let wins = Int((winRate * Double(n)).rounded())
        for i in 0..<n {
            let t = start.adding(milliseconds: Int64(i) * 3_600_000)
            let pnl = Decimal8(i < wins ? winPnL : lossPnL)!
            trades.append(BacktestTrade(
                intentID: String(i), symbol: "X", division: "d", entryTime: t, exitTime: t.adding(milliseconds: 60_000),
                entryPrice: Decimal8(100), exitPrice: Decimal8(100), quantity: .one, fees: .zero, pnl: pnl, exitReason: .end
            ))
        }
    }
    return try! PerformanceMetrics.compute(trades: trades, initialEquity: Decimal8(1000), window: start..<start.adding(milliseconds: 10 * 86_400_000))
}

private let cheap = BreakEven(target: 0.01, stop: 0.005, feePerSide: 0) // break-even 1/3
private let issue = BreakEven(target: 0.003, stop: 0.005, feePerSide: 0.001) // break-even ≈ 87.5 %

@Suite struct GoNoGoTests {
    private func decide(_ c: Double?, _ a: Double?, breakEven: BreakEven = cheap, synthetic: Bool = false) -> GoNoGo.Decision {
        GoNoGo.decide(
            conservative: metrics(winRate: c), conservativeBreakEven: breakEven,
            aggressive: metrics(winRate: a), aggressiveBreakEven: breakEven, syntheticBooks: synthetic
        )
    }

    @Test func truthTableOfTheSpecRule() {
        let cases: [(Double?, Double?, GoNoGo.Verdict)] = [
            (0.55, 0.53, .proceedToShadow),
            (0.60, 0.70, .proceedToShadow),
            (0.55, 0.52, .conservativeOnly),
            (0.58, nil, .conservativeOnly),      // aggressive without trades counts as < 53 %
            (0.52, 0.52, .abort),
            (0.40, nil, .abort),
            (0.54, 0.52, .hold),                 // conservative between 53 and 55: open case
            (0.53, 0.40, .hold),
            (0.54, 0.53, .hold),                 // aggressive only: not a verdict of the spec
            (0.40, 0.60, .hold),
            (nil, 0.60, .insufficientData),
        ]
        for (c, a, expected) in cases {
            let d = decide(c, a)
            #expect(d.verdict == expected, "c=\(String(describing: c)) a=\(String(describing: a))")
            #expect(d.losesMoney.isEmpty)
        }
        #expect(decide(0.40, 0.60).reasons[0].contains("aggressive only\" is not a verdict of the spec: hold"))
    }

    @Test func syntheticBooksGiveNoVerdict() {
        let d = decide(0.70, 0.70, synthetic: true)
        #expect(d.verdict == .noVerdictSyntheticBooks)
        #expect(d.headline == "NO VERDICT: SYNTHETIC ORDER BOOKS")
        #expect(d.reasons[0].contains("synthetic"))
    }

    @Test func syntheticBooksOfOneNamedDivisionKeepTheConservativeReading() {
        func decide(_ c: Double?, _ a: Double?, synthetic: [String], breakEven: BreakEven = cheap) -> GoNoGo.Decision {
            GoNoGo.decide(
                conservative: metrics(winRate: c), conservativeBreakEven: breakEven,
                aggressive: metrics(winRate: a), aggressiveBreakEven: breakEven, syntheticDivisions: synthetic
            )
        }
        // Named but none synthetic: exactly the plain rule.
        #expect(decide(0.60, 0.60, synthetic: []) == self.decide(0.60, 0.60))
        // The aggressive division's books synthetic: no verdict whatever it measured; the
        // conservative reading is the rule with the aggressive division unmeasured.
        for (c, a, reading) in [(0.60, 0.90, GoNoGo.Verdict.conservativeOnly), (0.50, 0.90, .abort), (0.54, 0.40, .hold), (nil, 0.90, .insufficientData)] as [(Double?, Double, GoNoGo.Verdict)] {
            let d = decide(c, a, synthetic: ["aggressive"])
            #expect(d.verdict == .noVerdictSyntheticBooks && d.conservativeReading == reading, "c=\(String(describing: c))")
            #expect(d.reasons[0].contains("aggressive division were synthetic") && d.reasons[1].hasPrefix("Reading of the conservative division alone"))
            #expect(d.headline.hasPrefix("NO VERDICT: SYNTHETIC ORDER BOOKS IN AGGRESSIVE (conservative alone: "))
        }
        #expect(decide(0.60, 0.50, synthetic: ["aggressive"], breakEven: issue).reasons[1].contains("LOSES MONEY"))
        // The conservative division's books synthetic: nothing real to read.
        let both = decide(0.70, 0.70, synthetic: ["conservative", "aggressive"])
        #expect(both.verdict == .noVerdictSyntheticBooks && both.conservativeReading == nil)
        #expect(both.headline == "NO VERDICT: SYNTHETIC ORDER BOOKS IN CONSERVATIVE, AGGRESSIVE" && both.reasons[0].contains("conservative and aggressive divisions"))
    }

    @Test func passingTheSpecBelowBreakEvenSaysItLosesMoney() {
        let d = decide(0.60, 0.55, breakEven: issue)
        #expect(d.verdict == .proceedToShadow)
        #expect(d.losesMoney == ["conservative", "aggressive"])
        #expect(d.headline.contains("BELOW BREAK-EVEN: LOSES MONEY"))
        #expect(!d.conservative.aboveBreakEven && abs(d.conservative.breakEven.winRate - 0.875_250_25) < 1e-6)
        let conservativeOnly = decide(0.90, 0.50, breakEven: issue)
        #expect(conservativeOnly.verdict == .conservativeOnly && conservativeOnly.losesMoney.isEmpty)
        #expect(conservativeOnly.conservative.aboveBreakEven && !conservativeOnly.aggressive.aboveBreakEven)
        // An abort trades nothing: nothing is said to lose money, though the lines say below break-even.
        let abort = decide(0.40, 0.40, breakEven: issue)
        #expect(abort.losesMoney.isEmpty && abort.reasons.contains { $0.contains("BELOW BREAK-EVEN") })
    }

    @Test func tiersNeedAllFourThresholds() {
        // Win 3, loss −1 in quote, alternating by the hour, over 10 days: the ratios are large.
        let strong = metrics(winRate: 0.70)
        #expect(strong.sharpe! > 3 && strong.maxDrawdown.depth < 0.03)
        #expect(GoNoGo.Tier.of(strong) == .exceptional)
        // 60 % wins but a profit factor of 1.5 × 60/40 … make the wins small: PF = 0.6·1 / 0.4·1 = 1.5 → minimum viable at best.
        let modest = metrics(winRate: 0.60, winPnL: "1", lossPnL: "-1")
        #expect(modest.profitFactor == .finite(1.5))
        #expect(GoNoGo.Tier.of(modest) == .minimumViable)
        #expect(GoNoGo.Tier.of(metrics(winRate: 0.50)) == .belowMinimum)
        #expect(GoNoGo.Tier.of(metrics(winRate: nil)) == .belowMinimum)
    }
}
