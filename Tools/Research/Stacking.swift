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
/// Honesty: the saved meta-model's fit is in-sample on the out-of-fold rows (its metrics in the
/// metadata are in-sample). ``holdOut(outOfSample:inputs:labelFrom:fitFraction:)`` scores the same
/// procedure out of sample: fitted on the earlier part of the rows, scored on the later part next
/// to each input model and their plain mean on the same rows; the report prints that.
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

    /// An out-of-sample score of stacking: a meta-model fitted on the first `fitFraction` of the
    /// aligned rows (in time order), its AUC on the rest, next to each input's AUC and the plain
    /// mean's on the same held-out rows.
    public struct HoldOut: Sendable {
        public var fitRows: Int
        public var scoredRows: Int
        public var stackAUC: Double?
        public var inputAUCs: [(name: String, auc: Double?)]
        public var meanAUC: Double?
    }

    public static func holdOut(
        outOfSample: [String: WalkForwardBacktest.OutOfSample], inputs: [String], labelFrom: String, fitFraction: Double = 0.7
    ) throws(Error) -> HoldOut {
        var data = try dataset(outOfSample: outOfSample, inputs: inputs, labelFrom: labelFrom)
        // In time order (matrix rows are), so the fit part is the past of the scored part.
        let order = data.matrixRows.indices.sorted { data.matrixRows[$0] < data.matrixRows[$1] }
        data = (order.map { data.rows[$0] }, order.map { data.labels[$0] }, order.map { data.matrixRows[$0] })
        let cut = Int((Double(data.rows.count) * fitFraction).rounded(.down))
        let fitLabels = Array(data.labels[..<cut]), testLabels = Array(data.labels[cut...])
        guard cut > 0, cut < data.rows.count, fitLabels.contains(true), fitLabels.contains(false) else {
            throw Error(description: "stacking hold-out: \(data.rows.count) aligned rows are too few, or one part has a single outcome")
        }
        let model: Model
        do {
            model = try ModelTraining.logisticRegressionModel(
                rows: Array(data.rows[..<cut]), labels: fitLabels, features: inputs, label: "holdout", name: "stack-holdout", version: "holdout",
                interval: .fiveMinutes, symbol: "", options: .init(), created: .zero, trainingRange: nil, source: "hold-out"
            )
        } catch {
            throw Error(description: "stacking hold-out: \(error)")
        }
        let test = Array(data.rows[cut...])
        let stackScores = test.map { model.probability($0) }
        let inputAUCs = inputs.indices.map { i in (name: inputs[i], auc: ClassificationMetrics.auc(scores: test.map { $0[i] }, labels: testLabels)) }
        let mean = ClassificationMetrics.auc(scores: test.map { $0.reduce(0, +) / Double($0.count) }, labels: testLabels)
        return HoldOut(fitRows: cut, scoredRows: test.count, stackAUC: ClassificationMetrics.auc(scores: stackScores, labels: testLabels),
                       inputAUCs: inputAUCs, meanAUC: mean)
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
