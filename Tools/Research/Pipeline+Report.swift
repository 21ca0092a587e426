import Domain
import Foundation
import PredictorCore

extension Pipeline.Output {
    /// The backtest report of a pipeline run: each voting model alone, the division (= the ensemble
    /// of its models), the two baselines, the gaps, the config and the models' versions.
    /// - Parameters:
    ///   - configText: the config file's text, as read (hashed and shown in the report).
    ///   - itbThreshold: when set, ITB's `simulate` on the out-of-sample trade score p(high) − p(low)
    ///     of the first high and first low model, buy ≥ threshold, sell ≤ −threshold.
    public func report(configPath: String, configText: String, equity: Decimal8, generatedAt: Timestamp, syntheticBooks: Bool = false, itbThreshold: Double? = nil) throws -> BacktestReport {
        let wf = walkForward
        let last = matrix.klines[matrix.count - 1]
        let marks = [last.symbol: (price: last.close, time: last.closeTime)]
        // An open position closed at the mark would be sold at market: the taker rate.
        let fee = division.takerFeeRate
        func evaluate(_ run: String) throws -> (metrics: PerformanceMetrics, trades: [BacktestTrade]) {
            let trades = try BacktestTrade.trades(from: wf.runs[run]!, feeRate: fee, marks: marks)
            return (try PerformanceMetrics.compute(trades: trades, initialEquity: equity, window: wf.window), trades)
        }
        let stop: Decimal8 = switch division.stop {
        case .percent(let fraction): fraction
        case .atr: division.riskPerTrade
        }
        let breakEven = BreakEven(
            target: division.target, stop: stop, feeRate: division.takerFeeRate, slippagePerSide: execution.slippagePerSide,
            makerFeeRate: division.makerFeeRate
        )
        var rows: [BacktestReport.Row] = []
        var notes = [execution.note] + self.notes + orderFlowNotes
        if let joined = orderFlow {
            notes.append("Order-flow features (\(joined.names.joined(separator: ", "))) come from the captures replayed through OrderFlowAggregator, the code a live shell feeds with md.depth and md.trade; in the backtest chain they join the FeatureService's vector of each bar, and a bar without a valid book gets no vector." + (syntheticBooks ? " These books were synthetic (the exchange simulator's, drawn around recorded klines): the figures test the plumbing, not the strategy." : ""))
        }
        for trained in finals {
            let name = trained.model.name
            let auc = wf.outOfSample[name]?.auc
            if trained.votes {
                rows.append(.init(name: name, kind: .model, metrics: try evaluate(name).metrics, auc: auc))
            } else if trained.algorithm == "stack" {
                let inSample = trained.model.metadata.training.map { String(format: "%.4f", $0.auc) } ?? "n/a"
                let inputs = trained.model.metadata.features
                var holdOutText = "no hold-out score"
                if let first = inputs.first, let h = try? Stacking.holdOut(outOfSample: wf.outOfSample, inputs: inputs, labelFrom: first) {
                    let f = { (v: Double?) in v.map { String(format: "%.4f", $0) } ?? "n/a" }
                    holdOutText = "out of sample (fitted on the first \(h.fitRows) out-of-fold rows, scored on the last \(h.scoredRows)): AUC \(f(h.stackAUC)) against " + h.inputAUCs.map { "\($0.name) \(f($0.auc))" }.joined(separator: ", ") + " and their plain mean \(f(h.meanAUC)) on the same rows"
                }
                notes.append("\(name): the Ensemble's stack meta-model (logistic regression over \(inputs.joined(separator: ", "))), fitted on their out-of-fold probabilities in the window (in-sample AUC \(inSample)); \(holdOutText). Not traded here (ENSEMBLE_MODE=stack, STACK_MODEL).")
            } else {
                notes.append("\(name) (\(trained.algorithm)) is scored, not traded: out-of-sample AUC \(auc.map { String(format: "%.4f", $0) } ?? "n/a") (low models veto entries in the decisions issue).")
            }
            if let board = trained.leaderboard, let winner = board.winner {
                notes.append("\(name): AutoML (local search, not Google Cloud) tried \(board.entries.count) candidates of \(board.families.joined(separator: ", ")) in \(String(format: "%.1f", board.elapsedSeconds)) s on \(board.objective); winner \(winner.family) \(winner.parameters.keys.sorted().map { "\($0)=\(winner.parameters[$0]!)" }.joined(separator: " ")), CV score \(winner.score.map { String(format: "%.4f", $0) } ?? "-").")
            }
        }
        let ensemble = try evaluate("ensemble")
        let voters = finals.filter(\.votes).map(\.model.name)
        let ensembleAUC = Self.meanAUC(voters.compactMap { wf.outOfSample[$0] })
        let division = BacktestReport.Row(name: self.division.name, kind: .division, metrics: ensemble.metrics, auc: ensembleAUC, breakEven: breakEven)
        let ensembleRow = BacktestReport.Row(name: "ensemble", kind: .ensemble, metrics: ensemble.metrics, auc: ensembleAUC, breakEven: breakEven)
        var baselines: [BacktestReport.Baseline] = [
            .init(name: "enter whenever flat", kind: .enterWhenFlat, metrics: try evaluate(WalkForwardBacktest.alwaysEnter).metrics, auc: 0.5),
        ]
        if wf.runs[volatilityBaseline] != nil {
            baselines.append(.init(name: "volatility only (logistic regression on ATR/close)", kind: .volatilityOnly, metrics: try evaluate(volatilityBaseline).metrics, auc: wf.outOfSample[volatilityBaseline]?.auc))
        }
        let gaps = matrix.gaps.map { gap in
            BacktestReport.Gap(symbol: config.symbol, start: gap.from, end: gap.from.adding(milliseconds: Int64(gap.missingBars) * config.interval.milliseconds), detail: "\(gap.missingBars) missing bars: indicators restart after it, no label crosses it")
        }
        var itb: ITBSimulation.Result?
        if let threshold = itbThreshold { itb = try itbSimulation(threshold: threshold) }
        return BacktestReport(
            title: "\(config.symbol) \(config.interval.name): walk-forward backtest of \((configPath as NSString).lastPathComponent)",
            generatedAt: generatedAt, dataRange: wf.window, symbols: [config.symbol], interval: config.interval.name,
            configs: [.init(name: configPath, hash: Self.fnv1a(configText), text: configText)],
            modelVersions: finals.map { .init(name: $0.model.name, version: $0.model.version, hash: $0.model.metadata.algorithm) },
            gaps: gaps, syntheticBooks: syntheticBooks, models: rows, divisions: [division], ensemble: ensembleRow,
            baselines: baselines, trades: ensemble.trades, notes: notes, itb: itb, execution: execution
        )
    }

    /// ITB's flip-flop simulation on the out-of-sample score p(high) − p(low) of the first high and
    /// first low model (rows where both exist), at the signal bar's close, without fees (ITB.md §2.6).
    func itbSimulation(threshold: Double) throws -> ITBSimulation.Result? {
        guard let high = finals.first(where: \.votes)?.model.name,
              let low = finals.first(where: { !$0.votes && $0.model.label.hasPrefix("low_") })?.model.name,
              let up = walkForward.outOfSample[high], let down = walkForward.outOfSample[low] else { return nil }
        let downByRow = Dictionary(zip(down.rows, down.probabilities), uniquingKeysWith: { a, _ in a })
        var scores: [Double] = [], closes: [Double] = [], times: [Timestamp] = []
        for (row, p) in zip(up.rows, up.probabilities) {
            guard let q = downByRow[row] else { continue }
            scores.append(p - q)
            closes.append(matrix.klines[row].close.doubleValue)
            times.append(matrix.klines[row].openTime)
        }
        let rule = ITBSimulation.thresholdRule(scores: scores, buyThreshold: threshold, sellThreshold: -threshold)
        return try ITBSimulation.simulate(buy: rule.buy, sell: rule.sell, close: closes, times: times)
    }

    /// AUC of the mean probability of several models over the rows they all scored.
    static func meanAUC(_ series: [WalkForwardBacktest.OutOfSample]) -> Double? {
        guard !series.isEmpty else { return nil }
        var sums: [Int: (Double, Int, Bool)] = [:]
        for s in series {
            for (i, row) in s.rows.enumerated() {
                let entry = sums[row] ?? (0, 0, s.labels[i])
                sums[row] = (entry.0 + s.probabilities[i], entry.1 + 1, entry.2)
            }
        }
        let complete = sums.values.filter { $0.1 == series.count }
        return ClassificationMetrics.auc(scores: complete.map { $0.0 / Double($0.1) }, labels: complete.map(\.2))
    }

    /// The hash the reports give a config text (``fnv1a(_:)``).
    public static func contentHash(_ text: String) -> String { fnv1a(text) }

    /// A short, stable content hash (FNV-1a, 64 bits, hex) of a config text.
    static func fnv1a(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
