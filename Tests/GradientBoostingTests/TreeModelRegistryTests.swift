import CollectorCore
import Domain
import FeatureServiceCore
import Foundation
import GradientBoosting
import PredictorCore
import Research
import Testing
import TestKit

/// Tree models in the registry (model.txt beside metadata.json), in the Predictor, and trained on
/// real features through `ModelTraining.trainLightGBM`.
@Suite struct TreeModelRegistryTests {
    static func fixtureTrees() throws -> LightGBMModel {
        let url = LightGBMEvaluatorTests.fixtures.appendingPathComponent("small-gbdt.txt")
        return try LightGBMModel(text: String(contentsOf: url, encoding: .utf8))
    }

    static func metadata(
        name: String = "lgbm-high_030_4", version: String = "v1", algorithm: ModelAlgorithm = .lightgbm,
        features: [String] = ["f0", "f1", "f2", "f3"], featureHash: String? = nil
    ) -> ModelMetadata {
        ModelMetadata(
            name: name, version: version, algorithm: algorithm.rawValue, label: "high_030_4", features: features,
            interval: .fiveMinutes, symbols: ["BTCUSDT"], created: "2024-08-02T00:00:00.000Z",
            params: ["num_leaves": "7"], featureHash: featureHash ?? ModelMetadata.featureHash(features), dataHash: "abc",
            crossValidation: ["auc": 0.61], holdout: ["auc": 0.58, "log_loss": 0.66], codeVersion: "v0-test"
        )
    }

    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("quorum-trees-\(UUID().uuidString)").path
    }

    @Test("SHA-256 of the FIPS 180-4 vectors; the feature hash is the names' digest")
    func hashes() {
        #expect(SHA256Digest.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256Digest.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA256Digest.hex(long) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(ModelMetadata.featureHash(["a", "b"]) == SHA256Digest.hex(Array("a\nb\n".utf8)))
        #expect(ModelMetadata.featureHash(["a", "b"]) != ModelMetadata.featureHash(["b", "a"]))
        #expect(ModelMetadata.dataHash(rows: [[1, 2]], labels: [true]) != ModelMetadata.dataHash(rows: [[1, 2]], labels: [false]))
    }

    @Test("A tree model round-trips through the registry: model.txt beside metadata.json, every new field kept")
    func registryRoundTrip() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let registry = ModelRegistry(directory: directory)
        let model = try Model(metadata: Self.metadata(), trees: try Self.fixtureTrees())
        let path = try registry.write(model)
        #expect(FileManager.default.fileExists(atPath: directory + "/lgbm-high_030_4/v1/model.txt"))
        let loaded = try registry.load(name: "lgbm-high_030_4")
        #expect(loaded == model)
        #expect(loaded.metadata.holdout?["log_loss"] == 0.66 && loaded.metadata.codeVersion == "v0-test" && loaded.metadata.params?["num_leaves"] == "7")
        #expect(loaded.probability([0.1, -0.2, 0.3, 1]) == (try Self.fixtureTrees()).probability([0.1, -0.2, 0.3, 1]))

        // Metadata-only decoding refuses a tree model: its trees are in model.txt.
        #expect(throws: ModelRegistry.Error.invalidModel(path: "metadata.json", .missingField("model.txt"))) {
            try ModelRegistry.decode(ModelRegistry.encode(model))
        }
        // A corrupt model.txt is a typed error naming the file.
        let treesPath = directory + "/lgbm-high_030_4/v1/model.txt"
        try Data("tree\nversion=v4\n".utf8).write(to: URL(fileURLWithPath: treesPath))
        #expect { try registry.load(name: "lgbm-high_030_4") } throws: { error in
            if case .invalidTrees(let p, _) = error as? ModelRegistry.Error { return p == treesPath }
            return false
        }
        try FileManager.default.removeItem(atPath: treesPath)
        #expect(throws: ModelRegistry.Error.missingFile(path: treesPath)) { try registry.load(name: "lgbm-high_030_4") }
        _ = path
    }

    @Test("Metadata and trees must agree: feature names, count, hash, averaging")
    func validation() throws {
        let trees = try Self.fixtureTrees()
        #expect(throws: Model.ValidationError.lengthMismatch(field: "model.txt", expected: 3, found: 4)) {
            try Model(metadata: Self.metadata(features: ["f0", "f1", "f2"]), trees: trees)
        }
        #expect(throws: Model.ValidationError.self) { try Model(metadata: Self.metadata(features: ["f0", "f1", "f3", "f2"]), trees: trees) }
        #expect(throws: Model.ValidationError.self) { try Model(metadata: Self.metadata(featureHash: "0000"), trees: trees) }
        #expect(throws: Model.ValidationError.self) { try Model(metadata: Self.metadata(algorithm: .randomForest), trees: trees) }
        #expect(throws: Model.ValidationError.missingField("model.txt")) { try Model(metadata: Self.metadata()) }
        // Metadata written before these fields existed still decodes (every new field optional).
        let old = #"{"name":"m","version":"v1","algorithm":"logistic_regression","label":"high_030_4","features":["a"],"interval":"5m","symbols":["X"],"created":"2024-01-01T00:00:00.000Z","means":[0],"stds":[1],"coefficients":[1],"intercept":0}"#
        let model = try ModelRegistry.decode(Data(old.utf8))
        #expect(model.metadata.featureHash == nil && model.metadata.params == nil)
    }

    @Test("The Predictor evaluates a tree model and switches versions only when the new features are in the vectors")
    func predictorSwitchesVersions() throws {
        let trees = try Self.fixtureTrees()
        let v1 = try Model(metadata: Self.metadata(), trees: trees)
        var core = PredictorCore(configuration: .init(model: v1))
        let bar = BarKey(symbol: "BTCUSDT", interval: .fiveMinutes, openTime: Timestamp(milliseconds: 0))
        let names = ["x", "f3", "f2", "f1", "f0"]
        let vector = FeatureVector(bar: bar, close: .one, high: .one, low: .one, names: names, values: [9, 1, 0.3, .nan, 0.1])
        let outputs = core.handle(.features(vector), now: .zero)
        guard case .prediction(let p)? = outputs.first else { Issue.record("no prediction: \(outputs)"); return }
        #expect(p.probability == trees.probability([0.1, .nan, 0.3, 1]) && p.version == "v1")
        let infinite = FeatureVector(bar: bar, close: .one, high: .one, low: .one, names: names, values: [9, .infinity, 0.3, 0, 0.1])
        #expect(core.handle(.features(infinite), now: .zero) == [.skipped(bar: bar, reason: "non_finite_feature: f3")])

        // v2 uses "x" (present in the vectors): accepted. v3 needs "y": refused, v2 keeps running.
        let renamed = trees.text.replacingOccurrences(of: "feature_names=f0 f1 f2 f3", with: "feature_names=f0 f1 f2 x")
        let v2 = try Model(metadata: Self.metadata(version: "v2", features: ["f0", "f1", "f2", "x"]), trees: LightGBMModel(text: renamed))
        #expect(core.switchModel(to: v2) == nil)
        guard case .prediction(let p2)? = core.handle(.features(vector), now: .zero).first else { Issue.record("no prediction"); return }
        #expect(p2.version == "v2" && p2.probability == trees.probability([0.1, .nan, 0.3, 9]))
        let other = trees.text.replacingOccurrences(of: "feature_names=f0 f1 f2 f3", with: "feature_names=f0 f1 f2 y")
        let v3 = try Model(metadata: Self.metadata(version: "v3", features: ["f0", "f1", "f2", "y"]), trees: LightGBMModel(text: other))
        #expect(core.switchModel(to: v3)?.contains("y") == true)
        #expect(core.configuration.model.version == "v2")
        let renamedModel = try Model(metadata: Self.metadata(name: "other", version: "v4"), trees: trees)
        #expect(core.switchModel(to: renamedModel) != nil)
    }

    @Test(
        "trainLightGBM on real features (the embedded BTCUSDT 5m sample): metadata, registry, Predictor and LightGBM agree",
        .enabled(if: LightGBMAvailability.isAvailable, LightGBMAvailability.skipComment)
    )
    func trainsOnRealFeatures() throws {
        let klines = try KlineCSV.read(path: RepositoryPaths.sampleKlines.path)
        let features = ["close_RSI_14", "high_low_close_ATR_14", "close_SMA_20", "close_SMA_1"]
        let range = klines[0].openTime..<klines[0].openTime.adding(milliseconds: 14 * 86_400_000)
        for boosting in LightGBMTrainer.Boosting.allCases {
            let model = try ModelTraining.trainLightGBM(
                klines: klines, features: features, label: "high_030_4", range: range, boosting: boosting,
                parameters: ["num_iterations": "50", "num_leaves": "15"], created: Timestamp(milliseconds: 1_722_556_800_000),
                source: "sample", codeVersion: "test"
            )
            let training = try #require(model.metadata.training)
            #expect(training.rows > 3000 && training.auc > 0.5 && training.logLoss > 0, "\(training)")
            #expect(model.metadata.algorithm == (boosting == .gbdt ? "lightgbm" : "random_forest"))
            #expect(model.name == (boosting == .gbdt ? "lgbm-high_030_4" : "rf-high_030_4") && model.version == "20240802T000000Z")
            #expect(model.metadata.featureHash == ModelMetadata.featureHash(features) && model.metadata.dataHash?.count == 64)
            #expect(model.metadata.params?["num_iterations"] == "50" && model.metadata.params?["seed"] == "42")
            guard case .gradientBoosting(let trees) = model.parameters else { Issue.record("not a tree model"); continue }
            #expect(trees.featureNames == features)

            // LightGBM's own predictions on the training rows equal the native ones.
            let label = try HighLowLabel(parsing: "high_030_4")
            let data = try ModelTraining.dataset(klines: klines, features: features, label: label, range: range)
            let expected = try LightGBMLibrary.load().predict(modelText: trees.text, rows: data.rows.flatMap { $0 }, columnCount: features.count)
            let native = trees.probabilities(data.rows)
            #expect(zip(native, expected).allSatisfy { abs($0 - $1) <= 1e-12 })

            let directory = Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try ModelRegistry(directory: directory).write(model)
            #expect(try ModelRegistry(directory: directory).load(name: model.name) == model)
        }
    }
}
