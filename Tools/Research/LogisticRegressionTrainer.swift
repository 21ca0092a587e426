import Foundation
import PredictorCore

/// Native L2-regularized logistic regression, as scikit-learn's `LogisticRegression(C:)` defines it:
/// minimize `½‖w‖² + C·Σ_i logloss(y_i, σ(b + w·x_i))` with the intercept b not penalized, on features
/// standardized with their population mean and standard deviation (a zero deviation becomes 1).
///
/// Solved by Newton's method (IRLS): each step solves the (d+1)×(d+1) Hessian system by Cholesky,
/// with a backtracking line search, until the gradient's max-norm is at most
/// `gradientTolerance·(1 + C·n)`. Sums run in row order: the result is deterministic.
public enum LogisticRegressionTrainer {
    public struct Options: Sendable, Hashable {
        /// Inverse regularization strength (scikit-learn's C).
        public var C: Double
        /// Relative gradient tolerance: stop when ‖∇f‖∞ ≤ tolerance·(1 + C·n).
        public var gradientTolerance: Double
        public var maxIterations: Int

        public init(C: Double = 1.0, gradientTolerance: Double = 1e-10, maxIterations: Int = 100) {
            self.C = C
            self.gradientTolerance = gradientTolerance
            self.maxIterations = maxIterations
        }
    }

    public struct Result: Sendable, Hashable {
        public var parameters: LogisticRegressionParameters
        /// Rows used (after dropping rows with a non-finite feature or no label).
        public var rows: Int
        public var positives: Int
        public var droppedRows: Int
        public var iterations: Int
        /// ‖∇f‖∞ at the solution (in standardized coordinates).
        public var gradientNorm: Double
        public var objective: Double
    }

    public enum Error: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        case invalidOptions(String)
        case shapeMismatch(String)
        case noRows
        case singleClass(label: Bool, rows: Int)
        case notConverged(iterations: Int, gradientNorm: Double)
        case singularHessian

        public var description: String {
            switch self {
            case .invalidOptions(let reason): return "invalid logistic regression options: \(reason)"
            case .shapeMismatch(let reason): return "training data shape: \(reason)"
            case .noRows: return "no training rows left after dropping rows with missing features or labels"
            case .singleClass(let label, let rows): return "all \(rows) training labels are \(label): need both classes"
            case .notConverged(let iterations, let norm): return "did not converge in \(iterations) iterations (gradient max-norm \(norm))"
            case .singularHessian: return "the Hessian is not positive definite"
            }
        }
    }

    /// Fits on `rows` (one feature array per row, all of one length) and their labels. Rows with a
    /// non-finite feature or a nil label are dropped.
    public static func train(rows: [[Double]], labels: [Bool?], options: Options = Options()) throws(Error) -> Result {
        guard options.C > 0, options.C.isFinite else { throw .invalidOptions("C must be a positive finite number, got \(options.C)") }
        guard options.gradientTolerance > 0 else { throw .invalidOptions("gradientTolerance must be > 0") }
        guard options.maxIterations >= 1 else { throw .invalidOptions("maxIterations must be ≥ 1") }
        guard rows.count == labels.count else { throw .shapeMismatch("\(rows.count) rows but \(labels.count) labels") }
        let d = rows.first?.count ?? 0
        if let bad = rows.firstIndex(where: { $0.count != d }) {
            throw .shapeMismatch("row \(bad) has \(rows[bad].count) features, row 0 has \(d)")
        }
        return try fit(rows: rows, labels: labels, d: d, options: options)
    }

    private static func fit(rows: [[Double]], labels: [Bool?], d: Int, options: Options) throws(Error) -> Result {
        // Keep complete rows, row-major.
        var x: [Double] = []
        x.reserveCapacity(rows.count * d)
        var y: [Double] = []
        y.reserveCapacity(rows.count)
        for (row, label) in zip(rows, labels) {
            guard let label, row.allSatisfy(\.isFinite) else { continue }
            x.append(contentsOf: row)
            y.append(label ? 1 : 0)
        }
        let n = y.count
        guard n > 0 else { throw .noRows }
        let positives = y.reduce(0) { $0 + Int($1) }
        guard positives > 0, positives < n else { throw .singleClass(label: positives > 0, rows: n) }

        // Standardize (population statistics, two passes).
        var means = [Double](repeating: 0, count: d)
        var stds = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { means[j] += x[i * d + j] } }
        for j in 0..<d { means[j] /= Double(n) }
        for i in 0..<n { for j in 0..<d { let e = x[i * d + j] - means[j]; stds[j] += e * e } }
        for j in 0..<d {
            let s = (stds[j] / Double(n)).squareRoot()
            stds[j] = s > 0 && s.isFinite ? s : 1
        }
        for i in 0..<n { for j in 0..<d { x[i * d + j] = (x[i * d + j] - means[j]) / stds[j] } }

        let problem = Problem(x: x, y: y, n: n, d: d, C: options.C)
        // β = [w_0 … w_{d−1}, b]; start at w = 0 and b = logit of the base rate.
        var beta = [Double](repeating: 0, count: d + 1)
        let rate = Double(positives) / Double(n)
        beta[d] = log(rate / (1 - rate))
        var objective = problem.objective(beta)
        let threshold = options.gradientTolerance * (1 + options.C * Double(n))
        var iterations = 0
        while true {
            let (gradient, hessian) = problem.gradientAndHessian(beta)
            let norm = gradient.map(abs).max() ?? 0
            func result() -> Result {
                Result(
                    parameters: LogisticRegressionParameters(means: means, stds: stds, coefficients: Array(beta[0..<d]), intercept: beta[d]),
                    rows: n, positives: positives, droppedRows: rows.count - n, iterations: iterations,
                    gradientNorm: norm, objective: objective
                )
            }
            if norm <= threshold { return result() }
            guard iterations < options.maxIterations else { throw .notConverged(iterations: iterations, gradientNorm: norm) }
            guard let step = solveCholesky(hessian, gradient.map { -$0 }, size: d + 1) else { throw .singularHessian }
            // Newton decrement −∇f·Δ: when it is at rounding level, no representable step improves f.
            let slope = zip(gradient, step).reduce(0) { $0 + $1.0 * $1.1 }
            if -slope <= 1e-13 * max(1, abs(objective)) { return result() }
            iterations += 1
            // Backtracking (Armijo) line search.
            var t = 1.0
            var accepted = false
            for _ in 0..<60 {
                let candidate = zip(beta, step).map { $0 + t * $1 }
                let value = problem.objective(candidate)
                if value <= objective + 1e-4 * t * slope {
                    beta = candidate
                    objective = value
                    accepted = true
                    break
                }
                t /= 2
            }
            guard accepted else { throw .notConverged(iterations: iterations, gradientNorm: norm) }
        }
    }

    /// The objective on standardized rows.
    struct Problem {
        let x: [Double]
        let y: [Double]
        let n: Int
        let d: Int
        let C: Double

        func score(_ beta: [Double], _ i: Int) -> Double {
            var z = beta[d]
            for j in 0..<d { z += beta[j] * x[i * d + j] }
            return z
        }

        func objective(_ beta: [Double]) -> Double {
            var loss = 0.0
            for i in 0..<n {
                let z = score(beta, i)
                // log(1 + e^z) − y·z, computed without overflow.
                let softplus = z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))
                loss += softplus - y[i] * z
            }
            var penalty = 0.0
            for j in 0..<d { penalty += beta[j] * beta[j] }
            return 0.5 * penalty + C * loss
        }

        /// ∇f and the Hessian (row-major (d+1)², lower and upper filled).
        func gradientAndHessian(_ beta: [Double]) -> ([Double], [Double]) {
            let m = d + 1
            var gradient = [Double](repeating: 0, count: m)
            var hessian = [Double](repeating: 0, count: m * m)
            var row = [Double](repeating: 1, count: m)
            for i in 0..<n {
                for j in 0..<d { row[j] = x[i * d + j] }
                let p = LogisticRegressionParameters.sigmoid(score(beta, i))
                let residual = p - y[i]
                let weight = p * (1 - p)
                for j in 0..<m {
                    gradient[j] += residual * row[j]
                    let wj = weight * row[j]
                    for k in 0...j { hessian[j * m + k] += wj * row[k] }
                }
            }
            for j in 0..<m {
                gradient[j] *= C
                for k in 0...j {
                    hessian[j * m + k] *= C
                    hessian[k * m + j] = hessian[j * m + k]
                }
            }
            for j in 0..<d {
                gradient[j] += beta[j]
                hessian[j * m + j] += 1
            }
            return (gradient, hessian)
        }
    }

    /// Solves A·s = r for symmetric positive definite A (row-major size×size); nil if A is not.
    static func solveCholesky(_ a: [Double], _ r: [Double], size m: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: m * m)
        for i in 0..<m {
            for j in 0...i {
                var sum = a[i * m + j]
                for k in 0..<j { sum -= l[i * m + k] * l[j * m + k] }
                if i == j {
                    guard sum > 0, sum.isFinite else { return nil }
                    l[i * m + i] = sum.squareRoot()
                } else {
                    l[i * m + j] = sum / l[j * m + j]
                }
            }
        }
        var z = [Double](repeating: 0, count: m)
        for i in 0..<m {
            var sum = r[i]
            for k in 0..<i { sum -= l[i * m + k] * z[k] }
            z[i] = sum / l[i * m + i]
        }
        var s = [Double](repeating: 0, count: m)
        for i in stride(from: m - 1, through: 0, by: -1) {
            var sum = z[i]
            for k in (i + 1)..<m { sum -= l[k * m + i] * s[k] }
            s[i] = sum / l[i * m + i]
        }
        return s
    }
}
