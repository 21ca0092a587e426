import Domain

extension ModelConfig {
    /// Keys Quorum interprets.
    static let modelledKeys = [
        "symbol", "freq", "data_folder", "description", "labels", "train_features", "feature_sets", "label_sets",
        "train_feature_sets", "algorithms", "label_horizon", "features_horizon", "train_length", "predict_length",
        "rolling_predict", "simulate_model", "signal_sets", "cloud", "deployment", "train", "venue", "model_folder",
        "time_column", "data_sources",
    ]

    /// ITB keys accepted and recorded but not used, with the reason given in the load notes.
    static let unusedKeys: [String: String] = [
        "append_overlap_records": "Quorum's Collector streams klines instead of re-requesting overlaps",
        "merge_interpolate": "Quorum never interpolates gaps in klines",
        "download_max_rows": "downloads are `quorum` commands with their own options",
        "model_registry": "custom trainable generators are Python modules",
        "output_sets": "Quorum's outputs are services on the bus (RiskGate, Executor)",
        "trade_model": "trading rules come from the portfolio's divisions",
        "base_asset": "assets come from the exchange's symbol information",
        "quote_asset": "assets come from the exchange's symbol information",
        "merge_file_name": "Quorum keeps no intermediate CSV files",
        "feature_file_name": "Quorum keeps no intermediate CSV files",
        "matrix_file_name": "Quorum keeps no intermediate CSV files",
        "predict_file_name": "Quorum keeps no intermediate CSV files",
        "signal_file_name": "Quorum keeps no intermediate CSV files",
        "signal_models_file_name": "Quorum keeps no intermediate CSV files",
        "client_args": "Binance endpoints come from the environment",
        "score_notification_model": "notifications are not part of Quorum",
        "diagram_notification_model": "notifications are not part of Quorum",
        "collector": "Quorum's Collector is configured by its environment",
        "telegram_chat_id": "notifications are not part of Quorum",
    ]

    /// Keys refused because a secret must not live in a config file.
    static let secretKeys: [String: String] = [
        "api_key": "BINANCE_API_KEY", "api_secret": "BINANCE_API_SECRET",
        "telegram_bot_token": "TELEGRAM_BOT_TOKEN",
        "mt5_account_id": "", "mt5_password": "", "mt5_server": "",
    ]

    static var allTopLevelKeys: [String] { modelledKeys + unusedKeys.keys.sorted() + secretKeys.keys.sorted() }

    static let talibKeys = ["columns", "functions", "windows", "names", "parameters"]
    static let orderFlowKeys = ["orderbook_pattern", "depths", "freq"]
    static let generatorKeys = ["generator", "column_prefix", "feature_prefix", "config"]
    static let unsupportedFeatureGenerators = ["itbstats", "itblib", "tsfresh", "depth"]
    static let orderFlowGenerators = ["gen_features_orderflow", "orderflow"]
    static let highlowKeys = ["columns", "function", "thresholds", "tolerance", "horizon", "names"]
    static let signalGenerators = ["combine", "smoothen", "threshold_rule", "threshold_rule2"]
    static let simulateKeys = ["data_start", "data_end", "direction", "topn_to_store", "signal_generator", "buy_sell_equal", "grid"]
    static let rollingKeys = ["data_start", "data_end", "prediction_start", "prediction_size", "prediction_steps", "use_multiprocessing", "max_workers"]

    /// Reads and validates a parsed document. Violations and notes go to `diagnostics`; the result
    /// is nil when anything was violated.
    static func read(_ root: JSONC.Node, path: String, file: String?, overrides: ConfigOverrides, rules: NameRules, diagnostics d: Diagnostics) -> ModelConfig? {
        let before = d.violations.count
        guard let top = Fields(root, path: path, diagnostics: d) else { return nil }
        for member in top.members where !modelledKeys.contains(member.key) && unusedKeys[member.key] == nil {
            if let variable = secretKeys[member.key] {
                let where_ = variable.isEmpty ? "the environment" : "the environment variable \(variable)"
                d.fail(top.path(member.key), at: member.keyPosition,
                       "secrets must not be in a config file (it is shared, committed, printed); set \(where_) instead")
            } else {
                d.fail(top.path(member.key), at: member.keyPosition, KeySuggestion.unknownKeyMessage(member.key, valid: modelledKeys + unusedKeys.keys.sorted()))
            }
        }
        var unused: [String: String] = [:]
        for member in top.members {
            if let reason = unusedKeys[member.key] {
                unused[member.key] = member.value.jsonText
                d.note("\(member.key): ITB key recorded but not used (\(reason))")
            }
        }

        // Symbol and interval.
        let symbol = top.string("symbol", required: "the trading pair, e.g. BTCUSDT") ?? ""
        if top.value("symbol") != nil {
            if symbol.isEmpty || !symbol.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) || ("0"..."9").contains($0) }) {
                top.fail("symbol", "\"\(symbol)\" must be an uppercase Binance symbol such as BTCUSDT")
            }
        }
        let freq = top.string("freq", required: "the bar interval, e.g. 5m") ?? ""
        var interval = Interval.fiveMinutes
        if top.value("freq") != nil {
            switch Frequency.parse(freq) {
            case .success(let parsed): interval = parsed
            case .failure(let error): top.fail("freq", error.reason)
            }
        }

        var dataFolder = top.string("data_folder")
        if let override = overrides.dataFolder {
            if let dataFolder, dataFolder != override { d.note("data_folder \"\(dataFolder)\" overridden by the command line: \"\(override)\"") }
            dataFolder = override
        }
        let venue = top.string("venue") ?? "binance"
        if venue != "binance" { top.fail("venue", "\"\(venue)\" is not supported: Quorum trades Binance spot only") }

        // Labels and features.
        var labels = top.strings("labels") ?? []
        let trainFeatures = top.strings("train_features") ?? []
        checkNames(labels, key: "labels", in: top, rule: rules.label, what: "label")
        checkNames(trainFeatures, key: "train_features", in: top, rule: rules.feature, what: "feature")

        let featureSets = (top.array("feature_sets") ?? []).compactMap { readFeatureSet($0.node, path: $0.path, interval: interval, rules: rules, d: d) }
        let labelSets = (top.array("label_sets") ?? []).compactMap { readLabelSet($0.node, path: $0.path, rules: rules, d: d) }
        for set in labelSets { for name in set.names where !labels.contains(name) { labels.append(name) } }

        var algorithms: [AlgorithmConfig] = []
        for (algoPath, node) in top.array("algorithms") ?? [] {
            if let algorithm = readAlgorithm(node, path: algoPath, overrides: overrides, d: d) { algorithms.append(algorithm) }
        }
        var trainFeatureSets: [TrainFeatureSet] = []
        for (setPath, node) in top.array("train_feature_sets") ?? [] {
            if let set = readTrainFeatureSet(node, path: setPath, algorithms: &algorithms, overrides: overrides, rules: rules, d: d) {
                trainFeatureSets.append(set)
            }
        }
        var seenNames = Set<String>()
        for (i, algorithm) in algorithms.enumerated() where !seenNames.insert(algorithm.name).inserted {
            d.fail(top.path("algorithms") + "[\(i)].name", at: top.value("algorithms")?.position, "two algorithms are named \"\(algorithm.name)\" (model names must be unique)")
        }

        if labels.isEmpty && trainFeatureSets.allSatisfy(\.labels.isEmpty) {
            d.fail(top.path("labels"), at: top.member("labels")?.value.position ?? root.position, "no labels: give \"labels\" (e.g. [\"high_030_4\"]) or \"label_sets\"")
        }
        if trainFeatures.isEmpty && trainFeatureSets.allSatisfy(\.features.isEmpty) {
            d.fail(top.path("train_features"), at: top.member("train_features")?.value.position ?? root.position, "no features: give \"train_features\" (e.g. [\"close_RSI_14\"])")
        }
        if algorithms.isEmpty && top.value("algorithms") == nil {
            d.fail(top.path("algorithms"), at: root.position, "no algorithms: give \"algorithms\" (e.g. [{\"name\": \"lgbm\", \"algo\": \"lgbm\"}])")
        }

        // Cross-checks: order-flow depths and freq.
        let orderFlow = featureSets.compactMap { if case .orderFlow(let o) = $0.generator { o } else { nil } }
        if !orderFlow.isEmpty {
            let depths = Set(orderFlow.flatMap(\.depths))
            for (i, name) in trainFeatures.enumerated() where name.hasPrefix("imbalance_") {
                if let k = Int(name.dropFirst("imbalance_".count)), !depths.contains(k) {
                    d.fail(top.path("train_features") + "[\(i)]", at: elementPosition(top, "train_features", i),
                           "\(name) needs book depth \(k), but the order-flow feature set's depths are \(depths.sorted())")
                }
            }
        }

        // Horizons.
        let horizons = labels.compactMap { NameRules.parseLabel($0).label?.horizon } + labelSets.map(\.horizon)
        let longest = horizons.max() ?? 0
        var labelHorizon = top.int("label_horizon", range: 0...1_000_000) ?? longest
        if top.value("label_horizon") == nil, longest > 0 {
            d.note("label_horizon not set: using \(longest), the longest label horizon (the last \(longest) bars have no label)")
        } else if labelHorizon < longest {
            top.fail("label_horizon", "\(labelHorizon) is shorter than the longest label horizon \(longest): training would see labels computed from missing future bars")
            labelHorizon = longest
        }
        let featuresHorizon = top.int("features_horizon", range: 0...1_000_000) ?? 10
        let trainLength = top.int("train_length", range: 0...100_000_000) ?? 0
        let predictLength = top.int("predict_length", range: 0...100_000_000)

        var rolling: RollingPredict?
        if let r = top.object("rolling_predict") {
            r.rejectUnknownKeys(allowed: rollingKeys)
            rolling = RollingPredict(
                dataStart: r.value("data_start")?.plainText, dataEnd: r.value("data_end")?.plainText,
                predictionStart: r.value("prediction_start")?.plainText,
                predictionSize: r.int("prediction_size", range: 1...100_000_000), predictionSteps: r.int("prediction_steps", range: 1...1_000_000)
            )
        }
        var simulate: String?
        if let s = top.object("simulate_model") {
            s.rejectUnknownKeys(allowed: simulateKeys)
            if let direction = s.string("direction"), !["long", "short"].contains(direction) { s.fail("direction", "\"\(direction)\" must be long or short") }
            simulate = s.node.jsonText
            d.note("simulate_model recorded: Quorum's backtest takes its thresholds from the portfolio config")
        }
        var signalSets: [String] = []
        for (setPath, node) in top.array("signal_sets") ?? [] {
            guard let s = Fields(node, path: setPath, diagnostics: d) else { continue }
            s.rejectUnknownKeys(allowed: generatorKeys)
            if let generator = s.string("generator", required: "combine, smoothen, threshold_rule or threshold_rule2"), !signalGenerators.contains(generator) {
                let hint = KeySuggestion.nearest(to: generator, in: signalGenerators).map { "; did you mean \"\($0)\"?" } ?? " (ITB's are \(signalGenerators.joined(separator: ", ")))"
                s.fail("generator", "unknown signal generator \"\(generator)\"\(hint)")
            }
            signalSets.append(node.jsonText)
        }
        if !signalSets.isEmpty { d.note("signal_sets recorded: Quorum's Ensemble turns predictions into signals itself") }

        var dataSources: [DataSource] = []
        for (sourcePath, node) in top.array("data_sources") ?? [] {
            guard let s = Fields(node, path: sourcePath, diagnostics: d) else { continue }
            s.rejectUnknownKeys(allowed: ["folder", "file", "column_prefix", "chunk_size"])
            let folder = s.string("folder", required: "the symbol's subfolder") ?? ""
            dataSources.append(DataSource(folder: folder, file: s.string("file") ?? "klines", columnPrefix: s.string("column_prefix") ?? ""))
        }
        if dataSources.count > 1 {
            top.fail("data_sources", "merging \(dataSources.count) sources is not supported yet (one kline series per model)")
        }

        let cloud = top.string("cloud")
        let deployment = top.string("deployment")
        if cloud != nil || deployment != nil {
            let parts = [cloud.map { "cloud \"\($0)\"" }, deployment.map { "deployment \"\($0)\"" }].compactMap { $0 }
            d.note("\(parts.joined(separator: " and ")) recorded as metadata: Quorum runs every model locally; where a service runs is deployment, not code")
        }
        let train = top.bool("train")
        if train != nil { d.note("train recorded: Quorum's commands choose training or prediction, and never truncate the data for it") }

        let description = top.string("description")
        let modelFolder = top.string("model_folder") ?? "MODELS"
        let timeColumn = top.string("time_column") ?? "timestamp"
        guard d.violations.count == before else { return nil }
        return ModelConfig(
            file: file, symbol: symbol, freq: freq, interval: interval, dataFolder: dataFolder,
            description: description, labels: labels, trainFeatures: trainFeatures, featureSets: featureSets,
            labelSets: labelSets, trainFeatureSets: trainFeatureSets, algorithms: algorithms, labelHorizon: labelHorizon,
            featuresHorizon: featuresHorizon, trainLength: trainLength, predictLength: predictLength, rollingPredict: rolling,
            simulateModel: simulate, signalSets: signalSets, cloud: cloud, deployment: deployment, train: train, venue: venue,
            modelFolder: modelFolder, timeColumn: timeColumn,
            dataSources: dataSources, unusedMetadata: unused
        )
    }

    static func elementPosition(_ fields: Fields, _ key: String, _ index: Int) -> SourcePosition? {
        guard let node = fields.value(key), case .array(let items) = node.value, index < items.count else { return fields.value(key)?.position }
        return items[index].position
    }

    /// Checks each name with the rule, and repeats.
    static func checkNames(_ names: [String], key: String, in fields: Fields, rule: @Sendable (String) -> String?, what: String) {
        var seen = Set<String>()
        for (i, name) in names.enumerated() {
            let path = fields.path(key) + "[\(i)]"
            let position = elementPosition(fields, key, i)
            if let reason = rule(name) { fields.diagnostics.fail(path, at: position, "\(what) \"\(name)\": \(reason)") }
            if !seen.insert(name).inserted { fields.diagnostics.fail(path, at: position, "\(what) \"\(name)\" is listed twice") }
        }
    }

    // MARK: - Feature sets

    static func readFeatureSet(_ node: JSONC.Node, path: String, interval: Interval, rules: NameRules, d: Diagnostics) -> FeatureSet? {
        guard let entry = Fields(node, path: path, diagnostics: d) else { return nil }
        entry.rejectUnknownKeys(allowed: generatorKeys)
        guard let generator = entry.string("generator", required: "talib or gen_features_orderflow") else { return nil }
        let columnPrefix = entry.string("column_prefix")
        let featurePrefix = entry.string("feature_prefix")
        if let columnPrefix, !columnPrefix.isEmpty { entry.fail("column_prefix", "column prefixes (merged sources) are not supported yet") }
        if let featurePrefix, !featurePrefix.isEmpty { entry.fail("feature_prefix", "feature prefixes are not supported yet") }
        let config = entry.object("config", required: "the generator's settings")
        switch generator {
        case "talib":
            guard let c = config else { return nil }
            c.rejectUnknownKeys(allowed: talibKeys)
            var columns: [String] = []
            if let columnsNode = c.value("columns") {
                switch columnsNode.value {
                case .string(let column): columns = [column]
                case .array: columns = c.strings("columns") ?? []
                case .object(let members):
                    columns = members.compactMap { if case .string(let s) = $0.value.value { s } else { nil } }
                default: c.fail("columns", "expected a column name, a list of them, or {\"high\": \"high\", …}")
                }
            } else {
                c.missing("columns", "the input column(s), e.g. \"close\"")
            }
            let functions = c.strings("functions", required: "TA-Lib function names, e.g. [\"SMA\"]", allowSingle: true) ?? []
            var windows: [Int] = []
            for (wPath, w) in c.array("windows") ?? [] {
                if case .number(let text) = w.value, let value = Fields.wholeNumber(text), value >= 1 { windows.append(value) }
                else { d.fail(wPath, at: w.position, "a window must be a whole number ≥ 1") }
            }
            let names = c.strings("names", allowSingle: true)
            var parameters: String?
            if let p = c.object("parameters") {
                p.rejectUnknownKeys(allowed: ["rel_base", "rel_func", "percentage", "log"])
                if let base = p.string("rel_base"), !["next", "last", "prev", "first"].contains(base) { p.fail("rel_base", "\"\(base)\" must be next, last, prev or first") }
                if let function = p.string("rel_func"), !["rel", "diff", "rel_diff"].contains(function) { p.fail("rel_func", "\"\(function)\" must be rel, diff or rel_diff") }
                _ = p.bool("percentage"); _ = p.bool("log")
                parameters = p.node.jsonText
            }
            if let names, names.count > 1, names.count != windows.count {
                c.fail("names", "\(names.count) names for \(windows.count) windows (one name per window, or a single infix)")
            }
            let set = FeatureSet.TALib(columns: columns, functions: functions, windows: windows, names: names, parameters: parameters)
            if names == nil || names!.count > 1 {
                for name in set.featureNames { if let reason = rules.feature(name) { c.fail("functions", "produces \"\(name)\": \(reason)") } }
            }
            return FeatureSet(generator: .talib(set), columnPrefix: columnPrefix, featurePrefix: featurePrefix)
        case let g where orderFlowGenerators.contains(g):
            guard let c = config else { return nil }
            c.rejectUnknownKeys(allowed: orderFlowKeys)
            let pattern = c.string("orderbook_pattern", required: "a glob of recorded books, e.g. DATA_ORDERBOOK/SOLUSDT_*.jsonl.gz") ?? ""
            var depths: [Int] = []
            for (dPath, node) in c.array("depths") ?? [] {
                if case .number(let text) = node.value, let value = Fields.wholeNumber(text), (1...5000).contains(value) { depths.append(value) }
                else { d.fail(dPath, at: node.position, "a depth must be a whole number of book levels in 1...5000") }
            }
            var flowInterval: Interval?
            let freq = c.string("freq")
            if let freq {
                switch Frequency.parse(freq) {
                case .success(let parsed):
                    flowInterval = parsed
                    if parsed != interval { c.fail("freq", "\"\(freq)\" (\(parsed)) differs from the config's freq (\(interval)): order-flow features are sampled per model bar") }
                case .failure(let error): c.fail("freq", error.reason)
                }
            }
            return FeatureSet(generator: .orderFlow(.init(orderbookPattern: pattern, depths: depths, interval: flowInterval, freq: freq)), columnPrefix: columnPrefix, featurePrefix: featurePrefix)
        case let g where unsupportedFeatureGenerators.contains(g) || g.contains(":"):
            entry.fail("generator", "feature generator \"\(g)\" is not supported yet (supported: talib, gen_features_orderflow)")
            return nil
        default:
            let hint = KeySuggestion.nearest(to: generator, in: ["talib", "gen_features_orderflow"]).map { "; did you mean \"\($0)\"?" } ?? " (supported: talib, gen_features_orderflow)"
            entry.fail("generator", "unknown feature generator \"\(generator)\"\(hint)")
            return nil
        }
    }

    // MARK: - Label sets

    static func readLabelSet(_ node: JSONC.Node, path: String, rules: NameRules, d: Diagnostics) -> LabelSet? {
        guard let entry = Fields(node, path: path, diagnostics: d) else { return nil }
        entry.rejectUnknownKeys(allowed: generatorKeys)
        guard let generator = entry.string("generator", required: "highlow2") else { return nil }
        guard generator == "highlow2" else {
            if ["highlow", "topbot", "topbot2"].contains(generator) {
                entry.fail("generator", "label generator \"\(generator)\" is not supported yet (supported: highlow2)")
            } else {
                entry.fail("generator", "unknown label generator \"\(generator)\" (supported: highlow2)")
            }
            return nil
        }
        guard let c = entry.object("config", required: "the label settings") else { return nil }
        c.rejectUnknownKeys(allowed: highlowKeys)
        let columns = c.strings("columns") ?? ["close", "high", "low"]
        if columns.count != 3 { c.fail("columns", "expected [reference, up, down] columns, e.g. [\"close\", \"high\", \"low\"]") }
        else if columns != ["close", "high", "low"] { c.fail("columns", "only [\"close\", \"high\", \"low\"] is supported yet") }
        let function = c.string("function", required: "high or low") ?? "high"
        if !["high", "low"].contains(function) { c.fail("function", "\"\(function)\" must be high or low") }
        var thresholds: [Double] = []
        for (tPath, t) in c.array("thresholds", required: "θ per label, in percent") ?? [] {
            if case .number(let text) = t.value, let value = Double(text), value > 0, value.isFinite { thresholds.append(value) }
            else { d.fail(tPath, at: t.position, "a threshold must be a number > 0 (percent)") }
        }
        let tolerance = c.double("tolerance")
        if let tolerance, tolerance < 0 { c.fail("tolerance", "must be ≥ 0 (a fraction of θ)") }
        let horizon = c.int("horizon", required: "bars to look ahead", range: 1...100_000) ?? 1
        let names = c.strings("names", required: "one label name per threshold") ?? []
        if names.count != thresholds.count {
            c.fail("names", "\(names.count) names for \(thresholds.count) thresholds (one name per threshold)")
        }
        for (i, name) in names.enumerated() {
            let position = elementPosition(c, "names", i)
            if let reason = rules.label(name) {
                d.fail(c.path("names") + "[\(i)]", at: position, "label \"\(name)\": \(reason)")
                continue
            }
            guard let parsed = NameRules.parseLabel(name).label else { continue }
            if parsed.isHigh != (function == "high") {
                d.fail(c.path("names") + "[\(i)]", at: position, "\"\(name)\" names a \(parsed.isHigh ? "high" : "low") label but function is \(function)")
            }
            if parsed.horizon != horizon {
                d.fail(c.path("names") + "[\(i)]", at: position, "\"\(name)\" says horizon \(parsed.horizon) but horizon is \(horizon)")
            }
            if i < thresholds.count, abs(Double(parsed.thresholdBasisPoints) / 100 - thresholds[i]) > 1e-9 {
                d.fail(c.path("names") + "[\(i)]", at: position, "\"\(name)\" says θ \(Double(parsed.thresholdBasisPoints) / 100) % but thresholds[\(i)] is \(thresholds[i])")
            }
        }
        return LabelSet(columns: columns, function: function, thresholds: thresholds, tolerance: tolerance, horizon: horizon, names: names)
    }

    // MARK: - Train feature sets

    static func readTrainFeatureSet(
        _ node: JSONC.Node, path: String, algorithms: inout [AlgorithmConfig], overrides: ConfigOverrides, rules: NameRules, d: Diagnostics
    ) -> TrainFeatureSet? {
        guard let entry = Fields(node, path: path, diagnostics: d) else { return nil }
        entry.rejectUnknownKeys(allowed: generatorKeys)
        if let generator = entry.string("generator"), generator != "train_features" {
            entry.fail("generator", "\"\(generator)\" is not supported (train_feature_sets entries use the generator train_features)")
        }
        guard let c = entry.object("config", required: "features, labels and algorithms") else { return nil }
        c.rejectUnknownKeys(allowed: ["columns", "features", "labels", "functions", "algorithms"])
        let featureKey = c.has("features") ? "features" : "columns"
        let features = c.strings(featureKey) ?? []
        checkNames(features, key: featureKey, in: c, rule: rules.feature, what: "feature")
        let labels = c.strings("labels") ?? []
        checkNames(labels, key: "labels", in: c, rule: rules.label, what: "label")
        let algoKey = c.has("algorithms") ? "algorithms" : "functions"
        var names: [String] = []
        for (aPath, a) in c.array(algoKey) ?? [] {
            switch a.value {
            case .string(let name):
                if !algorithms.contains(where: { $0.name == name }) {
                    let hint = KeySuggestion.nearest(to: name, in: algorithms.map(\.name)).map { "; did you mean \"\($0)\"?" } ?? ""
                    d.fail(aPath, at: a.position, "no algorithm named \"\(name)\" in algorithms\(hint)")
                }
                names.append(name)
            case .object:
                if let algorithm = readAlgorithm(a, path: aPath, overrides: overrides, d: d) {
                    algorithms.append(algorithm)
                    names.append(algorithm.name)
                }
            default:
                d.fail(aPath, at: a.position, "expected an algorithm name or an algorithm object")
            }
        }
        return TrainFeatureSet(features: features, labels: labels, algorithms: names)
    }
}
