import ArgumentParser
import Domain
import Foundation
import PredictorCore
import Research
import StrategyConfig

/// `quorum lookahead-check -c CONFIG`: trains the config's models on the first part of its data,
/// then recomputes features, predictions and signals on the data cut at many points of the rest and
/// fails (exit 1) if any value at time t changes when the data after t is removed.
struct LookaheadCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lookahead-check",
        abstract: "Fail if any feature, prediction or signal at time t changes when the data after t is removed."
    )

    @OptionGroup var configOptions: ConfigOptions

    @Option(help: "Number of cut points.")
    var cuts = 50

    @Option(name: .customLong("span-days"), help: "The cuts are spread over the last N days of bars.")
    var spanDays = 7

    @Option(name: .customLong("last-days"), help: "Only the last N days of the kline file are used (0 = all; with order-flow features, the span of the captures is used instead).")
    var lastDays = 60

    @Option(help: "Entry threshold of the vote.")
    var threshold = 0.6

    func run() async throws {
        do {
            try check()
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("lookahead-check: \(failure.description)\n".utf8))
            throw ExitCode(2)
        }
    }

    func check() throws {
        let (loaded, files) = try configOptions.load()
        let config = loaded.config
        var klines = try configOptions.klines(loaded, files)
        let perDay = Int(86_400_000 / config.interval.milliseconds)
        // Order-flow features: the captures are replayed whole once, and again cut at every cut
        // point's event time, so the books after the cut are removed along with the klines.
        var orderFlow: ((Timestamp) throws -> OrderFlowBars)?
        var whole: OrderFlowBars?
        if let flow = try configOptions.orderFlowBars(loaded, files) {
            let cut = try Pipeline.trimToCaptures(klines, orderFlow: flow.bars, features: config.trainFeatures, interval: config.interval)
            print("lookahead-check: \(cut.note)")
            klines = cut.klines
            whole = flow.bars
            let options = configOptions
            orderFlow = { until in try options.orderFlowBars(loaded, files, until: until, quiet: true)!.bars }
        } else if lastDays > 0 {
            klines = Array(klines.suffix(lastDays * perDay))
        }
        let span = min(spanDays * perDay, klines.count / 2)
        // Models fitted on the bars before the checked span (their labels stay before it too).
        let trainEnd = klines.count - span
        let matrix = try ResearchMatrix(klines: Array(klines[..<trainEnd]), features: config.trainFeatures, orderFlow: whole)
        let columns = try matrix.columns(of: config.trainFeatures).get()
        var models: [Model] = []
        var voters: [String] = []
        for labelName in config.labels {
            let label = try HighLowLabel(parsing: labelName)
            let labels = label.labels(for: matrix.klines)
            let set = matrix.trainingSet(0..<max(0, matrix.count - label.horizon), labels: labels, columns: columns)
            for algorithm in config.algorithms {
                let name = Pipeline.modelName(algorithm: algorithm.name, label: labelName)
                let fitter: Pipeline.Fitter
                if case .autoML = algorithm.kind {
                    print("lookahead-check: \(name): AutoML's search is not rerun here; its logistic-regression family stands in (every family predicts one row from that row's features)")
                    fitter = { rows, labels, name, version in
                        try ModelTraining.logisticRegressionModel(rows: rows, labels: labels, features: config.trainFeatures, label: labelName, name: name, version: version, interval: config.interval, symbol: config.symbol)
                    }
                } else {
                    fitter = try Pipeline.fitter(algorithm, features: config.trainFeatures, label: labelName, interval: config.interval, symbol: config.symbol)
                }
                models.append(try fitter(set.rows, set.labels, name, "lookahead"))
                if label.direction == .high { voters.append(name) }
            }
        }
        let report = try LookaheadCheck.run(
            klines: klines, features: config.trainFeatures, models: models, voters: voters, threshold: threshold, cuts: cuts, span: span,
            orderFlow: orderFlow
        )
        print("lookahead-check: \(report.cuts.count) cuts over the last \(span) bars, \(report.rowsCompared) rows and \(report.valuesCompared) values compared (\(config.trainFeatures.count) features, \(models.count) models, the signal)")
        for difference in report.differences { print("lookahead-check: LEAK \(difference)") }
        if report.passed {
            print("lookahead-check: passed: no value at time t depends on data after t")
        } else {
            print("lookahead-check: FAILED")
            throw ExitCode(1)
        }
    }
}
