import CollectorCore
import Domain
import ExecutorCore
import Foundation
import Research
import RiskGateCore
import Testing
import TestKit

/// The in-process backtest with costs and a time limit: the chain carries the division's limit to
/// the Executor, taker fills slip by half the bar's spread where one is given (else the bps),
/// exits say why they exited, and the report states exactly what was modelled.
@Suite struct ReportCostsTests {
    @Test func theBacktestChainAppliesCostsSpreadsAndTheTimeLimit() throws {
        let klines = try KlineCSV.read(path: RepositoryPaths.sampleKlines.path)
        let august = Timestamp(utcDate: DemoStrategy.replayFrom)!..<Timestamp(utcDate: DemoStrategy.replayTo)!
        let model = try ModelTraining.trainLogisticRegression(
            klines: klines, features: DemoStrategy.features, label: DemoStrategy.label,
            range: Timestamp(utcDate: DemoStrategy.trainFrom)!..<august.lowerBound, created: august.lowerBound
        )
        var division = RiskGateCore.Division(name: "conservative")
        division.timeLimitBars = 2
        let costs = ExecutorCore.Costs(makerFeeRate: Decimal8("0.0002")!, takerFeeRate: Decimal8("0.001")!, slippageBps: Decimal8(5))
        let tick = Decimal8("0.01")!
        let replay = klines.filter { $0.openTime >= Timestamp(utcDate: "2024-07-25")! && $0.openTime < august.upperBound }
        // A spread for every third bar (2 to 11 bp): the next bar's taker fills slip by half of it.
        var spreads: [Int64: Double] = [:]
        for (i, kline) in replay.enumerated() where i % 3 == 0 { spreads[kline.openTime.milliseconds] = Double(2 + i % 10) }
        var backtest = try Backtest(configuration: .init(
            features: DemoStrategy.features, models: [model],
            ensemble: .init(models: [.init(name: model.name, weight: 1)], threshold: DemoStrategy.threshold),
            risk: .init(division: division), executor: .init(costs: costs, tickSizes: ["BTCUSDT": tick]), spreads: spreads
        ))
        backtest.run(replay)
        let result = backtest.result
        #expect(result.intents.allSatisfy { $0.timeLimitBars == 2 })
        #expect(!result.exits.isEmpty)
        let byOpen = Dictionary(uniqueKeysWithValues: replay.map { ($0.openTime, $0) })
        let step = replay[0].interval.milliseconds
        var halfSpreadFills = 0
        for report in result.reports {
            let kline = try #require(byOpen[report.eventTime])
            let fraction: Decimal8
            if let bps = spreads[kline.openTime.milliseconds - step] {
                fraction = Decimal8(bps, rounding: .up).divided(by: Decimal8(20_000), rounding: .up)
                halfSpreadFills += 1
            } else {
                fraction = costs.slippageBps.divided(by: Decimal8(10_000), rounding: .up)
            }
            switch report.leg {
            case .entry:
                #expect(report.price == ExecutorCore.slip(kline.open, by: fraction, side: .buy, tick: tick))
                #expect(report.price > kline.open)
            case .takeProfit:
                #expect(report.fee == costs.makerFeeRate.multiplied(by: report.price.multiplied(by: report.quantity), rounding: .up))
            case .stop, .timeLimit, .signal:
                let intent = try #require(result.intents.first { $0.id == report.intentID })
                #expect(report.price < min(intent.stopLoss, kline.open) || report.leg != .stop, "a stop receives less than its level")
                #expect(report.fee == costs.takerFeeRate.multiplied(by: report.price.multiplied(by: report.quantity), rounding: .up))
                if report.leg != .stop { #expect(report.price == ExecutorCore.slip(kline.open, by: fraction, side: .sell, tick: tick)) }
            }
        }
        #expect(halfSpreadFills > 0, "some fills follow a bar with a spread")
        // Holding never exceeds the limit: the exit is at most 2 bars after the entry kline.
        let entries = Dictionary(uniqueKeysWithValues: result.reports.filter { $0.leg == .entry }.map { ($0.intentID, $0.eventTime) })
        for exit in result.exits {
            let bars = (exit.eventTime.milliseconds - entries[exit.intentID]!.milliseconds) / step
            #expect(bars <= 2)
        }
        #expect(result.exits.contains { $0.leg == .timeLimit }, "August has positions that neither hit the target nor the stop within 2 bars")

        let trades = try BacktestTrade.trades(from: result, feeRate: costs.takerFeeRate)
        #expect(trades.filter { $0.exitReason == .time }.count == result.exits.filter { $0.leg == .timeLimit }.count)
        #expect(trades.reduce(Decimal8.zero) { $0 + $1.pnl } == result.realizedPnL)
    }

    @Test func theReportStatesWhatIsModelledAndCarriesTheCostsInItsJSON() throws {
        #expect(!BacktestReport.executionNote.contains("Not modelled yet"))
        let settings = ExecutionSettings(
            makerFeeRate: Decimal8("0.0002")!, takerFeeRate: Decimal8("0.001")!, slippageBps: Decimal8("1.5")!, timeLimitBars: 4,
            timeLimitSource: .labelHorizon, barsWithSpread: 120, meanHalfSpreadBps: 0.75
        )
        let note = settings.note
        #expect(note.contains("time limit: a position still open after 4 bars"))
        #expect(note.contains("the entry label's horizon"))
        #expect(note.contains("taker 0.1 %") && note.contains("maker 0.02 %"))
        #expect(note.contains("half the quoted spread") && note.contains("120 bars") && note.contains("0.75 bp") && note.contains("else 1.5 bp"))
        #expect(abs(settings.slippagePerSide - 0.000075) < 1e-15, "the mean half-spread where spreads are known")
        let noBooks = ExecutionSettings(makerFeeRate: .zero, takerFeeRate: .zero, slippageBps: Decimal8(3), timeLimitBars: nil, timeLimitSource: .none)
        #expect(noBooks.note.contains("no time limit") && noBooks.note.contains("3 bp (no order books"))
        #expect(abs(noBooks.slippagePerSide - 0.0003) < 1e-15)

        let metrics = try PerformanceMetrics.compute(trades: [], initialEquity: Decimal8(1000), window: Timestamp.zero..<Timestamp(milliseconds: 86_400_000))
        let report = BacktestReport(
            title: "t", generatedAt: .zero, dataRange: Timestamp.zero..<Timestamp(milliseconds: 86_400_000), symbols: ["BTCUSDT"], interval: "5m",
            syntheticBooks: false, models: [], divisions: [], ensemble: .init(name: "ensemble", kind: .ensemble, metrics: metrics),
            baselines: [], trades: [], notes: [settings.note], execution: settings
        )
        let json = String(decoding: report.json(), as: UTF8.self)
        #expect(json.contains("\"execution\": {") && json.contains("\"slippageBps\": \"1.50000000\"") && json.contains("\"timeLimitBars\": 4"))
        #expect(json.contains("\"timeLimitSource\": \"label_horizon\""))
    }

    @Test func theReportsBreakEvenCountsMakerFeesAndSlippage() {
        let plain = BreakEven(target: Decimal8("0.003")!, stop: Decimal8("0.005")!, feeRate: Decimal8("0.001")!)
        let costly = BreakEven(target: Decimal8("0.003")!, stop: Decimal8("0.005")!, feeRate: Decimal8("0.001")!, slippagePerSide: 0.0002)
        let maker = BreakEven(target: Decimal8("0.003")!, stop: Decimal8("0.005")!, feeRate: Decimal8("0.001")!, makerFeeRate: .zero)
        #expect(costly.winRate > plain.winRate && maker.winRate < plain.winRate)
        // A win: t − (taker + slippage) − maker(1 + t); the take-profit does not slip.
        #expect(abs(costly.winReturn - (0.003 - 0.0012 - 0.001 * 1.003)) < 1e-15)
        #expect(abs(costly.lossReturn - (-0.005 - 0.0012 * 1.995)) < 1e-15)
    }
}
