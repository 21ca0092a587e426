import Domain
import Foundation

/// Everything a backtest report shows, computed once: the run's configuration and model versions,
/// the data it used, the metrics per model, per division and for the ensemble, the baselines and
/// whether each model and the ensemble beat them, the economics (break-even) and the go/no-go
/// decision. It renders to one self-contained HTML file (``html()``), metrics JSON (``json()``)
/// and a compact terminal table (``terminalTable()``); ``write(to:)`` writes the first two.
///
/// The lead's pipeline computes the runs (ensemble, each model alone, the baselines) and AUCs;
/// this type only compares and renders them.
public struct BacktestReport: Sendable {
    /// A configuration file the run used.
    public struct ConfigFile: Sendable, Hashable {
        public var name: String
        /// A content hash (e.g. SHA-256 hex) the caller computed.
        public var hash: String
        public var text: String

        public init(name: String, hash: String, text: String) {
            self.name = name
            self.hash = hash
            self.text = text
        }
    }

    public struct ModelVersion: Sendable, Hashable {
        public var name: String
        public var version: String
        public var hash: String

        public init(name: String, version: String, hash: String = "") {
            self.name = name
            self.version = version
            self.hash = hash
        }
    }

    /// A hole in the data found before the run (missing klines or book updates).
    public struct Gap: Sendable, Hashable {
        public var symbol: String
        public var start: Timestamp
        public var end: Timestamp
        public var detail: String

        public init(symbol: String, start: Timestamp, end: Timestamp, detail: String = "") {
            self.symbol = symbol
            self.start = start
            self.end = end
            self.detail = detail
        }
    }

    public enum RowKind: String, Sendable, Hashable {
        case model
        case division
        case ensemble
        /// Every division of a portfolio on one time axis (``PortfolioBacktest``).
        case portfolio
    }

    /// Another report this one summarizes (a portfolio's per-config reports), linked by a path
    /// relative to this report's folder.
    public struct Subreport: Sendable, Hashable {
        public var name: String
        public var division: String
        /// Relative path of its HTML file.
        public var html: String
        public var headline: String

        public init(name: String, division: String, html: String, headline: String) {
            self.name = name
            self.division = division
            self.html = html
            self.headline = headline
        }
    }

    /// The metrics of one model run alone, one division, or the ensemble.
    public struct Row: Sendable, Hashable {
        public var name: String
        public var kind: RowKind
        public var metrics: PerformanceMetrics
        /// Out-of-sample ROC AUC of the model (or the ensemble's probability), when known.
        public var auc: Double?
        /// The bracket's economics (divisions; the ensemble's, when it trades one bracket).
        public var breakEven: BreakEven?

        public init(name: String, kind: RowKind, metrics: PerformanceMetrics, auc: Double? = nil, breakEven: BreakEven? = nil) {
            self.name = name
            self.kind = kind
            self.metrics = metrics
            self.auc = auc
            self.breakEven = breakEven
        }
    }

    public enum BaselineKind: String, Sendable, Hashable {
        /// Enter whenever flat, under the same exits and fees.
        case enterWhenFlat = "enter-when-flat"
        /// Logistic regression on ATR ÷ close alone.
        case volatilityOnly = "volatility-only"
    }

    public struct Baseline: Sendable, Hashable {
        public var name: String
        public var kind: BaselineKind
        public var metrics: PerformanceMetrics
        /// nil for "enter whenever flat" (it has no score).
        public var auc: Double?

        public init(name: String, kind: BaselineKind, metrics: PerformanceMetrics, auc: Double? = nil) {
            self.name = name
            self.kind = kind
            self.metrics = metrics
            self.auc = auc
        }
    }

    /// A model or the ensemble against one baseline. P&L is compared as total return on each
    /// run's own initial equity; "beats" means strictly better.
    public struct Comparison: Sendable, Hashable {
        public var subject: String
        public var baseline: String
        /// nil when either AUC is unknown.
        public var beatsAUC: Bool?
        public var beatsPnL: Bool

        /// Better on P&L and, where both AUCs are known, on AUC.
        public var beats: Bool { beatsPnL && (beatsAUC ?? true) }
    }

    public var title: String
    public var generatedAt: Timestamp
    /// The data the run read (the metrics' window is inside it).
    public var dataRange: Range<Timestamp>
    public var symbols: [String]
    public var interval: String
    public var configs: [ConfigFile]
    public var modelVersions: [ModelVersion]
    public var gaps: [Gap]
    /// The run's order books were synthetic: the report says so and gives no verdict.
    public var syntheticBooks: Bool
    /// The divisions whose order books were synthetic, when the caller knows (a portfolio run);
    /// non-empty implies ``syntheticBooks``.
    public var syntheticDivisions: [String] = []
    /// The reports this one summarizes (a portfolio's per-config reports).
    public var subreports: [Subreport] = []
    /// Said instead of "no baseline runs were given" when the baselines live elsewhere (the
    /// per-config reports of a portfolio, each against its own data).
    public var baselinesNote: String?
    public var models: [Row]
    public var divisions: [Row]
    public var ensemble: Row
    public var baselines: [Baseline]
    /// nil when the conservative and aggressive divisions (with their break-even) are not both present.
    public var decision: GoNoGo.Decision?
    /// Every trade of the ensemble run (all divisions).
    public var trades: [BacktestTrade]
    public var notes: [String]
    /// ITB's `simulate` numbers for the same signals, when the caller ran the ITB-compatible mode.
    public var itb: ITBSimulation.Result?

    /// The trades table of the HTML lists at most this many (the JSON has them all).
    public static let tradeDisplayLimit = 500

    /// The costs and exits the run's paper fills used (nil when the caller did not say); the JSON
    /// carries them as `execution`, and ``execution``'s note opens the notes.
    public var execution: ExecutionSettings?

    /// What the Executor core's paper fills model, when the run's settings are not known (the
    /// issue asks for what is and is not modelled to be said). A run with settings uses
    /// ``ExecutionSettings/note`` instead, which gives the rates, the slippage and the time limit.
    public static let executionNote = "Execution (Executor core): entry at MARKET at the open of the bar after the signal; exits at the take-profit LIMIT (maker fee, no slippage) or the stop (taker fee, slipped), at the level or the open on a gap, the stop first when both are inside one bar; an intent's time limit sells at MARKET at the open of the bar after it (taker, slipped). Taker fills slip against the position by half the bar's quoted spread where order books give it, else by the division's slippage_bps. Not modelled: market impact beyond that, partial fills, the take-profit's queue position; positions still open at the end are left out unless closed at a mark."

    public init(
        title: String, generatedAt: Timestamp, dataRange: Range<Timestamp>, symbols: [String], interval: String,
        configs: [ConfigFile] = [], modelVersions: [ModelVersion] = [], gaps: [Gap] = [], syntheticBooks: Bool,
        models: [Row], divisions: [Row], ensemble: Row, baselines: [Baseline], trades: [BacktestTrade],
        notes: [String] = [BacktestReport.executionNote], itb: ITBSimulation.Result? = nil,
        conservativeDivision: String = "conservative", aggressiveDivision: String = "aggressive", execution: ExecutionSettings? = nil,
        syntheticDivisions: [String] = [], subreports: [Subreport] = [], baselinesNote: String? = nil
    ) {
        self.execution = execution
        self.syntheticDivisions = syntheticDivisions
        self.subreports = subreports
        self.baselinesNote = baselinesNote
        self.title = title
        self.generatedAt = generatedAt
        self.dataRange = dataRange
        self.symbols = symbols
        self.interval = interval
        self.configs = configs
        self.modelVersions = modelVersions
        self.gaps = gaps
        self.syntheticBooks = syntheticBooks || !syntheticDivisions.isEmpty
        self.models = models
        self.divisions = divisions
        self.ensemble = ensemble
        self.baselines = baselines
        self.trades = trades
        self.notes = notes
        self.itb = itb
        if let c = divisions.first(where: { $0.name == conservativeDivision }), let cb = c.breakEven,
           let a = divisions.first(where: { $0.name == aggressiveDivision }), let ab = a.breakEven {
            if syntheticDivisions.isEmpty {
                decision = GoNoGo.decide(
                    conservative: c.metrics, conservativeBreakEven: cb, conservativeName: c.name,
                    aggressive: a.metrics, aggressiveBreakEven: ab, aggressiveName: a.name, syntheticBooks: self.syntheticBooks
                )
            } else {
                decision = GoNoGo.decide(
                    conservative: c.metrics, conservativeBreakEven: cb, conservativeName: c.name,
                    aggressive: a.metrics, aggressiveBreakEven: ab, aggressiveName: a.name, syntheticDivisions: syntheticDivisions
                )
            }
        } else if let c = divisions.first(where: { $0.name == conservativeDivision }), let cb = c.breakEven,
                  let empty = try? PerformanceMetrics.compute(trades: [], initialEquity: Decimal8(1), window: dataRange) {
            // One strategy config run alone: the aggressive division is not part of this run. It
            // counts as having no trades (< 53 %), so the rule reduces to the conservative division's
            // own thresholds: ≥ 55 % conservative only, < 53 % abort, in between hold.
            decision = GoNoGo.decide(
                conservative: c.metrics, conservativeBreakEven: cb, conservativeName: c.name,
                aggressive: empty, aggressiveBreakEven: cb, aggressiveName: "\(aggressiveDivision) (not in this run)", syntheticBooks: self.syntheticBooks
            )
            self.notes.append("Only the \"\(conservativeDivision)\" division is in this run: the verdict treats \"\(aggressiveDivision)\" as having no trades.")
        } else {
            decision = nil
            self.notes.append("No go/no-go verdict: the \"\(conservativeDivision)\" division is not in this run with its break-even.")
        }
    }

    /// Every model and the ensemble against every baseline.
    public var comparisons: [Comparison] {
        (models + [ensemble]).flatMap { row in
            baselines.map { baseline in
                var beatsAUC: Bool?
                if let a = row.auc, let b = baseline.auc { beatsAUC = a > b }
                return Comparison(subject: row.name, baseline: baseline.name, beatsAUC: beatsAUC, beatsPnL: row.metrics.totalReturn > baseline.metrics.totalReturn)
            }
        }
    }

    /// Whether a model (or the ensemble) beats every baseline; nil without baselines.
    public func beatsBaselines(_ name: String) -> Bool? {
        let mine = comparisons.filter { $0.subject == name }
        return mine.isEmpty ? nil : mine.allSatisfy(\.beats)
    }

    /// The verdict's headline, or why there is none.
    public var headline: String {
        if let decision, decision.verdict == .noVerdictSyntheticBooks { return decision.headline }
        if syntheticBooks { return "NO VERDICT: SYNTHETIC ORDER BOOKS" }
        return decision?.headline ?? "NO VERDICT: the conservative and aggressive divisions are not both in this report"
    }

    // MARK: - JSON

    /// The metrics JSON: keys sorted, every key present (null where undefined), money as exact strings.
    public func json() -> Data { Data(jsonValue.serialized().utf8) }

    public var jsonValue: ReportJSON {
        func row(_ r: Row) -> ReportJSON {
            .object([
                "name": .string(r.name), "kind": .string(r.kind.rawValue), "metrics": r.metrics.json, "auc": .number(r.auc),
                "breakEven": r.breakEven?.json ?? .null,
                "beatsBaselines": r.kind == .division ? .null : (beatsBaselines(r.name).map { ReportJSON.bool($0) } ?? .null),
            ])
        }
        return .object([
            "schema": .string("quorum.backtest-report/1"),
            "title": .string(title), "generatedAt": .time(generatedAt),
            "dataRange": .object(["start": .time(dataRange.lowerBound), "end": .time(dataRange.upperBound)]),
            "symbols": .array(symbols.map { .string($0) }), "interval": .string(interval),
            "configs": .array(configs.map { .object(["name": .string($0.name), "hash": .string($0.hash), "text": .string($0.text)]) }),
            "modelVersions": .array(modelVersions.map { .object(["name": .string($0.name), "version": .string($0.version), "hash": .string($0.hash)]) }),
            "gaps": .array(gaps.map { .object(["symbol": .string($0.symbol), "start": .time($0.start), "end": .time($0.end), "detail": .string($0.detail)]) }),
            "syntheticBooks": .bool(syntheticBooks),
            "syntheticDivisions": .array(syntheticDivisions.map { .string($0) }),
            "subreports": .array(subreports.map {
                .object(["name": .string($0.name), "division": .string($0.division), "html": .string($0.html), "headline": .string($0.headline)])
            }),
            "headline": .string(headline),
            "decision": decision?.json ?? .null,
            "models": .array(models.map(row)), "divisions": .array(divisions.map(row)), "ensemble": row(ensemble),
            "baselines": .array(baselines.map {
                .object(["name": .string($0.name), "kind": .string($0.kind.rawValue), "metrics": $0.metrics.json, "auc": .number($0.auc)])
            }),
            "comparisons": .array(comparisons.map {
                .object(["subject": .string($0.subject), "baseline": .string($0.baseline), "beatsAUC": $0.beatsAUC.map { ReportJSON.bool($0) } ?? .null,
                         "beatsPnL": .bool($0.beatsPnL), "beats": .bool($0.beats)])
            }),
            "trades": .array(trades.map(\.json)),
            "notes": .array(notes.map { .string($0) }),
            "itb": itb?.json ?? .null,
            "execution": execution?.json ?? .null,
        ])
    }

    // MARK: - Files

    /// Writes `<directory>/<baseName>.html` and `<baseName>.json`, creating the directory; returns both URLs.
    @discardableResult
    public func write(to directory: URL, baseName: String = "report") throws -> (html: URL, json: URL) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let htmlURL = directory.appendingPathComponent(baseName + ".html")
        let jsonURL = directory.appendingPathComponent(baseName + ".json")
        try Data(html().utf8).write(to: htmlURL, options: .atomic)
        try json().write(to: jsonURL, options: .atomic)
        return (htmlURL, jsonURL)
    }
}
