import Domain
import Foundation
import Testing
import TestKit
@testable import StrategyConfig

/// The two seed configs of the product specification (../shared/configs/seed), read unchanged.
@Suite struct SeedConfigTests {
    static var seedDirectory: URL? { RepositoryPaths.shared?.appendingPathComponent("configs/seed") }

    func seed(_ name: String) -> String? {
        guard let dir = Self.seedDirectory, FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path) else {
            print("skipped: \(name) needs ../shared/configs/seed beside \(RepositoryPaths.root.path), which does not exist")
            return nil
        }
        return dir.appendingPathComponent(name).path
    }

    @Test func btcConfigLoadsUnchanged() throws {
        guard let path = seed("btcusdt_5m_azure.jsonc") else { return }
        let loaded = try StrategyConfig.load(path: path)
        let config = loaded.config
        #expect(config.symbol == "BTCUSDT")
        #expect(config.interval == Interval("5m"))
        #expect(config.dataFolder == "./DATA_ITB_5m")
        #expect(config.labels == ["high_030_4", "low_030_4"])
        #expect(config.trainFeatures == ["close_SMA_3", "close_SMA_6", "close_SMA_12", "close_RSI_14", "high_low_close_ATR_14", "spread_pct_3", "vol_regime"])
        #expect(config.algorithms.map(\.name) == ["logreg", "lgbm"])
        #expect(config.algorithms[0].algoName == "sklearn_logreg")
        guard case .logisticRegression(let lr) = config.algorithms[0].kind else { Issue.record("logreg"); return }
        #expect(lr.c == 1.0 && lr.maxIterations == 1000)
        guard case .lightGBM(let gbm) = config.algorithms[1].kind else { Issue.record("lgbm"); return }
        #expect(gbm.parameters.map(\.key) == ["num_leaves", "learning_rate", "n_estimators"])
        #expect(gbm.value("learning_rate") == "0.05")
        #expect(gbm.rounds == 300)
        #expect(config.cloud == "azure" && config.deployment == "aci")
        #expect(config.labelHorizon == 4)
        #expect(loaded.division.name == "conservative")
        #expect(loaded.notes.contains { $0.contains("cloud \"azure\" and deployment \"aci\" recorded as metadata") })
        #expect(loaded.notes.contains { $0.contains("break-even win rate 87.50 %") })
        #expect(loaded.notes.contains { $0.contains("conservative division preset") })
    }

    @Test func solConfigLoadsUnchanged() throws {
        guard let path = seed("sol_5m_gcp_orderflow.jsonc") else { return }
        // The file as the specification gives it: comments, and a mis-encoded one among them.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("// TA bÃ¡sico (complemento)") && text.contains("// Features orderflow (19)"))
        let loaded = try StrategyConfig.load(path: path)
        let config = loaded.config
        #expect(config.symbol == "SOLUSDT")
        #expect(config.labels == ["high_040_4", "low_040_4"])
        #expect(config.trainFeatures.count == 12)
        #expect(config.trainFeatures.first == "imbalance_5" && config.trainFeatures.last == "vol_regime")
        #expect(config.orderFlowSets == [.init(orderbookPattern: "DATA_ORDERBOOK/SOLUSDT_orderbook_*.parquet", depths: [5, 10, 20], interval: Interval("5m"), freq: "5T")])
        guard case .autoML(let automl) = config.algorithms.first?.kind else { Issue.record("automl"); return }
        #expect(config.algorithms[0].algoName == "vertex_automl")
        #expect(automl.budgetHours == 1)
        #expect(automl.objective == .maximizePrecisionAtRecall)
        #expect(automl.recallFloor == 0.2)
        #expect(loaded.division.name == "aggressive")
        #expect(loaded.notes.contains { $0.contains("vertex_automl runs locally (Quorum's AutoML search), not on Google Cloud") })
        #expect(loaded.notes.contains { $0.contains("cloud \"gcp\" and deployment \"vertex\"") })
        #expect(loaded.notes.contains { $0.contains("break-even win rate 80.00 %") })
    }

    @Test func budgetHoursAndDataFolderAreOverriddenWithoutTouchingTheFile() throws {
        guard let path = seed("sol_5m_gcp_orderflow.jsonc") else { return }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let loaded = try StrategyConfig.load(path: path, overrides: ConfigOverrides(dataFolder: "/data/klines", budgetHours: 0.25))
        guard case .autoML(let automl) = loaded.config.algorithms.first?.kind else { Issue.record("automl"); return }
        #expect(automl.budgetHours == 0.25)
        #expect(loaded.config.dataFolder == "/data/klines")
        #expect(loaded.notes.contains { $0.contains("1 h in the config, 0.25 h from the command line") })
        #expect(loaded.notes.contains { $0.contains("data_folder \"./DATA_ITB_5m\" overridden by the command line") })
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func seedConfigsFindRealKlinesThroughADataFolderOverride() throws {
        guard let path = seed("btcusdt_5m_azure.jsonc"), let shared = RepositoryPaths.shared else { return }
        let overrides = ConfigOverrides(dataFolder: shared.appendingPathComponent("data/klines").path)
        let loaded = try StrategyConfig.load(path: path, overrides: overrides)
        let check = loaded.config.checkFiles(overrides: overrides)
        #expect(check.violations.isEmpty, "\(check.violations)")
        #expect(check.klines?.path.hasSuffix("BTCUSDT-5m.csv") == true)
        #expect(check.klines?.needsResampling == false)
    }
}

@Suite struct ModelConfigValidationTests {
    func violations(_ text: String, overrides: ConfigOverrides = .none, rules: NameRules = .standard) -> [Violation] {
        do {
            _ = try StrategyConfig.load(text: text, file: "bad.jsonc", overrides: overrides, rules: rules)
            Issue.record("accepted")
            return []
        } catch {
            return error.violations
        }
    }

    static let minimal = """
    {"symbol": "BTCUSDT", "freq": "5m", "labels": ["high_030_4"], "train_features": ["close_RSI_14"],
     "algorithms": [{"name": "lgbm", "algo": "lgbm"}]}
    """

    @Test func aMinimalConfigLoads() throws {
        let loaded = try StrategyConfig.load(text: Self.minimal)
        #expect(loaded.config.algorithms.first?.kind == .lightGBM(.init(parameters: [])))
        #expect(loaded.config.featuresHorizon == 10)
        #expect(loaded.config.modelFolder == "MODELS")
    }

    @Test func everyViolationIsReportedAtOnceWithPathsPositionsAndSuggestions() {
        let found = violations("""
        {
          "symbol": "BTCUSDT",
          "freq": "5m",
          "labels": ["high_030_4", "high_30_4", "low_030_04"],
          "trian_features": ["close_RSI_14"],
          "train_features": ["close_SMA_3", "close_FOO_3", "bid_pressure"],
          "api_key": "abc",
          "algorithms": [
            {"name": "logreg", "algo": "sklearn_logreg", "train": {"C": -1, "max_iter": 0, "penalty": "l1"}},
            {"name": "lgbm", "algo": "lgbm", "train": {"num_leaves": 31, "learning_rate": 0, "n_estimators": 2.5}},
            {"name": "deep", "algo": "lstm"},
            {"name": "x", "algo": "logreg", "trian": {}}
          ]
        }
        """)
        let lines = found.map(\.description)
        func has(_ path: String, _ fragment: String, line: Int? = nil) {
            let match = found.first { $0.path == path && $0.message.contains(fragment) }
            #expect(match != nil, "no \(path): …\(fragment)… in\n\(lines.joined(separator: "\n"))")
            if let line, let match { #expect(match.line == line, "\(match)") }
        }
        has("labels[1]", "threshold \"30\" must be at least 3 digits", line: 4)
        has("labels[2]", "horizon \"04\"", line: 4)
        has("trian_features", "did you mean \"train_features\"?", line: 5)
        has("train_features[1]", "unknown function \"FOO\"", line: 6)
        has("api_key", "BINANCE_API_KEY", line: 7)
        has("algorithms[0].train.C", "must be > 0", line: 9)
        has("algorithms[0].train.max_iter", "≥ 1")
        has("algorithms[0].train.penalty", "l2 penalty only")
        has("algorithms[1].train.learning_rate", "must be > 0", line: 10)
        has("algorithms[1].train.n_estimators", "whole number")
        has("algorithms[2].algo", "\"lstm\" is not supported yet", line: 11)
        has("algorithms[3].trian", "did you mean \"train\"?", line: 12)
        #expect(found.count == 12, "\(lines.joined(separator: "\n"))")
        #expect(found.allSatisfy { $0.file == "bad.jsonc" })
        // Listed in document order.
        let positions = found.compactMap(\.position)
        #expect(positions.count == found.count && positions == positions.sorted())
        // One per line, compiler style.
        #expect(lines.contains("bad.jsonc:5:3: trian_features: unknown key \"trian_features\"; did you mean \"train_features\"?"))
    }

    @Test func transformerAndUnknownAlgorithmsAreRefused() {
        let found = violations("""
        {"symbol": "BTCUSDT", "freq": "5m", "labels": ["high_030_4"], "train_features": ["close_RSI_14"],
         "algorithms": [{"name": "t", "algo": "transformer"}, {"name": "g", "algo": "lgmb"}, {"name": "s", "algo": "svc"}]}
        """)
        #expect(found.map(\.message) == [
            "\"transformer\" is not supported yet (supported: logreg, lgbm, rf, automl)",
            "unknown algorithm \"lgmb\"; did you mean \"lgbm\"?",
            "\"svc\" is not supported yet (supported: logreg, lgbm, rf, automl)",
        ])
    }

    @Test func automlChecksBudgetObjectiveAndRecallFloor() throws {
        let found = violations("""
        {"symbol": "SOLUSDT", "freq": "5m", "labels": ["high_040_4"], "train_features": ["ofi"],
         "algorithms": [{"name": "a", "algo": "automl", "train": {"budget_hours": 0, "optimization_objective": "maximize-precision-at-recal", "recall_value": 1.5, "families": ["lgbm", "svm"]}}]}
        """)
        #expect(found.map(\.path) == ["algorithms[0].train.budget_hours", "algorithms[0].train.optimization_objective", "algorithms[0].train.recall_value", "algorithms[0].train.families[1]"])
        #expect(found[1].message.contains("did you mean \"maximize-precision-at-recall\"?"))

        let loaded = try StrategyConfig.load(text: """
        {"symbol": "SOLUSDT", "freq": "15m", "labels": ["high_040_4"], "train_features": ["ofi"],
         "algorithms": [{"name": "a", "algo": "automl", "train": {"optimization_objective": "maximize-auc"}}]}
        """, overrides: ConfigOverrides(budgetHours: 2))
        guard case .autoML(let automl) = loaded.config.algorithms[0].kind else { Issue.record("automl"); return }
        #expect(automl.budgetHours == 2 && automl.objective == .maximizeAUC)
        #expect(!loaded.notes.contains { $0.contains("Google Cloud") })
        // Without a budget anywhere it is an error.
        let missing = violations("""
        {"symbol": "SOLUSDT", "freq": "5m", "labels": ["high_040_4"], "train_features": ["ofi"], "algorithms": [{"algo": "automl"}]}
        """)
        #expect(missing.map(\.message) == ["AutoML needs train.budget_hours (> 0), or --budget-hours on the command line"])
    }

    @Test func feature_setsAreValidated() {
        let found = violations("""
        {"symbol": "SOLUSDT", "freq": "5m", "labels": ["high_040_4"], "train_features": ["imbalance_5", "imbalance_50"],
         "algorithms": [{"algo": "rf", "train": {"n_estimators": 50, "max_depth": 0}}],
         "feature_sets": [
           {"generator": "gen_features_orderflow", "config": {"orderbook_pattern": "x/*.jsonl", "depths": [5, 0], "freq": "15min", "levels": 3}},
           {"generator": "talib", "config": {"columns": "close", "functions": ["SMA", "XYZ"], "windows": [3]}},
           {"generator": "itbstats", "config": {}},
           {"generator": "tailb", "config": {}}
         ]}
        """)
        let text = found.map(\.description).joined(separator: "\n")
        #expect(found.contains { $0.path == "algorithms[0].train.max_depth" }, "\(text)")
        #expect(found.contains { $0.path == "feature_sets[0].config.depths[1]" }, "\(text)")
        #expect(found.contains { $0.path == "feature_sets[0].config.freq" && $0.message.contains("differs from the config's freq") }, "\(text)")
        #expect(found.contains { $0.path == "feature_sets[0].config.levels" }, "\(text)")
        #expect(found.contains { $0.path == "feature_sets[1].config.functions" && $0.message.contains("close_XYZ_3") }, "\(text)")
        #expect(found.contains { $0.path == "feature_sets[2].generator" && $0.message.contains("not supported yet") }, "\(text)")
        #expect(found.contains { $0.path == "feature_sets[3].generator" && $0.message.contains("did you mean \"talib\"?") }, "\(text)")
        #expect(found.contains { $0.path == "train_features[1]" && $0.message.contains("book depth 50") }, "\(text)")
    }

    @Test func itbFormWithLabelSetsAndTrainFeatureSetsLoads() throws {
        let loaded = try StrategyConfig.load(text: """
        {
          "symbol": "BTCUSDT", "freq": "1min", "description": "ITB form", "venue": "binance",
          "data_sources": [{"folder": "BTCUSDT", "file": "klines", "column_prefix": ""}],
          "feature_sets": [{"column_prefix": "", "generator": "talib", "feature_prefix": "",
            "config": {"columns": ["close"], "functions": ["SMA"], "windows": [1, 5, 10]}}],
          "label_sets": [{"generator": "highlow2", "config": {"columns": ["close", "high", "low"], "function": "high",
            "thresholds": [0.3], "tolerance": 0.2, "horizon": 120, "names": ["high_030_120"]}}],
          "train_feature_sets": [{"generator": "train_features", "config": {"features": ["close_SMA_5"], "labels": ["high_030_120"], "functions": ["lc"]}}],
          "algorithms": [{"name": "lc", "algo": "lc", "params": {"is_scale": true, "length": 1000}, "train": {"penalty": "l2", "C": 1.0, "class_weight": null, "solver": "sag", "max_iter": 100}}],
          "label_horizon": 120, "features_horizon": 10, "train_length": 525600, "predict_length": 288,
          "rolling_predict": {"data_start": 0, "prediction_start": null, "prediction_size": 10080, "prediction_steps": 4, "use_multiprocessing": false, "max_workers": 8},
          "signal_sets": [{"generator": "threshold_rule", "config": {"columns": "trade_score"}}],
          "simulate_model": {"direction": "long", "grid": {"buy_signal_threshold": [0.1]}},
          "output_sets": [], "append_overlap_records": 5, "model_folder": "MODELS", "time_column": "timestamp", "train": true
        }
        """)
        let config = loaded.config
        #expect(config.interval == Interval("1m"))
        #expect(config.labels == ["high_030_120"])
        #expect(config.labelSets.first?.tolerance == 0.2)
        #expect(config.trainFeatureSets.first?.algorithms == ["lc"])
        #expect(config.allFeatures == ["close_SMA_5"])
        #expect(config.rollingPredict?.predictionSteps == 4)
        #expect(config.unusedMetadata["append_overlap_records"] == "5")
        if case .talib(let talib) = config.featureSets.first?.generator {
            #expect(talib.featureNames == ["close_SMA_1", "close_SMA_5", "close_SMA_10"])
        } else { Issue.record("talib") }
        #expect(loaded.notes.contains { $0.contains("ITB's \"lc\" is Quorum's logreg") })
        #expect(loaded.notes.contains { $0.contains("\"sag\" ignored") })
        #expect(loaded.notes.contains { $0.hasPrefix("output_sets: ITB key recorded but not used") })
    }

    @Test func labelSetsMustAgreeWithTheirNames() {
        let found = violations("""
        {"symbol": "BTCUSDT", "freq": "5m", "train_features": ["close_RSI_14"], "algorithms": [{"algo": "rf"}], "label_horizon": 2,
         "label_sets": [{"generator": "highlow2", "config": {"function": "high", "thresholds": [0.4, 0.3], "horizon": 4, "names": ["high_030_4", "low_030_4"]}}]}
        """)
        let messages = found.map(\.message)
        #expect(messages.contains { $0.contains("says θ 0.3 % but thresholds[0] is 0.4") }, "\(messages)")
        #expect(messages.contains { $0.contains("names a low label but function is high") }, "\(messages)")
        #expect(messages.contains { $0.contains("label_horizon") || $0.contains("shorter than the longest label horizon 4") }, "\(messages)")
    }

    @Test(arguments: [("5m", "5m"), ("5T", "5m"), ("5min", "5m"), ("15min", "15m"), ("1h", "1h"), ("1H", "1h"), ("1D", "1d"), ("1min", "1m"), ("1W", "1w")])
    func frequenciesMapToBinanceIntervals(text: String, interval: String) throws {
        #expect(try Frequency.parse(text).get() == Interval(interval))
    }

    @Test(arguments: ["7m", "1M", "1MS", "abc", "0min"])
    func badFrequenciesAreRefused(text: String) {
        #expect(throws: Frequency.FrequencyError.self) { try Frequency.parse(text).get() }
    }

    @Test func injectedRulesReplaceTheDefaults() throws {
        let strict = NameRules(feature: { $0 == "close_RSI_14" ? nil : "not in the catalog" }, label: { _ in nil })
        let found = violations("""
        {"symbol": "BTCUSDT", "freq": "5m", "labels": ["anything"], "train_features": ["close_RSI_14", "vol_regime"], "algorithms": [{"algo": "rf"}]}
        """, rules: strict)
        #expect(found.map(\.description) == ["bad.jsonc:1:96: train_features[1]: feature \"vol_regime\": not in the catalog"])
    }

    @Test func malformedFilesFailWithAPosition() {
        let found = violations("{\n  \"symbol\": \"BTCUSDT\",\n  \"freq\": \"5m\"\n  \"labels\": []\n}")
        #expect(found.map(\.description) == ["bad.jsonc:4:3: unexpected '\"' in an object (expected ',' or '}'; is a comma missing?)"])
    }

    @Test func duplicateKeysAreErrors() {
        let found = violations("{\"symbol\": \"BTCUSDT\", \"symbol\": \"ETHUSDT\"}")
        #expect(found.count == 1)
        #expect(found[0].message.hasPrefix("duplicate key \"symbol\""))
    }
}

@Suite struct NameRulesTests {
    @Test(arguments: ["high_030_4", "low_030_4", "high_040_4", "high_1000_120", "low_005_1"])
    func labelsAccepted(name: String) { #expect(NameRules.defaultLabelRule(name) == nil) }

    @Test(arguments: ["high_30_4", "high_030_04", "high_030_0", "mid_030_4", "high_000_4", "high_030", "high_030_4_x", "high_03a_4"])
    func labelsRefused(name: String) { #expect(NameRules.defaultLabelRule(name) != nil) }

    @Test(arguments: [
        "close_SMA_3", "close_RSI_14", "high_low_close_ATR_14", "close_LINEARREG_SLOPE_60", "volume_EMA_20", "high_low_close_NATR_14",
        "spread_pct_3", "vol_regime", "vol_sigma", "imbalance_5", "level1_imbalance", "ofi", "depth_bid_10bps", "mid_return",
    ])
    func featuresAccepted(name: String) { #expect(NameRules.defaultFeatureRule(name) == nil) }

    @Test(arguments: ["close_SMA_0", "close_SMA_03", "close_FOO_3", "close_ATR_14", "high_close_SMA_3", "bid_SMA_3", "imbalance_0", "spread_pct_", "vol", "close__SMA_3"])
    func featuresRefused(name: String) { #expect(NameRules.defaultFeatureRule(name) != nil) }
}
