import CollectorCore
import Domain
import EnsembleCore
import ExecutorCore
import Foundation
import Research
import RiskGateCore
import Testing
import TestKit

/// Exits by signal through the whole in-process chain: a logistic regression on `low_030_4` (the
/// probability that the price falls by 0.3 % within 4 bars) makes exit signals, the RiskGate turns
/// them into close intents, the Executor sells at the next open, and the report counts the trades
/// with exit reason `signal`.
@Suite struct BacktestExitSignalTests {
    @Test func lowModelExitsCloseTradesWithReasonSignal() throws {
        let klines = try KlineCSV.read(path: RepositoryPaths.sampleKlines.path)
        let august = Timestamp(utcDate: DemoStrategy.replayFrom)!..<Timestamp(utcDate: DemoStrategy.replayTo)!
        let training = Timestamp(utcDate: DemoStrategy.trainFrom)!..<august.lowerBound
        let high = try ModelTraining.trainLogisticRegression(
            klines: klines, features: DemoStrategy.features, label: DemoStrategy.label, range: training, created: august.lowerBound
        )
        let low = try ModelTraining.trainLogisticRegression(
            klines: klines, features: DemoStrategy.features, label: "low_030_4", range: training, created: august.lowerBound
        )
        #expect(low.name.contains("low_"))
        let fee = Decimal8("0.001")!
        let replay = klines.filter { $0.openTime >= Timestamp(utcDate: "2024-07-25")! && $0.openTime < august.upperBound }
        func run(_ veto: EnsembleCore.Configuration.Veto) throws -> Backtest.Result {
            var backtest = try Backtest(configuration: .init(
                features: DemoStrategy.features, models: [high, low],
                ensemble: .init(models: [.init(name: high.name, weight: 1), .init(name: low.name)], threshold: DemoStrategy.threshold, veto: veto),
                risk: .init(division: RiskGateCore.Division(name: "conservative")), executor: .init(feeRate: fee)
            ))
            backtest.run(replay)
            return backtest.result
        }
        // Without exits, the entries' low-model probabilities: the exit threshold is their lower
        // quartile, so some entries pass the veto and open positions the low model later closes.
        let quiet = try run(.init(vetoThreshold: 0.999, exitThreshold: nil))
        #expect(quiet.exits.allSatisfy { $0.leg != .signal })
        let vetoes = quiet.signals.compactMap(\.vetoProbability).sorted()
        try #require(vetoes.count >= 8, "the demo strategy enters in August")
        let threshold = vetoes[vetoes.count / 4]
        let result = try run(.init(vetoThreshold: threshold, exitThreshold: threshold))

        let exitSignals = result.signals.filter { $0.action == .exit }
        #expect(!exitSignals.isEmpty)
        let closes = result.intents.filter(\.isClose)
        #expect(!closes.isEmpty)
        #expect(closes.allSatisfy { $0.side == .sell })
        #expect(result.denied.contains { $0.reason == .noPosition }, "most exit signals find no open position")
        let signalExits = result.exits.filter { $0.leg == .signal }
        #expect(!signalExits.isEmpty)
        // Every signal exit closes a position a close intent named, at the open after that intent's bar.
        for exit in signalExits {
            let close = try #require(closes.first { $0.closesIntentID == exit.intentID })
            #expect(exit.eventTime == close.bar.next.openTime)
        }
        // The report counts them like any exit.
        let last = try #require(replay.last)
        let trades = try BacktestTrade.trades(from: result, feeRate: fee, marks: [last.symbol: (last.close, last.closeTime)])
        #expect(trades.filter { $0.exitReason == .signal }.count == signalExits.count)
        #expect(trades.filter { $0.exitReason != .end }.count == result.exits.count)
        let metrics = try PerformanceMetrics.compute(trades: trades, initialEquity: Decimal8(1000), window: august)
        #expect(metrics.exitReasons[.signal, default: 0] == trades.filter { $0.exitReason == .signal && august.contains($0.exitTime) }.count)
        // Deterministic: the same run decides the same.
        let again = try run(.init(vetoThreshold: threshold, exitThreshold: threshold))
        #expect(again.reports == result.reports && again.intents == result.intents)
    }
}
