import Domain

/// `models/<name>/<version>/metadata.json`: what a model is, how it was trained, and (for the
/// algorithms stored inline) its parameters. Unknown keys are ignored when reading; every field added
/// after the first release is optional, so older files still load. Gradient-boosted models keep their
/// trees beside this file in `model.txt` (LightGBM's text format).
public struct ModelMetadata: Codable, Sendable, Hashable {
    /// Registry name, including the label, e.g. `logreg-high_030_4`.
    public var name: String
    /// Version directory name; the latest is the lexicographically highest (use sortable stamps).
    public var version: String
    /// `logistic_regression`, `lightgbm` or `random_forest` (see `ModelAlgorithm`).
    public var algorithm: String
    /// Label the model predicts the probability of, e.g. `high_030_4`.
    public var label: String
    /// Stop tolerance τ of the label (fraction of the threshold), nil = none.
    public var labelTolerance: Double?
    /// Input feature names, in the order of the parameter arrays.
    public var features: [String]
    public var interval: Interval
    public var symbols: [String]
    /// Creation time, ISO-8601 UTC (`Timestamp.description`).
    public var created: String
    public var training: Training?
    /// The training parameters as given to the trainer (LightGBM's `key=value` pairs), nil = none recorded.
    public var params: [String: String]?
    /// `ModelMetadata.featureHash(_:)` of `features`: checked on load when present.
    public var featureHash: String?
    /// SHA-256 (hex) of the training rows and labels (`ModelMetadata.dataHash(rows:labels:)`).
    public var dataHash: String?
    /// Cross-validation metrics (e.g. `auc`, `log_loss`, means over folds), nil = not run.
    public var crossValidation: [String: Double]?
    /// Metrics on a held-out period after the training window, nil = not run.
    public var holdout: [String: Double]?
    /// The code that trained the model (`git describe --always --dirty`), nil = unknown.
    public var codeVersion: String?
    /// Where `spread_pct_<n>` features came from at training: `abdi_ranaldo` (the kline estimator)
    /// or `book` (quoted spreads from book snapshots); nil when the model has no such feature.
    /// Serving computes the kline source only, so a `book` model is refused at load (`Model`):
    /// training and serving never differ silently.
    public var spreadSource: String?

    // Logistic regression: p = σ(intercept + Σ coefficients[j]·(x_j − means[j]) / stds[j]).
    public var means: [Double]?
    public var stds: [Double]?
    public var coefficients: [Double]?
    public var intercept: Double?

    /// How and on what the model was fitted.
    public struct Training: Codable, Sendable, Hashable {
        /// Training range of bar open times, [from, to), as ISO-8601 UTC and as epoch milliseconds.
        public var from: String
        public var to: String
        public var fromMilliseconds: Int64
        public var toMilliseconds: Int64
        public var rows: Int
        public var positives: Int
        /// In-sample area under the ROC curve and mean log-loss.
        public var auc: Double
        public var logLoss: Double
        /// Inverse L2 strength (scikit-learn's C).
        public var regularizationC: Double?
        public var iterations: Int?
        /// Max-norm of the objective's gradient at the solution.
        public var gradientNorm: Double?
        /// Where the klines came from (a file name), free text.
        public var source: String?

        public init(
            from: Timestamp, to: Timestamp, rows: Int, positives: Int, auc: Double, logLoss: Double,
            regularizationC: Double? = nil, iterations: Int? = nil, gradientNorm: Double? = nil, source: String? = nil
        ) {
            self.from = from.description
            self.to = to.description
            self.fromMilliseconds = from.milliseconds
            self.toMilliseconds = to.milliseconds
            self.rows = rows
            self.positives = positives
            self.auc = auc
            self.logLoss = logLoss
            self.regularizationC = regularizationC
            self.iterations = iterations
            self.gradientNorm = gradientNorm
            self.source = source
        }
    }

    public init(
        name: String, version: String, algorithm: String, label: String, labelTolerance: Double? = nil,
        features: [String], interval: Interval, symbols: [String], created: String, training: Training? = nil,
        means: [Double]? = nil, stds: [Double]? = nil, coefficients: [Double]? = nil, intercept: Double? = nil,
        params: [String: String]? = nil, featureHash: String? = nil, dataHash: String? = nil,
        crossValidation: [String: Double]? = nil, holdout: [String: Double]? = nil, codeVersion: String? = nil,
        spreadSource: String? = nil
    ) {
        self.name = name
        self.version = version
        self.algorithm = algorithm
        self.label = label
        self.labelTolerance = labelTolerance
        self.features = features
        self.interval = interval
        self.symbols = symbols
        self.created = created
        self.training = training
        self.means = means
        self.stds = stds
        self.coefficients = coefficients
        self.intercept = intercept
        self.params = params
        self.featureHash = featureHash
        self.dataHash = dataHash
        self.crossValidation = crossValidation
        self.holdout = holdout
        self.codeVersion = codeVersion
        // Trainers compute spread_pct with the kline estimator (the only source research has).
        self.spreadSource = spreadSource ?? (features.contains { $0.hasPrefix("spread_pct_") } ? Self.klineSpreadSource : nil)
    }

    /// `spreadSource` of the kline estimator, the one the FeatureService serves.
    public static let klineSpreadSource = "abdi_ranaldo"
}

/// Algorithms the Predictor can evaluate.
public enum ModelAlgorithm: String, Sendable, Hashable, CaseIterable, Codable {
    case logisticRegression = "logistic_regression"
    /// Gradient-boosted trees trained by LightGBM (`boosting=gbdt`), stored as `model.txt`.
    case lightgbm
    /// LightGBM's random forest (`boosting=rf`), stored as `model.txt`.
    case randomForest = "random_forest"

    /// Whether the model's trees live in `model.txt` (LightGBM's text format).
    public var usesModelFile: Bool { self != .logisticRegression }
}

extension ModelMetadata {
    /// The hash of feature definitions: SHA-256 (lower-case hex) of the feature names, in order, each
    /// followed by a newline. A feature's name is its full definition here (`close_SMA_20` says what it
    /// computes), so equal hashes mean the same inputs in the same order.
    public static func featureHash(_ features: [String]) -> String {
        SHA256Digest.hex(Array(features.map { $0 + "\n" }.joined().utf8))
    }

    /// SHA-256 (hex) of a training set: each row's values as IEEE-754 bit patterns (little-endian),
    /// then one byte (0/1) per label. Identical data gives identical hashes across runs and machines.
    public static func dataHash(rows: [[Double]], labels: [Bool]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(rows.reduce(0) { $0 + $1.count } * 8 + labels.count)
        for row in rows {
            for value in row { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        }
        for label in labels { bytes.append(label ? 1 : 0) }
        return SHA256Digest.hex(bytes)
    }
}
