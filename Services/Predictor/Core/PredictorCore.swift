import Domain
import GradientBoosting

/// Evaluates one model on feature vectors.
///
/// The model's features are located in a vector by name once per distinct `names` array (cached),
/// then the score is a tight loop over indices. Vectors of other symbols (when `symbols` is set) are
/// ignored; vectors of another interval than the model's, or with a non-finite input, are skipped
/// with a reason (tree models take NaN as LightGBM's missing value and skip only infinities); vectors lacking some of the model's features yield `.missingFeatures` (the shell
/// refuses to run on it and names them).
public struct PredictorCore: Sendable {
    public struct Configuration: Sendable {
        public let model: Model
        /// Symbols to predict for; nil = every symbol.
        public let symbols: Set<String>?

        public init(model: Model, symbols: Set<String>? = nil) {
            self.model = model
            self.symbols = symbols
        }
    }

    public enum Input: Sendable {
        case features(FeatureVector)
    }

    public enum Output: Sendable, Hashable {
        case prediction(Prediction)
        case skipped(bar: BarKey, reason: String)
        case missingFeatures(bar: BarKey, missing: [String])
    }

    /// Where each model feature sits in vectors with a given `names` array.
    enum Layout: Sendable {
        case indices([Int])
        case missing([String])
    }

    public private(set) var configuration: Configuration
    private var parameters: Model.Parameters
    /// The model's inputs gathered in its order (tree models), reused across vectors.
    private var row: [Double]
    private var cachedNames: [String] = []
    /// The feature names of the last vector received (nil before the first).
    private var receivedNames: [String]?
    private var cachedLayout: Layout?
    private var layouts: [[String]: Layout] = [:]

    public init(configuration: Configuration) {
        self.configuration = configuration
        self.parameters = configuration.model.parameters
        self.row = [Double](repeating: 0, count: configuration.model.features.count)
    }

    public mutating func handle(_ input: Input, now: Timestamp) -> [Output] {
        switch input {
        case .features(let vector): return predict(vector)
        }
    }

    private mutating func predict(_ vector: FeatureVector) -> [Output] {
        let model = configuration.model
        if let symbols = configuration.symbols, !symbols.contains(vector.bar.symbol) { return [] }
        guard vector.bar.interval == model.metadata.interval else {
            return [.skipped(bar: vector.bar, reason: "interval_mismatch: model \(model.metadata.interval), vector \(vector.bar.interval)")]
        }
        let indices: [Int]
        switch layout(for: vector.names) {
        case .missing(let missing): return [.missingFeatures(bar: vector.bar, missing: missing)]
        case .indices(let found): indices = found
        }
        let probability: Double
        switch parameters {
        case .logisticRegression(let p):
            switch Self.logistic(p, vector.values, indices) {
            case .failure(let nonFinite):
                return [.skipped(bar: vector.bar, reason: "non_finite_feature: \(model.features[nonFinite.index])")]
            case .success(let p): probability = p
            }
        case .gradientBoosting(let trees):
            var infinite: Int?
            vector.values.withUnsafeBufferPointer { x in
                row.withUnsafeMutableBufferPointer { r in
                    for j in 0..<indices.count {
                        let value = x[indices[j]]
                        if value.isInfinite { infinite = j; return }
                        r[j] = value
                    }
                }
            }
            if let infinite {
                return [.skipped(bar: vector.bar, reason: "non_finite_feature: \(model.features[infinite])")]
            }
            probability = row.withUnsafeBufferPointer { trees.probability($0) }
        }
        return [.prediction(Prediction(
            bar: vector.bar, model: model.name, version: model.version, label: model.label, probability: probability
        ))]
    }

    struct NonFinite: Error { var index: Int }

    /// The logistic regression's probability, or the first non-finite input's position.
    private static func logistic(_ p: LogisticRegressionParameters, _ values: [Double], _ indices: [Int]) -> Result<Double, NonFinite> {
        var z = p.intercept
        var nonFinite: Int?
        values.withUnsafeBufferPointer { x in
            p.coefficients.withUnsafeBufferPointer { c in
                p.means.withUnsafeBufferPointer { m in
                    p.stds.withUnsafeBufferPointer { s in
                        indices.withUnsafeBufferPointer { ix in
                            for j in 0..<ix.count {
                                let value = x[ix[j]]
                                if !value.isFinite {
                                    nonFinite = j
                                    return
                                }
                                z += c[j] * ((value - m[j]) / s[j])
                            }
                        }
                    }
                }
            }
        }
        if let nonFinite { return .failure(NonFinite(index: nonFinite)) }
        return .success(LogisticRegressionParameters.sigmoid(z))
    }

    /// Why `candidate` cannot replace the running model, or nil when it can: it must be the same
    /// registry name and interval (the subscriptions stay), and its features must be in the vectors
    /// this core last received (before any vector: among the running model's features, which the
    /// vectors are known to carry).
    public func refusal(toSwitchTo candidate: Model) -> String? {
        let current = configuration.model
        guard candidate.name == current.name else {
            return "model name \(candidate.name) is not the running \(current.name)"
        }
        guard candidate.metadata.interval == current.metadata.interval else {
            return "interval \(candidate.metadata.interval) differs from the running model's \(current.metadata.interval)"
        }
        let available = Set(receivedNames ?? current.features)
        let missing = candidate.features.filter { !available.contains($0) }
        guard missing.isEmpty else {
            return "features not in the vectors received: \(missing.joined(separator: ","))"
        }
        return nil
    }

    /// Switches to `candidate` unless `refusal(toSwitchTo:)` names a reason (returned; the running
    /// model stays). Feature layouts are recomputed for the new model.
    public mutating func switchModel(to candidate: Model) -> String? {
        if let reason = refusal(toSwitchTo: candidate) { return reason }
        configuration = Configuration(model: candidate, symbols: configuration.symbols)
        parameters = candidate.parameters
        row = [Double](repeating: 0, count: candidate.features.count)
        layouts = [:]
        cachedLayout = nil
        return nil
    }

    private mutating func layout(for names: [String]) -> Layout {
        receivedNames = names
        if let cachedLayout, names == cachedNames { return cachedLayout }
        let layout: Layout
        if let known = layouts[names] {
            layout = known
        } else {
            var position: [String: Int] = [:]
            for (i, name) in names.enumerated() where position[name] == nil { position[name] = i }
            var indices: [Int] = []
            var missing: [String] = []
            for feature in configuration.model.features {
                if let i = position[feature] { indices.append(i) } else { missing.append(feature) }
            }
            layout = missing.isEmpty ? .indices(indices) : .missing(missing)
            if layouts.count < 64 { layouts[names] = layout }
        }
        cachedNames = names
        cachedLayout = layout
        return layout
    }
}
