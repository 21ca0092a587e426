import Foundation
import PredictorCore
import Research
import TestKit
import Testing

/// The native trainer against scikit-learn 1.9's LogisticRegression (lbfgs, L2, tol 1e-12) after
/// StandardScaler, on a committed fixture made by scripts/sklearn_logreg_reference.py from the
/// repository's sample klines: the same objective, so the same minimum.
@Suite struct SklearnLogisticRegressionTests {
    struct Fixture: Decodable {
        struct Fit: Decodable {
            var C: Double
            var coefficients: [Double]
            var intercept: Double
            var means: [Double]
            var stds: [Double]
        }
        var rows: [[Double]]
        var labels: [Int]
        var fits: [Fit]
        var sklearn: String
    }

    static func fixture() throws -> Fixture {
        let url = RepositoryPaths.root.appendingPathComponent("Tests/CoreTests/Fixtures/sklearn_logreg.json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    @Test func coefficientsMatchScikitLearn() throws {
        let fixture = try Self.fixture()
        #expect(fixture.rows.count > 2_000 && fixture.fits.count == 3)
        for fit in fixture.fits {
            let ours = try LogisticRegressionTrainer.train(
                rows: fixture.rows, labels: fixture.labels.map { $0 == 1 }, options: .init(C: fit.C, maxIterations: 1_000)
            ).parameters
            for j in fit.means.indices {
                #expect(abs(ours.means[j] - fit.means[j]) <= 1e-12 * max(1, abs(fit.means[j])), "C=\(fit.C) mean \(j)")
                #expect(abs(ours.stds[j] - fit.stds[j]) <= 1e-10 * fit.stds[j], "C=\(fit.C) std \(j)")
            }
            // lbfgs stops at tol 1e-12 on the projected gradient; Newton converges to 1e-10 relative: 1e-6 is far above both.
            for (a, b) in zip(ours.coefficients + [ours.intercept], fit.coefficients + [fit.intercept]) {
                #expect(abs(a - b) <= 1e-6 * max(1, abs(b)), "C=\(fit.C): ours \(ours.coefficients) \(ours.intercept), scikit-learn \(fit.coefficients) \(fit.intercept)")
            }
        }
    }
}
