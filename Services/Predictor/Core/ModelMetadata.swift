import Domain

/// `models/<name>/<version>/metadata.json`: what a model is, how it was trained, and (for the
/// algorithms stored inline) its parameters. Unknown keys are ignored when reading.
public struct ModelMetadata: Codable, Sendable, Hashable {
    /// Registry name, including the label, e.g. `logreg-high_030_4`.
    public var name: String
    /// Version directory name; the latest is the lexicographically highest (use sortable stamps).
    public var version: String
    /// `logistic_regression` (see `ModelAlgorithm`).
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
        means: [Double]? = nil, stds: [Double]? = nil, coefficients: [Double]? = nil, intercept: Double? = nil
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
    }
}

/// Algorithms the Predictor can evaluate.
public enum ModelAlgorithm: String, Sendable, Hashable, CaseIterable, Codable {
    case logisticRegression = "logistic_regression"
}
