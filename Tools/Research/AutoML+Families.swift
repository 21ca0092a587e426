import Foundation
import GradientBoosting
import PredictorCore

extension AutoML.Family {
    /// Logistic regression (L2, standardized features): C drawn log-uniformly in [1e-3, 1e2].
    public static let logisticRegression = AutoML.Family(
        name: "logreg",
        defaults: ["C": "1.0", "max_iter": "100"],
        sample: { rng in ["C": String(format: "%.6g", rng.logUniform(1e-3, 1e2)), "max_iter": "100"] },
        fit: { rows, labels, parameters in
            let C = Double(parameters["C"] ?? "1.0") ?? .nan
            let iterations = Int(parameters["max_iter"] ?? "100") ?? -1
            let fit = try LogisticRegressionTrainer.train(rows: rows, labels: labels.map { $0 }, options: .init(C: C, maxIterations: iterations))
            let parameters = fit.parameters
            return { parameters.probability($0) }
        }
    )
}

extension AutoML.Family {
    /// LightGBM (gbdt): leaves, learning rate, rounds, leaf size, feature and row subsampling.
    public static let lightGBM = AutoML.Family(
        name: "lgbm",
        defaults: ["num_leaves": "31", "learning_rate": "0.05", "num_iterations": "100", "min_data_in_leaf": "20"],
        sample: { rng in
            [
                "num_leaves": String(Int.random(in: 4...63, using: &rng)),
                "learning_rate": String(format: "%.4g", rng.logUniform(0.01, 0.2)),
                "num_iterations": String(Int.random(in: 30...300, using: &rng)),
                "min_data_in_leaf": String(Int.random(in: 10...200, using: &rng)),
                "feature_fraction": String(format: "%.2f", Double.random(in: 0.5...1, using: &rng)),
                "lambda_l2": String(format: "%.4g", rng.logUniform(1e-3, 10)),
            ]
        },
        fit: { rows, labels, parameters in
            let fit = try LightGBMTrainer.train(rows: rows, labels: labels, parameters: parameters, boosting: .gbdt)
            let model = fit.model
            return { model.probability($0) }
        }
    )

    /// A random forest (LightGBM's rf boosting with bagging): trees, leaves, leaf size, subsampling.
    public static let randomForest = AutoML.Family(
        name: "rf",
        defaults: ["num_iterations": "100", "num_leaves": "31", "min_data_in_leaf": "20"],
        sample: { rng in
            [
                "num_iterations": String(Int.random(in: 30...200, using: &rng)),
                "num_leaves": String(Int.random(in: 8...127, using: &rng)),
                "min_data_in_leaf": String(Int.random(in: 5...200, using: &rng)),
                "bagging_fraction": String(format: "%.2f", Double.random(in: 0.4...0.9, using: &rng)),
                "feature_fraction": String(format: "%.2f", Double.random(in: 0.4...1, using: &rng)),
            ]
        },
        fit: { rows, labels, parameters in
            let fit = try LightGBMTrainer.train(rows: rows, labels: labels, parameters: parameters, boosting: .randomForest)
            let model = fit.model
            return { model.probability($0) }
        }
    )
}
