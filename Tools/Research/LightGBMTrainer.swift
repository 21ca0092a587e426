import Foundation
import GradientBoosting

/// Trains binary gradient-boosted trees (`lgbm`) or a random forest (`rf`) with LightGBM's own C API
/// and returns the model text and its native evaluator.
///
/// The config's `train` parameters pass through to LightGBM as its `key=value` parameter string
/// (LightGBM itself resolves aliases such as `n_estimators` or `num_boost_round`, and rejects unknown
/// keys). The trainer defines what makes runs reproducible and servable: `objective=binary` unless
/// given (binary or cross_entropy only, the evaluator's objectives), `verbosity=-1`, `num_threads`
/// (default 2), `deterministic=true`, `seed` (default 42); for `rf`, `boosting=rf` with
/// `bagging_fraction=0.632`, `bagging_freq=1`, `feature_fraction=0.8` unless given. The number of
/// boosting rounds is `num_iterations` or one of its aliases (default 100): the loop calls
/// `LGBM_BoosterUpdateOneIter` that many times, stopping early if LightGBM says no split improves.
public enum LightGBMTrainer {
    public enum Boosting: String, Sendable, Hashable, CaseIterable {
        /// Gradient-boosted decision trees.
        case gbdt
        /// LightGBM's random forest: bagged, averaged trees.
        case randomForest = "rf"
    }

    /// What training produced: LightGBM's model text and the native model parsed from it.
    public struct Result: Sendable {
        public var text: String
        public var model: LightGBMModel
        /// Boosting rounds run (fewer than asked when LightGBM finished early).
        public var iterations: Int
        /// The parameters LightGBM received (canonical names for those the trainer reads; `parameterString` joins them).
        public var parameters: [String: String]
    }

    public enum Error: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        case unavailable(LightGBMLibrary.LoadError)
        /// Every parameter problem found.
        case invalidParameters([String])
        case shapeMismatch(String)
        case singleClass(label: Bool, rows: Int)
        case lightGBM(LightGBMLibrary.CallError)
        case unreadableModel(LightGBMModel.ParseError)

        public var description: String {
            switch self {
            case .unavailable(let error): return error.description
            case .invalidParameters(let problems): return "invalid LightGBM parameters: \(problems.joined(separator: "; "))"
            case .shapeMismatch(let reason): return "training data shape: \(reason)"
            case .singleClass(let label, let rows): return "all \(rows) training labels are \(label): need both classes"
            case .lightGBM(let error): return error.description
            case .unreadableModel(let error): return "LightGBM wrote a model the evaluator cannot read: \(error.description)"
            }
        }
    }

    /// LightGBM's aliases (from `LGBM_DumpParamAliases`, LightGBM 4.7) of the parameters the trainer reads or defines.
    static let aliases: [String: [String]] = [
        "num_iterations": ["num_iterations", "num_iteration", "n_iter", "nrounds", "max_iter", "num_tree", "num_trees", "num_round",
                           "num_rounds", "n_estimators", "num_boost_round"],
        "learning_rate": ["learning_rate", "eta", "shrinkage_rate"],
        "num_leaves": ["num_leaves", "num_leaf", "max_leaf", "max_leaves", "max_leaf_nodes"],
        "bagging_fraction": ["bagging_fraction", "bagging", "sub_row", "subsample"],
        "bagging_freq": ["bagging_freq", "subsample_freq"],
        "feature_fraction": ["feature_fraction", "sub_feature", "colsample_bytree"],
        "num_threads": ["num_threads", "num_thread", "nthread", "nthreads", "n_jobs"],
        "seed": ["seed", "random_seed", "random_state"],
        "objective": ["objective", "objective_type", "app", "application", "loss"],
        "boosting": ["boosting", "boosting_type", "boost"],
        "verbosity": ["verbosity", "verbose"],
        "deterministic": ["deterministic"],
        "num_class": ["num_class", "num_classes"],
        "linear_tree": ["linear_tree", "linear_trees"],
        "min_data_in_leaf": ["min_data_in_leaf", "min_data_per_leaf", "min_data", "min_child_samples", "min_samples_leaf"],
        "max_depth": ["max_depth"],
    ]

    public static let defaultIterations = 100
    public static let defaultThreads = 2
    public static let defaultSeed = 42

    /// Resolves the user's parameters into LightGBM's (canonical names for the ones the trainer
    /// reads; everything else as given) and the number of rounds. Reports every problem at once.
    public static func resolve(_ given: [String: String], boosting: Boosting) throws(Error) -> (parameters: [String: String], iterations: Int) {
        var problems: [String] = []
        var params: [String: String] = [:]
        var canonicalOf: [String: String] = [:]
        for (canonical, names) in aliases { for name in names { canonicalOf[name] = canonical } }
        var seen: [String: String] = [:]  // canonical → the key the user used
        for (rawKey, rawValue) in given.sorted(by: { $0.key < $1.key }) {
            let key = rawKey.trimmingCharacters(in: .whitespaces)
            let value = rawValue.trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                problems.append("\"\(rawKey)\" is not a parameter name (letters, digits, '_')")
                continue
            }
            guard !value.isEmpty, !value.contains(where: { $0.isWhitespace || $0 == "=" }) else {
                problems.append("\(key)=\"\(rawValue)\": a value must be non-empty, without spaces or '='")
                continue
            }
            let canonical = canonicalOf[key] ?? key
            if let earlier = seen[canonical] {
                problems.append("\(earlier) and \(key) both set \(canonical)")
                continue
            }
            seen[canonical] = key
            params[canonical] = value
        }
        func number(_ key: String, _ valid: (Double) -> Bool, _ rule: String) {
            guard let text = params[key] else { return }
            guard let value = Double(text), valid(value) else {
                problems.append("\(seen[key] ?? key)=\(text): must be \(rule)")
                return
            }
        }
        func integer(_ key: String, _ valid: (Int) -> Bool, _ rule: String) {
            guard let text = params[key] else { return }
            guard let value = Int(text), valid(value) else {
                problems.append("\(seen[key] ?? key)=\(text): must be \(rule)")
                return
            }
        }
        number("learning_rate", { $0 > 0 && $0.isFinite }, "a number > 0")
        integer("num_leaves", { $0 >= 2 && $0 <= 131_072 }, "an integer in 2...131072")
        number("bagging_fraction", { $0 > 0 && $0 <= 1 }, "in (0, 1]")
        number("feature_fraction", { $0 > 0 && $0 <= 1 }, "in (0, 1]")
        integer("bagging_freq", { $0 >= 0 }, "an integer ≥ 0")
        integer("num_threads", { $0 >= 1 }, "an integer ≥ 1 (explicit: OpenMP would otherwise take every core)")
        integer("seed", { _ in true }, "an integer")
        integer("min_data_in_leaf", { $0 >= 0 }, "an integer ≥ 0")
        integer("max_depth", { _ in true }, "an integer (≤ 0 = unlimited)")
        integer("num_iterations", { $0 >= 1 }, "an integer ≥ 1")
        if let objective = params["objective"], !["binary", "cross_entropy", "xentropy"].contains(objective) {
            problems.append("\(seen["objective"] ?? "objective")=\(objective): the evaluator serves binary or cross_entropy (xentropy) only")
        }
        if let classes = params["num_class"], classes != "1" {
            problems.append("\(seen["num_class"] ?? "num_class")=\(classes): only single-output models are served")
        }
        if let linear = params["linear_tree"], linear != "false", linear != "0" {
            problems.append("\(seen["linear_tree"] ?? "linear_tree")=\(linear): linear trees are not served")
        }
        if let given = params["boosting"] {
            let expected = boosting == .randomForest ? ["rf", "random_forest"] : ["gbdt", "gbrt"]
            if !expected.contains(given) {
                problems.append("\(seen["boosting"] ?? "boosting")=\(given): the algorithm is \(boosting == .randomForest ? "rf" : "lgbm"), which means boosting=\(expected[0])")
            }
        }
        if boosting == .randomForest {
            let fraction = params["bagging_fraction"].flatMap(Double.init) ?? 0.632
            let frequency = params["bagging_freq"].flatMap(Int.init) ?? 1
            let features = params["feature_fraction"].flatMap(Double.init) ?? 0.8
            if !((fraction < 1 && frequency > 0) || features < 1) {
                problems.append("rf needs bagging (bagging_fraction < 1 with bagging_freq > 0) or feature_fraction < 1")
            }
        }
        guard problems.isEmpty else { throw .invalidParameters(problems) }

        let iterations = params.removeValue(forKey: "num_iterations").flatMap(Int.init) ?? defaultIterations
        params["objective"] = params["objective"] ?? "binary"
        params["verbosity"] = "-1"
        params["num_threads"] = params["num_threads"] ?? String(defaultThreads)
        params["deterministic"] = "true"
        params["seed"] = params["seed"] ?? String(defaultSeed)
        switch boosting {
        case .gbdt:
            params["boosting"] = "gbdt"
        case .randomForest:
            params["boosting"] = "rf"
            params["bagging_fraction"] = params["bagging_fraction"] ?? "0.632"
            params["bagging_freq"] = params["bagging_freq"] ?? "1"
            params["feature_fraction"] = params["feature_fraction"] ?? "0.8"
        }
        return (params, iterations)
    }

    /// LightGBM's parameter string: `key=value` pairs in key order.
    public static func parameterString(_ parameters: [String: String]) -> String {
        parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    /// Trains on rows given as arrays of one length (NaN = missing, as LightGBM treats it).
    public static func train(
        rows: [[Double]], labels: [Bool], featureNames: [String]? = nil, parameters: [String: String] = [:],
        boosting: Boosting = .gbdt, library: LightGBMLibrary? = nil
    ) throws(Error) -> Result {
        let width = rows.first?.count ?? 0
        if let bad = rows.firstIndex(where: { $0.count != width }) {
            throw .shapeMismatch("row \(bad) has \(rows[bad].count) values, row 0 has \(width)")
        }
        return try train(
            rowMajor: rows.flatMap { $0 }, columnCount: width, labels: labels, featureNames: featureNames,
            parameters: parameters, boosting: boosting, library: library
        )
    }

    /// Trains on a flat row-major buffer of `labels.count` rows × `columnCount` values.
    public static func train(
        rowMajor: [Double], columnCount: Int, labels: [Bool], featureNames: [String]? = nil, parameters: [String: String] = [:],
        boosting: Boosting = .gbdt, library: LightGBMLibrary? = nil
    ) throws(Error) -> Result {
        guard columnCount > 0 else { throw .shapeMismatch("no feature columns") }
        guard !labels.isEmpty else { throw .shapeMismatch("no rows") }
        guard rowMajor.count == labels.count * columnCount else {
            throw .shapeMismatch("\(rowMajor.count) values are not \(labels.count) rows × \(columnCount) columns")
        }
        if let names = featureNames {
            guard names.count == columnCount else { throw .shapeMismatch("\(names.count) feature names for \(columnCount) columns") }
            if let bad = names.first(where: { $0.isEmpty || $0.contains(where: \.isWhitespace) }) {
                throw .shapeMismatch("feature name \"\(bad)\" is empty or has whitespace (LightGBM's model text separates names by spaces)")
            }
        }
        let positives = labels.reduce(0) { $0 + ($1 ? 1 : 0) }
        if positives == 0 || positives == labels.count { throw .singleClass(label: positives > 0, rows: labels.count) }
        let (parameters, iterations) = try resolve(parameters, boosting: boosting)
        let lib: LightGBMLibrary
        if let library {
            lib = library
        } else {
            do {
                lib = try LightGBMLibrary.load()
            } catch {
                throw .unavailable(error)
            }
        }
        let parameterText = parameterString(parameters)
        do {
            let dataset = try rowMajor.withUnsafeBufferPointer { rows throws(LightGBMLibrary.CallError) in
                try lib.createDataset(
                    rows: rows, rowCount: labels.count, columnCount: columnCount, labels: labels.map { $0 ? 1 : 0 },
                    featureNames: featureNames, parameters: parameterText
                )
            }
            defer { _ = lib.datasetFree(dataset) }
            var booster: LightGBMLibrary.Handle? = nil
            try lib.check(lib.boosterCreate(dataset, parameterText, &booster), "LGBM_BoosterCreate")
            defer { _ = lib.boosterFree(booster) }
            var done = 0
            while done < iterations {
                var finished: Int32 = 0
                try lib.check(lib.boosterUpdateOneIter(booster, &finished), "LGBM_BoosterUpdateOneIter")
                if finished != 0 { break }
                done += 1
            }
            let text = try lib.modelText(booster!)
            do {
                return Result(text: text, model: try LightGBMModel(text: text), iterations: done, parameters: parameters)
            } catch {
                throw Error.unreadableModel(error)
            }
        } catch let error as LightGBMLibrary.CallError {
            throw .lightGBM(error)
        } catch let error as Error {
            throw error
        } catch {
            throw .lightGBM(.init(function: "train", message: "\(error)"))
        }
    }
}
