import Domain

/// One entry of `algorithms`: `{"name": …, "algo": …, "params": {…}, "train": {…}}`.
///
/// `algo` names (aliases in parentheses): `logreg` (`sklearn_logreg`, ITB's `lc`), `lgbm` (ITB's
/// `gb`), `rf`, `automl` (`vertex_automl`). `lstm`, `transformer` and ITB's `svc`/`nn` are refused
/// as not supported yet.
public struct AlgorithmConfig: Sendable, Hashable {
    /// The suffix of the model's output column and registry name (`logreg` → `high_030_4_logreg`).
    public var name: String
    /// `algo` as written in the file (`sklearn_logreg`).
    public var algoName: String
    public var kind: Kind
    public var params: Params

    public enum Kind: Sendable, Hashable {
        case logisticRegression(LogisticRegression)
        case lightGBM(LightGBM)
        case randomForest(RandomForest)
        case autoML(AutoML)
    }

    /// ITB's per-algorithm `params` (not the learner's own parameters).
    public struct Params: Sendable, Hashable {
        /// Standardise features before fitting (ITB: default true for linear models, false for gb).
        public var isScale: Bool?
        /// Train on the last `length` rows only (0/nil = `train_length`).
        public var length: Int?
        /// Subsample every n-th row.
        public var everyNthRow: Int?

        public init(isScale: Bool? = nil, length: Int? = nil, everyNthRow: Int? = nil) {
            self.isScale = isScale
            self.length = length
            self.everyNthRow = everyNthRow
        }

        static let keys = ["is_scale", "length", "every_nth_row", "is_regression", "layers"]
    }

    /// scikit-learn's LogisticRegression parameters Quorum honours: L2 penalty only.
    public struct LogisticRegression: Sendable, Hashable {
        /// Inverse regularisation strength, > 0 (scikit-learn's default 1.0).
        public var c: Double = 1.0
        /// Iteration limit of the solver, ≥ 1 (default 100).
        public var maxIterations: Int = 100
        /// `class_weight: "balanced"` weighs classes by n/(2·count); null = equal weights.
        public var balancedClassWeight: Bool = false
        /// Convergence tolerance (scikit-learn's `tol`, default 1e-4).
        public var tolerance: Double = 1e-4

        static let keys = ["C", "max_iter", "penalty", "class_weight", "tol", "solver", "random_state", "fit_intercept"]
    }

    /// LightGBM parameters, passed through as written (number literals and strings, in file order).
    public struct LightGBM: Sendable, Hashable {
        public var parameters: [Parameter]

        public struct Parameter: Sendable, Hashable {
            public var key: String
            public var value: String
        }

        public func value(_ key: String) -> String? { parameters.first { $0.key == key }?.value }

        /// The number of boosting rounds under any of LightGBM's aliases (`n_estimators`, `num_iterations`, …).
        public var rounds: Int? {
            for key in Self.roundAliases { if let text = value(key), let n = Int(text) { return n } }
            return nil
        }

        static let roundAliases = ["num_iterations", "n_estimators", "num_boost_round", "num_iteration", "n_iter", "num_tree", "num_trees", "num_round", "num_rounds", "nrounds", "max_iter"]
        /// Whole numbers ≥ 1.
        static let positiveIntegers = roundAliases + ["num_leaves", "max_bin", "bagging_freq", "early_stopping_round", "early_stopping_rounds"]
        /// Whole numbers ≥ 0.
        static let nonNegativeIntegers = ["min_data_in_leaf", "min_child_samples", "seed", "random_state", "bagging_seed", "feature_fraction_seed", "verbose_eval"]
        /// Numbers > 0.
        static let positiveNumbers = ["learning_rate", "eta", "shrinkage_rate"]
        /// Numbers ≥ 0.
        static let nonNegativeNumbers = ["lambda_l1", "lambda_l2", "reg_alpha", "reg_lambda", "min_gain_to_split", "min_split_gain", "min_sum_hessian_in_leaf", "min_child_weight", "scale_pos_weight"]
        /// Fractions in (0, 1].
        static let fractions = ["feature_fraction", "colsample_bytree", "bagging_fraction", "subsample", "sub_feature", "sub_row"]
    }

    /// A random forest: bootstrap samples, random feature subsets, Gini splits.
    public struct RandomForest: Sendable, Hashable {
        public var trees: Int = 100
        /// nil = grow until leaves are pure or at `minSamplesLeaf`.
        public var maxDepth: Int?
        public var minSamplesLeaf: Int = 1
        public var minSamplesSplit: Int = 2
        /// `sqrt` (default), `log2`, a fraction in (0,1] or a whole count.
        public var maxFeatures: String = "sqrt"
        public var balancedClassWeight: Bool = false
        public var seed: Int?

        static let keys = ["n_estimators", "max_depth", "min_samples_leaf", "min_samples_split", "max_features", "class_weight", "random_state", "seed", "bootstrap", "n_jobs"]
    }

    /// Quorum's own model search (AutoML), run locally. `vertex_automl` is an alias: nothing runs on Google Cloud.
    public struct AutoML: Sendable, Hashable {
        /// Wall-clock budget of the search in hours (> 0); the command line may override it.
        public var budgetHours: Double
        public var objective: Objective = .maximizePrecisionAtRecall
        /// The recall floor of `maximize-precision-at-recall`, in (0, 1) (default 0.2).
        public var recallFloor: Double = 0.2
        /// Model families to search; nil = all Quorum supports.
        public var families: [String]?

        public enum Objective: String, Sendable, Hashable, CaseIterable {
            case maximizePrecisionAtRecall = "maximize-precision-at-recall"
            case maximizeAUC = "maximize-auc"
            case minimizeLogLoss = "minimize-log-loss"
        }

        static let keys = ["budget_hours", "optimization_objective", "recall_value", "families"]
        public static let familyNames = ["logreg", "lgbm", "rf"]
    }

    static let keys = ["name", "algo", "params", "train"]

    /// Canonical algo for each accepted name.
    static let aliases: [String: String] = [
        "logreg": "logreg", "sklearn_logreg": "logreg", "lc": "logreg",
        "lgbm": "lgbm", "gb": "lgbm", "lightgbm": "lgbm",
        "rf": "rf", "random_forest": "rf",
        "automl": "automl", "vertex_automl": "automl",
    ]
    static let unsupported = ["lstm", "transformer", "svc", "nn"]
}
