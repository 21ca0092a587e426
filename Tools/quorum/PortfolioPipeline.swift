import Bus
import Domain
import Foundation
import Research
import StrategyConfig

/// The bars one pipeline run uses and how its walk-forward walks them: the command line's
/// `--window-days`, `--train-days`, `--step-days`, `--last-days` and `--until`, and, in a
/// portfolio, a run's own values given with `--for NAME.KEY=VALUE`.
struct RunWindow: Sendable, Hashable {
    var windowDays: Int
    var trainDays: Int
    var stepDays: Int
    var lastDays: Int
    var until: Timestamp?

    static let keys = ["window-days", "train-days", "step-days", "last-days", "until"]

    /// The command line's values; every bad one listed.
    init(_ command: PipelineCommand) throws {
        windowDays = command.windowDays
        trainDays = command.trainDays
        stepDays = command.stepDays
        lastDays = command.lastDays
        var problems: [String] = []
        if let text = command.until {
            until = CollectBook.parseTime(text)
            if until == nil { problems.append("--until \(text): expected YYYY-MM-DD or milliseconds since the epoch") }
        }
        problems += validate("--")
        if !problems.isEmpty { throw CommandFailure(problems.joined(separator: "; ")) }
    }

    /// Problems of the values, each named with `prefix` + its key.
    func validate(_ prefix: String) -> [String] {
        var problems: [String] = []
        for (key, value, minimum) in [("window-days", windowDays, 1), ("train-days", trainDays, 1), ("step-days", stepDays, 1), ("last-days", lastDays, 0)] where value < minimum {
            problems.append("\(prefix)\(key) \(value): expected at least \(minimum)")
        }
        return problems
    }

    /// Sets one key from its text; nil when done, else the problem.
    mutating func set(_ key: String, _ text: String) -> String? {
        if key == "until" {
            guard let time = CollectBook.parseTime(text) else { return "expected YYYY-MM-DD or milliseconds since the epoch" }
            until = time
            return nil
        }
        guard let value = Int(text) else { return "expected a whole number of days" }
        switch key {
        case "window-days": windowDays = value
        case "train-days": trainDays = value
        case "step-days": stepDays = value
        case "last-days": lastDays = value
        default: return "unknown key (\(Self.keys.joined(separator: ", ")))"
        }
        return nil
    }

    /// The window of one model config of a portfolio: the command line's, then the `--for` entries
    /// naming its division, then its symbol, then its file name (the most specific wins).
    static func forConfig(
        base: RunWindow, entries: [String], division: String, symbol: String, fileStem: String
    ) -> (window: RunWindow, problems: [String]) {
        var window = base
        var problems: [String] = []
        for name in [division, symbol, fileStem] {
            for entry in entries {
                guard let parsed = parse(entry), parsed.name == name else { continue }
                if let problem = window.set(parsed.key, parsed.value) { problems.append("--for \(entry): \(problem)") }
            }
        }
        problems += window.validate("--for \(fileStem).")
        return (window, problems)
    }

    /// NAME.KEY=VALUE, the NAME being everything before the last dot ahead of a known key.
    static func parse(_ entry: String) -> (name: String, key: String, value: String)? {
        guard let equals = entry.firstIndex(of: "=") else { return nil }
        let left = entry[..<equals]
        guard let dot = left.lastIndex(of: ".") else { return nil }
        let name = String(left[..<dot]), key = String(left[left.index(after: dot)...])
        guard !name.isEmpty else { return nil }
        return (name, key, String(entry[entry.index(after: equals)...]))
    }
}

extension PipelineCommand {
    /// `quorum pipeline -c PORTFOLIO`: every model config of every division through the
    /// single-config pipeline with its division's settings and capital, each into
    /// `<out>/<division>/<config>/`, then the portfolio report (`<out>/report.html`, `.json`):
    /// a row per model, per division and the portfolio, and the specification's joint go/no-go.
    func runPortfolio() throws {
        let started = WallClock.monotonicNanoseconds()
        let path = configOptions.config
        if configOptions.klines != nil {
            throw CommandFailure("--klines names one kline file, and a portfolio reads one per model config: give --data-folder DIR (its SYMBOL-INTERVAL.csv files) instead")
        }
        var overrides = configOptions.overrides
        if let modelDir { overrides.modelDirectory = modelDir }
        let loaded: LoadedPortfolio
        do {
            loaded = try Portfolio.load(path: path, overrides: overrides, rules: Pipeline.nameRules)
        } catch {
            throw CommandFailure("\(path): \(error.violations.count) problem\(error.violations.count == 1 ? "" : "s")\n" + error.violations.map { "  " + $0.description }.joined(separator: "\n"))
        }
        for note in loaded.notes { print("note: \(note)") }
        let portfolio = loaded.portfolio
        let total = try equityValue()
        let base = try RunWindow(self)

        // Every --for entry must name something of this portfolio, with a known key.
        var names: Set<String> = []
        for division in portfolio.divisions {
            names.insert(division.name)
            for model in division.models {
                names.insert(model.symbol)
                if let file = model.file { names.insert(Self.stem(file)) }
            }
        }
        var problems: [String] = []
        for entry in perConfig {
            guard let parsed = RunWindow.parse(entry) else { problems.append("--for \(entry): expected NAME.KEY=VALUE"); continue }
            if !names.contains(parsed.name) { problems.append("--for \(entry): \(parsed.name) is no division, symbol or model config of \(path) (\(names.sorted().joined(separator: ", ")))") }
            if !RunWindow.keys.contains(parsed.key) { problems.append("--for \(entry): unknown key \(parsed.key) (\(RunWindow.keys.joined(separator: ", ")))") }
        }

        // Each config's data, window and costs, all checked before anything runs.
        struct Planned {
            var division: StrategyDivision
            var loaded: LoadedConfig
            var files: ModelConfig.FileCheck
            var window: RunWindow
            var equity: Decimal8
            var stem: String
        }
        var plan: [Planned] = []
        var stems: [String: Int] = [:]
        for original in portfolio.divisions {
            var division = original
            try applyCosts(to: &division)
            guard !division.models.isEmpty else { problems.append("division \(division.name): no model config to backtest"); continue }
            let share = total.multiplied(by: division.capitalShare, rounding: .toNearestOrEven)
            let each = share.divided(by: Decimal8(division.models.count))
            for model in division.models {
                var stem = model.file.map(Self.stem) ?? "\(model.symbol)-\(model.interval.name)"
                stems[stem, default: 0] += 1
                if stems[stem]! > 1 { stem += "-\(stems[stem]!)" }
                let files = model.checkFiles(overrides: overrides)
                for note in files.notes { print("note: \(stem): \(note)") }
                if !files.isValid || files.klines == nil { problems += files.violations.map { "\(division.name) · \(stem): \($0.description)" } }
                let window = RunWindow.forConfig(base: base, entries: perConfig, division: division.name, symbol: model.symbol, fileStem: model.file.map(Self.stem) ?? stem)
                problems += window.problems
                plan.append(Planned(
                    division: division, loaded: LoadedConfig(config: model, division: division, notes: []), files: files,
                    window: window.window, equity: each, stem: stem
                ))
            }
        }
        if !problems.isEmpty { throw CommandFailure(problems.joined(separator: "\n")) }

        let folder = out ?? "var/pipeline/portfolio-\(Self.stem(path))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var runs: [String: [PortfolioBacktest.ConfigRun]] = [:]
        var breakEvens: [String: Research.BreakEven] = [:]
        var subreports: [BacktestReport.Subreport] = []
        for item in plan {
            let w = item.window
            print("portfolio: division \(item.division.name), \(item.stem) (\(item.loaded.config.symbol) \(item.loaded.config.interval.name)): equity \(item.equity.compactDescription), window \(w.windowDays) d, train \(w.trainDays) d, step \(w.stepDays) d\(w.lastDays > 0 ? ", last \(w.lastDays) d" : "")\(w.until.map { ", until \($0)" } ?? "")")
            let relative = "\(item.division.name)/\(item.stem)"
            let sub = (folder as NSString).appendingPathComponent(relative)
            let run = try runConfig(
                item.loaded, item.files, configPath: item.loaded.config.file ?? item.stem, folder: sub,
                modelsFolder: models.map { ($0 as NSString).appendingPathComponent(relative) }, window: w, equity: item.equity,
                forceSynthetic: syntheticBooks && !Pipeline.orderFlowFeatures(item.loaded.config.trainFeatures).isEmpty
            )
            print("portfolio: \(item.division.name) · \(item.stem): \(run.report.headline) → \(run.written.html.path)")
            runs[item.division.name, default: []].append(.init(name: item.stem, equity: item.equity, report: run.report))
            if let be = run.report.divisions.first?.breakEven { breakEvens[item.division.name] = be }
            subreports.append(.init(name: item.stem, division: item.division.name, html: relative + "/report.html", headline: run.report.headline))
        }

        let divisions = portfolio.divisions.map { PortfolioBacktest.DivisionRun(name: $0.name, breakEven: breakEvens[$0.name], configs: runs[$0.name] ?? []) }
        let result: PortfolioBacktest.Result
        do { result = try PortfolioBacktest.combine(divisions: divisions, totalEquity: total) } catch { throw CommandFailure("\(error)") }
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let report = result.report(
            title: "Portfolio \((path as NSString).lastPathComponent): walk-forward backtests of \(plan.count) model config\(plan.count == 1 ? "" : "s") in \(divisions.count) division\(divisions.count == 1 ? "" : "s")",
            generatedAt: WallClock.now(), divisions: divisions,
            configs: [.init(name: path, hash: Pipeline.Output.contentHash(text), text: text)], subreports: subreports
        )
        let written = try report.write(to: URL(fileURLWithPath: folder), baseName: "report")
        let table = report.terminalTable()
        print(table)
        for reason in report.decision?.reasons ?? [] where !table.contains(reason) { print("go/no-go: \(reason)") }
        print("report: \(written.html.path) and \(written.json.path)")
        let seconds = Double(WallClock.monotonicNanoseconds() - started) / 1e9
        print("pipeline: portfolio done in \(String(format: "%.2f", seconds)) s; per-config reports in \(subreports.map { (folder as NSString).appendingPathComponent($0.html) }.joined(separator: ", "))")
    }

    /// A file's name without its folder and extension.
    static func stem(_ path: String) -> String { ((path as NSString).lastPathComponent as NSString).deletingPathExtension }
}
