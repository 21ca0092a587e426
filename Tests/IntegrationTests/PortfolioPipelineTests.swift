import Foundation
import Testing
import TestKit

extension Integration {
/// `quorum pipeline -c configs/portfolio.jsonc` as a user runs it: the repository's portfolio,
/// its two divisions reading the specification's seed configs unchanged (BTCUSDT conservative,
/// SOLUSDT order-flow aggressive), on the real 5m klines of ../shared; the SOL config's books are
/// three days of synthetic captures `quorum collect-book` records from the exchange simulator.
/// Short windows and an AutoML budget of seconds keep it fast. The portfolio report has a row per
/// model, per division and the portfolio, and no joint verdict, naming the aggressive division's
/// synthetic books as the reason, with the conservative division's reading alone.
@Suite struct PortfolioPipelineTests {
    static let skip = RepositoryPaths.sharedMissingReason ?? ""

    @Test(.enabled(if: RepositoryPaths.shared != nil, "\(skip)"))
    func thePortfolioRunsBothDivisionsAndGivesTheJointGoNoGo() async throws {
        for executable in ["quorum", "quorum-exchange-sim"] {
            let path = RepositoryPaths.executable(executable).path
            guard FileManager.default.isExecutableFile(atPath: path) else { throw MissingExecutable(path: path) }
        }
        let shared = RepositoryPaths.shared!
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-portfolio-\(UUID().uuidString.prefix(8))")
        let captures = base.appendingPathComponent("DATA_ORDERBOOK")
        try FileManager.default.createDirectory(at: captures, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        let clock = ContinuousClock()
        var mark = clock.now
        func phase(_ name: String) {
            print("portfolio: \(name) in \(clock.now - mark)")
            mark = clock.now
        }

        // 1. Three days of synthetic SOLUSDT books, as OrderFlowPipelineTests records them.
        let port = freeLocalPort()
        let sim = try ServiceProcess(name: "sim", executable: RepositoryPaths.executable("quorum-exchange-sim"), arguments: [
            "--klines", shared.appendingPathComponent("data/klines/SOLUSDT-5m.csv").path, "--port", String(port), "--speed", "0",
            "--start", "2025-06-01", "--book-step-ms", "60000", "--book-levels", "100", "--log-level", "warning",
        ], environment: [:], logDirectory: base)
        defer { sim.stop() }
        try await poll("the simulator to answer", timeout: 60, every: .milliseconds(100)) { await OrderFlowPipelineTests.simState(port: port) != nil }
        let recorder = Process()
        recorder.executableURL = RepositoryPaths.executable("quorum")
        recorder.arguments = ["collect-book", "--symbols", "SOLUSDT", "--until", "2025-06-04", "--duration", "90s", "--out", captures.path, "--binance", "sim:\(port)"]
        let recorderOutput = Pipe()
        recorder.standardOutput = recorderOutput
        recorder.standardError = recorderOutput
        try recorder.run()
        try await poll("collect-book to connect", timeout: 30, every: .milliseconds(50)) {
            ((await OrderFlowPipelineTests.simState(port: port))?["connections"] as? NSNumber)?.intValue ?? 0 >= 1
        }
        try await OrderFlowPipelineTests.setSpeed(60_000, port: port)
        let recorded = await CommandRunner.waitForEnd(recorder, output: recorderOutput).output
        #expect(recorder.terminationStatus == 0 && recorded.contains("stopped at --until"), "\(recorded)")
        try await OrderFlowPipelineTests.setSpeed(0, port: port)  // idle while the pipeline runs
        phase("synthetic captures")

        // 2. The portfolio: data and model configs from ../shared, both windows ending at the
        //    captures' end, the conservative run given a day more of history with --for.
        let out = base.appendingPathComponent("out")
        let arguments = [
            "pipeline", "-c", "configs/portfolio.jsonc", "--model-dir", shared.appendingPathComponent("configs/seed").path,
            "--data-folder", shared.appendingPathComponent("data/klines").path, "--base-dir", base.path, "--out", out.path,
            "--until", "2025-06-04", "--last-days", "4", "--window-days", "2", "--train-days", "1", "--step-days", "1",
            "--budget-hours", "0.0008", "--for", "conservative.last-days=5",
        ]
        let run = try await ResearchPipelineTests.quorum(arguments)
        phase("portfolio pipeline")
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("division conservative, btcusdt_5m_azure (BTCUSDT 5m): equity 600") && run.output.contains("last 5 d"), "\(run.output)")
        #expect(run.output.contains("division aggressive, sol_5m_gcp_orderflow (SOLUSDT 5m): equity 300"), "\(run.output)")
        #expect(run.output.contains("NO VERDICT: SYNTHETIC ORDER BOOKS IN AGGRESSIVE (conservative alone: "), "\(run.output)")
        #expect(run.output.contains("Reading of the conservative division alone (real data; aggressive unmeasured)") && run.output.contains("go/no-go: The order books of the aggressive division were synthetic"), "\(run.output)")

        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as? [String: Any])
        let divisions = json["divisions"] as? [[String: Any]] ?? []
        #expect(divisions.map { $0["name"] as? String } == ["conservative", "aggressive"])
        func initial(_ row: [String: Any]?) -> String? { (row?["metrics"] as? [String: Any])?["initialEquity"] as? String }
        func trades(_ row: [String: Any]?) -> Int { ((row?["metrics"] as? [String: Any])?["trades"] as? NSNumber)?.intValue ?? -1 }
        #expect(divisions.map(initial) == ["600.00000000", "300.00000000"])
        let portfolio = json["ensemble"] as? [String: Any]
        #expect(portfolio?["kind"] as? String == "portfolio" && initial(portfolio) == "1000.00000000")
        #expect(trades(portfolio) == trades(divisions.first) + trades(divisions.last) && trades(portfolio) >= 0)
        let models = (json["models"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(models.contains("conservative · logreg-high_030_4") && models.contains("conservative · lgbm-high_030_4") && models.contains("aggressive · automl-high_040_4"), "\(models)")
        #expect(json["syntheticDivisions"] as? [String] == ["aggressive"])
        let decision = json["decision"] as? [String: Any]
        #expect(decision?["verdict"] as? String == "no-verdict-synthetic-books", "\(String(describing: decision))")
        #expect(["conservative-only", "abort", "hold", "insufficient-data"].contains(decision?["conservativeReading"] as? String ?? ""), "\(String(describing: decision))")
        #expect(((decision?["reasons"] as? [String])?.first ?? "").contains("aggressive division were synthetic"))

        // The per-config reports, linked from the portfolio's HTML.
        for (folder, headline) in [("conservative/btcusdt_5m_azure", "VERDICT"), ("aggressive/sol_5m_gcp_orderflow", "NO VERDICT: SYNTHETIC ORDER BOOKS")] {
            let sub = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("\(folder)/report.json"))) as? [String: Any]
            #expect((sub?["headline"] as? String)?.contains(headline) == true, "\(folder): \(String(describing: sub?["headline"]))")
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("\(folder)/predictions.csv").path))
        }
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("href=\"conservative/btcusdt_5m_azure/report.html\"") && html.contains("<svg") && html.contains("SYNTHETIC ORDER BOOKS in the aggressive division"))

        // Options a portfolio cannot take are refused before anything runs.
        let klines = try await ResearchPipelineTests.quorum(["pipeline", "-c", "configs/portfolio.jsonc", "--klines", "x.csv"])
        #expect(klines.status == 2 && klines.output.contains("--data-folder"), "\(klines.output)")
        let unknown = try await ResearchPipelineTests.quorum(Array(arguments.dropLast(2)) + ["--for", "nope.window-days=3", "--for", "aggressive.depth=2"])
        #expect(unknown.status == 2 && unknown.output.contains("nope is no division") && unknown.output.contains("unknown key depth"), "\(unknown.output)")
    }
}
}
