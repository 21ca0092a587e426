import Foundation
import PredictorCore
import Research
import TestKit
import Testing

/// Rows from a known logistic model with features of very different scales.
private func syntheticData(rows n: Int, seed: UInt64) -> (rows: [[Double]], labels: [Bool?]) {
    var rng = SeededGenerator(seed: seed)
    var rows: [[Double]] = []
    var labels: [Bool?] = []
    for _ in 0..<n {
        let a = Double.random(in: -1...1, using: &rng)
        let b = 60_000 + 5_000 * Double.random(in: -1...1, using: &rng)
        let c = Double.random(in: 0...100, using: &rng)
        let z = 1.5 * a + 0.0004 * (b - 60_000) - 0.02 * (c - 50) - 0.3
        rows.append([a, b, c])
        labels.append(Double.random(in: 0..<1, using: &rng) < 1 / (1 + exp(-z)))
    }
    return (rows, labels)
}

/// ∇f of ½‖w‖² + C·Σ logloss at the fitted parameters, recomputed here from the definition.
private func gradient(_ p: LogisticRegressionParameters, rows: [[Double]], labels: [Bool], C: Double) -> [Double] {
    let d = p.coefficients.count
    var g = p.coefficients + [0]
    for (row, y) in zip(rows, labels) {
        let standardized = (0..<d).map { (row[$0] - p.means[$0]) / p.stds[$0] }
        let z = p.intercept + zip(p.coefficients, standardized).reduce(0) { $0 + $1.0 * $1.1 }
        let residual = 1 / (1 + exp(-z)) - (y ? 1 : 0)
        for j in 0..<d { g[j] += C * residual * standardized[j] }
        g[d] += C * residual
    }
    return g
}

@Suite struct LogisticRegressionTests {
    @Test(arguments: [0.01, 1.0, 100.0])
    func gradientIsZeroAtTheSolution(_ C: Double) throws {
        let data = syntheticData(rows: 3_000, seed: 42)
        let fit = try LogisticRegressionTrainer.train(rows: data.rows, labels: data.labels, options: .init(C: C))
        let labels = data.labels.map { $0! }
        let g = gradient(fit.parameters, rows: data.rows, labels: labels, C: C)
        let scale = C * Double(labels.count)
        #expect(g.allSatisfy { abs($0) <= 1e-9 * scale }, "gradient \(g)")
        #expect(fit.rows == 3_000 && fit.positives == labels.filter { $0 }.count)
        // Population standardization.
        for j in 0..<3 {
            let column = data.rows.map { $0[j] }
            let mean = column.reduce(0, +) / Double(column.count)
            let std = (column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(column.count)).squareRoot()
            #expect(abs(fit.parameters.means[j] - mean) <= 1e-12 * max(1, abs(mean)))
            #expect(abs(fit.parameters.stds[j] - std) <= 1e-10 * std)
        }
    }

    @Test func strongerRegularizationShrinksCoefficients() throws {
        let data = syntheticData(rows: 2_000, seed: 1)
        let norms = try [0.0001, 0.01, 1].map { C in
            try LogisticRegressionTrainer.train(rows: data.rows, labels: data.labels, options: .init(C: C)).parameters.coefficients
                .reduce(0) { $0 + $1 * $1 }
        }
        #expect(norms[0] < norms[1] && norms[1] < norms[2])
    }

    /// With one binary feature and (almost) no penalty, the maximum-likelihood fit reproduces the
    /// empirical positive rate of each group.
    @Test func nearlyUnpenalizedFitMatchesEmpiricalRates() throws {
        var rows: [[Double]] = []
        var labels: [Bool?] = []
        // x = 0: 30 of 100 positive; x = 1: 80 of 100 positive.
        for i in 0..<100 { rows.append([0]); labels.append(i < 30) }
        for i in 0..<100 { rows.append([1]); labels.append(i < 80) }
        let fit = try LogisticRegressionTrainer.train(rows: rows, labels: labels, options: .init(C: 1e9))
        #expect(abs(fit.parameters.probability([0]) - 0.3) < 1e-6)
        #expect(abs(fit.parameters.probability([1]) - 0.8) < 1e-6)
    }

    @Test func predictionsAreInvariantToFeatureOrderAndAffineRescaling() throws {
        let data = syntheticData(rows: 2_000, seed: 7)
        let base = try LogisticRegressionTrainer.train(rows: data.rows, labels: data.labels).parameters
        let permutation = [2, 0, 1]
        let permutedRows = data.rows.map { row in permutation.map { row[$0] } }
        let permuted = try LogisticRegressionTrainer.train(rows: permutedRows, labels: data.labels).parameters
        #expect(permutation.map { base.coefficients[$0] }.enumerated().allSatisfy { abs($1 - permuted.coefficients[$0]) < 1e-9 })
        let rescaledRows = data.rows.map { [$0[0] * 1_000 - 7, $0[1] / 60_000, $0[2] + 1e4] }
        let rescaled = try LogisticRegressionTrainer.train(rows: rescaledRows, labels: data.labels).parameters
        for i in stride(from: 0, to: data.rows.count, by: 13) {
            let p = base.probability(data.rows[i])
            #expect(abs(p - permuted.probability(permutedRows[i])) < 1e-9)
            #expect(abs(p - rescaled.probability(rescaledRows[i])) < 1e-7)
        }
    }

    @Test func rowsWithNaNFeaturesOrNoLabelAreDroppedAndFitIsDeterministic() throws {
        let data = syntheticData(rows: 1_000, seed: 3)
        let clean = try LogisticRegressionTrainer.train(rows: data.rows, labels: data.labels)
        var rows = data.rows, labels = data.labels
        rows.insert([.nan, 1, 2], at: 10); labels.insert(true, at: 10)
        rows.insert([1, 2, 3], at: 500); labels.insert(nil, at: 500)
        rows.append([1, .infinity, 3]); labels.append(false)
        let dirty = try LogisticRegressionTrainer.train(rows: rows, labels: labels)
        #expect(dirty.parameters == clean.parameters)
        #expect(dirty.droppedRows == 3 && dirty.rows == 1_000)
        let again = try LogisticRegressionTrainer.train(rows: data.rows, labels: data.labels)
        #expect(again == clean)
    }

    @Test func constantFeatureGetsUnitScaleAndZeroWeight() throws {
        let data = syntheticData(rows: 500, seed: 9)
        let rows = data.rows.map { $0 + [42] }
        let fit = try LogisticRegressionTrainer.train(rows: rows, labels: data.labels)
        #expect(fit.parameters.stds[3] == 1 && fit.parameters.means[3] == 42)
        #expect(fit.parameters.coefficients[3] == 0)
    }

    @Test func refusesDegenerateInput() {
        #expect(throws: LogisticRegressionTrainer.Error.singleClass(label: true, rows: 3)) {
            try LogisticRegressionTrainer.train(rows: [[1], [2], [3]], labels: [true, true, true])
        }
        #expect(throws: LogisticRegressionTrainer.Error.noRows) {
            try LogisticRegressionTrainer.train(rows: [[.nan], [2]], labels: [true, nil])
        }
        #expect(throws: LogisticRegressionTrainer.Error.self) {
            try LogisticRegressionTrainer.train(rows: [[1, 2], [2]], labels: [true, false])
        }
        #expect(throws: LogisticRegressionTrainer.Error.self) {
            try LogisticRegressionTrainer.train(rows: [[1], [2]], labels: [true, false], options: .init(C: 0))
        }
    }

    @Test func aucAndLogLossOnHandCheckedCases() {
        #expect(ClassificationMetrics.auc(scores: [0.1, 0.4, 0.35, 0.8], labels: [false, false, true, true]) == 0.75)
        #expect(ClassificationMetrics.auc(scores: [0.5, 0.5, 0.5, 0.5], labels: [false, true, false, true]) == 0.5)
        #expect(ClassificationMetrics.auc(scores: [0.1, 0.2], labels: [true, true]) == nil)
        let loss = ClassificationMetrics.logLoss(probabilities: [0.8, 0.3], labels: [true, false])!
        #expect(abs(loss - (-(log(0.8) + log(0.7)) / 2)) < 1e-15)
    }
}
