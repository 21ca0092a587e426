import Domain
import Foundation

/// A portfolio's backtest assembled from the walk-forward backtests of its model configs: each
/// config ran alone with its division's settings and its share of the capital; this type puts
/// their closed trades on one time axis and computes the rows of the portfolio report.
///
/// **Division.** The union of its configs' trades, each config's counted only inside that config's
/// own metrics window, over the span from the earliest window start to the latest window end; its
/// initial equity is the sum of its configs' (the caller splits the division's capital among them).
/// **Portfolio.** Every division's counted trades over the span of all windows, starting from the
/// whole portfolio equity (divisions, reserve and any unallocated capital): since equity moves
/// only when a trade closes (realized, ``PerformanceMetrics``), this is exactly the sum of the
/// division equities plus the reserve and the unallocated cash, at every instant.
///
/// ```swift
/// let result = try PortfolioBacktest.combine(divisions: [conservative, aggressive], totalEquity: Decimal8(1_000))
/// print(result.portfolio.metrics.totalReturn)
/// ```
public enum PortfolioBacktest {
    /// One model config's backtest, as the portfolio counts it.
    public struct ConfigRun: Sendable {
        /// The config's file name (or any label).
        public var name: String
        public var symbol: String
        public var interval: String
        /// The capital the run started with.
        public var equity: Decimal8
        /// The run's metrics window: only trades that exit inside it count.
        public var window: Range<Timestamp>
        public var trades: [BacktestTrade]
        /// The run's per-model rows (each model alone).
        public var models: [BacktestReport.Row] = []
        public var syntheticBooks: Bool = false
        /// The run's own report, when it has one (configs, versions, gaps, notes, headline).
        public var report: BacktestReport?

        public init(name: String, symbol: String, interval: String, equity: Decimal8, window: Range<Timestamp>, trades: [BacktestTrade], models: [BacktestReport.Row] = [], syntheticBooks: Bool = false) {
            self.name = name
            self.symbol = symbol
            self.interval = interval
            self.equity = equity
            self.window = window
            self.trades = trades
            self.models = models
            self.syntheticBooks = syntheticBooks
        }

        /// From a pipeline run's report: its ensemble's window and trades, its model rows.
        public init(name: String, equity: Decimal8, report: BacktestReport) {
            self.init(
                name: name, symbol: report.symbols.joined(separator: ","), interval: report.interval, equity: equity,
                window: report.ensemble.metrics.windowStart..<report.ensemble.metrics.windowEnd, trades: report.trades,
                models: report.models, syntheticBooks: report.syntheticBooks
            )
            self.report = report
        }

        /// The trades the run's own metrics count.
        public var countedTrades: [BacktestTrade] { trades.filter { window.contains($0.exitTime) } }
    }

    /// One division: its configs' runs and the economics of its bracket.
    public struct DivisionRun: Sendable {
        public var name: String
        /// nil with an ATR stop (no fixed bracket): the go/no-go then cannot use this division.
        public var breakEven: BreakEven?
        public var configs: [ConfigRun]

        public init(name: String, breakEven: BreakEven?, configs: [ConfigRun]) {
            self.name = name
            self.breakEven = breakEven
            self.configs = configs
        }

        public var equity: Decimal8 { configs.reduce(Decimal8.zero) { $0 + $1.equity } }
        public var syntheticBooks: Bool { configs.contains(where: \.syntheticBooks) }
    }

    /// Why the runs cannot be combined; lists every problem.
    public struct InputError: Error, Equatable, CustomStringConvertible {
        public var problems: [String]
        public var description: String { "cannot combine the portfolio: " + problems.joined(separator: "; ") }
    }

    public struct Result: Sendable {
        /// One row per division (kind `.division`, with its break-even).
        public var divisions: [BacktestReport.Row]
        /// The portfolio (kind `.portfolio`).
        public var portfolio: BacktestReport.Row
        /// Per-model rows, named "division · model"; with several configs in a division, also one
        /// row per config (kind `.ensemble`, named "division · config").
        public var models: [BacktestReport.Row]
        /// Every counted trade of every division, in exit-time order.
        public var trades: [BacktestTrade]
        /// The span of every config's window.
        public var window: Range<Timestamp>
        /// Divisions with a config whose order books were synthetic, in the order given.
        public var syntheticDivisions: [String]
        /// What the figures mean (capital, windows), for the report's notes.
        public var notes: [String]
    }

    /// Combines the divisions (see the type's documentation). `totalEquity` is the portfolio's
    /// whole capital; it must cover the divisions' equities (the rest is the reserve and cash).
    public static func combine(divisions: [DivisionRun], totalEquity: Decimal8) throws(InputError) -> Result {
        var problems: [String] = []
        if divisions.isEmpty { problems.append("no division") }
        for d in divisions where d.configs.isEmpty { problems.append("division \(d.name): no model config") }
        for d in divisions {
            for c in d.configs where c.window.isEmpty || c.equity <= .zero {
                problems.append("division \(d.name), \(c.name): " + (c.window.isEmpty ? "empty window" : "equity \(c.equity.compactDescription) must be > 0"))
            }
        }
        var names = Set<String>()
        for d in divisions where !names.insert(d.name).inserted { problems.append("division \(d.name) given twice") }
        let used = divisions.reduce(Decimal8.zero) { $0 + $1.equity }
        if totalEquity < used { problems.append("total equity \(totalEquity.compactDescription) is less than the divisions' \(used.compactDescription)") }
        guard problems.isEmpty else { throw InputError(problems: problems) }

        func span(_ windows: [Range<Timestamp>]) -> Range<Timestamp> {
            windows.map(\.lowerBound).min()!..<windows.map(\.upperBound).max()!
        }
        func metrics(_ trades: [BacktestTrade], _ equity: Decimal8, _ window: Range<Timestamp>) throws(InputError) -> PerformanceMetrics {
            do throws(PerformanceMetrics.InputError) { return try PerformanceMetrics.compute(trades: trades, initialEquity: equity, window: window) } catch { throw InputError(problems: error.problems) }
        }
        var divisionRows: [BacktestReport.Row] = []
        var modelRows: [BacktestReport.Row] = []
        var all: [BacktestTrade] = []
        var notes: [String] = []
        for d in divisions {
            let window = span(d.configs.map(\.window))
            let trades = d.configs.flatMap(\.countedTrades).sorted { ($0.exitTime, $0.intentID) < ($1.exitTime, $1.intentID) }
            all += trades
            divisionRows.append(.init(name: d.name, kind: .division, metrics: try metrics(trades, d.equity, window), breakEven: d.breakEven))
            for c in d.configs {
                if d.configs.count > 1 {
                    modelRows.append(.init(name: "\(d.name) · \(c.name)", kind: .ensemble, metrics: try metrics(c.countedTrades, c.equity, c.window), breakEven: d.breakEven))
                }
                for m in c.models { modelRows.append(.init(name: "\(d.name) · \(m.name)", kind: m.kind, metrics: m.metrics, auc: m.auc, breakEven: m.breakEven)) }
            }
            if d.configs.count > 1 {
                notes.append("Division \(d.name) holds \(d.configs.count) model configs: each was backtested alone on an equal part of the division's capital (\(d.configs.map { "\($0.name) \($0.equity.compactDescription)" }.joined(separator: ", "))) and the division's trades are their union. Live, the RiskGate sizes every config's trades on the one division equity and counts their positions against one max_open_positions: that sharing is not modelled here.")
            }
        }
        let window = span(divisions.flatMap { $0.configs.map(\.window) })
        all.sort { ($0.exitTime, $0.intentID) < ($1.exitTime, $1.intentID) }
        let portfolio = BacktestReport.Row(name: "portfolio", kind: .portfolio, metrics: try metrics(all, totalEquity, window))
        let cash = totalEquity - used
        notes.insert("Portfolio equity \(totalEquity.compactDescription): " + divisions.map { "\($0.name) \($0.equity.compactDescription)" }.joined(separator: ", ") + ", reserve and unallocated \(cash.compactDescription) held as cash. The portfolio row merges every division's trades on one time axis: its equity is the sum of the division equities plus that cash (realized: it moves when a trade closes).", at: 0)
        let windows = divisions.flatMap { d in d.configs.map { (d.name, $0) } }
        if Set(windows.map { $0.1.window }).count > 1 {
            notes.append("The windows differ (" + windows.map { "\($0.0) \($0.1.name) \(ReportFormat.time($0.1.window.lowerBound)) → \(ReportFormat.time($0.1.window.upperBound))" }.joined(separator: "; ") + "): the portfolio row covers \(ReportFormat.time(window.lowerBound)) → \(ReportFormat.time(window.upperBound)) UTC, and outside its own window a division's capital sits idle as cash.")
        }
        return Result(
            divisions: divisionRows, portfolio: portfolio, models: modelRows, trades: all, window: window,
            syntheticDivisions: divisions.filter(\.syntheticBooks).map(\.name), notes: notes
        )
    }
}

extension PortfolioBacktest.Result {
    /// The portfolio report: a row per model, per division and the portfolio, the joint go/no-go
    /// (``GoNoGo``, with the divisions whose books were synthetic named), the configs' texts,
    /// versions, gaps and notes, and links to the per-config reports. Baselines stay in the
    /// per-config reports (each against its own data).
    /// - Parameters:
    ///   - configs: the portfolio file's text first, then anything else to show.
    ///   - subreports: the per-config reports, linked from this one.
    public func report(
        title: String, generatedAt: Timestamp, divisions runs: [PortfolioBacktest.DivisionRun], configs: [BacktestReport.ConfigFile],
        subreports: [BacktestReport.Subreport] = [], notes extraNotes: [String] = []
    ) -> BacktestReport {
        let reports = runs.flatMap { d in d.configs.compactMap { c in c.report.map { (d.name, c.name, $0) } } }
        let dataRange = reports.isEmpty ? window : reports.map(\.2.dataRange.lowerBound).min()!..<reports.map(\.2.dataRange.upperBound).max()!
        var symbols: [String] = []
        for d in runs { for c in d.configs where !symbols.contains(c.symbol) { symbols.append(c.symbol) } }
        var intervals: [String] = []
        for d in runs { for c in d.configs where !intervals.contains(c.interval) { intervals.append(c.interval) } }
        var allNotes = notes + extraNotes
        for (division, name, report) in reports {
            allNotes += report.notes.map { "\(division) · \(name): \($0)" }
        }
        return BacktestReport(
            title: title, generatedAt: generatedAt, dataRange: dataRange, symbols: symbols, interval: intervals.joined(separator: ","),
            configs: configs + reports.flatMap(\.2.configs),
            modelVersions: reports.flatMap { r in r.2.modelVersions.map { .init(name: "\(r.0) · \($0.name)", version: $0.version, hash: $0.hash) } },
            gaps: reports.flatMap(\.2.gaps), syntheticBooks: !syntheticDivisions.isEmpty,
            models: models, divisions: divisions, ensemble: portfolio, baselines: [], trades: trades, notes: allNotes,
            syntheticDivisions: syntheticDivisions, subreports: subreports,
            baselinesNote: "Each model config's baselines (enter whenever flat; volatility only) ran on its own data: they are in its report (Per-config reports above)."
        )
    }
}
