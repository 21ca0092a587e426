import Foundation
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
