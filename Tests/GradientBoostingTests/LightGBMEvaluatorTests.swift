import Foundation
import GradientBoosting
import Research
import Testing
import TestKit

/// Whether LightGBM's library is here (the bootstrap installs it); tests that train through its C
/// API are skipped, saying why, when it is not.
enum LightGBMAvailability {
    static let reason: String? = {
        let reason = LightGBMLibrary.unavailableReason
        if let reason { print("SKIPPED: LightGBM C-API tests skipped because the library is unavailable: \(reason)") }
        return reason
    }()
    static var isAvailable: Bool { reason == nil }
    static let skipComment: Comment = "needs LightGBM's lib_lightgbm.so (scripts/bootstrap.sh installs the pip package lightgbm==4.7.0; or set LIGHTGBM_LIB)"
}

/// Seeded rows: standard normal-ish values, some NaN, some exact zeros, labels from a nonlinear rule.
func syntheticData(rows: Int, columns: Int, seed: UInt64, missing: Double = 0.1, zeros: Double = 0.05) -> (x: [Double], y: [Bool]) {
    var generator = SeededGenerator(seed: seed)
    var x: [Double] = []
    var y: [Bool] = []
    x.reserveCapacity(rows * columns)
    for _ in 0..<rows {
        var row: [Double] = []
        for _ in 0..<columns {
            // Sum of uniforms ≈ normal.
            let v = (0..<4).reduce(0.0) { acc, _ in acc + Double.random(in: -1...1, using: &generator) }
            row.append(v)
        }
        let score = row[0] + 0.7 * row[1 % columns] * row[2 % columns] - 0.4 * abs(row[3 % columns]) + Double.random(in: -0.8...0.8, using: &generator)
        y.append(score > 0)
        for j in 0..<columns {
            let u = Double.random(in: 0..<1, using: &generator)
            if u < missing { row[j] = .nan } else if u < missing + zeros { row[j] = 0 }
        }
        x.append(contentsOf: row)
    }
    return (x, y)
}

@Suite struct LightGBMEvaluatorTests {
    // MARK: - Without the library: the committed fixture

    static let fixtures = RepositoryPaths.root.appendingPathComponent("Tests/GradientBoostingTests/Fixtures")

    struct Expected: Decodable {
        var model: String
        var rows: [[String]]
        var probabilities: [String]
        var raw: [String]
    }

    @Test("The committed model's predictions equal LightGBM's (scripts/lightgbm-fixture.py), NaN, zero, tiny and infinite inputs included")
    func fixtureMatchesLightGBM() throws {
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("small-gbdt-expected.json")))
        let text = try String(contentsOf: Self.fixtures.appendingPathComponent(expected.model), encoding: .utf8)
        let model = try LightGBMModel(text: text)
        #expect(model.featureNames == ["f0", "f1", "f2", "f3"] && model.featureCount == 4 && model.treeCount == 15)
        #expect(model.objective == .binary(sigmoid: 1) && !model.averageOutput)
        let rows = expected.rows.map { $0.map { Double($0)! } }
        #expect(rows.count == 46 && rows.contains { $0.contains(where: \.isNaN) })
        let batch = model.probabilities(rows)
        for (i, row) in rows.enumerated() {
            let p = Double(expected.probabilities[i])!, raw = Double(expected.raw[i])!
            let one = model.probability(row)
            let oneRaw = row.withUnsafeBufferPointer { model.rawScore($0) }
            #expect(abs(one - p) <= 1e-12 && abs(batch[i] - p) <= 1e-12 && abs(oneRaw - raw) <= 1e-12, "row \(i) \(row): \(one) / \(batch[i]) vs \(p)")
        }
    }

    // MARK: - Parse errors

    func fixtureText() throws -> String {
        try String(contentsOf: Self.fixtures.appendingPathComponent("small-gbdt.txt"), encoding: .utf8)
    }

    func parseError(_ text: String) -> LightGBMModel.ParseError? {
        do {
            _ = try LightGBMModel(text: text)
            return nil
        } catch {
            return error
        }
    }

    @Test("Corrupted model texts fail with the line and field named")
    func corruptedTextsFail() throws {
        let text = try fixtureText()
        func replacing(_ old: String, _ new: String) -> String {
            guard let range = text.range(of: old) else { Issue.record("fixture lacks \(old)"); return text }
            return text.replacingCharacters(in: range, with: new)
        }
        #expect(parseError("")?.field == "tree")
        #expect(parseError("hello\nworld")?.field == "tree")
        #expect(parseError(replacing("version=v4", "version=v9"))?.field == "version")
        #expect(parseError(replacing("version=v4", "version=v9"))?.line == 2)
        #expect(parseError(replacing("objective=binary sigmoid:1", "objective=regression"))?.field == "objective")
        #expect(parseError(replacing("objective=binary sigmoid:1", "objective=regression"))?.reason.contains("regression") == true)
        #expect(parseError(replacing("objective=binary sigmoid:1", "objective=binary sigmoid:-2"))?.field == "objective")
        #expect(parseError(replacing("num_class=1", "num_class=3"))?.field == "num_class")
        #expect(parseError(replacing("max_feature_idx=3\n", ""))?.field == "max_feature_idx")
        #expect(parseError(replacing("feature_names=f0 f1 f2 f3", "feature_names=f0 f1"))?.field == "feature_names")
        // Tree 0 ("Tree=0" is line 12): wrong array length, bad number, bad child, bad feature, linear.
        let short = parseError(replacing("split_feature=0 0 1 0 2 1", "split_feature=0 0 1"))
        #expect(short?.field == "split_feature" && short?.line == 15 && short?.reason.contains("3 values where 6") == true)
        #expect(parseError(replacing("threshold=0.11835556425630628", "threshold=zero"))?.field == "threshold")
        #expect(parseError(replacing("left_child=1 -1 4 -2 5 -3", "left_child=1 -1 4 -2 5 7"))?.field == "left_child/right_child")
        #expect(parseError(replacing("left_child=1 -1 4 -2 5 -3", "left_child=1 -1 4 -2 5 -2"))?.field == "left_child/right_child")
        #expect(parseError(replacing("split_feature=0 0 1 0 2 1", "split_feature=0 0 1 0 2 9"))?.field == "split_feature")
        #expect(parseError(replacing("decision_type=10 8 10 10 8 10", "decision_type=10 8 10 10 8 12"))?.field == "decision_type")
        #expect(parseError(replacing("is_linear=0", "is_linear=1"))?.field == "is_linear")
        #expect(parseError(replacing("num_leaves=7", "num_leaves=0"))?.field == "num_leaves")
        #expect(parseError(replacing("leaf_value=-0.47241581511543423", "leaf_value=nan"))?.field == "leaf_value")
        // Truncated in the middle of the trees.
        let cut = String(text.prefix(upTo: text.range(of: "Tree=3")!.lowerBound))
        #expect(parseError(cut)?.field == "end of trees")
        #expect(parseError(replacing("num_leaves=7", "num_leaves=7")) == nil)
        // A one-leaf tree (a constant) parses and adds its value.
        let constant = "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nmax_feature_idx=1\nobjective=binary sigmoid:1\n\n"
            + "Tree=0\nnum_leaves=1\nnum_cat=0\nsplit_feature=\nsplit_gain=\nthreshold=\ndecision_type=\nleft_child=\nright_child=\nleaf_value=-0.25\nis_linear=0\nshrinkage=1\n\n\nend of trees\n"
        let model = try LightGBMModel(text: constant)
        #expect(model.probability([1, 2]) == 1 / (1 + exp(0.25)))
        #expect(model.probabilities([[1, 2], [.nan, 0]]) == [1 / (1 + exp(0.25)), 1 / (1 + exp(0.25))])
    }

    // MARK: - Trainer parameters (no library needed)

    @Test("Parameters: defaults defined, aliases resolved, nonsense rejected with every problem listed")
    func parameters() throws {
        let (gbdt, rounds) = try LightGBMTrainer.resolve(["n_estimators": "30", "eta": "0.05"], boosting: .gbdt)
        #expect(rounds == 30)
        #expect(gbdt["learning_rate"] == "0.05" && gbdt["objective"] == "binary" && gbdt["verbosity"] == "-1")
        #expect(gbdt["num_threads"] == "2" && gbdt["deterministic"] == "true" && gbdt["seed"] == "42" && gbdt["boosting"] == "gbdt")
        #expect(gbdt["num_iterations"] == nil && gbdt["n_estimators"] == nil)
        let (rf, rfRounds) = try LightGBMTrainer.resolve(["subsample": "0.5"], boosting: .randomForest)
        #expect(rfRounds == 100)
        #expect(rf["boosting"] == "rf" && rf["bagging_fraction"] == "0.5" && rf["bagging_freq"] == "1" && rf["feature_fraction"] == "0.8")
        #expect {
            try LightGBMTrainer.resolve(
                ["learning_rate": "-0.1", "num_leaves": "1", "num_iterations": "10", "num_boost_round": "5", "objective": "regression",
                 "bagging_fraction": "2", "num_threads": "0", "bad key": "1", "seed": "x y"],
                boosting: .gbdt
            )
        } throws: { error in
            guard case .invalidParameters(let problems) = error as? LightGBMTrainer.Error else { return false }
            return problems.count == 8
                && problems.contains { $0.contains("learning_rate=-0.1") }
                && problems.contains { $0.contains("both set num_iterations") }
                && problems.contains { $0.contains("objective=regression") }
        }
        #expect(throws: LightGBMTrainer.Error.self) { try LightGBMTrainer.resolve(["boosting": "dart"], boosting: .gbdt) }
        #expect(throws: LightGBMTrainer.Error.self) {
            try LightGBMTrainer.resolve(["bagging_fraction": "1", "feature_fraction": "1"], boosting: .randomForest)
        }
        #expect(throws: LightGBMTrainer.Error.singleClass(label: true, rows: 3)) {
            try LightGBMTrainer.train(rows: [[1], [2], [3]], labels: [true, true, true])
        }
        #expect(throws: LightGBMTrainer.Error.self) { try LightGBMTrainer.train(rows: [[1, 2], [3]], labels: [true, false]) }
    }

    // MARK: - Against LightGBM's C API

    /// Trains through the C API, then compares every row's native prediction with LightGBM's.
    func expectEqualToLightGBM(
        _ parameters: [String: String], boosting: LightGBMTrainer.Boosting = .gbdt, rows: Int = 2000, columns: Int = 6, seed: UInt64,
        missing: Double = 0.1, zeros: Double = 0.05, transform: ([Double]) -> [Double] = { $0 }
    ) throws -> LightGBMModel {
        var data = syntheticData(rows: rows, columns: columns, seed: seed, missing: missing, zeros: zeros)
        data.x = transform(data.x)
        let result = try LightGBMTrainer.train(
            rowMajor: data.x, columnCount: columns, labels: data.y, parameters: parameters, boosting: boosting
        )
        let library = try LightGBMLibrary.load()
        // Probe rows: the training rows plus fresh ones with special values.
        var probe = data.x
        let specials: [Double] = [0, -0.0, .nan, 1e-36, -1e-36, 1e-35, .infinity, -.infinity, 1e300, -3, 3]
        for i in 0..<200 {
            for j in 0..<columns { probe.append(specials[(i * 7 + j * 3) % specials.count] * (j % 2 == 0 ? 1 : 0.5)) }
        }
        let expected = try library.predict(modelText: result.text, rows: probe, columnCount: columns)
        let expectedRaw = try library.predict(modelText: result.text, rows: probe, columnCount: columns, predictType: LightGBMLibrary.predictRaw)
        let model = result.model
        let batch = model.probabilities(rowMajor: probe)
        var worst = 0.0
        var mismatches = 0
        probe.withUnsafeBufferPointer { all in
            for r in 0..<expected.count {
                let row = UnsafeBufferPointer(rebasing: all[(r * columns)..<((r + 1) * columns)])
                let one = model.probability(row)
                let raw = model.rawScore(row)
                let error = max(abs(one - expected[r]), abs(batch[r] - expected[r]), abs(raw - expectedRaw[r]))
                worst = max(worst, error)
                if !(error <= 1e-12) { mismatches += 1 }
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(expected.count) rows differ from LightGBM; worst \(worst) (\(parameters), \(boosting))")
        return model
    }

    @Test(
        "Native evaluation equals LightGBM's C-API predictions for gbdt with NaN inputs, across num_leaves",
        .enabled(if: LightGBMAvailability.isAvailable, LightGBMAvailability.skipComment),
        arguments: [2, 7, 31, 63]
    )
    func gbdtEqualsLightGBM(leaves: Int) throws {
        let model = try expectEqualToLightGBM(
            ["num_leaves": "\(leaves)", "num_iterations": "40", "learning_rate": "0.1", "min_data_in_leaf": "5"], seed: UInt64(leaves)
        )
        #expect(model.treeCount == 40)
    }

    @Test(
        "Random forest (averaged, bagged trees) equals LightGBM's predictions",
        .enabled(if: LightGBMAvailability.isAvailable, LightGBMAvailability.skipComment)
    )
    func randomForestEqualsLightGBM() throws {
        let model = try expectEqualToLightGBM(["num_iterations": "30", "num_leaves": "15"], boosting: .randomForest, seed: 11)
        #expect(model.averageOutput && model.treeCount == 30)
    }

    @Test(
        "Missing-value variants equal LightGBM: zero_as_missing (missing type Zero), use_missing=false (None), cross_entropy, sigmoid≠1",
        .enabled(if: LightGBMAvailability.isAvailable, LightGBMAvailability.skipComment)
    )
    func missingValueVariantsEqualLightGBM() throws {
        let zero = try expectEqualToLightGBM(["zero_as_missing": "true", "num_iterations": "25"], seed: 21, missing: 0, zeros: 0.2)
        #expect(zero.text.contains("decision_type=") )
        _ = try expectEqualToLightGBM(["use_missing": "false", "num_iterations": "25"], seed: 22)
        let xent = try expectEqualToLightGBM(["objective": "cross_entropy", "num_iterations": "25"], seed: 23)
        #expect(xent.objective == .crossEntropy)
        let sigmoid = try expectEqualToLightGBM(["sigmoid": "0.5", "num_iterations": "25"], seed: 24)
        #expect(sigmoid.objective == .binary(sigmoid: 0.5))
        // Tiny constant-ish data: LightGBM may stop early; one-leaf trees still evaluate.
        _ = try expectEqualToLightGBM(["num_iterations": "5", "min_data_in_leaf": "1000"], rows: 300, seed: 25)
    }

    @Test(
        "Categorical splits (bitsets) equal LightGBM's predictions",
        .enabled(if: LightGBMAvailability.isAvailable, LightGBMAvailability.skipComment)
    )
    func categoricalEqualsLightGBM() throws {
        // Column 0 becomes a category 0...11 (the probe rows add NaN, negatives, huge values).
        let model = try expectEqualToLightGBM(
            ["categorical_feature": "0", "num_iterations": "30", "min_data_per_group": "5", "cat_smooth": "1"], seed: 31,
            transform: { x in x.enumerated().map { i, v in i % 6 == 0 && !v.isNaN ? (abs(v) * 3).rounded(.down) : v } }
        )
        #expect(model.text.contains("cat_boundaries"))
    }
}
