import Domain
import Foundation

extension BacktestReport {
    /// A compact fixed-width summary for the terminal: one line per row (ensemble, divisions,
    /// models, baselines), the break-even lines and the verdict.
    public func terminalTable() -> String {
        typealias F = ReportFormat
        let columns: [(String, Int)] = [
            ("name", min(40, max(18, ([ensemble] + divisions + models).map(\.name.count).max() ?? 0))), ("kind", 9), ("trades", 7), ("win", 8), ("PF", 6), ("expect", 9), ("return", 9),
            ("sharpe", 7), ("maxDD", 8), ("expo", 7), ("AUC", 7), ("beats", 6),
        ]
        func line(_ cells: [String]) -> String {
            zip(cells, columns).enumerated().map { i, pair in F.pad(pair.0, pair.1.1, right: i >= 2) }.joined(separator: " ")
        }
        var out = "\(title)\n"
        out += "window \(F.time(ensemble.metrics.windowStart)) → \(F.time(ensemble.metrics.windowEnd)) UTC, \(symbols.joined(separator: ",")) \(interval)\n"
        if !syntheticDivisions.isEmpty {
            out += "!! SYNTHETIC ORDER BOOKS in \(syntheticDivisions.joined(separator: ", ")): its numbers are not evidence, no joint verdict\n"
        } else if syntheticBooks {
            out += "!! SYNTHETIC ORDER BOOKS: numbers are not evidence, no verdict\n"
        }
        out += line(columns.map(\.0)) + "\n"
        out += String(repeating: "-", count: columns.reduce(0) { $0 + $1.1 } + columns.count - 1) + "\n"
        func row(_ name: String, _ kind: String, _ m: PerformanceMetrics, _ auc: Double?, _ beats: Bool?) -> String {
            line([
                name, kind, String(m.trades), F.percent(m.winRate, digits: 1), F.profitFactor(m.profitFactor), F.money(m.expectancy),
                F.percent(m.totalReturn), F.number(m.sharpe), F.percent(m.maxDrawdown.depth), F.percent(m.exposure, digits: 1),
                F.number(auc, digits: 3), beats.map { $0 ? "yes" : "NO" } ?? "",
            ])
        }
        for r in [ensemble] + divisions + models {
            out += row(r.name, r.kind.rawValue, r.metrics, r.auc, r.kind == .division ? nil : beatsBaselines(r.name)) + "\n"
        }
        for b in baselines { out += row(b.name, "baseline", b.metrics, b.auc, nil) + "\n" }
        for r in divisions + [ensemble] {
            guard let be = r.breakEven else { continue }
            let below = r.metrics.trades > 0 && (r.metrics.winRate ?? 0) < be.winRate
            out += "break-even \(r.name): \(F.percent(be.winRate, digits: 1)) (target \(F.percent(be.target)), stop \(F.percent(be.stop)), \(be.makerFee == be.feePerSide ? "fee \(F.percent(be.feePerSide, digits: 3))/side" : "fee \(F.percent(be.feePerSide, digits: 3)) taker / \(F.percent(be.makerFee, digits: 3)) maker")\(be.slippagePerSide > 0 ? ", slippage \(F.percent(be.slippagePerSide, digits: 3)) per taker fill" : ""))"
            out += " measured \(F.percent(r.metrics.winRate, digits: 1))\(below ? "  << LOSES MONEY" : "")\n"
        }
        out += headline + "\n"
        if let decision, decision.conservativeReading != nil, decision.reasons.count > 1 { out += decision.reasons[1] + "\n" }
        return out
    }
}
