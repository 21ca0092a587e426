import CollectorCore
import Domain
import EnsembleCore
import ExecutorCore
import Foundation
import Research
import RiskGateCore
import Testing
import TestKit

@Suite struct ReportBacktestTests {
    private static let bar = BarKey(symbol: "BTCUSDT", interval: .oneMinute, openTime: Timestamp(milliseconds: 1_700_000_000_000))

    private static func intent(_ n: UInt64, division: String = "conservative") -> TradeIntent {
        TradeIntent(
            id: IntentID(milliseconds: 1_700_000_000_000, random: n), bar: bar, side: .buy, division: division,
            quantity: Decimal8("0.5")!, referencePrice: Decimal8(100), takeProfit: Decimal8("100.3")!, stopLoss: Decimal8("99.5")!,
            createdAt: bar.closeTime, expiresAt: bar.next.closeTime, shadow: true
        )
    }

    private static func report(_ intent: TradeIntent, _ leg: ExecutionReport.Leg, price: String, fee: String, pnl: String = "0", minute: Int64) -> ExecutionReport {
        ExecutionReport(
            intentID: intent.id, clientOrderID: intent.id.clientOrderID(leg: leg), symbol: "BTCUSDT", leg: leg, side: leg == .entry ? .buy : .sell,
            price: Decimal8(price)!, quantity: intent.quantity, fee: Decimal8(fee)!, realizedPnL: Decimal8(pnl)!,
            eventTime: bar.next.openTime.adding(milliseconds: minute * 60_000), shadow: true
        )
    }

    @Test func pairsEntriesWithExitsAndClosesOpenPositionsAtAMark() throws {
        let a = Self.intent(1), b = Self.intent(2, division: "aggressive")
        let signal = EnsembleSignal(bar: Self.bar, side: .buy, probability: 0.7, threshold: 0.6, models: ["m1", "m2"], referencePrice: Decimal8(100))
        let reports = [
            Self.report(a, .entry, price: "100", fee: "0.05", minute: 0),
            Self.report(b, .entry, price: "100", fee: "0.05", minute: 0),
            Self.report(a, .takeProfit, price: "100.3", fee: "0.05015", pnl: "0.04985", minute: 3),
        ]
        let mark = (price: Decimal8("99")!, time: Self.bar.next.openTime.adding(milliseconds: 10 * 60_000))
        let trades = try BacktestTrade.trades(reports: reports, intents: [a, b], signals: [signal], feeRate: Decimal8("0.001")!, marks: ["BTCUSDT": mark])
        #expect(trades.count == 2)
        let first = trades[0]
        #expect(first.intentID == a.id.rawValue && first.division == "conservative" && first.models == ["m1", "m2"])
        #expect(first.exitReason == .target && first.fees == Decimal8("0.10015")! && first.pnl == Decimal8("0.04985")!)
        #expect(first.holdSeconds == 180)
        #expect(abs(first.returnOnCommitted - 0.04985 / 50) < 1e-15)
        // Open at the end: closed at 99 with a 0.1 % fee (0.0495): (99 − 100) × 0.5 − 0.05 − 0.0495.
        let second = trades[1]
        #expect(second.exitReason == .end && second.division == "aggressive" && second.exitPrice == Decimal8(99))
        #expect(second.pnl == Decimal8("-0.5995")! && second.fees == Decimal8("0.0995")!)
        // Without a mark the open position is left out.
        #expect(try BacktestTrade.trades(reports: reports, intents: [a, b], feeRate: Decimal8("0.001")!).count == 1)
    }

    @Test func inconsistentReportsListEveryProblem() {
        let a = Self.intent(1), b = Self.intent(2)
        let reports = [
            Self.report(a, .stop, price: "99.5", fee: "0.05", pnl: "-0.35", minute: 2),        // no entry
            Self.report(b, .entry, price: "100", fee: "0.05", minute: 0),
            Self.report(b, .entry, price: "100", fee: "0.05", minute: 0),                        // doubled
        ]
        #expect { try BacktestTrade.trades(reports: reports, intents: [], feeRate: .zero) } throws: { error in
            guard let problems = (error as? BacktestTrade.BuildError)?.problems else { return false }
            return problems.count == 3 && problems.contains { $0.contains("without an entry") }
                && problems.contains { $0.contains("more than one entry") } && problems.contains { $0.contains("without the intent") }
        }
    }

    /// The demo strategy on the repository's sample (train July 2024, replay August): the trades
    /// account for every exit and the realized P&L, and the report renders.
    @Test func reportFromARealBacktestRun() throws {
        let klines = try KlineCSV.read(path: RepositoryPaths.sampleKlines.path)
        let august = Timestamp(utcDate: DemoStrategy.replayFrom)!..<Timestamp(utcDate: DemoStrategy.replayTo)!
        let model = try ModelTraining.trainLogisticRegression(
            klines: klines, features: DemoStrategy.features, label: DemoStrategy.label,
            range: Timestamp(utcDate: DemoStrategy.trainFrom)!..<august.lowerBound, created: august.lowerBound
        )
        let fee = Decimal8("0.001")!
        let division = RiskGateCore.Division(name: "conservative")
        var backtest = try Backtest(configuration: .init(
            features: DemoStrategy.features, models: [model],
            ensemble: .init(models: [.init(name: model.name, weight: 1)], threshold: DemoStrategy.threshold),
            risk: .init(division: division), executor: .init(feeRate: fee)
        ))
        let warmup = Timestamp(utcDate: "2024-07-25")! // features need a few days of history
        backtest.run(klines.filter { $0.openTime >= warmup && $0.openTime < august.upperBound })
        let result = backtest.result
        let last = try #require(klines.last { august.contains($0.openTime) })
        let trades = try BacktestTrade.trades(from: result, feeRate: fee, marks: [last.symbol: (last.close, last.closeTime)])
        let closed = trades.filter { $0.exitReason != .end }
        #expect(closed.count == result.exits.count)
        #expect(closed.reduce(Decimal8.zero) { $0 + $1.pnl } == result.realizedPnL)
        let metrics = try PerformanceMetrics.compute(trades: trades, initialEquity: division.equity, window: august)
        #expect(metrics.trades == trades.filter { august.contains($0.exitTime) }.count)
        let breakEven = BreakEven(target: division.target, stop: division.stopDistance, feeRate: fee)
        let report = BacktestReport(
            title: "Demo strategy, August 2024", generatedAt: august.upperBound, dataRange: august, symbols: ["BTCUSDT"], interval: "5m",
            syntheticBooks: false, models: [.init(name: model.name, kind: .model, metrics: metrics)],
            divisions: [.init(name: division.name, kind: .division, metrics: metrics, breakEven: breakEven)],
            ensemble: .init(name: "ensemble", kind: .ensemble, metrics: metrics, breakEven: breakEven), baselines: [], trades: trades
        )
        // One division run alone: the rule reduces to its own thresholds (63 % ≥ 55 %: conservative
        // only), and the headline says loudly that it is below its 87.5 % break-even.
        #expect(report.decision?.verdict == .conservativeOnly && report.decision?.losesMoney == ["conservative"], "\(report.headline)")
        #expect(report.headline.contains("LOSES MONEY"))
        let html = report.html()
        #expect(html.contains("<svg"))
        let outside = trades.filter { !august.contains($0.exitTime) }.count
        if outside > 0 { #expect(html.contains("\(outside) trade(s) exit outside the metrics window")) }
        if let path = ProcessInfo.processInfo.environment["QUORUM_REPORT_SAMPLE"] {
            try report.write(to: URL(fileURLWithPath: path), baseName: "demo")
            print(report.terminalTable())
        }
    }
}
