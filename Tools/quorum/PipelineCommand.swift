import ArgumentParser
import Bus
import CollectorCore
import Domain
import Foundation
import OrderFlow
import OrderFlowCapture
import PredictorCore
import Research
import StrategyConfig

/// Options of every command that reads a strategy config (`-c CONFIG`). The file is read as it is;
/// data locations are overridden here, never in the file.
struct ConfigOptions: ParsableArguments {
    @Option(name: [.customShort("c"), .customLong("config")], help: "Strategy config (JSONC, ITB's keys or the specification's form).")
    var config: String

    @Option(help: "Kline CSV to use instead of the config's data_folder (a finer interval is resampled to the config's freq).")
    var klines: String?

    @Option(name: .customLong("data-folder"), help: "Replaces the config's data_folder.")
    var dataFolder: String?

    @Option(name: .customLong("budget-hours"), help: "Replaces every AutoML budget_hours (e.g. 0.002 for a few seconds).")
    var budgetHours: Double?

    @Option(name: .customLong("base-dir"), help: "Folder the config's relative data paths (data_folder, orderbook_pattern) are resolved in; default the current directory. --klines and --data-folder stay relative to the current directory.")
    var baseDirectory: String?

    var overrides: ConfigOverrides {
        guard let baseDirectory else { return ConfigOverrides(dataFolder: dataFolder, klinesFile: klines, budgetHours: budgetHours) }
        let cwd = FileManager.default.currentDirectoryPath
        func absolute(_ path: String?) -> String? { path.map { $0.hasPrefix("/") ? $0 : (cwd as NSString).appendingPathComponent($0) } }
        return ConfigOverrides(dataFolder: absolute(dataFolder), klinesFile: absolute(klines), budgetHours: budgetHours, baseDirectory: absolute(baseDirectory))
    }

    /// Loads and validates the config and finds its data; prints the notes (economics included).
    func load(quiet: Bool = false) throws -> (loaded: LoadedConfig, files: ModelConfig.FileCheck) {
        let loaded: LoadedConfig
        do {
            loaded = try StrategyConfig.load(path: config, overrides: overrides, rules: Pipeline.nameRules)
        } catch {
            throw CommandFailure("\(config): \(error.violations.count) problem\(error.violations.count == 1 ? "" : "s")\n" + error.violations.map { "  " + $0.description }.joined(separator: "\n"))
        }
        let files = loaded.config.checkFiles(overrides: overrides)
        if !quiet { for note in loaded.notes + files.notes { print("note: \(note)") } }
        guard files.isValid, files.klines != nil else {
            throw CommandFailure(files.violations.map(\.description).joined(separator: "\n"))
        }
        return (loaded, files)
    }

    /// The config's klines, resampled to its freq when the file holds finer bars, with the gaps reported.
    func klines(_ loaded: LoadedConfig, _ files: ModelConfig.FileCheck) throws -> [Kline] {
        let source = files.klines!
        let config = loaded.config
        var klines = try KlineCSV.read(path: source.path, symbol: config.symbol, interval: source.interval ?? config.interval)
        if source.needsResampling {
            let result = try KlineResampler.resample(klines, to: config.interval)
            print("merge: \(result.report)")
            klines = result.klines
        }
        return klines
    }
}

extension ConfigOptions {
    /// The order-flow bars of the config's `gen_features_orderflow` set, replayed from its captures
    /// (`OrderFlowReplay`, the config's `depths` and `freq`), with what the captures' sidecars say
    /// about their books. Nil when the config has no order-flow set or its features use none.
    /// `until` cuts the captures in event time (the lookahead check).
    func orderFlowBars(_ loaded: LoadedConfig, _ files: ModelConfig.FileCheck, until: Timestamp? = nil, quiet: Bool = false) throws -> (bars: OrderFlowBars, provenance: CaptureProvenance.Summary)? {
        let config = loaded.config
        guard !Pipeline.orderFlowFeatures(config.trainFeatures).isEmpty else { return nil }
        let sets = config.orderFlowSets
        guard let set = sets.first, let paths = files.orderbookFiles.first else {
            throw CommandFailure("train_features name order-flow features but the config has no gen_features_orderflow feature set to compute them from")
        }
        if sets.count > 1 { throw CommandFailure("\(sets.count) gen_features_orderflow feature sets: one is supported (they would compute the same names)") }
        let configuration: OrderFlowConfiguration
        do {
            configuration = try OrderFlowConfiguration(depths: set.depths.isEmpty ? [5, 10, 20] : set.depths, freq: set.freq ?? config.interval.name)
        } catch {
            throw CommandFailure("feature_sets (gen_features_orderflow): \(error.description)")
        }
        let provenance: CaptureProvenance.Summary
        do { provenance = try CaptureProvenance.summary(of: paths) } catch { throw CommandFailure("\(error)") }
        let clock = ContinuousClock()
        let started = clock.now
        let table: OrderFlowTable
        do {
            table = try OrderFlowReplay.bars(files: paths, symbol: config.symbol, configuration: configuration, until: until)
        } catch {
            throw CommandFailure("order flow: \(error)")
        }
        if !quiet {
            let seconds = clock.now - started
            print("order flow: replayed \(table.records) records of \(paths.count) capture file\(paths.count == 1 ? "" : "s") in \(seconds) (\(table.bars.count) bars of \(configuration.frequency), \(table.invalidBars) without a valid book, \(table.synchronizer.resyncs) resyncs, \(table.problemCount) unreadable lines, \(table.decodeErrorCount) undecodable messages)")
            if provenance.anySynthetic {
                print("order flow: \(provenance.synthetic.count) of \(paths.count) capture files were recorded from the exchange simulator: SYNTHETIC order books")
            }
            if !provenance.unknown.isEmpty {
                print("order flow: \(provenance.unknown.count) capture file\(provenance.unknown.count == 1 ? " has" : "s have") no .source.json: where the books came from is unknown")
            }
        }
        let bars = OrderFlowBars(names: table.names, bars: table.bars, barMilliseconds: configuration.frequency.milliseconds, files: table.files)
        return (bars, provenance)
    }
}

/// A failure already explained in its message (printed without a stack of context).
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `quorum pipeline -c CONFIG`: merge, features, labels, train, predict, signals and the
/// walk-forward backtest with its report, in one process.
struct PipelineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Run every research stage of a strategy config: features, labels, training, walk-forward backtest, report."
    )

    @OptionGroup var configOptions: ConfigOptions

    @Option(help: "Output folder (predictions, leaderboards, report). Default var/pipeline/<symbol>-<freq>.")
    var out: String?

    @Option(help: "Model registry the final models are written to. Default <out>/models.")
    var models: String?

    @Option(name: .customLong("window-days"), help: "Backtest window, in days of bars present.")
    var windowDays = 90

    @Option(name: .customLong("train-days"), help: "Training length of each walk-forward step, in days of bars.")
    var trainDays = 30

    @Option(name: .customLong("step-days"), help: "Walk-forward step, in days of bars.")
    var stepDays = 7

    @Option(help: "Entry threshold of the vote.")
    var threshold = 0.6

    @Option(help: "Only the last N days of the kline file are used (0 = all).")
    var lastDays = 0

    @Option(name: .customLong("itb-threshold"), help: "Also run ITB's simulate on the out-of-sample score p(high) − p(low): buy ≥ T, sell ≤ −T.")
    var itbThreshold: Double?

    @Flag(name: .customLong("synthetic-books"), help: "The order books behind this run were synthetic (the simulator's): the report gives no verdict. A portfolio: those of its configs with order-flow features.")
    var syntheticBooks = false

    @Option(name: .customLong("slippage-bps"), help: "Paper slippage of taker fills in basis points where no spread is known (default: the division's slippage_bps, 0).")
    var slippageBps: String?

    @Option(name: .customLong("maker-fee"), help: "Fee of the take-profit LIMIT fill, a fraction of its notional (default: the division's maker_fee_rate / fee_rate).")
    var makerFee: String?

    @Option(name: .customLong("taker-fee"), help: "Fee of market fills (entry, stop, time limit), a fraction of the notional (default: the division's taker_fee_rate / fee_rate).")
    var takerFee: String?

    @Option(name: .customLong("time-limit-bars"), help: "Sell a position still open after N bars at the next open (default: the division's time_limit_bars, else the entry label's horizon).")
    var timeLimitBars: Int?

    @Option(help: "Equity the backtest starts with, in quote (a portfolio: its whole capital, each division getting its capital_share).")
    var equity = "1000"

    @Option(help: "Only klines opening before this time (YYYY-MM-DD or milliseconds since the epoch); --last-days counts back from it.")
    var until: String?

    @Option(name: .customLong("model-dir"), help: "Portfolio: folder its model config paths are relative to, instead of its model_dir.")
    var modelDir: String?

    @Option(name: .customLong("for"), help: ArgumentHelp("Portfolio: one run's own window, NAME.KEY=VALUE (repeatable). NAME: a division, a model config's file name (without .jsonc) or its symbol; KEY: window-days, train-days, step-days, last-days, until.", valueName: "NAME.KEY=VALUE"))
    var perConfig: [String] = []

    /// The division with the command line's costs and time limit; every bad value listed.
    func applyCosts(to division: inout StrategyDivision) throws {
        var problems: [String] = []
        func rate(_ text: String?, _ option: String, range: ClosedRange<Decimal8>) -> Decimal8? {
            guard let text else { return nil }
            guard let value = Decimal8(text), range.contains(value) else {
                problems.append("\(option) \(text): expected a decimal in [\(range.lowerBound.compactDescription), \(range.upperBound.compactDescription)]")
                return nil
            }
            return value
        }
        let fees = Decimal8.zero...Decimal8("0.1")!
        if let value = rate(makerFee, "--maker-fee", range: fees) { division.makerFeeRate = value }
        if let value = rate(takerFee, "--taker-fee", range: fees) { division.takerFeeRate = value }
        if let value = rate(slippageBps, "--slippage-bps", range: Decimal8.zero...Decimal8(1000)) { division.slippageBps = value }
        if let bars = timeLimitBars {
            if bars >= 1 { division.timeLimitBars = bars } else { problems.append("--time-limit-bars \(bars): expected at least 1") }
        }
        if !problems.isEmpty { throw CommandFailure(problems.joined(separator: "; ")) }
        if makerFee != nil || takerFee != nil || slippageBps != nil || timeLimitBars != nil {
            print("note: economics with the command line's costs: \(division.economicsLine)")
        }
    }

    func run() async throws {
        do {
            try runPipeline()
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("pipeline: \(failure.description)\n".utf8))
            throw ExitCode(2)
        }
    }

    func runPipeline() throws {
        if Portfolio.isPortfolio(path: configOptions.config) {
            try runPortfolio()
            return
        }
        if modelDir != nil || !perConfig.isEmpty {
            throw CommandFailure("--model-dir and --for apply to a portfolio config (a file with \"divisions\"); \(configOptions.config) is a model config")
        }
        let started = WallClock.monotonicNanoseconds()
        var (loaded, files) = try configOptions.load()
        try applyCosts(to: &loaded.division)
        let window = try RunWindow(self)
        let folder = out ?? "var/pipeline/\(loaded.config.symbol)-\(loaded.config.interval.name)"
        let run = try runConfig(loaded, files, configPath: configOptions.config, folder: folder, modelsFolder: models, window: window, equity: try equityValue(), forceSynthetic: syntheticBooks)
        print(run.report.terminalTable())
        print("report: \(run.written.html.path) and \(run.written.json.path)")
        let seconds = Double(WallClock.monotonicNanoseconds() - started) / 1e9
        print("pipeline: done in \(String(format: "%.2f", seconds)) s (" + run.output.timings.map { "\($0.stage) \(String(format: "%.2f", $0.seconds)) s" }.joined(separator: ", ") + "); files in \(folder)")
    }

    /// `--equity` as a decimal > 0.
    func equityValue() throws -> Decimal8 {
        guard let value = Decimal8(equity), value > .zero else { throw CommandFailure("--equity \(equity): expected a decimal amount of quote > 0") }
        return value
    }

    /// One model config through every stage into `folder`: models, leaderboards, predictions and
    /// its report (written, not printed). A portfolio runs this once per model config.
    func runConfig(
        _ loaded: LoadedConfig, _ files: ModelConfig.FileCheck, configPath: String, folder: String, modelsFolder: String?,
        window: RunWindow, equity: Decimal8, forceSynthetic: Bool
    ) throws -> (output: Pipeline.Output, report: BacktestReport, written: (html: URL, json: URL)) {
        var klines = try configOptions.klines(loaded, files)
        if let until = window.until { klines = klines.filter { $0.openTime < until } }
        if window.lastDays > 0 {
            let keep = window.lastDays * Int(86_400_000 / loaded.config.interval.milliseconds)
            klines = Array(klines.suffix(keep))
        }
        let config = loaded.config
        guard let first = klines.first, let last = klines.last else {
            throw CommandFailure("\(configPath): no kline left\(window.until.map { " before \($0)" } ?? "")")
        }
        let flow = try configOptions.orderFlowBars(loaded, files)
        let synthetic = forceSynthetic || (flow?.provenance.anySynthetic ?? false)
        if synthetic && !forceSynthetic { print("pipeline: the captures' books were synthetic (the exchange simulator's): the report gives no verdict") }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        print("pipeline: \(config.symbol) \(config.interval.name), \(klines.count) bars \(first.openTime) … \(last.closeTime)")
        var options = Pipeline.Options()
        options.windowDays = window.windowDays
        options.trainDays = window.trainDays
        options.stepDays = window.stepDays
        options.threshold = threshold
        options.equity = equity
        options.created = WallClock.now()
        if let hours = configOptions.budgetHours { options.autoMLBudget = .milliseconds(Int64(hours * 3_600_000)) }
        options.progress = { print("pipeline: \($0)") }
        let output: Pipeline.Output
        do {
            output = try Pipeline.run(loaded, klines: klines, orderFlow: flow?.bars, options: options)
        } catch let error as Pipeline.PipelineError {
            throw CommandFailure(error.description)
        } catch let error as ResearchMatrix.Error {
            throw CommandFailure(error.description)
        } catch let error as WalkForwardBacktest.RunError {
            throw CommandFailure(error.description)
        }
        for gap in output.matrix.gaps { print("gaps: \(gap) (indicators restart after it; labels never cross it)") }

        let registry = ModelRegistry(directory: modelsFolder ?? folder + "/models")
        for trained in output.finals {
            let path = try registry.write(trained.model, overwrite: true)
            print("train: \(trained.model.name) (\(trained.algorithm)) → \(path)")
            if let board = trained.leaderboard {
                let file = "\(folder)/leaderboard-\(trained.model.name).csv"
                try board.csv.write(toFile: file, atomically: true, encoding: .utf8)
                print("automl: \(board.entries.count) candidates in \(String(format: "%.1f", board.elapsedSeconds)) s (stopped by \(board.stoppedBy)), winner \(board.winner.map { "\($0.family) \($0.parameters)" } ?? "none") → \(file)")
                print("automl: vertex_automl runs locally (Quorum's own search over \(board.families.joined(separator: ", "))), not on Google Cloud")
            }
        }
        try PipelineFiles.writePredictions(output, to: "\(folder)/predictions.csv")
        let configText = (try? String(contentsOfFile: configPath, encoding: .utf8)) ?? ""
        let report = try output.report(
            configPath: configPath, configText: configText, equity: equity, generatedAt: WallClock.now(),
            syntheticBooks: synthetic, itbThreshold: itbThreshold
        )
        let written = try report.write(to: URL(fileURLWithPath: folder), baseName: "report")
        return (output, report, written)
    }
}

/// Files written by the pipeline.
enum PipelineFiles {
    /// Walk-forward (out-of-sample) probabilities of every model for the window's bars.
    static func writePredictions(_ output: Pipeline.Output, to path: String) throws {
        let names = output.finals.filter { $0.algorithm != "stack" }.map(\.model.name) + [output.volatilityBaseline]
        var byRow: [Int: [String: Double]] = [:]
        for name in names {
            guard let oos = output.walkForward.outOfSample[name] else { continue }
            for (row, p) in zip(oos.rows, oos.probabilities) { byRow[row, default: [:]][name] = p }
        }
        var text = "open_time," + names.joined(separator: ",") + "\n"
        for row in byRow.keys.sorted() {
            let values = byRow[row]!
            text += "\(output.matrix.klines[row].openTime.milliseconds)," + names.map { values[$0].map { String(format: "%.10g", $0) } ?? "" }.joined(separator: ",") + "\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

