import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestKit

extension Integration {
/// The SOL order-flow seed config end to end, as docs/RESEARCH.md tells a user to run it: the
/// exchange simulator replays the real SOLUSDT 5m klines of ../shared fast with its synthetic book,
/// `quorum collect-book` records three days of market time into one capture per UTC day, and
/// `quorum pipeline` runs the config unchanged on them (short window, AutoML budget of seconds):
/// the report says the books were synthetic and gives no verdict. `quorum lookahead-check` passes
/// on the same captures, cut in event time with the klines.
@Suite struct OrderFlowPipelineTests {
    static var seedConfig: String? { RepositoryPaths.shared?.appendingPathComponent("configs/seed/sol_5m_gcp_orderflow.jsonc").path }
    static var klines: String? { RepositoryPaths.shared?.appendingPathComponent("data/klines/SOLUSDT-5m.csv").path }
    static let skip = RepositoryPaths.sharedMissingReason ?? ""

    /// 2025-06-01 … 06-04 lies inside SOLUSDT's continuous 5m coverage (2024-12-31 → 2026-02-19).
    static let start = "2025-06-01"
    static let until = "2025-06-04"

    static func quorum(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let result = try await CommandRunner.run(RepositoryPaths.executable("quorum"), arguments, currentDirectory: RepositoryPaths.root)
        return (result.status, result.output)
    }

    static func simState(port: Int) async -> [String: Any]? {
        guard let (data, response) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/sim/state")!),
              (response as? HTTPURLResponse)?.statusCode == 200 else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    static func setSpeed(_ speed: Double, port: Int) async throws {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/sim/clock")!)
        request.httpMethod = "POST"
        request.httpBody = Data(#"{"speed": \#(speed)}"#.utf8)
        request.setValue("application/json", forHTTPHeaderField: "content-type")
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200, "\(String(decoding: data, as: UTF8.self))")
    }

    @Test(.enabled(if: RepositoryPaths.shared != nil, "\(skip)"))
    func theSOLOrderFlowSeedConfigRunsOnSyntheticCapturesWithoutAVerdict() async throws {
        for executable in ["quorum", "quorum-exchange-sim"] {
            let path = RepositoryPaths.executable(executable).path
            guard FileManager.default.isExecutableFile(atPath: path) else { throw MissingExecutable(path: path) }
        }
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-sol-\(UUID().uuidString.prefix(8))")
        let captures = base.appendingPathComponent("DATA_ORDERBOOK")
        try FileManager.default.createDirectory(at: captures, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        let clock = ContinuousClock()
        var mark = clock.now
        func phase(_ name: String) {
            print("sol-orderflow: \(name) in \(clock.now - mark)")
            mark = clock.now
        }

        // 1. The simulator, clock stopped until the recorder listens; 60 s book steps (5 per bar)
        //    and 100 levels keep three days of market time to ~20,000 frames.
        let port = freeLocalPort()
        let sim = try ServiceProcess(name: "sim", executable: RepositoryPaths.executable("quorum-exchange-sim"), arguments: [
            "--klines", Self.klines!, "--port", String(port), "--speed", "0", "--start", Self.start,
            "--book-step-ms", "60000", "--book-levels", "100", "--log-level", "warning",
        ], environment: [:], logDirectory: base)
        defer { sim.stop() }
        try await poll("the simulator to answer", timeout: 60, every: .milliseconds(100)) { await Self.simState(port: port) != nil }

        // 2. collect-book until the market time of `until`, files split by market day.
        let recorder = Process()
        recorder.executableURL = RepositoryPaths.executable("quorum")
        recorder.arguments = ["collect-book", "--symbols", "SOLUSDT", "--until", Self.until, "--duration", "90s", "--out", captures.path, "--binance", "sim:\(port)"]
        let recorderOutput = Pipe()
        recorder.standardOutput = recorderOutput
        recorder.standardError = recorderOutput
        try recorder.run()
        try await poll("collect-book to connect", timeout: 30, every: .milliseconds(50)) {
            ((await Self.simState(port: port))?["connections"] as? NSNumber)?.intValue ?? 0 >= 1
        }
        try await Self.setSpeed(60_000, port: port)
        let recorded = await CommandRunner.waitForEnd(recorder, output: recorderOutput).output
        #expect(recorder.terminationStatus == 0, "\(recorded)")
        #expect(recorded.contains("stopped at --until") && recorded.contains("synthetic books"), "\(recorded)")
        let names = try FileManager.default.contentsOfDirectory(atPath: captures.path).sorted()
        let days = names.filter { $0.hasSuffix(".jsonl") }
        #expect(days == ["capture-SOLUSDT-2025-06-01.jsonl", "capture-SOLUSDT-2025-06-02.jsonl", "capture-SOLUSDT-2025-06-03.jsonl"], "\(names)\n\(recorded)")
        for day in days {
            let sidecar = captures.appendingPathComponent(day.replacingOccurrences(of: ".jsonl", with: ".source.json"))
            let provenance = try JSONSerialization.jsonObject(with: Data(contentsOf: sidecar)) as? [String: Any]
            #expect(provenance?["syntheticBooks"] as? Bool == true && provenance?["exchange"] as? String == "quorum-exchange-sim", "\(day)")
        }
        phase("three days of synthetic captures")

        // 3. The pipeline on the config as it is: captures found by its orderbook_pattern's stem under
        //    --base-dir, books flagged synthetic by their sidecars (no --synthetic-books given).
        let out = base.appendingPathComponent("out")
        let run = try await Self.quorum([
            "pipeline", "-c", Self.seedConfig!, "--klines", Self.klines!, "--base-dir", base.path, "--out", out.path,
            "--window-days", "2", "--train-days", "1", "--step-days", "1", "--budget-hours", "0.0008",
        ])
        #expect(run.status == 0, "\(run.output)")
        phase("pipeline")
        #expect(run.output.contains("written by quorum collect-book"), "the Parquet pattern falls back to the captures and says so: \(run.output)")
        #expect(run.output.contains("SYNTHETIC order books"), "\(run.output)")
        #expect(run.output.contains("NO VERDICT: SYNTHETIC ORDER BOOKS"), "\(run.output)")
        #expect(!run.output.contains("VERDICT: PROCEED") && !run.output.contains("VERDICT: ABORT"), "\(run.output)")
        // The order-flow stage's counts and files.
        #expect(run.output.contains("had a valid book") && run.output.contains("capture-SOLUSDT-2025-06-03.jsonl"), "\(run.output)")
        #expect(run.output.contains("runs locally"), "vertex_automl says it runs locally: \(run.output)")
        // AutoML's winners in the registry, trained on the order-flow features in the config's order.
        for name in ["automl-high_040_4", "automl-low_040_4"] {
            let versions = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("models/\(name)").path)
            #expect(versions.count == 1, "\(name)")
            let metadata = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("models/\(name)/\(versions[0])/metadata.json"))) as? [String: Any]
            let features = metadata?["features"] as? [String]
            #expect(features?.first == "imbalance_5" && features?.contains("level1_imbalance") == true && features?.contains("vol_regime") == true, "\(String(describing: features))")
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("leaderboard-\(name).csv").path))
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as? [String: Any]
        #expect(json?["syntheticBooks"] as? Bool == true)
        #expect(json?["headline"] as? String == "NO VERDICT: SYNTHETIC ORDER BOOKS", "\(String(describing: json?["headline"]))")
        // Whatever division the config trades, no verdict is computed on synthetic books.
        let verdict = (json?["decision"] as? [String: Any])?["verdict"] as? String
        #expect(verdict == nil || verdict == "no-verdict-synthetic-books", "\(String(describing: json?["decision"]))")
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("SYNTHETIC ORDER BOOKS") && html.contains("order flow:"))
        // The walk-forward traded out of sample on bars with books only.
        let predictions = try String(contentsOf: out.appendingPathComponent("predictions.csv"), encoding: .utf8).split(separator: "\n")
        #expect(predictions.first?.hasPrefix("open_time,automl-high_040_4") == true && predictions.count > 200, "\(predictions.prefix(3))")

        // 4. No value at time t depends on data (klines or books) after t.
        let lookahead = try await Self.quorum([
            "lookahead-check", "-c", Self.seedConfig!, "--klines", Self.klines!, "--base-dir", base.path, "--cuts", "3", "--span-days", "1",
        ])
        #expect(lookahead.status == 0, "\(lookahead.output)")
        #expect(lookahead.output.contains("passed: no value at time t depends on data after t"), "\(lookahead.output)")
        phase("lookahead-check")
    }
}
}
