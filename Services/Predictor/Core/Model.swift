/// A model whose metadata passed validation, with its parameters ready to evaluate.
public struct Model: Sendable, Hashable {
    public let metadata: ModelMetadata
    public let parameters: Parameters

    public enum Parameters: Sendable, Hashable {
        case logisticRegression(LogisticRegressionParameters)
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
    /// the feature list, finite numbers, positive standard deviations.
    public init(metadata: ModelMetadata) throws(ValidationError) {
        guard let algorithm = ModelAlgorithm(rawValue: metadata.algorithm) else { throw .unknownAlgorithm(metadata.algorithm) }
        for (field, value) in [("name", metadata.name), ("version", metadata.version)] where !ModelRegistry.isSafeComponent(value) {
            throw .invalidValue(field: field, reason: "\"\(value)\" must be non-empty and use only letters, digits, '.', '_' and '-'")
        }
        guard !metadata.label.isEmpty else { throw .invalidValue(field: "label", reason: "empty") }
        guard !metadata.features.isEmpty else { throw .invalidValue(field: "features", reason: "empty") }
        guard Set(metadata.features).count == metadata.features.count else {
            throw .invalidValue(field: "features", reason: "a name is listed twice")
        }
        let count = metadata.features.count
        switch algorithm {
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
        }
    }
}
