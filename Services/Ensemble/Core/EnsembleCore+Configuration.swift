import Domain

extension EnsembleCore {
    /// What the ensemble combines and when it signals.
    ///
    /// ```swift
    /// let configuration = EnsembleCore.Configuration(
    ///     models: [.init(name: "logreg-high_030_4", weight: 1), .init(name: "lgbm-high_030_4", weight: 2)],
    ///     threshold: 0.6
    /// )
    /// try configuration.validate()
    /// ```
    public struct Configuration: Sendable, Hashable {
        /// One configured model and its weight in the average.
        public struct Model: Sendable, Hashable {
            /// Registry name of the model, including its label (`Prediction.model`).
            public var name: String
            /// Relative weight, finite and > 0. Weights are renormalized over the models present for a bar.
            public var weight: Double

            /// A model with weight 1 unless told.
            public init(name: String, weight: Double = 1) {
                self.name = name
                self.weight = weight
            }
        }

        /// Every configuration violation, all listed at once.
        public struct ValidationError: Error, Hashable, Sendable, CustomStringConvertible {
            /// One line per violation.
            public var violations: [String]

            public var description: String { "invalid ensemble configuration: " + violations.joined(separator: "; ") }
        }

        /// The models whose predictions are combined. Predictions from other models are ignored.
        public var models: [Model]
        /// A signal needs the weighted probability to exceed this (strictly). Default 0.6, in (0, 1).
        public var threshold: Double
        /// The side of every signal. Default `.buy` (spot, long only).
        public var side: Side

        /// - Parameters:
        ///   - models: names and weights (env `ENSEMBLE_MODELS`, `name[:weight]`, comma separated).
        ///   - threshold: env `ENSEMBLE_THRESHOLD`, default 0.6.
        ///   - side: default `.buy`.
        public init(models: [Model], threshold: Double = 0.6, side: Side = .buy) {
            self.models = models
            self.threshold = threshold
            self.side = side
        }

        /// Throws every violation at once: no models, empty or repeated names, weights that are not
        /// finite and positive, a threshold outside (0, 1).
        public func validate() throws(ValidationError) {
            var violations: [String] = []
            if models.isEmpty { violations.append("models: at least one model is required") }
            var seen: Set<String> = []
            for (index, model) in models.enumerated() {
                if model.name.isEmpty { violations.append("models[\(index)].name: must not be empty") }
                if !seen.insert(model.name).inserted { violations.append("models[\(index)].name: \"\(model.name)\" is listed twice") }
                if !(model.weight.isFinite && model.weight > 0) {
                    violations.append("models[\(index)].weight: must be finite and > 0, got \(model.weight)")
                }
            }
            if !(threshold.isFinite && threshold > 0 && threshold < 1) {
                violations.append("threshold: must be in (0, 1), got \(threshold)")
            }
            if !violations.isEmpty { throw ValidationError(violations: violations) }
        }
    }
}
