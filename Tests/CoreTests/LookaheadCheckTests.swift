import CollectorCore
import Domain
import Foundation
import PredictorCore
import Research
import TestKit
import Testing

@Suite struct LookaheadCheckTests {
    /// The serving features and a trained model's predictions on the sample never change when
    /// later bars are removed.
    @Test func servingFeaturesAndPredictionsPass() throws {
        let klines = Array(try KlineCSV.read(path: RepositoryPaths.sampleKlines.path).prefix(3_000))
        let model = try ModelTraining.trainLogisticRegression(
            klines: klines, features: DemoStrategy.features, label: DemoStrategy.label,
            range: klines[0].openTime..<klines[2_000].openTime, created: .zero
        )
        let report = try LookaheadCheck.run(
            klines: klines, features: DemoStrategy.features, models: [model], voters: [model.name], threshold: 0.6, cuts: 12, span: 1_000
        )
        #expect(report.passed, "\(report.differences.first.map(\.description) ?? "")")
        #expect(report.cuts.count == 12 && report.rowsCompared > 12 * 2_000 && report.valuesCompared == report.rowsCompared * 7)
    }

    /// A column normalised over the whole file (a classic leak) is caught, at a named bar.
    @Test func aWholeFileNormalisationIsCaught() throws {
        let closes = (0..<500).map { 100 + sin(Double($0) / 7) }
        let times = closes.indices.map { Timestamp(milliseconds: Int64($0) * 60_000) }
        let report = try LookaheadCheck.check(openTimes: times, names: ["causal", "leaky"], cuts: 5) { length in
            let part = Array(closes[..<length])
            let mean = part.reduce(0, +) / Double(length)
            let causal: [Double?] = part.indices.map { $0 == 0 ? nil : part[$0] - part[$0 - 1] }
            return [causal, part.map { $0 - mean }]
        }
        #expect(!report.passed)
        #expect(report.differences.allSatisfy { $0.what == "leaky" } && !report.differences.isEmpty)
    }
}
