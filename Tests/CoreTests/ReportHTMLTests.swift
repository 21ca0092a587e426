import CollectorCore
import Domain
import EnsembleCore
import ExecutorCore
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Research
import RiskGateCore
import Testing
import TestKit

private func at(_ date: String, _ hours: Double = 0) -> Timestamp {
    Timestamp(utcDate: date)!.adding(milliseconds: Int64(hours * 3_600_000))
}

/// `count` alternating trades (3 wins, then a loss, …) of one division, one per 3 hours from `start`.
private func trades(_ count: Int, division: String, start: Timestamp = at("2024-05-01"), win: String = "3", loss: String = "-2") -> [BacktestTrade] {
    (0..<count).map { i in
        let entry = start.adding(milliseconds: Int64(i) * 3 * 3_600_000)
        let pnl = Decimal8(i % 4 == 3 ? loss : win)!
        return BacktestTrade(
            intentID: "\(division)-\(i)", symbol: "BTCUSDT", division: division, models: ["logreg <a&b>"], entryTime: entry,
            exitTime: entry.adding(milliseconds: 3_600_000), entryPrice: Decimal8("60000.5")!, exitPrice: Decimal8("60010")!,
            quantity: Decimal8("0.01")!, fees: Decimal8("1.2")!, pnl: pnl, exitReason: pnl > .zero ? .target : .stop
        )
    }
}

private let window = at("2024-05-01")..<at("2024-07-30")

private func row(_ name: String, _ kind: BacktestReport.RowKind, _ t: [BacktestTrade], auc: Double? = nil, breakEven: BreakEven? = nil) -> BacktestReport.Row {
    .init(name: name, kind: kind, metrics: try! PerformanceMetrics.compute(trades: t, initialEquity: Decimal8(1000), window: window), auc: auc, breakEven: breakEven)
}

private func sampleReport(synthetic: Bool = false, tradeCount: Int = 40, breakEven: BreakEven = BreakEven(target: 0.003, stop: 0.005, feePerSide: 0.001)) -> BacktestReport {
    let conservative = trades(tradeCount, division: "conservative")
    let aggressive = trades(tradeCount, division: "aggressive", start: at("2024-05-01", 1))
    let all = (conservative + aggressive).sorted { $0.exitTime < $1.exitTime }
    return BacktestReport(
        title: "Backtest <BTCUSDT> & co", generatedAt: at("2024-08-01"), dataRange: at("2024-04-01")..<at("2024-07-30"),
        symbols: ["BTCUSDT"], interval: "5m",
        configs: [.init(name: "quorum.yaml", hash: "abc123", text: "threshold: 0.6\nnote: \"<script>alert(1)</script>\"\n")],
        modelVersions: [.init(name: "logreg-high_030_4", version: "20240801T000000Z", hash: "f00")],
        gaps: [.init(symbol: "BTCUSDT", start: at("2024-06-01"), end: at("2024-06-01", 1), detail: "12 klines missing")],
        syntheticBooks: synthetic,
        models: [row("logreg <a&b>", .model, all, auc: 0.56), row("weak", .model, Array(all.prefix(3)), auc: 0.50)],
        divisions: [row("conservative", .division, conservative, breakEven: breakEven), row("aggressive", .division, aggressive, breakEven: breakEven)],
        ensemble: row("ensemble", .ensemble, all, auc: 0.57),
        baselines: [
            .init(name: "enter-when-flat", kind: .enterWhenFlat, metrics: try! PerformanceMetrics.compute(trades: trades(10, division: "b", win: "1", loss: "-5"), initialEquity: Decimal8(1000), window: window)),
            .init(name: "atr-only", kind: .volatilityOnly, metrics: try! PerformanceMetrics.compute(trades: [], initialEquity: Decimal8(1000), window: window), auc: 0.52),
        ],
        trades: all,
        itb: try! ITBSimulation.simulate(buy: [true, false, false], sell: [false, true, false], close: [1, 2, 3], times: [at("2024-05-01"), at("2024-05-02"), at("2024-05-03")])
    )
}

/// Collects problems and element names while parsing.
private final class XMLCheck: NSObject, XMLParserDelegate {
    var elements: [String: Int] = [:]
    var externalReferences: [String] = []
    var error: String?

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        elements[name, default: 0] += 1
        for key in ["src", "href", "xlink:href", "action"] {
            if let value = attributes[key], value.contains("://") || value.hasPrefix("//") { externalReferences.append("\(name) \(key)=\(value)") }
        }
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) { error = "\(parseError) line \(parser.lineNumber)" }
}

@Suite struct ReportHTMLTests {
    @Test func htmlIsSelfContainedWellFormedAndHasBothCharts() throws {
        let report = sampleReport()
        let html = report.html()
        let check = XMLCheck()
        let parser = XMLParser(data: Data(html.utf8))
        parser.delegate = check
        let parsed = parser.parse()
        #expect(parsed, "not well-formed XML: \(check.error ?? "?")")
        #expect(check.elements["svg"] == 2)
        #expect(check.elements["script"] == nil && check.elements["link"] == nil && check.elements["img"] == nil)
        #expect(check.externalReferences.isEmpty)
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("url("))
        // Text is escaped, never markup.
        #expect(!html.contains("<script>") && html.contains("&lt;script&gt;") && html.contains("logreg &lt;a&amp;b&gt;"))
        // The economics are printed, and a spec pass below break-even says so loudly.
        #expect(html.contains("Break-even win rate") && html.contains("87.53 %"))
        #expect(report.decision?.verdict == .proceedToShadow)
        #expect(html.contains("BELOW BREAK-EVEN: LOSES MONEY"))
        #expect(html.contains("2024-05") && html.contains("2024-07"))
        #expect(html.contains("12 klines missing") && html.contains("20240801T000000Z") && html.contains("abc123"))
        #expect(html.contains("ITB-compatible simulation"))
        // The execution note says what the paper fills model (slippage, maker/taker, time limits), not what they lack.
        #expect(html.contains("take-profit LIMIT (maker fee, no slippage)") && html.contains("time limit") && !html.contains("Not modelled yet"))
        if let path = ProcessInfo.processInfo.environment["QUORUM_REPORT_SAMPLE"] {
            try report.write(to: URL(fileURLWithPath: path), baseName: "fixture")
        }
    }

    @Test func syntheticBooksSayItPlainlyAndGiveNoVerdict() {
        let report = sampleReport(synthetic: true)
        #expect(report.decision?.verdict == .noVerdictSyntheticBooks)
        let html = report.html()
        #expect(html.contains("SYNTHETIC ORDER BOOKS") && !html.contains("VERDICT: PROCEED"))
        #expect(report.terminalTable().contains("SYNTHETIC ORDER BOOKS"))
        #expect(!report.terminalTable().contains("PROCEED"))
    }

    @Test func baselinesMarkModelsThatDoNotBeatThem() {
        let report = sampleReport()
        // The strong model and the ensemble beat both; "weak" (3 trades, AUC 0.50 < 0.52) does not.
        #expect(report.beatsBaselines("ensemble") == true)
        #expect(report.beatsBaselines("logreg <a&b>") == true)
        #expect(report.beatsBaselines("weak") == false)
        let weakVsATR = report.comparisons.first { $0.subject == "weak" && $0.baseline == "atr-only" }
        #expect(weakVsATR?.beatsAUC == false && weakVsATR?.beatsPnL == true && weakVsATR?.beats == false)
        let weakVsFlat = report.comparisons.first { $0.subject == "weak" && $0.baseline == "enter-when-flat" }
        #expect(weakVsFlat?.beatsAUC == nil)
        #expect(report.html().contains("NO: does not beat this baseline"))
    }

    @Test func longTradeListsAreCappedInTheHTMLButNotInTheJSON() throws {
        let report = sampleReport(tradeCount: 300)
        #expect(report.trades.count == 600)
        #expect(report.html().contains("Showing the first 500 of 600 trades"))
        let object = try JSONSerialization.jsonObject(with: report.json()) as? [String: Any]
        #expect((object?["trades"] as? [Any])?.count == 600)
    }

    @Test func jsonHasStableSortedKeysAndNoNonFiniteNumbers() throws {
        let report = sampleReport()
        let data = report.json()
        #expect(data == report.json())
        let text = String(decoding: data, as: UTF8.self)
        #expect(!text.contains("NaN") && !text.contains("inf"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == [
            "baselines", "comparisons", "configs", "dataRange", "decision", "divisions", "ensemble", "execution", "gaps", "generatedAt",
            "headline", "interval", "itb", "modelVersions", "models", "notes", "schema", "subreports", "symbols", "syntheticBooks", "syntheticDivisions", "title", "trades",
        ])
        let ensemble = try #require(object["ensemble"] as? [String: Any])
        let metrics = try #require(ensemble["metrics"] as? [String: Any])
        for key in ["winRate", "sharpe", "sortino", "profitFactor", "profitFactorInfinite", "maxDrawdown", "monthlyReturns", "exposure",
                    "averageHoldSeconds", "tradesPerDay", "expectancy", "totalReturn", "equityCurve", "dailyReturns"] {
            #expect(metrics[key] != nil, "missing \(key)")
        }
        #expect(metrics["netPnL"] as? String == "140.00000000") // per division 30 wins × 3 − 10 losses × 2
        // Keys appear in sorted order in the text (top level).
        let topKeys = text.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map { $0.dropFirst(3).prefix { $0 != "\"" } }
        #expect(topKeys == topKeys.sorted())
        let decision = try #require(object["decision"] as? [String: Any])
        #expect(decision["verdict"] as? String == "proceed-to-shadow")
        #expect((decision["losesMoney"] as? [String]) == ["conservative", "aggressive"])
    }

    @Test func terminalTableIsFixedWidth() {
        let table = sampleReport().terminalTable()
        let lines = table.split(separator: "\n")
        let rows = lines.filter { $0.contains(" ensemble ") || $0.contains(" division ") || $0.contains(" model ") || $0.contains(" baseline ") }
        #expect(rows.count == 7)
        #expect(Set(rows.map(\.count)).count == 1)
        #expect(table.contains("break-even conservative: 87.5 %") && table.contains("LOSES MONEY"))
    }

    @Test func writeCreatesBothFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let urls = try sampleReport().write(to: directory, baseName: "run")
        #expect(FileManager.default.fileExists(atPath: urls.html.path) && urls.html.lastPathComponent == "run.html")
        #expect(try Data(contentsOf: urls.json) == sampleReport().json())
    }
}
