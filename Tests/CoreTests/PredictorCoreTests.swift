import Domain
import Foundation
import PredictorCore
import Testing

private func metadata(
    name: String = "logreg-high_030_4", version: String = "20240801T000000Z", algorithm: String = "logistic_regression",
    features: [String] = ["close_RSI_14", "high_low_close_ATR_14", "close_SMA_20"],
    means: [Double]? = [50, 120, 60_000], stds: [Double]? = [10, 40, 2_000], coefficients: [Double]? = [0.8, -0.5, 0.25],
    intercept: Double? = -1.2
) -> ModelMetadata {
    ModelMetadata(
        name: name, version: version, algorithm: algorithm, label: "high_030_4", features: features,
        interval: .fiveMinutes, symbols: ["BTCUSDT"], created: "2024-08-01T00:00:00.000Z",
        training: .init(
            from: Timestamp(milliseconds: 1_719_792_000_000), to: Timestamp(milliseconds: 1_722_470_400_000),
            rows: 8_000, positives: 2_100, auc: 0.61, logLoss: 0.55
        ),
        means: means, stds: stds, coefficients: coefficients, intercept: intercept
    )
}

private func bar(_ symbol: String = "BTCUSDT", interval: Interval = .fiveMinutes) -> BarKey {
    BarKey(symbol: symbol, interval: interval, openTime: Timestamp(milliseconds: 1_722_470_400_000))
}

private func vector(_ names: [String], _ values: [Double], bar: BarKey = bar()) -> FeatureVector {
    FeatureVector(bar: bar, close: Decimal8(60_000), high: Decimal8(60_100), low: Decimal8(59_900), names: names, values: values)
}

/// A fresh empty directory under the system's temporary directory.
private func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-predictor-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite struct PredictorCoreTests {
    /// Which spread_pct source a model was trained on is in its metadata, and only the source the
    /// FeatureService serves (the kline estimator) loads.
    @Test func theSpreadSourceIsRecordedAndABookTrainedModelIsRefused() throws {
        let spread = metadata(features: ["spread_pct_12", "close_RSI_14", "close_SMA_20"])
        #expect(spread.spreadSource == "abdi_ranaldo")
        #expect(metadata().spreadSource == nil)
        _ = try Model(metadata: spread)
        let decoded = try ModelRegistry.decodeMetadata(ModelRegistry.encode(try Model(metadata: spread)))
        #expect(decoded.spreadSource == "abdi_ranaldo")
        var book = spread
        book.spreadSource = "book"
        do {
            _ = try Model(metadata: book)
            Issue.record("a book-trained model loaded")
        } catch {
            #expect("\(error)".contains("spreadSource") && "\(error)".contains("abdi_ranaldo"))
        }
    }

    @Test func predictsTheStandardizedLogisticFormula() throws {
        let model = try Model(metadata: metadata())
        var core = PredictorCore(configuration: .init(model: model))
        let out = core.handle(.features(vector(["close_RSI_14", "high_low_close_ATR_14", "close_SMA_20"], [65, 100, 61_000])), now: .zero)
        // The documented formula, term by term in feature order: z = b + Σ c_j·((x_j − m_j)/s_j).
        var z = -1.2
        z += 0.8 * ((65.0 - 50) / 10)
        z += -0.5 * ((100.0 - 120) / 40)
        z += 0.25 * ((61_000.0 - 60_000) / 2_000)
        let expected = Prediction(
            bar: bar(), model: "logreg-high_030_4", version: "20240801T000000Z", label: "high_030_4", probability: 1 / (1 + exp(-z))
        )
        #expect(out == [.prediction(expected)])
    }

    @Test func findsFeaturesByNameInAnyOrderAmongOthers() throws {
        let model = try Model(metadata: metadata())
        var core = PredictorCore(configuration: .init(model: model))
        let ordered = core.handle(.features(vector(["close_RSI_14", "high_low_close_ATR_14", "close_SMA_20"], [65, 100, 61_000])), now: .zero)
        let shuffled = vector(["close_SMA_1", "close_SMA_20", "close_RSI_14", "x", "high_low_close_ATR_14"], [1, 61_000, 65, 2, 100])
        // Alternate layouts to exercise the cache.
        for _ in 0..<3 {
            #expect(core.handle(.features(shuffled), now: .zero) == ordered)
            let again = vector(["close_RSI_14", "high_low_close_ATR_14", "close_SMA_20"], [65, 100, 61_000])
            #expect(core.handle(.features(again), now: .zero) == ordered)
        }
        let other = core.handle(.features(vector(["close_SMA_20", "close_RSI_14", "high_low_close_ATR_14"], [61_000, 30, 100])), now: .zero)
        #expect(other != ordered)
    }

    @Test func reportsEveryMissingFeatureAndSkipsNonFiniteInputs() throws {
        var core = PredictorCore(configuration: .init(model: try Model(metadata: metadata())))
        #expect(core.handle(.features(vector(["close_RSI_14"], [50])), now: .zero)
            == [.missingFeatures(bar: bar(), missing: ["high_low_close_ATR_14", "close_SMA_20"])])
        #expect(core.handle(.features(vector(["close_RSI_14", "high_low_close_ATR_14", "close_SMA_20"], [50, .nan, 1])), now: .zero)
            == [.skipped(bar: bar(), reason: "non_finite_feature: high_low_close_ATR_14")])
        #expect(core.handle(.features(vector(["close_RSI_14", "high_low_close_ATR_14", "close_SMA_20"], [50, 1, .infinity])), now: .zero)
            == [.skipped(bar: bar(), reason: "non_finite_feature: close_SMA_20")])
    }

    @Test func filtersSymbolsAndSkipsOtherIntervals() throws {
        var core = PredictorCore(configuration: .init(model: try Model(metadata: metadata()), symbols: ["ETHUSDT"]))
        let names = ["close_RSI_14", "high_low_close_ATR_14", "close_SMA_20"]
        #expect(core.handle(.features(vector(names, [50, 1, 1])), now: .zero).isEmpty)
        let eth = bar("ETHUSDT")
        guard case .prediction = core.handle(.features(vector(names, [50, 1, 1], bar: eth)), now: .zero).first else {
            Issue.record("expected a prediction for ETHUSDT")
            return
        }
        let oneMinute = bar("ETHUSDT", interval: .oneMinute)
        #expect(core.handle(.features(vector(names, [50, 1, 1], bar: oneMinute)), now: .zero)
            == [.skipped(bar: oneMinute, reason: "interval_mismatch: model 5m, vector 1m")])
    }

    @Test func validationRefusesBadMetadata() {
        #expect(throws: Model.ValidationError.unknownAlgorithm("xgboost")) { try Model(metadata: metadata(algorithm: "xgboost")) }
        #expect(throws: Model.ValidationError.lengthMismatch(field: "stds", expected: 3, found: 2)) { try Model(metadata: metadata(stds: [1, 2])) }
        #expect(throws: Model.ValidationError.missingField("coefficients")) { try Model(metadata: metadata(coefficients: nil)) }
        #expect(throws: Model.ValidationError.missingField("intercept")) { try Model(metadata: metadata(intercept: nil)) }
        #expect(throws: Model.ValidationError.self) { try Model(metadata: metadata(stds: [1, 0, 2])) }
        #expect(throws: Model.ValidationError.self) { try Model(metadata: metadata(means: [1, .nan, 2])) }
        #expect(throws: Model.ValidationError.self) { try Model(metadata: metadata(features: ["a", "a", "b"])) }
        #expect(throws: Model.ValidationError.self) { try Model(metadata: metadata(version: "../x")) }
    }

    @Test func registryWritesAndLoadsTheLatestVersion() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let registry = ModelRegistry(directory: directory)
        let older = try Model(metadata: metadata(version: "20240801T000000Z"))
        let newer = try Model(metadata: metadata(version: "20240901T000000Z", intercept: 0.5))
        let path = try registry.write(newer)
        try registry.write(older)
        #expect(path == directory + "/logreg-high_030_4/20240901T000000Z/metadata.json")
        #expect(try registry.versions(of: "logreg-high_030_4") == ["20240801T000000Z", "20240901T000000Z"])
        #expect(try registry.load(name: "logreg-high_030_4") == newer)
        #expect(try registry.load(name: "logreg-high_030_4", version: "") == newer)
        #expect(try registry.load(name: "logreg-high_030_4", version: "20240801T000000Z") == older)
        #expect(throws: ModelRegistry.Error.alreadyExists(path: path)) { try registry.write(newer) }
        try registry.write(newer, overwrite: true)

        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        let keys = [
            "name", "version", "algorithm", "label", "features", "interval", "symbols", "created", "training",
            "means", "stds", "coefficients", "intercept",
        ]
        for key in keys {
            #expect(json[key] != nil, "metadata.json lacks \(key)")
        }
        #expect(json["algorithm"] as? String == "logistic_regression")
        #expect(json["interval"] as? String == "5m")
    }

    @Test func registryErrorsAreSpecific() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let registry = ModelRegistry(directory: directory)
        #expect(throws: ModelRegistry.Error.noSuchModel(name: "nope", directory: directory)) { try registry.load(name: "nope") }
        #expect(throws: ModelRegistry.Error.invalidName("../etc")) { try registry.load(name: "../etc") }

        let model = directory + "/m"
        try FileManager.default.createDirectory(atPath: model, withIntermediateDirectories: true)
        #expect(throws: ModelRegistry.Error.noVersions(name: "m", path: model)) { try registry.load(name: "m") }
        try FileManager.default.createDirectory(atPath: model + "/v1", withIntermediateDirectories: true)
        #expect(throws: ModelRegistry.Error.missingFile(path: model + "/v1/metadata.json")) { try registry.load(name: "m") }

        func store(_ text: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: model + "/v1/metadata.json"))
        }
        try store("{ not json")
        #expect { try registry.load(name: "m") } throws: { error in
            if case .invalidJSON(let path, _) = error as? ModelRegistry.Error { return path.hasSuffix("v1/metadata.json") }
            return false
        }
        var json = String(decoding: ModelRegistry.encode(try Model(metadata: metadata(name: "m", version: "v1"))), as: UTF8.self)
        try store(json.replacingOccurrences(of: "\"version\"", with: "\"versio\""))
        #expect { try registry.load(name: "m") } throws: { error in
            if case .invalidJSON(_, let reason) = error as? ModelRegistry.Error { return reason.contains("missing key \"version\"") }
            return false
        }
        try store(json.replacingOccurrences(of: "logistic_regression", with: "xgboost"))
        #expect { try registry.load(name: "m") } throws: { error in
            if case .invalidModel(_, .unknownAlgorithm("xgboost")) = error as? ModelRegistry.Error { return true }
            return false
        }
        let abc = try Model(metadata: metadata(name: "m", version: "v1", features: ["a", "b", "c"]))
        json = String(decoding: ModelRegistry.encode(abc), as: UTF8.self)
        try store(json.replacingOccurrences(of: "\"c\"", with: "\"c\", \"d\""))
        #expect { try registry.load(name: "m") } throws: { error in
            if case .invalidModel(_, .lengthMismatch(field: "means", expected: 4, found: 3)) = error as? ModelRegistry.Error { return true }
            return false
        }
        try store(String(decoding: ModelRegistry.encode(try Model(metadata: metadata(name: "other", version: "v1"))), as: UTF8.self))
        #expect { try registry.load(name: "m") } throws: { error in
            if case .locationMismatch = error as? ModelRegistry.Error { return true }
            return false
        }
    }
}
