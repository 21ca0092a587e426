import Domain
import Foundation

extension EnsembleCore {
    /// What the ensemble combines, how, and when it signals. Every rule defaults to the product
    /// specification's value.
    ///
    /// ```swift
    /// let configuration = EnsembleCore.Configuration(
    ///     models: [
    ///         .init(name: "lgbm-high_030_4", division: "conservative"),      // weight 0.4 (lgbm's default)
    ///         .init(name: "logreg-high_030_4", division: "conservative"),    // weight 0.2
    ///         .init(name: "logreg-low_030_4", division: "conservative"),     // a "low" model: vetoes
    ///     ],
    ///     threshold: 0.6, mode: .routeThenVote
    /// )
    /// try configuration.validate()
    /// ```
    public struct Configuration: Sendable, Hashable {
        /// One configured model.
        public struct Model: Sendable, Hashable {
            /// Registry name of the model, including its label (`Prediction.model`), e.g. `lgbm-high_030_4`.
            public var name: String
            /// Relative weight, finite and > 0. Weights are renormalized over the models present for a bar.
            public var weight: Double
            /// Entry vote or veto; by default from the label in the name (`low_` → veto).
            public var role: EnsembleSignal.Vote.Role
            /// The division the model belongs to (route modes); nil = none.
            public var division: String?
            /// In `route` mode, the division's leading models decide alone. When no model of a
            /// division is marked, every entry model of the division leads.
            public var leads: Bool

            /// - Parameters:
            ///   - weight: nil = the family default of the product specification, from the name's
            ///     prefix: lgbm 0.4, automl 0.3, logreg 0.2, lstm 0.1; rf (not in the
            ///     specification) 0.2; anything else 1.
            ///   - role: nil = from the name: a label starting with `low_` vetoes.
            public init(name: String, weight: Double? = nil, role: EnsembleSignal.Vote.Role? = nil, division: String? = nil, leads: Bool = false) {
                self.name = name
                self.weight = weight ?? Self.defaultWeight(name)
                self.role = role ?? Self.defaultRole(name)
                self.division = division
                self.leads = leads
            }

            /// The specification's default weight of the model's family (the name's prefix before `-`).
            public static func defaultWeight(_ name: String) -> Double {
                let family = name.split(separator: "-", maxSplits: 1).first.map(String.init) ?? name
                switch family {
                case "lgbm": return 0.4
                case "automl", "vertex_automl": return 0.3
                case "logreg", "sklearn_logreg": return 0.2
                case "rf": return 0.2
                case "lstm", "transformer": return 0.1
                default: return 1
                }
            }

            /// `veto` when the label (the part after the family) starts with `low_`.
            public static func defaultRole(_ name: String) -> EnsembleSignal.Vote.Role {
                let parts = name.split(separator: "-", maxSplits: 1)
                let label = parts.count == 2 ? parts[1] : parts.first ?? ""
                return label.hasPrefix("low_") ? .veto : .entry
            }
        }

        /// How a bar's decision is made.
        public enum Mode: String, Sendable, Hashable, CaseIterable {
            /// Weighted vote of every entry model present.
            case vote
            /// The regime picks a division; its leading models decide (weighted among themselves).
            case route
            /// The regime picks a division; the weighted vote of its entry models decides.
            case routeThenVote = "route_then_vote"
            /// A logistic-regression meta-model over the entry models' probabilities (``Stacking``).
            case stack
        }

        /// Model selection by market volatility: σ (`vol_sigma` of the reference symbol, percent per
        /// hour) decides which division may open positions.
        public struct Router: Sendable, Hashable {
            /// Whose σ decides (default BTCUSDT).
            public var referenceSymbol: String
            /// The reference's bar interval: the σ for a bar ending at E is that of the reference bar
            /// ending at the latest multiple of this interval not after E (default 5m).
            public var referenceInterval: Interval
            /// The feature carrying σ in the reference's vectors (default `vol_sigma`).
            public var sigmaFeature: String
            /// σ below this is calm (regime 0): default 0.5.
            public var calmBelow: Double
            /// σ at or above this is a storm (regime 2): default 1.5.
            public var stormFrom: Double
            /// The division allowed in calm markets (default "conservative").
            public var calmDivision: String
            /// The division allowed in normal markets (default "aggressive").
            public var normalDivision: String
            /// The models allowed to open positions in a storm; empty (the default) = none.
            public var stormModels: [String]

            public init(
                referenceSymbol: String = "BTCUSDT", referenceInterval: Interval = .fiveMinutes, sigmaFeature: String = "vol_sigma",
                calmBelow: Double = 0.5, stormFrom: Double = 1.5, calmDivision: String = "conservative",
                normalDivision: String = "aggressive", stormModels: [String] = []
            ) {
                self.referenceSymbol = referenceSymbol
                self.referenceInterval = referenceInterval
                self.sigmaFeature = sigmaFeature
                self.calmBelow = calmBelow
                self.stormFrom = stormFrom
                self.calmDivision = calmDivision
                self.normalDivision = normalDivision
                self.stormModels = stormModels
            }

            /// 0 calm, 1 normal, 2 storm.
            public func regime(of sigma: Double) -> Int { sigma < calmBelow ? 0 : (sigma < stormFrom ? 1 : 2) }
        }

        /// The veto and exit rule of the "low" models (probability that the price falls by θ).
        ///
        /// With `v` the weighted probability of the veto models present for the bar: an entry is
        /// vetoed when `v > vetoThreshold`; when `v > exitThreshold` the bar yields an exit signal
        /// for the symbol instead (the RiskGate closes its open positions at the next bar).
        public struct Veto: Sendable, Hashable {
            /// Default 0.5.
            public var vetoThreshold: Double
            /// Default 0.6; at least ``vetoThreshold``. nil = low models never trigger exits.
            public var exitThreshold: Double?

            public init(vetoThreshold: Double = 0.5, exitThreshold: Double? = 0.6) {
                self.vetoThreshold = vetoThreshold
                self.exitThreshold = exitThreshold
            }
        }

        /// A logistic-regression meta-model trained by the research pipeline on out-of-fold model
        /// outputs: `p = σ(intercept + Σ_j coefficients[j]·(p_j − means[j]) / stds[j])` over
        /// ``inputs`` in order. A bar missing any input gets no stacked decision.
        public struct Stacking: Sendable, Hashable {
            public var inputs: [String]
            public var means: [Double]
            public var stds: [Double]
            public var coefficients: [Double]
            public var intercept: Double
            /// Registry name and version, for attribution.
            public var name: String

            public init(name: String, inputs: [String], means: [Double], stds: [Double], coefficients: [Double], intercept: Double) {
                self.name = name
                self.inputs = inputs
                self.means = means
                self.stds = stds
                self.coefficients = coefficients
                self.intercept = intercept
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
        /// The side of every entry signal. Default `.buy` (spot, long only).
        public var side: Side
        /// Default `.vote` (the spine's behaviour); the product specification's full form is `.routeThenVote`.
        public var mode: Mode
        public var router: Router
        public var veto: Veto
        /// Required by `.stack`.
        public var stacking: Stacking?
        /// A model missing from this many consecutive decided bars of a series is named stale (default 3).
        public var staleAfterBars: Int

        /// - Parameters:
        ///   - models: env `ENSEMBLE_MODELS` (`name[:weight][@division][*]`, comma separated; `*` leads).
        ///   - threshold: env `ENSEMBLE_THRESHOLD`, default 0.6.
        ///   - side: default `.buy`.
        public init(
            models: [Model], threshold: Double = 0.6, side: Side = .buy, mode: Mode = .vote,
            router: Router = Router(), veto: Veto = Veto(), stacking: Stacking? = nil, staleAfterBars: Int = 3
        ) {
            self.models = models
            self.threshold = threshold
            self.side = side
            self.mode = mode
            self.router = router
            self.veto = veto
            self.stacking = stacking
            self.staleAfterBars = staleAfterBars
        }

        /// Whether decisions need the reference symbol's σ.
        public var routes: Bool { mode == .route || mode == .routeThenVote }

        /// Throws every violation at once.
        public func validate() throws(ValidationError) {
            var violations: [String] = []
            func probability(_ key: String, _ value: Double) {
                if !(value.isFinite && value > 0 && value < 1) { violations.append("\(key): must be in (0, 1), got \(value)") }
            }
            if models.isEmpty { violations.append("models: at least one model is required") }
            var seen: Set<String> = []
            for (index, model) in models.enumerated() {
                if model.name.isEmpty { violations.append("models[\(index)].name: must not be empty") }
                if !seen.insert(model.name).inserted { violations.append("models[\(index)].name: \"\(model.name)\" is listed twice") }
                if !(model.weight.isFinite && model.weight > 0) {
                    violations.append("models[\(index)].weight: must be finite and > 0, got \(model.weight)")
                }
                if model.leads && model.role == .veto { violations.append("models[\(index)]: \"\(model.name)\" vetoes and cannot lead") }
                if routes && model.role == .entry && model.division == nil && !router.stormModels.contains(model.name) {
                    violations.append("models[\(index)].division: \"\(model.name)\" needs a division in mode \(mode.rawValue)")
                }
            }
            if !models.contains(where: { $0.role == .entry }) { violations.append("models: at least one entry (non-low) model is required") }
            probability("threshold", threshold)
            probability("veto.vetoThreshold", veto.vetoThreshold)
            if let exit = veto.exitThreshold {
                probability("veto.exitThreshold", exit)
                if exit < veto.vetoThreshold { violations.append("veto.exitThreshold: must be ≥ vetoThreshold \(veto.vetoThreshold), got \(exit)") }
            }
            if staleAfterBars < 1 { violations.append("staleAfterBars: must be ≥ 1, got \(staleAfterBars)") }
            if routes {
                if router.referenceSymbol.isEmpty || router.referenceSymbol.uppercased() != router.referenceSymbol {
                    violations.append("router.referenceSymbol: must be an uppercase symbol, got \"\(router.referenceSymbol)\"")
                }
                if router.sigmaFeature.isEmpty { violations.append("router.sigmaFeature: must not be empty") }
                if !(router.calmBelow.isFinite && router.calmBelow > 0) { violations.append("router.calmBelow: must be > 0, got \(router.calmBelow)") }
                if !(router.stormFrom.isFinite && router.stormFrom > router.calmBelow) {
                    violations.append("router.stormFrom: must be > calmBelow \(router.calmBelow), got \(router.stormFrom)")
                }
                let divisions = Set(models.compactMap(\.division))
                for (key, name) in [("router.calmDivision", router.calmDivision), ("router.normalDivision", router.normalDivision)] where !divisions.contains(name) {
                    violations.append("\(key): no configured model is in division \"\(name)\" (divisions: \(divisions.sorted().joined(separator: ", ")))")
                }
                for name in router.stormModels where !models.contains(where: { $0.name == name && $0.role == .entry }) {
                    violations.append("router.stormModels: \"\(name)\" is not a configured entry model")
                }
            }
            if mode == .stack {
                if let stacking {
                    let n = stacking.inputs.count
                    if n == 0 { violations.append("stacking.inputs: at least one input model is required") }
                    if stacking.means.count != n || stacking.stds.count != n || stacking.coefficients.count != n {
                        violations.append("stacking: \(n) inputs but \(stacking.means.count) means, \(stacking.stds.count) stds, \(stacking.coefficients.count) coefficients")
                    }
                    for name in stacking.inputs where !models.contains(where: { $0.name == name && $0.role == .entry }) {
                        violations.append("stacking.inputs: \"\(name)\" is not a configured entry model")
                    }
                    if stacking.stds.contains(where: { !($0.isFinite && $0 > 0) }) { violations.append("stacking.stds: must be finite and > 0") }
                    if !(stacking.coefficients + stacking.means + [stacking.intercept]).allSatisfy(\.isFinite) {
                        violations.append("stacking: coefficients, means and intercept must be finite")
                    }
                } else {
                    violations.append("stacking: mode stack needs a meta-model (STACK_MODEL)")
                }
            }
            if !violations.isEmpty { throw ValidationError(violations: violations) }
        }
    }
}

extension EnsembleCore.Configuration.Model {
    /// Parses `name[:weight][@division][*]` (`*` = leads in route mode); the weight defaults to the
    /// family's (``defaultWeight(_:)``), the role to the label's.
    public static func parse(_ entry: String) -> Result<Self, ParseProblem> {
        var text = entry.trimmingCharacters(in: .whitespaces)
        var leads = false
        if text.hasSuffix("*") { leads = true; text.removeLast() }
        var division: String?
        if let at = text.firstIndex(of: "@") {
            division = String(text[text.index(after: at)...])
            text = String(text[..<at])
            if division!.isEmpty { return .failure(ParseProblem(description: "\"\(entry)\": empty division after @")) }
        }
        var weight: Double?
        if let colon = text.firstIndex(of: ":") {
            let weightText = String(text[text.index(after: colon)...])
            guard let value = Double(weightText) else {
                return .failure(ParseProblem(description: "weight of \"\(text[..<colon])\" is not a number: \"\(weightText)\""))
            }
            weight = value
            text = String(text[..<colon])
        }
        return .success(.init(name: text, weight: weight, division: division, leads: leads))
    }

    /// Why an entry of `ENSEMBLE_MODELS` does not parse.
    public struct ParseProblem: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }
}
