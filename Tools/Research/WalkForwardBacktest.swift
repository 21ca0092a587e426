import Domain
import EnsembleCore
import ExecutorCore
import FeatureServiceCore
import PredictorCore
import RiskGateCore

/// A walk-forward backtest: over a window of bars, each fold retrains every model on the bars
/// before it (purged by the label horizon) and the whole chain of cores (FeatureService,
/// Predictor, Ensemble, RiskGate, Executor in paper mode) trades the fold's bars with them, in one
/// process, exactly as the services would. One run per voting model alone, one for the ensemble of
/// all voting models, and one per baseline, all on the same folds and the same fitted models.
public struct WalkForwardBacktest: Sendable {
    /// A model to fit at every fold.
    public struct ModelSpec: Sendable {
        /// Registry name (includes the label, e.g. `logreg-high_030_4`).
        public var name: String
        public var label: HighLowLabel
        public var features: [String]
        /// Whether the model votes in the ensemble (entry models) or is only scored (the "low" models).
        public var votes: Bool
        /// Fits rows (in `features` order) and labels into a model named `name` at `version`.
        public var fit: @Sendable (_ rows: [[Double]], _ labels: [Bool], _ name: String, _ version: String) throws -> Model

        public init(name: String, label: HighLowLabel, features: [String], votes: Bool, fit: @escaping @Sendable (_ rows: [[Double]], _ labels: [Bool], _ name: String, _ version: String) throws -> Model) {
            self.name = name
            self.label = label
            self.features = features
            self.votes = votes
            self.fit = fit
        }
    }

    public struct Options: Sendable {
        /// Bars of the backtest window (the last `windowBars` bars of the matrix; the training of the
        /// first fold lies inside it).
        public var windowBars: Int
        public var plan: WalkForward.Plan
        public var threshold: Double
        /// The risk rules; its `timeLimitBars` goes on every intent (the pipeline sets the entry
        /// label's horizon unless the config gives `time_limit_bars`).
        public var division: RiskGateCore.Division
        /// The paper fills' costs (maker/taker fees, slippage, ticks); bars' quoted spreads come
        /// from the matrix's recorded books (``ResearchMatrix/quotedSpreads``).
        public var executor: ExecutorCore.Configuration

        public init(windowBars: Int, plan: WalkForward.Plan, threshold: Double = 0.6, division: RiskGateCore.Division = .init(), executor: ExecutorCore.Configuration = .init()) {
            self.windowBars = windowBars
            self.plan = plan
            self.threshold = threshold
            self.division = division
            self.executor = executor
        }
    }

    /// One fold's ranges as times and its fitted models' out-of-sample scores.
    public struct FoldSummary: Sendable {
        public var index: Int
        public var trainFrom: Timestamp
        public var trainTo: Timestamp
        public var testFrom: Timestamp
        public var testTo: Timestamp
        public var trainingRows: [String: Int]
        public var errors: [String: String]
    }

    /// Out-of-sample predictions of one model over every fold's test rows (rows with a label).
    public struct OutOfSample: Sendable {
        public var probabilities: [Double] = []
        public var labels: [Bool] = []
        /// The matrix row of each probability.
        public var rows: [Int] = []
        public var auc: Double? { ClassificationMetrics.auc(scores: probabilities, labels: labels) }
    }

    public struct Output: Sendable {
        public var folds: [FoldSummary]
        /// Chain runs by name: each voting model alone, "ensemble", and the baselines.
        public var runs: [String: Backtest.Result]
        public var outOfSample: [String: OutOfSample]
        public var window: Range<Timestamp>
        public var windowRows: Range<Int>
    }

    public struct RunError: Swift.Error, Sendable, CustomStringConvertible {
        public var reason: String
        public var description: String { "walk-forward backtest: \(reason)" }
    }

    /// The name of the "enter whenever flat" baseline's run.
    public static let alwaysEnter = "baseline-always-enter"

    /// Runs the folds. `baselines` are extra models fitted and traded alone like the voting ones
    /// (e.g. the volatility-only model); the "enter whenever flat" baseline is always added.
    public static func run(matrix: ResearchMatrix, models: [ModelSpec], baselines: [ModelSpec] = [], options: Options) throws -> Output {
        guard models.contains(where: \.votes) else { throw RunError(reason: "no voting model") }
        let start = max(0, matrix.count - options.windowBars)
        let windowRows = start..<matrix.count
        let horizon = (models + baselines).map(\.label.horizon).max() ?? 0
        let folds: [WalkForward.Fold]
        do {
            folds = try WalkForward.folds(rows: windowRows.count, plan: options.plan, labelHorizon: horizon)
        } catch {
            throw RunError(reason: error.description)
        }
        let specs = models + baselines
        var columns: [String: [Int]] = [:]
        for spec in specs {
            switch matrix.columns(of: spec.features) {
            case .success(let c): columns[spec.name] = c
            case .failure(let missing): throw RunError(reason: "\(spec.name): \(missing)")
            }
        }
        var labelCache: [HighLowLabel: [Bool?]] = [:]
        for spec in specs where labelCache[spec.label] == nil { labelCache[spec.label] = spec.label.labels(for: matrix.klines) }

        // Fit every model at every fold; predict its test rows.
        var fitted: [[String: Model]] = []
        var summaries: [FoldSummary] = []
        var outOfSample: [String: OutOfSample] = [:]
        for fold in folds {
            let train = (fold.train.lowerBound + start)..<(fold.train.upperBound + start)
            let test = (fold.test.lowerBound + start)..<(fold.test.upperBound + start)
            var models: [String: Model] = [:]
            var rows: [String: Int] = [:]
            var errors: [String: String] = [:]
            for spec in specs {
                let labels = labelCache[spec.label]!
                // Training rows whose label window stays inside the training range.
                let usable = train.lowerBound..<max(train.lowerBound, train.upperBound - spec.label.horizon)
                let set = matrix.trainingSet(usable, labels: labels, columns: columns[spec.name]!)
                rows[spec.name] = set.rows.count
                do {
                    let version = "wf\(fold.index)-" + ModelTraining.compactVersion(matrix.klines[test.lowerBound].openTime)
                    let model = try spec.fit(set.rows, set.labels, spec.name, version)
                    models[spec.name] = model
                    let scored = matrix.trainingSet(test, labels: labels, columns: columns[spec.name]!)
                    outOfSample[spec.name, default: OutOfSample()].probabilities += scored.rows.map { model.probability($0) }
                    outOfSample[spec.name, default: OutOfSample()].labels += scored.labels
                    outOfSample[spec.name, default: OutOfSample()].rows += scored.indices
                } catch {
                    errors[spec.name] = "\(error)"
                }
            }
            fitted.append(models)
            summaries.append(FoldSummary(
                index: fold.index, trainFrom: matrix.klines[train.lowerBound].openTime, trainTo: matrix.klines[train.upperBound - 1].closeTime,
                testFrom: matrix.klines[test.lowerBound].openTime, testTo: matrix.klines[test.upperBound - 1].closeTime,
                trainingRows: rows, errors: errors
            ))
        }

        // Chain runs: each voting model alone, the ensemble, the baselines.
        let firstTest = folds[0].test.lowerBound + start
        // The chain starts at the window's start: the first fold's training bars warm its
        // indicators (recursive ones forget their start long before the first predicted bar).
        let warmup = start
        let featuresByName = Dictionary(specs.map { ($0.name, $0.features) }, uniquingKeysWith: { a, _ in a })
        func chain(_ names: [String], models pick: @escaping (Int) -> [Model]) throws -> Backtest.Result {
            // The FeatureService computes the TA features; the order-flow ones the run's models use
            // join each bar's vector, and a bar without them gets none (as in the matrix's rows).
            let used = names.flatMap { featuresByName[$0] ?? [] }
            var backtest = try Backtest(configuration: .init(
                features: matrix.taFeatures, models: [],
                ensemble: .init(models: names.map { .init(name: $0) }, threshold: options.threshold),
                risk: .init(division: options.division), executor: options.executor,
                orderFlow: matrix.orderFlowFeed(for: used), spreads: matrix.quotedSpreads
            ))
            var nextFold = 0
            for i in warmup..<matrix.count {
                while nextFold < folds.count && folds[nextFold].test.lowerBound + start == i {
                    backtest.replaceModels(pick(nextFold))
                    nextFold += 1
                }
                backtest.feed(matrix.klines[i])
            }
            return backtest.result
        }
        var runs: [String: Backtest.Result] = [:]
        let voters = models.filter(\.votes).map(\.name)
        for name in voters + baselines.map(\.name) {
            runs[name] = try chain([name]) { fold in fitted[fold][name].map { [$0] } ?? [] }
        }
        runs["ensemble"] = try chain(voters) { fold in voters.compactMap { fitted[fold][$0] } }
        // Enter whenever flat: a model that always says yes, under the same exits and fees.
        let always = try alwaysYes(features: [matrix.features[0]], name: alwaysEnter, interval: matrix.klines[0].interval, symbol: matrix.klines[0].symbol)
        runs[alwaysEnter] = try chain([alwaysEnter]) { _ in [always] }
        return Output(
            folds: summaries, runs: runs, outOfSample: outOfSample,
            window: matrix.klines[firstTest].openTime..<matrix.klines[matrix.count - 1].closeTime, windowRows: firstTest..<matrix.count
        )
    }

    /// A logistic "model" with probability σ(40) ≈ 1 whatever its input: the "enter whenever flat" baseline.
    static func alwaysYes(features: [String], name: String, interval: Interval, symbol: String) throws -> Model {
        try Model(metadata: ModelMetadata(
            name: name, version: "1", algorithm: ModelAlgorithm.logisticRegression.rawValue, label: "always",
            features: features, interval: interval, symbols: [symbol], created: Timestamp.zero.description,
            means: features.map { _ in 0 }, stds: features.map { _ in 1 }, coefficients: features.map { _ in 0 }, intercept: 40
        ))
    }
}
