import Domain
import EnsembleCore
import PredictorCore
@testable import Research
import TestKit
import Testing

@Suite("Stacking meta-model")
struct StackingTests {
    /// Model "good" is informative, "noise" is not; "late" misses the first rows.
    static func outOfSample() -> [String: WalkForwardBacktest.OutOfSample] {
        var generator = SeededGenerator(seed: 11)
        var good = WalkForwardBacktest.OutOfSample()
        var noise = WalkForwardBacktest.OutOfSample()
        var late = WalkForwardBacktest.OutOfSample()
        for row in 100..<2100 {
            let label = Double.random(in: 0..<1, using: &generator) < 0.3
            let p = min(max((label ? 0.65 : 0.35) + (Double.random(in: 0..<1, using: &generator) - 0.5) * 0.5, 0), 1)
            good.rows.append(row); good.labels.append(label); good.probabilities.append(p)
            noise.rows.append(row); noise.labels.append(label); noise.probabilities.append(Double.random(in: 0..<1, using: &generator))
            if row >= 600 { late.rows.append(row); late.labels.append(label); late.probabilities.append(Double.random(in: 0..<1, using: &generator)) }
        }
        return ["lgbm-high_030_4": good, "logreg-high_030_4": noise, "automl-high_030_4": late]
    }

    @Test("Rows are aligned by matrix row; only rows every input predicted are kept")
    func alignment() throws {
        let data = try Stacking.dataset(outOfSample: Self.outOfSample(), inputs: ["lgbm-high_030_4", "automl-high_030_4"], labelFrom: "lgbm-high_030_4")
        #expect(data.rows.count == 1500 && data.matrixRows.first == 600 && data.matrixRows.last == 2099)
        #expect(data.rows.allSatisfy { $0.count == 2 })
        #expect(throws: Stacking.Error.self) { try Stacking.dataset(outOfSample: Self.outOfSample(), inputs: ["nope"], labelFrom: "lgbm-high_030_4") }
    }

    @Test("The meta-model trusts the informative model and the Ensemble's stack mode evaluates it exactly")
    func trainAndServe() throws {
        let inputs = ["lgbm-high_030_4", "logreg-high_030_4"]
        let model = try Stacking.train(outOfSample: Self.outOfSample(), inputs: inputs, label: "high_030_4", labelFrom: "lgbm-high_030_4",
                                       version: "1", interval: .fiveMinutes, symbol: "BTCUSDT")
        #expect(model.metadata.name == "stack-high_030_4" && model.metadata.features == inputs)
        guard case .logisticRegression(let p) = model.parameters else { Issue.record("not a logistic regression"); return }
        #expect(p.coefficients[0] > 1 && abs(p.coefficients[1]) < p.coefficients[0] / 5)
        // Served by the Ensemble: the same probability as the model's own evaluation.
        let stacking = EnsembleCore.Configuration.Stacking(name: "stack", inputs: inputs, means: p.means, stds: p.stds, coefficients: p.coefficients, intercept: p.intercept)
        var core = EnsembleCore(configuration: .init(models: inputs.map { .init(name: $0) }, threshold: 0.01, mode: .stack, stacking: stacking))
        let bar = BarKey(symbol: "BTCUSDT", interval: .fiveMinutes, openTime: Timestamp(milliseconds: 1_722_816_000_000))
        let price = Decimal8(100)
        _ = core.handle(.features(FeatureVector(bar: bar, close: price, high: price, low: price, names: [], values: [])), now: .zero)
        _ = core.handle(.prediction(Prediction(bar: bar, model: inputs[0], version: "1", label: "high_030_4", probability: 0.7)), now: .zero)
        let outputs = core.handle(.prediction(Prediction(bar: bar, model: inputs[1], version: "1", label: "high_030_4", probability: 0.2)), now: .zero)
        guard case .signal(let signal) = outputs.first else { Issue.record("no signal: \(outputs)"); return }
        #expect(abs(signal.probability - model.probability([0.7, 0.2])) < 1e-15)
    }

    @Test("The hold-out score fits on the past rows and scores the later ones next to each input and their mean")
    func holdOutScore() throws {
        let inputs = ["lgbm-high_030_4", "logreg-high_030_4"]
        let h = try Stacking.holdOut(outOfSample: Self.outOfSample(), inputs: inputs, labelFrom: "lgbm-high_030_4", fitFraction: 0.7)
        #expect(h.fitRows == 1400 && h.scoredRows == 600)
        let good = try #require(h.inputAUCs[0].auc), noise = try #require(h.inputAUCs[1].auc)
        let stack = try #require(h.stackAUC), mean = try #require(h.meanAUC)
        #expect(good > 0.8 && abs(noise - 0.5) < 0.1)
        // Trusting the informative model, the stack does about as well as it and better than the plain mean.
        #expect(abs(stack - good) < 0.02 && stack > mean)
        #expect(throws: Stacking.Error.self) { try Stacking.holdOut(outOfSample: Self.outOfSample(), inputs: inputs, labelFrom: "lgbm-high_030_4", fitFraction: 0) }
    }
}
