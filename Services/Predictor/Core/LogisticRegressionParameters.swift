import Foundation

/// A fitted logistic regression on standardized features:
/// `p = σ(intercept + Σ_j coefficients[j]·(x_j − means[j]) / stds[j])`.
public struct LogisticRegressionParameters: Sendable, Hashable {
    public var means: [Double]
    public var stds: [Double]
    public var coefficients: [Double]
    public var intercept: Double

    public init(means: [Double], stds: [Double], coefficients: [Double], intercept: Double) {
        self.means = means
        self.stds = stds
        self.coefficients = coefficients
        self.intercept = intercept
    }

    public var featureCount: Int { coefficients.count }

    /// The linear score for features in the parameters' order.
    @inlinable
    public func decision(_ x: some Collection<Double>) -> Double {
        precondition(x.count == coefficients.count, "feature count differs from the model's")
        var z = intercept
        var j = 0
        for value in x {
            z += coefficients[j] * ((value - means[j]) / stds[j])
            j += 1
        }
        return z
    }

    /// The probability of the label for features in the parameters' order.
    @inlinable
    public func probability(_ x: some Collection<Double>) -> Double { Self.sigmoid(decision(x)) }

    /// σ(z) without overflow.
    @inlinable
    public static func sigmoid(_ z: Double) -> Double {
        if z >= 0 { return 1 / (1 + exp(-z)) }
        let e = exp(z)
        return e / (1 + e)
    }
}
