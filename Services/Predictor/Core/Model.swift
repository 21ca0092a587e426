import GradientBoosting

/// A model whose metadata passed validation, with its parameters ready to evaluate.
public struct Model: Sendable, Hashable {
    public let metadata: ModelMetadata
    public let parameters: Parameters

    public enum Parameters: Sendable, Hashable {
        case logisticRegression(LogisticRegressionParameters)
        /// LightGBM trees (`lightgbm` or `random_forest`), evaluated natively from `model.txt`.
        case gradientBoosting(LightGBMModel)
    }

    /// Why metadata does not describe a usable model.
    public enum ValidationError: Error, Sendable, Hashable, CustomStringConvertible {
        case unknownAlgorithm(String)
        case missingField(String)
        case lengthMismatch(field: String, expected: Int, found: Int)
        case invalidValue(field: String, reason: String)

        public var description: String {
            switch self {
            case .unknownAlgorithm(let name):
                return "unknown algorithm \"\(name)\" (known: \(ModelAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")))"
            case .missingField(let field): return "missing \"\(field)\""
            case .lengthMismatch(let field, let expected, let found):
                return "\"\(field)\" has \(found) values but there are \(expected) features"
            case .invalidValue(let field, let reason): return "\"\(field)\": \(reason)"
            }
        }
    }

    /// Validates metadata: known algorithm, non-empty distinct features, parameter arrays as long as
    /// the feature list, finite numbers, positive standard deviations; a `featureHash`, when present,
    /// must be the features'. Tree models need their `model.txt` (see `init(metadata:trees:)`).
    public init(metadata: ModelMetadata) throws(ValidationError) {
        try self.init(metadata: metadata, trees: nil)
    }

    /// Validates metadata and, for `lightgbm` and `random_forest`, the trees read from `model.txt`:
    /// the trees' inputs must be exactly the metadata's features (count and names, in order).
    public init(metadata: ModelMetadata, trees: LightGBMModel?) throws(ValidationError) {
        guard let algorithm = ModelAlgorithm(rawValue: metadata.algorithm) else { throw .unknownAlgorithm(metadata.algorithm) }
        for (field, value) in [("name", metadata.name), ("version", metadata.version)] where !ModelRegistry.isSafeComponent(value) {
            throw .invalidValue(field: field, reason: "\"\(value)\" must be non-empty and use only letters, digits, '.', '_' and '-'")
        }
        guard !metadata.label.isEmpty else { throw .invalidValue(field: "label", reason: "empty") }
        guard !metadata.features.isEmpty else { throw .invalidValue(field: "features", reason: "empty") }
        guard Set(metadata.features).count == metadata.features.count else {
            throw .invalidValue(field: "features", reason: "a name is listed twice")
        }
        if let source = metadata.spreadSource, source != ModelMetadata.klineSpreadSource, metadata.features.contains(where: { $0.hasPrefix("spread_pct_") }) {
            throw .invalidValue(field: "spreadSource", reason: "\"\(source)\": the model's spread_pct features were computed from that source, but the FeatureService serves spread_pct from klines (\(ModelMetadata.klineSpreadSource)); retrain it on klines")
        }
        if let hash = metadata.featureHash, hash != ModelMetadata.featureHash(metadata.features) {
            throw .invalidValue(field: "featureHash", reason: "is not the hash of the listed features (edited features or hash?)")
        }
        let count = metadata.features.count
        switch algorithm {
        case .lightgbm, .randomForest:
            guard let trees else { throw .missingField(ModelRegistry.treesFileName) }
            guard trees.featureCount == count else {
                throw .lengthMismatch(field: ModelRegistry.treesFileName, expected: count, found: trees.featureCount)
            }
            guard trees.featureNames == metadata.features || trees.featureNames == (0..<count).map({ "Column_\($0)" }) else {
                throw .invalidValue(
                    field: ModelRegistry.treesFileName,
                    reason: "its feature_names (\(trees.featureNames.joined(separator: ","))) are not the metadata's features"
                )
            }
            if (algorithm == .randomForest) != trees.averageOutput {
                throw .invalidValue(
                    field: ModelRegistry.treesFileName,
                    reason: algorithm == .randomForest ? "a random forest's trees must be averaged (average_output)" : "averaged trees (average_output) are a random_forest, not lightgbm"
                )
            }
            self.parameters = .gradientBoosting(trees)
        case .logisticRegression:
            func array(_ field: String, _ value: [Double]?) throws(ValidationError) -> [Double] {
                guard let value else { throw .missingField(field) }
                guard value.count == count else { throw .lengthMismatch(field: field, expected: count, found: value.count) }
                guard value.allSatisfy(\.isFinite) else { throw .invalidValue(field: field, reason: "not finite") }
                return value
            }
            let means = try array("means", metadata.means)
            let stds = try array("stds", metadata.stds)
            let coefficients = try array("coefficients", metadata.coefficients)
            guard stds.allSatisfy({ $0 > 0 }) else { throw .invalidValue(field: "stds", reason: "every value must be > 0") }
            guard let intercept = metadata.intercept else { throw .missingField("intercept") }
            guard intercept.isFinite else { throw .invalidValue(field: "intercept", reason: "not finite") }
            self.parameters = .logisticRegression(LogisticRegressionParameters(
                means: means, stds: stds, coefficients: coefficients, intercept: intercept
            ))
        }
        self.metadata = metadata
    }

    public var name: String { metadata.name }
    public var version: String { metadata.version }
    public var label: String { metadata.label }
    public var features: [String] { metadata.features }

    /// The probability for features in `features` order.
    public func probability(_ x: some Collection<Double>) -> Double {
        switch parameters {
        case .logisticRegression(let lr): lr.probability(x)
        case .gradientBoosting(let trees): trees.probability(Array(x))
        }
    }
}
