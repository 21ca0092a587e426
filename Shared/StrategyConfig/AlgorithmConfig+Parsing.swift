import Domain

extension ModelConfig {
    static func readAlgorithm(_ node: JSONC.Node, path: String, overrides: ConfigOverrides, d: Diagnostics) -> AlgorithmConfig? {
        guard let entry = Fields(node, path: path, diagnostics: d) else { return nil }
        let before = d.violations.count
        entry.rejectUnknownKeys(allowed: AlgorithmConfig.keys)
        let algoName = entry.string("algo", required: "logreg, lgbm, rf or automl") ?? ""
        let name = entry.string("name") ?? algoName
        if entry.value("name") != nil, name.isEmpty || name.contains(where: { $0 == "." || $0 == " " || $0 == "/" }) {
            entry.fail("name", "\"\(name)\" must be non-empty without dots, spaces or slashes (it becomes part of model names)")
        }

        // params: ITB's per-algorithm options.
        var params = AlgorithmConfig.Params()
        if let p = entry.object("params") {
            p.rejectUnknownKeys(allowed: AlgorithmConfig.Params.keys)
            params.isScale = p.bool("is_scale")
            params.length = p.int("length", range: 0...100_000_000)
            params.everyNthRow = p.int("every_nth_row", range: 1...1_000_000)
            if p.bool("is_regression") == true { p.fail("is_regression", "regression is not supported yet (labels are classes)") }
            if p.has("layers") { p.fail("layers", "neural networks (nn) are not supported yet") }
        }

        let train = entry.object("train")
        let canonical = AlgorithmConfig.aliases[algoName]
        var kind: AlgorithmConfig.Kind?
        switch canonical {
        case "logreg":
            var lr = AlgorithmConfig.LogisticRegression()
            if let t = train {
                t.rejectUnknownKeys(allowed: AlgorithmConfig.LogisticRegression.keys)
                if let c = t.double("C") { if c > 0 { lr.c = c } else { t.fail("C", "\(format(c)) must be > 0 (inverse regularisation strength)") } }
                if let maxIter = t.int("max_iter") { if maxIter >= 1 { lr.maxIterations = maxIter } else { t.fail("max_iter", "\(maxIter) must be ≥ 1") } }
                if let tol = t.double("tol") { if tol > 0 { lr.tolerance = tol } else { t.fail("tol", "\(format(tol)) must be > 0") } }
                if let penaltyNode = t.value("penalty") {
                    if case .string(let penalty) = penaltyNode.value {
                        if penalty != "l2" { t.fail("penalty", "\"\(penalty)\" is not supported: Quorum's logistic regression uses the l2 penalty only") }
                    } else { t.fail("penalty", "expected \"l2\"") }
                }
                if let weight = t.value("class_weight") {
                    if case .string("balanced") = weight.value { lr.balancedClassWeight = true }
                    else { t.fail("class_weight", "expected null or \"balanced\"") }
                }
                if let solver = t.string("solver") { d.note("\(t.path("solver")): \"\(solver)\" ignored: Quorum fits logistic regression with its own solver") }
                if let intercept = t.bool("fit_intercept"), !intercept { t.fail("fit_intercept", "false is not supported (the model always has an intercept)") }
                _ = t.int("random_state")
            }
            if algoName == "lc" { d.note("\(entry.path("algo")): ITB's \"lc\" is Quorum's logreg") }
            kind = .logisticRegression(lr)
        case "lgbm":
            var parameters: [AlgorithmConfig.LightGBM.Parameter] = []
            if let t = train {
                for member in t.members {
                    let key = member.key
                    let value = member.value
                    parameters.append(.init(key: key, value: value.plainText))
                    func number() -> Double? {
                        guard case .number(let text) = value.value, let x = Double(text) else {
                            t.fail(key, "expected a number, found \(value.value.kindName)")
                            return nil
                        }
                        return x
                    }
                    func whole(_ minimum: Int) {
                        guard let x = number() else { return }
                        if x != x.rounded() || x < Double(minimum) { t.fail(key, "\(value.plainText) must be a whole number ≥ \(minimum)") }
                    }
                    if AlgorithmConfig.LightGBM.positiveIntegers.contains(key) { whole(key == "num_leaves" ? 2 : 1) }
                    else if AlgorithmConfig.LightGBM.nonNegativeIntegers.contains(key) { whole(0) }
                    else if AlgorithmConfig.LightGBM.positiveNumbers.contains(key) { if let x = number(), !(x > 0) { t.fail(key, "\(value.plainText) must be > 0") } }
                    else if AlgorithmConfig.LightGBM.nonNegativeNumbers.contains(key) { if let x = number(), !(x >= 0) { t.fail(key, "\(value.plainText) must be ≥ 0") } }
                    else if AlgorithmConfig.LightGBM.fractions.contains(key) { if let x = number(), !(x > 0 && x <= 1) { t.fail(key, "\(value.plainText) must be in (0, 1]") } }
                    else if key == "max_depth" { if let x = number(), x != x.rounded() || !(x == -1 || x >= 1) { t.fail(key, "\(value.plainText) must be -1 (no limit) or a whole number ≥ 1") } }
                    if case .object = value.value { t.fail(key, "LightGBM parameters are numbers, strings or booleans") }
                    if case .array = value.value { t.fail(key, "LightGBM parameters are numbers, strings or booleans") }
                }
                let rounds = t.members.filter { AlgorithmConfig.LightGBM.roundAliases.contains($0.key) }
                if rounds.count > 1 {
                    t.fail(rounds[1].key, "\(rounds.map(\.key).joined(separator: " and ")) are aliases of one LightGBM parameter (boosting rounds); give one")
                }
            }
            if algoName == "gb" { d.note("\(entry.path("algo")): ITB's \"gb\" is Quorum's lgbm") }
            kind = .lightGBM(.init(parameters: parameters))
        case "rf":
            var rf = AlgorithmConfig.RandomForest()
            if let t = train {
                t.rejectUnknownKeys(allowed: AlgorithmConfig.RandomForest.keys)
                if let n = t.int("n_estimators", range: 1...100_000) { rf.trees = n }
                if t.value("max_depth") != nil, let depth = t.int("max_depth", range: 1...1_000) { rf.maxDepth = depth }
                if let n = t.int("min_samples_leaf", range: 1...1_000_000) { rf.minSamplesLeaf = n }
                if let n = t.int("min_samples_split", range: 2...1_000_000) { rf.minSamplesSplit = n }
                if let features = t.value("max_features") {
                    switch features.value {
                    case .string(let text) where ["sqrt", "log2"].contains(text): rf.maxFeatures = text
                    case .number(let text):
                        if let x = Double(text), x > 0, (x <= 1 || x == x.rounded()) { rf.maxFeatures = text }
                        else { t.fail("max_features", "\(text) must be a fraction in (0, 1] or a whole count ≥ 1") }
                    default: t.fail("max_features", "expected \"sqrt\", \"log2\", a fraction or a count")
                    }
                }
                if let weight = t.value("class_weight") {
                    if case .string("balanced") = weight.value { rf.balancedClassWeight = true } else { t.fail("class_weight", "expected null or \"balanced\"") }
                }
                rf.seed = t.int("random_state") ?? t.int("seed")
                if let bootstrap = t.bool("bootstrap"), !bootstrap { t.fail("bootstrap", "false is not supported (a random forest samples with replacement)") }
                _ = t.int("n_jobs")
            }
            kind = .randomForest(rf)
        case "automl":
            var budget: Double?
            var automl = AlgorithmConfig.AutoML(budgetHours: 1)
            if let t = train {
                t.rejectUnknownKeys(allowed: AlgorithmConfig.AutoML.keys)
                if let hours = t.double("budget_hours") { if hours > 0 { budget = hours } else { t.fail("budget_hours", "\(format(hours)) must be > 0") } }
                if let objective = t.string("optimization_objective") {
                    if let parsed = AlgorithmConfig.AutoML.Objective(rawValue: objective) { automl.objective = parsed }
                    else {
                        let valid = AlgorithmConfig.AutoML.Objective.allCases.map(\.rawValue)
                        let hint = KeySuggestion.nearest(to: objective, in: valid).map { "; did you mean \"\($0)\"?" } ?? " (valid: \(valid.joined(separator: ", ")))"
                        t.fail("optimization_objective", "unknown objective \"\(objective)\"\(hint)")
                    }
                }
                if let recall = t.double("recall_value") { if recall > 0 && recall < 1 { automl.recallFloor = recall } else { t.fail("recall_value", "\(format(recall)) must be in (0, 1)") } }
                if let families = t.strings("families") {
                    for (i, family) in families.enumerated() where !AlgorithmConfig.AutoML.familyNames.contains(family) {
                        d.fail(t.path("families") + "[\(i)]", at: elementPosition(t, "families", i), "unknown model family \"\(family)\" (AutoML searches \(AlgorithmConfig.AutoML.familyNames.joined(separator: ", ")))")
                    }
                    if families.isEmpty { t.fail("families", "give at least one family, or leave families out to search all") }
                    automl.families = families
                }
            }
            if let override = overrides.budgetHours {
                if let budget, budget != override { d.note("\(entry.path("train.budget_hours")): \(format(budget)) h in the config, \(format(override)) h from the command line") }
                budget = override
            }
            if budget == nil, d.violations.count == before {
                entry.fail("train", "AutoML needs train.budget_hours (> 0), or --budget-hours on the command line")
            }
            if let override = overrides.recallFloor { automl.recallFloor = override }
            automl.budgetHours = budget ?? 1
            if algoName == "vertex_automl" {
                d.note("\(entry.path("algo")): vertex_automl runs locally (Quorum's AutoML search), not on Google Cloud")
            }
            let objectiveText = automl.objective == .maximizePrecisionAtRecall
                ? "\(automl.objective.rawValue), recall ≥ \(format(automl.recallFloor))" : automl.objective.rawValue
            d.note("\(entry.path("algo")): AutoML search budget \(format(automl.budgetHours)) h, objective \(objectiveText)")
            kind = .autoML(automl)
        case nil:
            if AlgorithmConfig.unsupported.contains(algoName) {
                entry.fail("algo", "\"\(algoName)\" is not supported yet (supported: logreg, lgbm, rf, automl)")
            } else if entry.value("algo") != nil {
                let valid = AlgorithmConfig.aliases.keys.sorted()
                let hint = KeySuggestion.nearest(to: algoName, in: valid).map { "; did you mean \"\($0)\"?" } ?? " (supported: logreg, lgbm, rf, automl)"
                entry.fail("algo", "unknown algorithm \"\(algoName)\"\(hint)")
            }
        default:
            break
        }
        guard let kind, d.violations.count == before else { return nil }
        return AlgorithmConfig(name: name, algoName: algoName, kind: kind, params: params)
    }

    /// A number without a useless fraction: 1 → "1", 0.25 → "0.25".
    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
