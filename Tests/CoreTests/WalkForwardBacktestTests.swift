import CollectorCore
import Domain
import Foundation
import PredictorCore
import Research
import TestKit
import Testing

/// The walk-forward backtest on the embedded sample (BTCUSDT 5m, July and August 2024): 40 days,
/// 14 days of training, weekly steps, logistic regressions on high_030_4 (voting) and low_030_4 (scored).
@Suite struct WalkForwardBacktestTests {
    static func logreg(_ label: String, votes: Bool) throws -> WalkForwardBacktest.ModelSpec {
        let parsed = try HighLowLabel(parsing: label)
        return .init(name: "logreg-\(label)", label: parsed, features: DemoStrategy.features, votes: votes) { rows, labels, name, version in
            try ModelTraining.logisticRegressionModel(
                rows: rows, labels: labels, features: DemoStrategy.features, label: label, name: name, version: version,
                interval: .fiveMinutes, symbol: "BTCUSDT"
            )
        }
    }

    static func run() throws -> (WalkForwardBacktest.Output, ResearchMatrix) {
        let klines = try KlineCSV.read(path: RepositoryPaths.sampleKlines.path)
        let matrix = try ResearchMatrix(klines: klines, features: DemoStrategy.features)
        let output = try WalkForwardBacktest.run(
            matrix: matrix, models: [try logreg("high_030_4", votes: true), try logreg("low_030_4", votes: false)],
            options: .init(windowBars: 40 * 288, plan: .days(train: 14, step: 7, interval: .fiveMinutes, labelHorizon: 4))
        )
        return (output, matrix)
    }

    @Test func foldsTradeOnlyAfterTheirTrainingAndEveryRunIsThere() throws {
        let (output, matrix) = try Self.run()
        #expect(output.folds.count == 4, "26 days after 14 days of training, in weekly steps")
        #expect(Set(output.runs.keys) == ["logreg-high_030_4", "ensemble", WalkForwardBacktest.alwaysEnter])
        for fold in output.folds {
            #expect(fold.trainTo < fold.testFrom && fold.errors.isEmpty, "\(fold)")
            #expect((fold.trainingRows["logreg-high_030_4"] ?? 0) > 13 * 288)
        }
        // No intent before the first predicted bar; every one inside the window.
        for (name, result) in output.runs {
            #expect(result.intents.allSatisfy { $0.createdAt >= output.window.lowerBound }, "\(name)")
        }
        // "Enter whenever flat" trades far more often than a model at threshold 0.6.
        let always = output.runs[WalkForwardBacktest.alwaysEnter]!.exits.count
        let model = output.runs["logreg-high_030_4"]!.exits.count
        #expect(always > 100 && always > model, "always \(always), model \(model)")
        // A single voter's ensemble decides exactly as the model alone.
        #expect(output.runs["ensemble"]!.intents.map(\.id) == output.runs["logreg-high_030_4"]!.intents.map(\.id))
        // Out-of-sample scores exist for both models, on the predicted rows only.
        let predicted = output.windowRows.filter { matrix.rows[$0] != nil }.count
        for name in ["logreg-high_030_4", "logreg-low_030_4"] {
            let oos = try #require(output.outOfSample[name])
            #expect(oos.labels.count > predicted - 10 && oos.labels.count <= predicted)
            #expect((oos.auc ?? 0) > 0.5)
        }
    }

    @Test func sameDataSameDecisions() throws {
        let a = try Self.run().0, b = try Self.run().0
        for name in a.runs.keys {
            #expect(a.runs[name]!.reports == b.runs[name]!.reports, "\(name)")
        }
    }
}
