import Domain
import Foundation

extension BacktestReport {
    /// One self-contained HTML file (XHTML-compatible markup: it parses as XML): inline CSS, inline
    /// SVG equity and drawdown charts, no script and no external resource.
    public func html() -> String {
        typealias F = ReportFormat
        var h = ""
        h += "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n"
        h += "<title>\(F.escape(title))</title>\n<style>\n\(Self.css)</style>\n</head>\n<body>\n"
        h += "<h1>\(F.escape(title))</h1>\n"
        h += "<p class=\"meta\">Data \(F.time(dataRange.lowerBound)) → \(F.time(dataRange.upperBound)) UTC · metrics window \(F.time(ensemble.metrics.windowStart)) → \(F.time(ensemble.metrics.windowEnd)) (\(F.number(ensemble.metrics.windowDays, digits: 1)) days) · \(F.escape(symbols.joined(separator: ", "))) · \(F.escape(interval)) · generated \(F.time(generatedAt))</p>\n"

        // Verdict.
        if !syntheticDivisions.isEmpty {
            let names = syntheticDivisions.joined(separator: " and ")
            h += "<div class=\"banner synthetic\"><strong>SYNTHETIC ORDER BOOKS in the \(F.escape(names)) division\(syntheticDivisions.count > 1 ? "s" : "").</strong> Their order books were synthetic (the exchange simulator's), not recorded: their numbers are not evidence, and the specification's rule needs both divisions' measured win rates, so no go/no-go verdict is given.</div>\n"
        } else if syntheticBooks {
            h += "<div class=\"banner synthetic\"><strong>SYNTHETIC ORDER BOOKS.</strong> This backtest's order books were synthetic, not recorded: its numbers are not evidence and no go/no-go verdict is given.</div>\n"
        }
        let loses = !(decision?.losesMoney.isEmpty ?? true)
        let verdictClass = syntheticBooks ? "synthetic" : loses ? "loses" : decision.map { $0.verdict == .proceedToShadow || $0.verdict == .conservativeOnly ? "go" : "nogo" } ?? "nogo"
        h += "<div class=\"banner \(verdictClass)\"><strong>\(F.escape(headline))</strong>"
        if let decision {
            h += "<ul>" + decision.reasons.map { "<li>\(F.escape($0))</li>" }.joined() + "</ul>"
        }
        h += "</div>\n"

        // The reports this one summarizes.
        if !subreports.isEmpty {
            h += "<h2>Per-config reports</h2>\n<table><thead><tr><th>Division</th><th>Config</th><th>Its own verdict line</th></tr></thead><tbody>\n"
            for r in subreports {
                h += "<tr><td>\(F.escape(r.division))</td><td><a href=\"\(F.escape(r.html))\">\(F.escape(r.name))</a></td><td>\(F.escape(r.headline))</td></tr>\n"
            }
            h += "</tbody></table>\n"
        }

        // Economics.
        h += "<h2>Economics: break-even win rate</h2>\n<table><thead><tr><th>Row</th><th>Target</th><th>Stop</th><th>Taker fee</th><th>Maker fee (take-profit)</th><th>Slippage per taker fill</th><th>Net win</th><th>Net loss</th><th>Break-even win rate</th><th>Measured win rate</th><th></th></tr></thead><tbody>\n"
        for row in divisions + [ensemble] {
            guard let be = row.breakEven else { continue }
            let below = row.metrics.trades > 0 && (row.metrics.winRate ?? 0) < be.winRate
            h += "<tr><td>\(F.escape(row.name))</td><td>\(F.percent(be.target))</td><td>\(F.percent(be.stop))</td><td>\(F.percent(be.feePerSide, digits: 3))</td><td>\(F.percent(be.makerFee, digits: 3))</td><td>\(F.percent(be.slippagePerSide, digits: 3))</td>"
            h += "<td>\(F.percent(be.winReturn, digits: 3))</td><td>\(F.percent(be.lossReturn, digits: 3))</td><td><strong>\(F.percent(be.winRate))</strong></td><td>\(F.percent(row.metrics.winRate))</td>"
            h += "<td class=\"\(below ? "bad" : "good")\">\(row.metrics.trades == 0 ? "no trades" : below ? "BELOW BREAK-EVEN: LOSES MONEY" : "above break-even")</td></tr>\n"
        }
        h += "</tbody></table>\n"

        // Charts.
        let palette = ["#1f5fbf", "#d9822b", "#2e9e5b", "#8e44ad", "#c0392b", "#16a085"]
        var series: [(name: String, color: String, points: [(Timestamp, Double)])] = []
        for (i, row) in ([ensemble] + divisions).enumerated() {
            let initial = row.metrics.initialEquity.doubleValue
            series.append((row.name, palette[i % palette.count], row.metrics.equityCurve.map { ($0.time, $0.equity.doubleValue / initial - 1) }))
        }
        h += "<h2>Equity (realized, return on initial equity)</h2>\n"
        h += Self.chart(series: series, start: ensemble.metrics.windowStart, end: ensemble.metrics.windowEnd, fill: false, label: "equity")
        h += "<h2>Drawdown (\(F.escape(ensemble.name)))</h2>\n"
        h += Self.chart(series: [(ensemble.name, "#c0392b", ensemble.metrics.drawdownCurve.map { ($0.time, -$0.drawdown) })],
                        start: ensemble.metrics.windowStart, end: ensemble.metrics.windowEnd, fill: true, label: "drawdown")

        // Metrics tables.
        h += "<h2>Metrics</h2>\n<div class=\"scroll\">" + metricsTable(rows: [ensemble] + divisions + models, baselineRows: baselines) + "</div>\n"

        // Baselines.
        h += "<h2>Against the baselines</h2>\n"
        if baselines.isEmpty, let baselinesNote {
            h += "<p class=\"note\">\(F.escape(baselinesNote))</p>\n"
        } else if baselines.isEmpty {
            h += "<p class=\"bad\">No baseline runs were given: nothing shows that the models beat chance.</p>\n"
        } else {
            h += "<table><thead><tr><th>Model</th><th>Baseline</th><th>AUC</th><th>Baseline AUC</th><th>Return</th><th>Baseline return</th><th>Beats it</th></tr></thead><tbody>\n"
            let rows = Dictionary((models + [ensemble]).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            let bases = Dictionary(baselines.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            for c in comparisons {
                guard let r = rows[c.subject], let b = bases[c.baseline] else { continue }
                h += "<tr><td>\(F.escape(c.subject))</td><td>\(F.escape(c.baseline))</td><td>\(F.number(r.auc, digits: 4))</td><td>\(F.number(b.auc, digits: 4))</td>"
                h += "<td>\(F.percent(r.metrics.totalReturn))</td><td>\(F.percent(b.metrics.totalReturn))</td>"
                h += "<td class=\"\(c.beats ? "good" : "bad")\">\(c.beats ? "yes" : "NO: does not beat this baseline")\(c.beatsAUC == nil ? " (P&amp;L only)" : "")</td></tr>\n"
            }
            h += "</tbody></table>\n"
        }

        // Monthly returns.
        h += "<h2>Monthly returns</h2>\n<div class=\"scroll\">" + monthlyTable(rows: [ensemble] + divisions + models) + "</div>\n"

        // ITB.
        if let itb {
            h += "<h2>ITB-compatible simulation</h2>\n<p>ITB's flip-flop at the signal bar's close, no fees, one unit (ITB.md §2.6). Months: \(F.number(itb.months, digits: 3)).</p>\n"
            h += "<table><thead><tr><th>Side</th><th>#transactions</th><th>profit</th><th>%profit</th><th>#profitable</th><th>%profitable</th><th>profit/T</th><th>%profit/T</th><th>#transactions/M</th><th>profit/M</th><th>%profit/M</th></tr></thead><tbody>\n"
            for (name, side, direction) in [("long", itb.long, ITBSimulation.Direction.long), ("short", itb.short, .short)] {
                let r = side.rounded
                let m = itb.perMonth(direction)
                let cells = ["#transactions", "profit", "%profit", "#profitable", "%profitable", "profit/T", "%profit/T"].map { F.number(r[$0] ?? nil, digits: 2) }
                h += "<tr><td>\(name)</td>" + cells.map { "<td>\($0)</td>" }.joined()
                h += "<td>\(F.number(m?.transactions))</td><td>\(F.number(m?.profit))</td><td>\(F.number(m?.profitPercent))</td></tr>\n"
            }
            h += "</tbody></table>\n"
        }

        // Trades.
        h += "<h2>Trades (\(trades.count))</h2>\n"
        if trades.count > Self.tradeDisplayLimit {
            h += "<p class=\"note\">Showing the first \(Self.tradeDisplayLimit) of \(trades.count) trades; the JSON file lists them all.</p>\n"
        }
        let window = ensemble.metrics.windowStart..<ensemble.metrics.windowEnd
        let outside = trades.filter { !window.contains($0.exitTime) }.count
        if outside > 0 {
            h += "<p class=\"note\">\(outside) trade(s) exit outside the metrics window: listed (greyed) but not counted.</p>\n"
        }
        h += "<table class=\"trades\"><thead><tr><th>Entry</th><th>Exit</th><th>Symbol</th><th>Division</th><th>Models</th><th>Entry price</th><th>Exit price</th><th>Quantity</th><th>Fees</th><th>P&amp;L</th><th>Return</th><th>Exit</th></tr></thead><tbody>\n"
        for t in trades.prefix(Self.tradeDisplayLimit) {
            h += "<tr\(window.contains(t.exitTime) ? "" : " class=\"outside\"")><td>\(F.time(t.entryTime))</td><td>\(F.time(t.exitTime))</td><td>\(F.escape(t.symbol))</td><td>\(F.escape(t.division))</td><td>\(F.escape(t.models.joined(separator: ", ")))</td>"
            h += "<td>\(t.entryPrice.compactDescription)</td><td>\(t.exitPrice.compactDescription)</td><td>\(t.quantity.compactDescription)</td><td>\(t.fees.compactDescription)</td>"
            h += "<td class=\"\(t.isWin ? "good" : t.isLoss ? "bad" : "")\">\(t.pnl.compactDescription)</td><td>\(F.percent(t.returnOnCommitted, digits: 3))</td><td>\(t.exitReason.rawValue)</td></tr>\n"
        }
        h += "</tbody></table>\n"

        // Data, configuration and versions.
        h += "<h2>Data</h2>\n"
        if gaps.isEmpty {
            h += "<p>No gaps found in the data.</p>\n"
        } else {
            h += "<table><thead><tr><th>Symbol</th><th>From</th><th>To</th><th>Detail</th></tr></thead><tbody>\n"
            for g in gaps { h += "<tr><td>\(F.escape(g.symbol))</td><td>\(F.time(g.start))</td><td>\(F.time(g.end))</td><td>\(F.escape(g.detail))</td></tr>\n" }
            h += "</tbody></table>\n"
        }
        h += "<h2>Model versions</h2>\n<table><thead><tr><th>Model</th><th>Version</th><th>Hash</th></tr></thead><tbody>\n"
        for m in modelVersions { h += "<tr><td>\(F.escape(m.name))</td><td>\(F.escape(m.version))</td><td class=\"mono\">\(F.escape(m.hash))</td></tr>\n" }
        h += "</tbody></table>\n<h2>Configuration</h2>\n"
        for c in configs {
            h += "<h3>\(F.escape(c.name)) <span class=\"mono\">\(F.escape(c.hash))</span></h3>\n<pre>\(F.escape(c.text))</pre>\n"
        }
        if !notes.isEmpty {
            h += "<h2>Notes</h2>\n<ul>" + notes.map { "<li>\(F.escape($0))</li>" }.joined() + "</ul>\n"
        }
        h += "</body>\n</html>\n"
        return h
    }

    static let css = """
    body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px; color: #222; max-width: 1400px; }
    h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; } h3 { font-size: 14px; }
    .meta { color: #666; font-size: 13px; }
    table { border-collapse: collapse; font-size: 12px; margin: 6px 0; }
    th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: right; white-space: nowrap; }
    th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
    .good { color: #1e7d3a; } .bad { color: #b3261e; font-weight: bold; }
    .banner { padding: 10px 14px; margin: 12px 0; border-radius: 4px; font-size: 14px; }
    .banner ul { margin: 6px 0 0 0; font-size: 13px; }
    .go { background: #e3f4e8; border: 1px solid #1e7d3a; } .nogo { background: #f4f4f4; border: 1px solid #888; }
    .loses { background: #fde4e1; border: 2px solid #b3261e; color: #7a1410; } .synthetic { background: #fff4d6; border: 2px solid #c98a00; }
    .mono, pre { font-family: Menlo, Consolas, monospace; font-size: 11px; } pre { background: #f7f7f7; padding: 8px; overflow-x: auto; }
    .note { color: #666; font-style: italic; } tr.outside td { color: #aaa; }
    .scroll { overflow-x: auto; }
    svg { background: #fcfcfc; border: 1px solid #e4e4e4; }

    """

    private func metricsTable(rows: [Row], baselineRows: [Baseline]) -> String {
        typealias F = ReportFormat
        var h = "<table><thead><tr><th>Name</th><th>Kind</th><th>Trades</th><th>Trades/day</th><th>Win rate</th><th>Avg win</th><th>Avg loss</th><th>Profit factor</th><th>Expectancy</th><th>Total return</th><th>Sharpe</th><th>Sortino</th><th>Max DD</th><th>DD duration</th><th>Exposure</th><th>Avg hold</th><th>AUC</th><th>Beats baselines</th></tr></thead><tbody>\n"
        func line(_ name: String, _ kind: String, _ m: PerformanceMetrics, _ auc: Double?, _ beats: Bool?) -> String {
            var s = "<tr><td>\(F.escape(name))</td><td>\(kind)</td><td>\(m.trades)</td><td>\(F.number(m.tradesPerDay))</td><td>\(F.percent(m.winRate))</td>"
            s += "<td>\(F.money(m.averageWin))</td><td>\(F.money(m.averageLoss))</td><td>\(F.profitFactor(m.profitFactor))</td><td>\(F.money(m.expectancy))</td>"
            s += "<td class=\"\(m.totalReturn > 0 ? "good" : m.totalReturn < 0 ? "bad" : "")\">\(F.percent(m.totalReturn))</td><td>\(F.number(m.sharpe))</td><td>\(F.number(m.sortino))</td>"
            s += "<td>\(F.percent(m.maxDrawdown.depth))</td><td>\(F.duration(seconds: m.maxDrawdown.durationSeconds))</td><td>\(F.percent(m.exposure))</td><td>\(F.duration(seconds: m.averageHoldSeconds))</td>"
            s += "<td>\(F.number(auc, digits: 4))</td>"
            switch beats {
            case .some(true): s += "<td class=\"good\">yes</td>"
            case .some(false): s += "<td class=\"bad\">NO</td>"
            case .none: s += "<td></td>"
            }
            return s + "</tr>\n"
        }
        for r in rows { h += line(r.name, r.kind.rawValue, r.metrics, r.auc, r.kind == .division ? nil : beatsBaselines(r.name)) }
        for b in baselineRows { h += line(b.name, "baseline (\(b.kind.rawValue))", b.metrics, b.auc, nil) }
        return h + "</tbody></table>\n"
    }

    private func monthlyTable(rows: [Row]) -> String {
        typealias F = ReportFormat
        var labels: [String] = []
        for r in rows { for m in r.metrics.monthlyReturns where !labels.contains(m.label) { labels.append(m.label) } }
        labels.sort()
        var h = "<table><thead><tr><th>Name</th>" + labels.map { "<th>\($0)</th>" }.joined() + "<th>Total</th></tr></thead><tbody>\n"
        for r in rows {
            let byLabel = Dictionary(r.metrics.monthlyReturns.map { ($0.label, $0.value) }, uniquingKeysWith: { a, _ in a })
            h += "<tr><td>\(F.escape(r.name))</td>"
            for label in labels + ["total"] {
                let value = label == "total" ? r.metrics.totalReturn : byLabel[label]
                guard let value else { h += "<td></td>"; continue }
                h += "<td style=\"background-color: \(Self.heat(value))\">\(F.percent(value))</td>"
            }
            h += "</tr>\n"
        }
        return h + "</tbody></table>\n"
    }

    /// Green for gains, red for losses, saturating at ±5 %.
    static func heat(_ value: Double) -> String {
        let t = min(1, abs(value) / 0.05)
        let light = Int((1 - 0.55 * t) * 255)
        return value >= 0 ? "rgb(\(light), 255, \(light))" : "rgb(255, \(light), \(light))"
    }

    /// An inline SVG step chart of fractions over time (each series holds its value until the next point).
    static func chart(series: [(name: String, color: String, points: [(Timestamp, Double)])], start: Timestamp, end: Timestamp, fill: Bool, label: String) -> String {
        let width = 960.0, height = 260.0, left = 64.0, right = 16.0, top = 16.0, bottom = 28.0
        var values: [Double] = [0]
        for one in series { values += one.points.map { $0.1 } }
        var lo: Double = values.min() ?? 0
        var hi: Double = values.max() ?? 0
        if hi - lo < 1e-9 { lo -= 0.01; hi += 0.01 }
        let span = hi - lo
        lo -= span * 0.05
        hi += span * 0.05
        let t0 = Double(start.nanoseconds), t1 = Double(max(end.nanoseconds, start.nanoseconds + 1))
        func x(_ t: Timestamp) -> Double { left + (min(max(Double(t.nanoseconds), t0), t1) - t0) / (t1 - t0) * (width - left - right) }
        func y(_ v: Double) -> Double { top + (hi - v) / (hi - lo) * (height - top - bottom) }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        let w = String(Int(width)), hgt = String(Int(height))
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + w + "\" height=\"" + hgt + "\" viewBox=\"0 0 " + w + " " + hgt + "\""
        s += " role=\"img\" aria-label=\"" + label + " chart\">\n"
        // Grid: zero line, top and bottom values, dates.
        for v in [hi, (hi + lo) / 2, lo] {
            s += "<line x1=\"\(f(left))\" y1=\"\(f(y(v)))\" x2=\"\(f(width - right))\" y2=\"\(f(y(v)))\" stroke=\"#eee\" />"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(y(v) + 4))\" font-size=\"10\" text-anchor=\"end\" fill=\"#666\">\(ReportFormat.percent(v))</text>\n"
        }
        s += "<line x1=\"\(f(left))\" y1=\"\(f(y(0)))\" x2=\"\(f(width - right))\" y2=\"\(f(y(0)))\" stroke=\"#999\" stroke-dasharray=\"4 3\" />\n"
        for (i, t) in [start, Timestamp(nanoseconds: (start.nanoseconds + end.nanoseconds) / 2), end].enumerated() {
            let anchor = ["start", "middle", "end"][i]
            s += "<text x=\"\(f(x(t)))\" y=\"\(f(height - 8))\" font-size=\"10\" text-anchor=\"\(anchor)\" fill=\"#666\">\(ReportFormat.date(t))</text>\n"
        }
        for (index, one) in series.enumerated() {
            guard let first = one.points.first else { continue }
            var d = "M\(f(x(first.0))) \(f(y(first.1)))"
            var last = first.1
            for point in one.points.dropFirst() {
                d += " H\(f(x(point.0))) V\(f(y(point.1)))"
                last = point.1
            }
            d += " H\(f(x(end)))"
            if fill {
                s += "<path d=\"\(d) V\(f(y(0))) H\(f(x(first.0))) Z\" fill=\"\(one.color)\" fill-opacity=\"0.25\" stroke=\"none\" />\n"
            }
            s += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(one.color)\" stroke-width=\"\(index == 0 ? "2" : "1.3")\" />\n"
            s += "<text x=\"\(f(left + 8 + Double(index) * 150))\" y=\"\(f(top + 10))\" font-size=\"11\" fill=\"\(one.color)\">\(ReportFormat.escape(one.name)) \(ReportFormat.percent(last))</text>\n"
        }
        return s + "</svg>\n"
    }
}
