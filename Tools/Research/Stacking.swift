import Domain
import PredictorCore

/// The Ensemble's `stack` mode meta-model: a logistic regression on the entry models' out-of-fold
/// probabilities (the walk-forward's out-of-sample predictions, each made by a model that never
/// saw that row's label window), so the meta-model learns how far to trust each model.
///
/// Its features are the input model names, in order: the Ensemble feeds it those models'
/// probabilities for a bar (`STACK_MODEL`, Services/Ensemble/README.md). Rows where any input has
/// no out-of-sample probability, or the label is unknown, are left out.
///
/// Honesty: the meta-model's own fit is in-sample on the out-of-fold rows; its metrics in the
/// metadata are in-sample and the walk-forward report does not score it.
public enum Stacking {
    public struct Error: Swift.Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The aligned dataset: for each matrix row where every input has an out-of-sample
    /// probability, the inputs' probabilities and the label (taken from `labelFrom`'s out-of-sample
    /// labels, which are the row's label for that model's label name).
    public static func dataset(
        outOfSample: [String: WalkForwardBacktest.OutOfSample], inputs: [String], labelFrom: String
    ) throws(Error) -> (rows: [[Double]], labels: [Bool], matrixRows: [Int]) {
        guard !inputs.isEmpty else { throw Error(description: "stacking needs at least one input model") }
        var byModel: [[Int: Double]] = []
        for name in inputs {
            guard let oos = outOfSample[name] else { throw Error(description: "no out-of-sample predictions for \"\(name)\"") }
            var map: [Int: Double] = [:]
            for (row, p) in zip(oos.rows, oos.probabilities) { map[row] = p }
            byModel.append(map)
        }
        guard let target = outOfSample[labelFrom] else { throw Error(description: "no out-of-sample labels for \"\(labelFrom)\"") }
        var rows: [[Double]] = []
        var labels: [Bool] = []
        var matrixRows: [Int] = []
        for (row, label) in zip(target.rows, target.labels) {
            var x: [Double] = []
            x.reserveCapacity(inputs.count)
            for map in byModel {
                guard let p = map[row] else { break }
                x.append(p)
            }
            guard x.count == inputs.count else { continue }
            rows.append(x)
            labels.append(label)
            matrixRows.append(row)
        }
        return (rows, labels, matrixRows)
    }

    /// Fits the meta-model (`stack-<label>`) on the aligned out-of-fold probabilities.
    public static func train(
        outOfSample: [String: WalkForwardBacktest.OutOfSample], inputs: [String], label: String, labelFrom: String,
        version: String, interval: Interval, symbol: String, created: Timestamp = .zero,
        trainingRange: Range<Timestamp>? = nil, options: LogisticRegressionTrainer.Options = .init()
    ) throws(Error) -> Model {
        let data = try dataset(outOfSample: outOfSample, inputs: inputs, labelFrom: labelFrom)
        guard data.labels.contains(true), data.labels.contains(false) else {
            throw Error(description: "stacking: the \(data.rows.count) aligned out-of-fold rows need both outcomes")
        }
        do {
            return try ModelTraining.logisticRegressionModel(
                rows: data.rows, labels: data.labels, features: inputs, label: label, name: "stack-\(label)", version: version,
                interval: interval, symbol: symbol, options: options, created: created, trainingRange: trainingRange,
                source: "out-of-fold probabilities of \(inputs.joined(separator: ", "))"
            )
        } catch {
            throw Error(description: "stacking: \(error)")
        }
    }
}
