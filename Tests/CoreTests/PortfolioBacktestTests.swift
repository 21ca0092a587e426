import Domain
import Research
import Testing

private func at(_ date: String, _ hours: Double = 0) -> Timestamp {
    Timestamp(utcDate: date)!.adding(milliseconds: Int64(hours * 3_600_000))
}

/// A one-hour trade of `division` exiting at `exit`.
private func trade(_ id: String, _ division: String, exit: Timestamp, pnl: String) -> BacktestTrade {
    BacktestTrade(
        intentID: id, symbol: division == "conservative" ? "BTCUSDT" : "SOLUSDT", division: division, entryTime: exit.adding(milliseconds: -3_600_000),
        exitTime: exit, entryPrice: Decimal8(100), exitPrice: Decimal8(100), quantity: .one, fees: .zero, pnl: Decimal8(pnl)!,
        exitReason: pnl.hasPrefix("-") ? .stop : .target
    )
}

/// `n` trades of a division, one every 5 hours from `start`, the first `round(winRate × n)` winning 2, the others losing 1.
private func trades(_ division: String, _ n: Int, winRate: Double, start: Timestamp) -> [BacktestTrade] {
    let wins = Int((winRate * Double(n)).rounded())
    return (0..<n).map { i in trade("\(division)-\(i)", division, exit: start.adding(milliseconds: Int64(i) * 5 * 3_600_000), pnl: i < wins ? "2" : "-1") }
}

/// The equity of a realized curve at `time`: its last point at or before it.
private func equity(_ metrics: PerformanceMetrics, at time: Timestamp) -> Decimal8 {
    metrics.equityCurve.last { $0.time <= time }!.equity
}

private let cheap = BreakEven(target: 0.01, stop: 0.005, feePerSide: 0) // break-even 1/3

private func divisions(conservativeWinRate: Double, aggressiveWinRate: Double, syntheticAggressive: Bool = false) -> [PortfolioBacktest.DivisionRun] {
    let cWindow = at("2025-05-01")..<at("2025-06-04")
    let aWindow = at("2025-06-01")..<at("2025-06-04")
    let c = PortfolioBacktest.ConfigRun(name: "btcusdt_5m_azure", symbol: "BTCUSDT", interval: "5m", equity: Decimal8(600), window: cWindow,
                                        trades: trades("conservative", 40, winRate: conservativeWinRate, start: at("2025-05-02")))
    let a = PortfolioBacktest.ConfigRun(name: "sol_5m_gcp_orderflow", symbol: "SOLUSDT", interval: "5m", equity: Decimal8(300), window: aWindow,
                                        trades: trades("aggressive", 12, winRate: aggressiveWinRate, start: at("2025-06-01", 2)), syntheticBooks: syntheticAggressive)
    return [.init(name: "conservative", breakEven: cheap, configs: [c]), .init(name: "aggressive", breakEven: cheap, configs: [a])]
}

private func report(_ runs: [PortfolioBacktest.DivisionRun]) throws -> BacktestReport {
    let result = try PortfolioBacktest.combine(divisions: runs, totalEquity: Decimal8(1000))
    return result.report(title: "Portfolio", generatedAt: at("2025-06-05"), divisions: runs, configs: [])
}

@Suite struct PortfolioBacktestTests {
    @Test func theDivisionsTradesMergeOnOneTimeAxisAndTheEquitiesAdd() throws {
        var runs = divisions(conservativeWinRate: 0.6, aggressiveWinRate: 0.5)
        // A trade exiting after the aggressive run's window is not counted, as in its own report.
        runs[1].configs[0].trades.append(trade("late", "aggressive", exit: at("2025-06-04", 1), pnl: "50"))
        runs[0].configs[0].models = [.init(name: "logreg-high_030_4", kind: .model, metrics: try PerformanceMetrics.compute(trades: [], initialEquity: Decimal8(600), window: at("2025-05-01")..<at("2025-06-04")), auc: 0.55)]
        let result = try PortfolioBacktest.combine(divisions: runs, totalEquity: Decimal8(1000))
        let c = result.divisions[0].metrics, a = result.divisions[1].metrics, p = result.portfolio.metrics

        #expect(result.divisions.map(\.name) == ["conservative", "aggressive"] && result.divisions.allSatisfy { $0.kind == .division && $0.breakEven == cheap })
        #expect(c.initialEquity == Decimal8(600) && a.initialEquity == Decimal8(300) && p.initialEquity == Decimal8(1000))
        #expect(c.trades == 40 && a.trades == 12 && p.trades == 52 && result.trades.count == 52)
        #expect(!result.trades.contains { $0.intentID == "late" })
        // 24 wins of 2, 16 losses of 1 (+32); 6 wins of 2, 6 losses of 1 (+6).
        #expect(c.netPnL == Decimal8(32) && a.netPnL == Decimal8(6) && p.finalEquity == Decimal8(1038))
        // One time axis: trades in exit order, the portfolio window spanning both runs' windows.
        #expect(zip(result.trades, result.trades.dropFirst()).allSatisfy { $0.exitTime <= $1.exitTime })
        #expect(p.windowStart == at("2025-05-01") && p.windowEnd == at("2025-06-04") && a.windowStart == at("2025-06-01"))
        // At every instant the portfolio's equity is the divisions' plus the 100 of reserve and cash.
        for point in p.equityCurve {
            #expect(equity(p, at: point.time) == equity(c, at: point.time) + (point.time < a.windowStart ? Decimal8(300) : equity(a, at: point.time)) + Decimal8(100), "\(point.time)")
        }
        // The interleaved drawdown is the portfolio's own, not a division's.
        #expect(p.maxDrawdown.depth <= max(c.maxDrawdown.depth, a.maxDrawdown.depth))
        #expect(result.models.map(\.name) == ["conservative · logreg-high_030_4"])
        #expect(result.notes[0].contains("reserve and unallocated 100") && result.notes.contains { $0.contains("The windows differ") })
        #expect(result.syntheticDivisions.isEmpty)
    }

    @Test func severalConfigsOfOneDivisionAreItsUnionAndSayTheCapitalIsSplit() throws {
        var runs = divisions(conservativeWinRate: 0.6, aggressiveWinRate: 0.5)
        var second = runs[0].configs[0]
        second.name = "ethusdt_5m"
        second.equity = Decimal8(300)
        runs[0].configs[0].equity = Decimal8(300)
        second.trades = second.trades.map { var t = $0; t.intentID = "eth-" + t.intentID; return t }
        runs[0].configs.append(second)
        let result = try PortfolioBacktest.combine(divisions: runs, totalEquity: Decimal8(1000))
        #expect(result.divisions[0].metrics.trades == 80 && result.divisions[0].metrics.initialEquity == Decimal8(600))
        #expect(result.models.filter { $0.kind == .ensemble }.map(\.name) == ["conservative · btcusdt_5m_azure", "conservative · ethusdt_5m"])
        #expect(result.notes.contains { $0.contains("2 model configs") && $0.contains("not modelled") })
    }

    @Test func theJointVerdictUsesBothDivisionsMeasuredWinRates() throws {
        let both = try report(divisions(conservativeWinRate: 0.6, aggressiveWinRate: 7.0 / 12))
        #expect(both.decision?.verdict == .proceedToShadow, "\(String(describing: both.decision?.reasons))")
        #expect(both.decision?.conservative.trades == 40 && both.decision?.aggressive.trades == 12)
        let conservativeOnly = try report(divisions(conservativeWinRate: 0.6, aggressiveWinRate: 0.5))
        #expect(conservativeOnly.decision?.verdict == .conservativeOnly)
        let abort = try report(divisions(conservativeWinRate: 0.5, aggressiveWinRate: 0.5))
        #expect(abort.decision?.verdict == .abort && abort.headline == "VERDICT: ABORT")
        // The report's rows: the portfolio on top, both divisions, the terminal table lists them.
        #expect(both.ensemble.kind == .portfolio && both.divisions.count == 2)
        let table = both.terminalTable()
        #expect(table.contains("portfolio") && table.contains("conservative") && table.contains("aggressive") && table.contains("VERDICT: PROCEED TO SHADOW"))
        #expect(both.html().contains("(enter whenever flat; volatility only) ran on its own data"))
    }

    @Test func syntheticAggressiveBooksGiveNoVerdictAndNameTheDivision() throws {
        let r = try report(divisions(conservativeWinRate: 0.6, aggressiveWinRate: 0.75, syntheticAggressive: true))
        let d = try #require(r.decision)
        #expect(d.verdict == .noVerdictSyntheticBooks && r.syntheticBooks && r.syntheticDivisions == ["aggressive"])
        #expect(d.conservativeReading == .conservativeOnly)
        #expect(r.headline == "NO VERDICT: SYNTHETIC ORDER BOOKS IN AGGRESSIVE (conservative alone: CONSERVATIVE ONLY)")
        #expect(d.reasons[0].contains("aggressive division were synthetic") && d.reasons[1].contains("conservative division alone"))
        #expect(r.html().contains("SYNTHETIC ORDER BOOKS in the aggressive division"))
        #expect(r.terminalTable().contains("!! SYNTHETIC ORDER BOOKS in aggressive") && r.terminalTable().contains("Reading of the conservative division alone"))
        let json = r.jsonValue.serialized()
        #expect(json.contains("\"conservativeReading\": \"conservative-only\"") && json.contains("\"verdict\": \"no-verdict-synthetic-books\""))
    }

    @Test func badInputListsEveryProblem() {
        var runs = divisions(conservativeWinRate: 0.6, aggressiveWinRate: 0.5)
        runs.append(.init(name: "empty", breakEven: nil, configs: []))
        #expect(throws: PortfolioBacktest.InputError.self) { try PortfolioBacktest.combine(divisions: runs, totalEquity: Decimal8(800)) }
        do {
            _ = try PortfolioBacktest.combine(divisions: runs, totalEquity: Decimal8(800))
        } catch {
            #expect(error.problems.count == 2 && error.problems.contains("division empty: no model config"), "\(error.problems)")
        }
    }
}
