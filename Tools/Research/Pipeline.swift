import Domain
import ExecutorCore
import FeatureServiceCore
import Foundation
import OrderFlow
import PredictorCore
import RiskGateCore
import StrategyConfig

/// ITB's offline pipeline over one model config, with Quorum's honesty rules: features from the
/// serving code with gaps restarting the indicators, labels that never look past missing data, one
/// final fit per label × algorithm for the registry, and a walk-forward backtest through every core
/// (retraining at each step) as the only source of performance figures, beside two baselines.
public struct Pipeline: Sendable {
    public struct Options: Sendable {
        /// Bars in the backtest window: the last `windowDays` days of bars present (default 90).
        public var windowDays: Int = 90
        public var trainDays: Int = 30
        public var stepDays: Int = 7
        /// The ensemble's entry threshold.
        public var threshold: Double = 0.6
        /// Equity the division starts the backtest with (quote asset).
        public var equity: Decimal8 = Decimal8(1_000)
        /// AutoML budget per search, from the config's `budget_hours` unless overridden.
        public var autoMLBudget: Duration?
        public var autoMLFolds: Int = 4
        public var seed: UInt64 = 1
        /// Time stamp of created models.
        public var created: Timestamp = .zero
        public var progress: (@Sendable (String) -> Void)?

        public init() {}
    }

    /// One trained (label, algorithm) pair.
    public struct TrainedModel: Sendable {
        public var model: Model
        public var algorithm: String
        public var votes: Bool
        /// The AutoML leaderboard, for `automl` entries.
        public var leaderboard: AutoML.Leaderboard?
        /// Wall time of the final fit (the search excluded).
        public var fitSeconds: Double = 0
    }

    public struct Output: Sendable {
        public var config: ModelConfig
        public var division: StrategyDivision
        public var notes: [String]
        public var matrix: ResearchMatrix
        public var finals: [TrainedModel]
        public var walkForward: WalkForwardBacktest.Output
        /// The baseline features' run names.
        public var volatilityBaseline: String
        public var timings: [(stage: String, seconds: Double)]
        /// How the order-flow bars met the klines (nil without order-flow features), and the
        /// stage's lines for the terminal and the report.
        public var orderFlow: OrderFlowJoin?
        public var orderFlowNotes: [String] = []
        /// The costs and time limit the backtest's paper fills used.
        public var execution: ExecutionSettings
    }

    public struct PipelineError: Error, Sendable, CustomStringConvertible {
        public var problems: [String]
        public var description: String { problems.joined(separator: "\n") }
    }

    /// The volatility-only baseline's feature (ATR / close × 100) and its registry name.
    public static let volatilityFeature = "high_low_close_NATR_14"
    public static let volatilityBaselineName = "baseline-volatility-only"

    /// Registry name of a (label, algorithm): `<algorithm name>-<label>` (`logreg-high_030_4`).
    public static func modelName(algorithm: String, label: String) -> String { "\(algorithm)-\(label)" }

    /// Runs every stage on `klines` (already resampled to the config's interval).
    /// - Parameter orderFlow: the bars of the config's order-flow feature set (`OrderFlowReplay`
    ///   over its captures); required when `train_features` names order-flow features. The klines
    ///   are then cut to the span the captures cover (plus the TA features' warm-up before it):
    ///   outside it no row could have every feature, and the windows count bars.
    public static func run(_ loaded: LoadedConfig, klines: [Kline], orderFlow: OrderFlowBars? = nil, options: Options = Options()) throws -> Output {
        let config = loaded.config
        var timings: [(String, Double)] = []
        let clock = ContinuousClock()
        var mark = clock.now
        func lap(_ stage: String) {
            let now = clock.now
            timings.append((stage, Double((now - mark).components.attoseconds) / 1e18 + Double((now - mark).components.seconds)))
            mark = now
            options.progress?("\(stage) done")
        }

        var klines = klines
        var orderFlowNotes: [String] = []
        let flowFeatures = orderFlowFeatures(config.trainFeatures)
        if !flowFeatures.isEmpty {
            guard let orderFlow else {
                throw PipelineError(problems: ["order-flow features (\(flowFeatures.joined(separator: ", "))) need the captures of the config's gen_features_orderflow set; none were given"])
            }
            let cut = try trimToCaptures(klines, orderFlow: orderFlow, features: config.trainFeatures + [volatilityFeature], interval: config.interval)
            orderFlowNotes.append(cut.note)
            klines = cut.klines
        }

        // Features: the config's, plus the volatility baseline's.
        var features = config.trainFeatures
        if !features.contains(volatilityFeature) { features.append(volatilityFeature) }
        let matrix = try ResearchMatrix(klines: klines, features: features, orderFlow: flowFeatures.isEmpty ? nil : orderFlow)
        if let joined = matrix.orderFlow { orderFlowNotes += joined.summary }
        for note in orderFlowNotes { options.progress?(note) }
        lap("features")

        var problems: [String] = []
        var labels: [(name: String, label: HighLowLabel)] = []
        for name in config.labels {
            do { labels.append((name, try HighLowLabel(parsing: name))) } catch { problems.append(error.description) }
        }
        guard problems.isEmpty else { throw PipelineError(problems: problems) }
        let horizon = labels.map(\.label.horizon).max() ?? 0
        let interval = config.interval
        let perDay = Int(86_400_000 / interval.milliseconds)
        let plan = WalkForward.Plan(trainBars: options.trainDays * perDay, stepBars: options.stepDays * perDay, purgeBars: horizon)
        let windowBars = options.windowDays * perDay
        let windowStart = max(0, matrix.count - windowBars)
        lap("labels")

        // Final fits (the registry's models): every row whose label is known, as one would deploy
        // now. The honest figures come from the walk-forward below, never from these.
        var finals: [TrainedModel] = []
        var specs: [WalkForwardBacktest.ModelSpec] = []
        let columns = try matrix.columns(of: config.trainFeatures).get()
        for (labelName, label) in labels {
            let labelValues = label.labels(for: klines)
            let votes = label.direction == .high
            for algorithm in config.algorithms {
                let name = modelName(algorithm: algorithm.name, label: labelName)
                var fitter = try Self.fitter(algorithm, features: config.trainFeatures, label: labelName, interval: interval, symbol: config.symbol)
                var leaderboard: AutoML.Leaderboard?
                if case .autoML(let automl) = algorithm.kind {
                    // The search runs once, on the rows before the backtest window (never on what it
                    // will be judged on); each walk-forward step refits the winner's family and parameters.
                    let searchRows = matrix.trainingSet(0..<max(0, windowStart - horizon), labels: labelValues, columns: columns)
                    let budget = options.autoMLBudget ?? .seconds(automl.budgetHours * 3_600)
                    let objective: AutoML.Objective = switch automl.objective {
                    case .maximizePrecisionAtRecall: .precisionAtRecall(floor: automl.recallFloor)
                    case .maximizeAUC: .auc
                    case .minimizeLogLoss: .logLoss
                    }
                    let families = Self.autoMLFamilies(automl.families)
                    let board = try AutoML.search(
                        rows: searchRows.rows, labels: searchRows.labels, families: families,
                        options: .init(objective: objective, budget: budget, folds: options.autoMLFolds, labelHorizon: horizon, seed: options.seed)
                    ) { entry in options.progress?("automl \(name): \(entry.family) \(entry.score.map { String(format: "%.4f", $0) } ?? entry.error ?? "-")") }
                    guard let winner = board.winner, let family = families.first(where: { $0.name == winner.family }) else {
                        throw PipelineError(problems: ["\(name): the AutoML search found no usable candidate in its budget (\(board.entries.count) tried)"])
                    }
                    leaderboard = board
                    fitter = Self.familyFitter(family, parameters: winner.parameters, features: config.trainFeatures, label: labelName, interval: interval, symbol: config.symbol)
                }
                let all = matrix.trainingSet(0..<max(0, matrix.count - horizon), labels: labelValues, columns: columns)
                let version = ModelTraining.compactVersion(klines[matrix.count - 1].closeTime.adding(milliseconds: 1))
                let fitStart = clock.now
                let model = try fitter(all.rows, all.labels, name, version)
                let fitTime = clock.now - fitStart
                finals.append(TrainedModel(
                    model: model, algorithm: algorithm.algoName, votes: votes, leaderboard: leaderboard,
                    fitSeconds: Double(fitTime.components.seconds) + Double(fitTime.components.attoseconds) / 1e18
                ))
                specs.append(.init(name: name, label: label, features: config.trainFeatures, votes: votes, fit: fitter))
            }
        }
        lap("train")

        // The volatility-only baseline: logistic regression on ATR/close alone, for the first entry label.
        var baselines: [WalkForwardBacktest.ModelSpec] = []
        if let entry = labels.first(where: { $0.label.direction == .high }) {
            let baselineFeatures = [volatilityFeature]
            baselines.append(.init(name: volatilityBaselineName, label: entry.label, features: baselineFeatures, votes: false) { rows, labels, name, version in
                try ModelTraining.logisticRegressionModel(rows: rows, labels: labels, features: baselineFeatures, label: entry.name, name: name, version: version, interval: interval, symbol: config.symbol)
            })
        }
        guard specs.contains(where: \.votes) else {
            throw PipelineError(problems: ["no entry model: the labels \(config.labels.joined(separator: ", ")) include no high_ label to trade on"])
        }
        let division = loaded.division
        var riskDivision = RiskGateCore.Division(name: division.name, equity: options.equity, riskPerTrade: division.riskPerTrade)
        if case .percent(let stop) = division.stop { riskDivision.stopDistance = stop }
        riskDivision.target = division.target
        riskDivision.takerFeeRate = division.takerFeeRate
        // The time limit: the division's time_limit_bars, else the entry labels' horizon (the longest
        // among the voting models: a position lives as long as some model's forecast speaks for it).
        let entryHorizon = specs.filter(\.votes).map(\.label.horizon).max()
        riskDivision.timeLimitBars = division.backtestTimeLimitBars(labelHorizon: entryHorizon)
        let executor = ExecutorCore.Configuration(
            costs: .init(makerFeeRate: division.makerFeeRate, takerFeeRate: division.takerFeeRate, slippageBps: division.slippageBps),
            tickSizes: [config.symbol: riskDivision.tickSize]
        )
        let windowSpreads = matrix.klines.suffix(windowBars).compactMap { matrix.quotedSpreads[$0.openTime.milliseconds] }
        let execution = ExecutionSettings(
            makerFeeRate: division.makerFeeRate, takerFeeRate: division.takerFeeRate, slippageBps: division.slippageBps,
            timeLimitBars: riskDivision.timeLimitBars,
            timeLimitSource: division.timeLimitBars != nil ? .configured : (riskDivision.timeLimitBars != nil ? .labelHorizon : .none),
            barsWithSpread: windowSpreads.count,
            meanHalfSpreadBps: windowSpreads.isEmpty ? nil : windowSpreads.reduce(0, +) / Double(windowSpreads.count) / 2
        )
        let walkForward = try WalkForwardBacktest.run(
            matrix: matrix, models: specs, baselines: baselines,
            options: .init(windowBars: windowBars, plan: plan, threshold: options.threshold, division: riskDivision, executor: executor)
        )
        lap("backtest")
        // The Ensemble's stack mode: per entry label with two or more models, a logistic regression
        // on their out-of-fold probabilities (Stacking), saved with the others; scored, not traded.
        var notes = loaded.notes
        for (labelName, label) in labels where label.direction == .high {
            let inputs = finals.filter { $0.votes && $0.model.metadata.label == labelName }.map(\.model.name)
            guard inputs.count >= 2 else { continue }
            do {
                let model = try Stacking.train(
                    outOfSample: walkForward.outOfSample, inputs: inputs, label: labelName, labelFrom: inputs[0],
                    version: ModelTraining.compactVersion(klines[matrix.count - 1].closeTime.adding(milliseconds: 1)),
                    interval: interval, symbol: config.symbol, created: options.created, trainingRange: walkForward.window
                )
                finals.append(TrainedModel(model: model, algorithm: "stack", votes: false, leaderboard: nil))
            } catch {
                notes.append("stack-\(labelName): no meta-model (\(error))")
            }
        }
        return Output(
            config: config, division: division, notes: notes, matrix: matrix, finals: finals, walkForward: walkForward,
            volatilityBaseline: volatilityBaselineName, timings: timings, orderFlow: matrix.orderFlow, orderFlowNotes: orderFlowNotes,
            execution: execution
        )
    }

    /// The klines the captures cover, plus the TA features' warm-up before them: outside the
    /// captures no row can have every feature, and the windows count bars.
    public static func trimToCaptures(_ klines: [Kline], orderFlow: OrderFlowBars, features: [String], interval: Interval) throws -> (klines: [Kline], note: String) {
        guard let span = orderFlow.span else {
            throw PipelineError(problems: ["order flow: the captures (\(orderFlow.files.count) file\(orderFlow.files.count == 1 ? "" : "s")) hold no complete bar"])
        }
        let taFeatures = features.filter { !OrderFlowFeature.isValidName($0) }
        let warmup = (try? FeatureServiceCore.Configuration(features: taFeatures).warmupBars(for: interval)) ?? 0
        let first = klines.firstIndex { $0.openTime >= span.lowerBound } ?? klines.count
        let end = klines.lastIndex { $0.openTime <= span.upperBound }.map { $0 + 1 } ?? 0
        guard first < end else {
            throw PipelineError(problems: ["order flow: the captures span \(span.lowerBound) … \(span.upperBound), which no kline covers (klines \(klines.first?.openTime.description ?? "-") … \(klines.last?.openTime.description ?? "-")); give the kline file of that period"])
        }
        let start = max(0, first - warmup)
        let note = "order flow: the captures span \(span.lowerBound) … \(span.upperBound); the research rows are the \(end - first) bars they cover plus \(first - start) bars of TA warm-up before them (of \(klines.count) klines)"
        return (Array(klines[start..<end]), note)
    }

    public typealias Fitter = @Sendable (_ rows: [[Double]], _ labels: [Bool], _ name: String, _ version: String) throws -> Model

    /// How one configured algorithm fits rows into a model.
    public static func fitter(_ algorithm: AlgorithmConfig, features: [String], label: String, interval: Interval, symbol: String) throws -> Fitter {
        switch algorithm.kind {
        case .logisticRegression(let lr):
            let options = LogisticRegressionTrainer.Options(C: lr.c, maxIterations: max(lr.maxIterations, 100))
            return { rows, labels, name, version in
                try ModelTraining.logisticRegressionModel(rows: rows, labels: labels, features: features, label: label, name: name, version: version, interval: interval, symbol: symbol, options: options)
            }
        case .autoML:
            // Replaced by the search's winner.
            return { _, _, name, _ in throw PipelineError(problems: ["\(name): AutoML has no fitter before its search"]) }
        case .lightGBM(let lgbm):
            var parameters: [String: String] = [:]
            for p in lgbm.parameters { parameters[p.key] = p.value }
            return lightGBMFitter(.gbdt, parameters: parameters, features: features, label: label, interval: interval, symbol: symbol)
        case .randomForest(let rf):
            return lightGBMFitter(.randomForest, parameters: randomForestParameters(rf, featureCount: features.count), features: features, label: label, interval: interval, symbol: symbol)
        }
    }

    static func lightGBMFitter(_ boosting: LightGBMTrainer.Boosting, parameters: [String: String], features: [String], label: String, interval: Interval, symbol: String) -> Fitter {
        { rows, labels, name, version in
            try ModelTraining.lightGBMModel(rows: rows, labels: labels, features: features, label: label, name: name, version: version, interval: interval, symbol: symbol, boosting: boosting, parameters: parameters)
        }
    }

    /// scikit-learn's random-forest keys as LightGBM's random-forest boosting: trees → rounds,
    /// max_depth, min_samples_leaf → min_data_in_leaf, max_features → feature_fraction, bagging on.
    static func randomForestParameters(_ rf: AlgorithmConfig.RandomForest, featureCount: Int) -> [String: String] {
        var p: [String: String] = ["num_iterations": String(rf.trees), "min_data_in_leaf": String(max(1, rf.minSamplesLeaf))]
        if let depth = rf.maxDepth { p["max_depth"] = String(depth) }
        let d = Double(max(1, featureCount))
        let fraction: Double = switch rf.maxFeatures {
        case "sqrt": (d.squareRoot().rounded(.up)) / d
        case "log2": max(1, log2(d).rounded(.up)) / d
        default: Double(rf.maxFeatures).map { $0 > 1 ? min(1, $0 / d) : $0 } ?? 1
        }
        p["feature_fraction"] = String(min(1, max(1 / d, fraction)))
        if let seed = rf.seed { p["seed"] = String(seed) }
        if rf.balancedClassWeight { p["is_unbalance"] = "true" }
        return p
    }

    static func autoMLFamilies(_ names: [String]?) -> [AutoML.Family] {
        let all: [AutoML.Family] = [.logisticRegression, .lightGBM, .randomForest]
        guard let names else { return all }
        return all.filter { names.contains($0.name) }
    }

    static func familyFitter(_ family: AutoML.Family, parameters: AutoML.Parameters, features: [String], label: String, interval: Interval, symbol: String) -> Fitter {
        switch family.name {
        case "lgbm": return lightGBMFitter(.gbdt, parameters: parameters, features: features, label: label, interval: interval, symbol: symbol)
        case "rf": return lightGBMFitter(.randomForest, parameters: parameters, features: features, label: label, interval: interval, symbol: symbol)
        default:
            let C = Double(parameters["C"] ?? "1") ?? 1
            return { rows, labels, name, version in
                try ModelTraining.logisticRegressionModel(rows: rows, labels: labels, features: features, label: label, name: name, version: version, interval: interval, symbol: symbol, options: .init(C: C))
            }
        }
    }
}
