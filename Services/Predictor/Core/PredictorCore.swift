import Domain

/// Evaluates one model on feature vectors.
///
/// The model's features are located in a vector by name once per distinct `names` array (cached),
/// then the score is a tight loop over indices. Vectors of other symbols (when `symbols` is set) are
/// ignored; vectors of another interval than the model's, or with a non-finite input, are skipped
/// with a reason; vectors lacking some of the model's features yield `.missingFeatures` (the shell
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

    public let configuration: Configuration
    private let parameters: LogisticRegressionParameters
    private var cachedNames: [String] = []
    private var cachedLayout: Layout?
    private var layouts: [[String]: Layout] = [:]

    public init(configuration: Configuration) {
        self.configuration = configuration
        switch configuration.model.parameters {
        case .logisticRegression(let parameters): self.parameters = parameters
        }
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
        let values = vector.values
        let p = parameters
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
        if let nonFinite {
            return [.skipped(bar: vector.bar, reason: "non_finite_feature: \(model.features[nonFinite])")]
        }
        return [.prediction(Prediction(
            bar: vector.bar, model: model.name, version: model.version, label: model.label,
            probability: LogisticRegressionParameters.sigmoid(z)
        ))]
    }

    private mutating func layout(for names: [String]) -> Layout {
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
