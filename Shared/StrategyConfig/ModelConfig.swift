import Domain

/// One strategy (model) config: ITB's `.jsonc` keys (ITB.md §3) and the product specification's
/// simpler form (`labels`, `train_features`, `feature_sets`, `algorithms` with `algo` and `train`).
/// Built only by `StrategyConfig.load` / `ModelConfig.parse`, which validate every key.
public struct ModelConfig: Sendable, Hashable {
    /// The file it was read from (nil for inline configs and texts).
    public var file: String?
    public var symbol: String
    /// `freq` as written (`5m`, `5T`, `1h`).
    public var freq: String
    /// The bar interval `freq` names.
    public var interval: Interval
    /// Root of ITB's data files (`<data_folder>/<symbol>/…`), as written or overridden.
    public var dataFolder: String?
    public var description: String?
    /// Label columns every model is trained for (names checked by `NameRules.label`).
    public var labels: [String]
    /// Feature columns in model input order (names checked by `NameRules.feature`).
    public var trainFeatures: [String]
    public var featureSets: [FeatureSet]
    public var labelSets: [LabelSet]
    public var trainFeatureSets: [TrainFeatureSet]
    public var algorithms: [AlgorithmConfig]
    /// Rows cut from the end of the training data because labels look ahead (default: the largest
    /// label horizon).
    public var labelHorizon: Int
    /// Look-back rows features need (ITB default 10).
    public var featuresHorizon: Int
    /// Maximum training rows (0 = all).
    public var trainLength: Int
    /// Rows kept up to date online (nil = not set).
    public var predictLength: Int?
    public var rollingPredict: RollingPredict?
    /// ITB's `simulate_model` and `signal_sets`: recorded verbatim (JSON text); Quorum's Ensemble and
    /// backtest make these decisions from the portfolio config.
    public var simulateModel: String?
    public var signalSets: [String]
    /// Deployment metadata: where the specification meant this model to run (`azure`, `gcp`) and how
    /// (`aci`, `vertex`). Recorded, never acted on: where a service runs is deployment, not code.
    public var cloud: String?
    public var deployment: String?
    /// ITB's `train` flag: recorded; Quorum's commands choose the mode (no silent truncation).
    public var train: Bool?
    /// `venue`: only `binance`.
    public var venue: String
    /// Where ITB writes models (default `MODELS`); Quorum keeps its own registry.
    public var modelFolder: String
    public var timeColumn: String
    public var dataSources: [DataSource]
    /// ITB keys accepted but not used by Quorum, with their JSON text.
    public var unusedMetadata: [String: String]

    /// One `feature_sets` entry.
    public struct FeatureSet: Sendable, Hashable {
        public var generator: Generator
        public var columnPrefix: String?
        public var featurePrefix: String?

        public enum Generator: Sendable, Hashable {
            case talib(TALib)
            case orderFlow(OrderFlow)
        }

        /// ITB's `talib` generator (ITB.md §2.1).
        public struct TALib: Sendable, Hashable {
            /// Input columns in TA-Lib argument order.
            public var columns: [String]
            public var functions: [String]
            /// Windows; empty = no timeperiod.
            public var windows: [Int]
            /// `names`: nil, a single infix, or one verbatim name per window.
            public var names: [String]?
            /// `parameters` (rel_base, rel_func, percentage, log) as JSON text.
            public var parameters: String?

            /// The feature names it produces (ITB's rule: `<cols>_<FUNC>_<w>`), nil when `names` is a list.
            public var featureNames: [String] {
                let prefix = columns.joined(separator: "_")
                var result: [String] = []
                for function in functions {
                    if windows.isEmpty { result.append("\(prefix)_\(function)") }
                    for (j, w) in windows.enumerated() {
                        if let names, names.count == windows.count, names.count > 1 { result.append(names[j]) }
                        else if let infix = names?.first, names?.count == 1 { result.append("\(prefix)_\(function)_\(infix)_\(w)") }
                        else { result.append("\(prefix)_\(function)_\(w)") }
                    }
                }
                return result
            }
        }

        /// `gen_features_orderflow`: features from recorded L2 books.
        public struct OrderFlow: Sendable, Hashable {
            /// A glob of book files relative to the run's base directory (see `CapturePatternResolver`).
            public var orderbookPattern: String
            /// Book depths (levels) for `imbalance_<k>` and similar.
            public var depths: [Int]
            /// Bar interval the features are sampled at (defaults to the config's).
            public var interval: Interval?
            public var freq: String?
        }
    }

    /// One `label_sets` entry: ITB's `highlow2` (ITB.md §2.3).
    public struct LabelSet: Sendable, Hashable {
        /// Reference, up and down columns (default close, high, low).
        public var columns: [String]
        public var function: String
        /// θ per name, in percent (0.3 = 0.30 %).
        public var thresholds: [Double]
        /// τ: the stop distance as a fraction of θ (nil = no stop).
        public var tolerance: Double?
        public var horizon: Int
        public var names: [String]
    }

    /// One `train_feature_sets` entry: which features, labels and algorithms train together.
    public struct TrainFeatureSet: Sendable, Hashable {
        public var features: [String]
        public var labels: [String]
        /// Names of `algorithms` entries (inline algorithm objects are added to `algorithms`).
        public var algorithms: [String]
    }

    /// ITB's `rolling_predict`: a walk-forward plan.
    public struct RollingPredict: Sendable, Hashable {
        public var dataStart: String?
        public var dataEnd: String?
        public var predictionStart: String?
        public var predictionSize: Int?
        public var predictionSteps: Int?
    }

    /// ITB's `data_sources` entry.
    public struct DataSource: Sendable, Hashable {
        public var folder: String
        public var file: String
        public var columnPrefix: String
    }

    /// Labels' horizons and thresholds parsed from their names (labels that fail the default rule are skipped).
    public var parsedLabels: [NameRules.LabelName] {
        labels.compactMap { NameRules.parseLabel($0).label }
    }

    /// Every feature the models need: `train_features` plus those of `train_feature_sets`, in order, without repeats.
    public var allFeatures: [String] {
        var seen = Set<String>()
        return (trainFeatures + trainFeatureSets.flatMap(\.features)).filter { seen.insert($0).inserted }
    }

    /// The order-flow feature sets.
    public var orderFlowSets: [FeatureSet.OrderFlow] {
        featureSets.compactMap { if case .orderFlow(let o) = $0.generator { o } else { nil } }
    }
}
