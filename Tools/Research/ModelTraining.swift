import Domain
import FeatureServiceCore
import Foundation
import GradientBoosting
import PredictorCore

/// Trains a model from klines with the serving code path: features come from `FeatureServiceCore`
/// (the same struct the FeatureService runs), labels from `HighLowLabel`, the fit from
/// `LogisticRegressionTrainer`, and the in-sample metrics from the artifact's own `probability`.
public enum ModelTraining {
    /// Aligned training rows.
    public struct Dataset: Sendable, Hashable {
        public var features: [String]
        public var bars: [BarKey]
        public var rows: [[Double]]
        public var labels: [Bool]

        public var positives: Int { labels.reduce(0) { $0 + ($1 ? 1 : 0) } }
    }

    public enum Error: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        case features(FeatureServiceCore.ConfigurationError)
        case label(HighLowLabel.NameError)
        case invalidKlines(String)
        case emptyRange(String)
        case trainer(LogisticRegressionTrainer.Error)
        case lightGBM(LightGBMTrainer.Error)
        case model(Model.ValidationError)

        public var description: String {
            switch self {
            case .features(let error): return error.description
            case .label(let error): return error.description
            case .invalidKlines(let reason): return "klines: \(reason)"
            case .emptyRange(let reason): return "no training rows: \(reason)"
            case .trainer(let error): return error.description
            case .lightGBM(let error): return error.description
            case .model(let error): return "trained model is invalid: \(error.description)"
            }
        }
    }

    /// Feature rows and labels of the bars whose open time is in `range`.
    ///
    /// Every kline before `range.upperBound` feeds the features (earlier ones warm the indicators).
    /// A bar becomes a row when its feature vector exists, its label is defined, and the label's
    /// horizon ends before `range.upperBound` (no label looks past the training range).
    public static func dataset(
        klines: [Kline], features: [String], label: HighLowLabel, range: Range<Timestamp>, maxInterpolatedGap: Int? = nil
    ) throws(Error) -> Dataset {
        let configuration: FeatureServiceCore.Configuration
        do {
            configuration = try FeatureServiceCore.Configuration(features: features, maxInterpolatedGap: maxInterpolatedGap)
        } catch {
            throw .features(error)
        }
        try validate(klines)
        let labels = label.labels(for: klines)
        var core = FeatureServiceCore(configuration: configuration)
        var dataset = Dataset(features: configuration.features, bars: [], rows: [], labels: [])
        for (i, kline) in klines.enumerated() {
            if kline.openTime >= range.upperBound { break }
            let outputs = core.handle(.kline(kline), now: kline.closeTime)
            guard kline.openTime >= range.lowerBound, let value = labels[i] else { continue }
            guard klines[i + label.horizon].openTime < range.upperBound else { continue }
            for case .vector(let vector) in outputs where vector.bar == kline.bar {
                dataset.bars.append(vector.bar)
                dataset.rows.append(vector.values)
                dataset.labels.append(value)
            }
        }
        return dataset
    }

    /// Trains a logistic regression and returns the model artifact (write it with `ModelRegistry.write`).
    /// `name` defaults to `logreg-<label>`, `version` to the compact creation time (`20240805T000000Z`).
    public static func trainLogisticRegression(
        klines: [Kline], features: [String], label labelName: String, labelTolerance: Double? = nil,
        range: Range<Timestamp>, options: LogisticRegressionTrainer.Options = .init(),
        name: String? = nil, version: String? = nil, created: Timestamp, source: String? = nil,
        maxInterpolatedGap: Int? = nil
    ) throws(Error) -> Model {
        let label: HighLowLabel
        do {
            label = try HighLowLabel(parsing: labelName, tolerance: labelTolerance)
        } catch {
            throw .label(error)
        }
        let data = try dataset(klines: klines, features: features, label: label, range: range, maxInterpolatedGap: maxInterpolatedGap)
        guard !data.rows.isEmpty else {
            throw .emptyRange("no bar in \(range.lowerBound) ..< \(range.upperBound) has both features and a label")
        }
        return try logisticRegressionModel(
            rows: data.rows, labels: data.labels, features: data.features, label: labelName, labelTolerance: labelTolerance,
            name: name ?? "logreg-\(labelName)", version: version ?? compactVersion(created),
            interval: klines[0].interval, symbol: klines[0].symbol, options: options, created: created, trainingRange: range, source: source
        )
    }

    /// A logistic regression fitted on prepared rows (a walk-forward fold's), with in-sample metrics.
    /// With `trainingRange`, the in-sample AUC and log-loss are recorded (through the artifact's own evaluation).
    public static func logisticRegressionModel(
        rows: [[Double]], labels: [Bool], features: [String], label: String, labelTolerance: Double? = nil, name: String, version: String,
        interval: Interval, symbol: String, options: LogisticRegressionTrainer.Options = .init(), created: Timestamp = .zero,
        trainingRange: Range<Timestamp>? = nil, source: String? = nil
    ) throws(Error) -> Model {
        let fit: LogisticRegressionTrainer.Result
        do {
            fit = try LogisticRegressionTrainer.train(rows: rows, labels: labels.map { $0 }, options: options)
        } catch {
            throw .trainer(error)
        }
        let lr = fit.parameters
        var metadata = ModelMetadata(
            name: name, version: version, algorithm: ModelAlgorithm.logisticRegression.rawValue, label: label, labelTolerance: labelTolerance,
            features: features, interval: interval, symbols: [symbol], created: created.description,
            means: lr.means, stds: lr.stds, coefficients: lr.coefficients, intercept: lr.intercept
        )
        if let trainingRange {
            let probabilities = rows.map { lr.probability($0) }
            metadata.training = ModelMetadata.Training(
                from: trainingRange.lowerBound, to: trainingRange.upperBound, rows: fit.rows, positives: fit.positives,
                auc: ClassificationMetrics.auc(scores: probabilities, labels: labels) ?? .nan,
                logLoss: ClassificationMetrics.logLoss(probabilities: probabilities, labels: labels) ?? .nan,
                regularizationC: options.C, iterations: fit.iterations, gradientNorm: fit.gradientNorm, source: source
            )
        }
        do {
            return try Model(metadata: metadata)
        } catch {
            throw .model(error)
        }
    }

    /// LightGBM trees fitted on prepared rows (a walk-forward fold's or the pipeline's final fit).
    public static func lightGBMModel(
        rows: [[Double]], labels: [Bool], features: [String], label: String, name: String, version: String,
        interval: Interval, symbol: String, boosting: LightGBMTrainer.Boosting, parameters: [String: String],
        created: Timestamp = .zero, library: LightGBMLibrary? = nil, labelTolerance: Double? = nil,
        trainingRange: Range<Timestamp>? = nil, source: String? = nil,
        crossValidation: [String: Double]? = nil, holdout: [String: Double]? = nil, codeVersion: String? = nil
    ) throws(Error) -> Model {
        let fit: LightGBMTrainer.Result
        do {
            fit = try LightGBMTrainer.train(rows: rows, labels: labels, featureNames: features, parameters: parameters, boosting: boosting, library: library)
        } catch {
            throw .lightGBM(error)
        }
        var params = fit.parameters
        params["num_iterations"] = String(fit.iterations)
        var metadata = ModelMetadata(
            name: name, version: version, algorithm: (boosting == .randomForest ? ModelAlgorithm.randomForest : .lightgbm).rawValue,
            label: label, labelTolerance: labelTolerance, features: features, interval: interval, symbols: [symbol], created: created.description,
            params: params, featureHash: ModelMetadata.featureHash(features), dataHash: ModelMetadata.dataHash(rows: rows, labels: labels),
            crossValidation: crossValidation, holdout: holdout, codeVersion: codeVersion
        )
        if let trainingRange {
            let probabilities = fit.model.probabilities(rows)
            metadata.training = ModelMetadata.Training(
                from: trainingRange.lowerBound, to: trainingRange.upperBound, rows: rows.count, positives: labels.reduce(0) { $0 + ($1 ? 1 : 0) },
                auc: ClassificationMetrics.auc(scores: probabilities, labels: labels) ?? .nan,
                logLoss: ClassificationMetrics.logLoss(probabilities: probabilities, labels: labels) ?? .nan,
                iterations: fit.iterations, source: source
            )
        }
        do {
            return try Model(metadata: metadata, trees: fit.model)
        } catch {
            throw .model(error)
        }
    }

    /// Trains LightGBM trees (`boosting` gbdt: algorithm `lightgbm`; rf: `random_forest`) through
    /// LightGBM's C API on the same rows as `trainLogisticRegression` (NaN features stay, as LightGBM's
    /// missing values), and returns the model artifact with `model.txt`'s trees, the parameters, the
    /// feature and data hashes, in-sample AUC and log-loss through the native evaluator, and the code
    /// version. `name` defaults to `lgbm-<label>` (`rf-<label>`), `version` to the compact creation time.
    public static func trainLightGBM(
        klines: [Kline], features: [String], label labelName: String, labelTolerance: Double? = nil,
        range: Range<Timestamp>, boosting: LightGBMTrainer.Boosting = .gbdt, parameters: [String: String] = [:],
        name: String? = nil, version: String? = nil, created: Timestamp, source: String? = nil,
        maxInterpolatedGap: Int? = nil, crossValidation: [String: Double]? = nil, holdout: [String: Double]? = nil,
        codeVersion: String? = ModelTraining.gitDescribe(), library: LightGBMLibrary? = nil
    ) throws(Error) -> Model {
        let label: HighLowLabel
        do {
            label = try HighLowLabel(parsing: labelName, tolerance: labelTolerance)
        } catch {
            throw .label(error)
        }
        let data = try dataset(klines: klines, features: features, label: label, range: range, maxInterpolatedGap: maxInterpolatedGap)
        guard !data.rows.isEmpty else {
            throw .emptyRange("no bar in \(range.lowerBound) ..< \(range.upperBound) has both features and a label")
        }
        let prefix = boosting == .randomForest ? "rf" : "lgbm"
        return try lightGBMModel(
            rows: data.rows, labels: data.labels, features: data.features, label: labelName,
            name: name ?? "\(prefix)-\(labelName)", version: version ?? compactVersion(created),
            interval: klines[0].interval, symbol: klines[0].symbol, boosting: boosting, parameters: parameters,
            created: created, library: library, labelTolerance: labelTolerance, trainingRange: range, source: source,
            crossValidation: crossValidation, holdout: holdout, codeVersion: codeVersion
        )
    }

    /// `git describe --always --dirty` of the working directory's repository, nil when git or the
    /// repository is absent.
    public static func gitDescribe() -> String? {
        ProcessOutput.firstLine(["git", "describe", "--always", "--dirty"])
    }

    /// `2024-08-05T00:00:00.000Z` → `20240805T000000Z`: sorts in time order as a version name.
    public static func compactVersion(_ time: Timestamp) -> String {
        var text = time.description.filter { $0 != "-" && $0 != ":" }
        if text.hasSuffix(".000Z") { text.removeLast(5); text += "Z" }
        return text.filter { $0 != "." }
    }

    /// One series, strictly increasing open times.
    static func validate(_ klines: [Kline]) throws(Error) {
        guard let first = klines.first else { throw .invalidKlines("none given") }
        for i in klines.indices.dropFirst() {
            let kline = klines[i]
            guard kline.symbol == first.symbol, kline.interval == first.interval else {
                throw .invalidKlines("mixed series: \(first.symbol) \(first.interval) and \(kline.symbol) \(kline.interval) (train one series)")
            }
            guard kline.openTime > klines[i - 1].openTime else {
                throw .invalidKlines("open times not strictly increasing at index \(i) (\(kline.openTime))")
            }
        }
    }
}
