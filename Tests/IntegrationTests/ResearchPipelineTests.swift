import Foundation
import Testing
import TestKit

extension Integration {
/// `quorum pipeline` and `quorum lookahead-check` as a user runs them: the specification's BTCUSDT
/// seed config, unchanged, on the real BTCUSDT 5m file of ../shared (the data path overridden on the
/// command line), on a shortened window so that the debug build finishes in seconds.
@Suite struct ResearchPipelineTests {
    static var seedConfig: String? { RepositoryPaths.shared?.appendingPathComponent("configs/seed/btcusdt_5m_azure.jsonc").path }
    static var klines: String? { RepositoryPaths.shared?.appendingPathComponent("data/klines/BTCUSDT-5m.csv").path }
    static let skip = RepositoryPaths.sharedMissingReason ?? ""

    /// Runs the CLI; returns its exit status and output (stdout and stderr).
    static func quorum(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let result = try await CommandRunner.run(RepositoryPaths.executable("quorum"), arguments, currentDirectory: RepositoryPaths.root)
        return (result.status, result.output)
    }

    @Test(.enabled(if: RepositoryPaths.shared != nil, "\(skip)"))
    func theBTCUSDTSeedConfigTrainsBacktestsAndReportsAVerdict() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-pipeline-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try await Self.quorum([
            "pipeline", "-c", Self.seedConfig!, "--klines", Self.klines!, "--out", out.path,
            "--last-days", "75", "--window-days", "40", "--train-days", "14", "--step-days", "7", "--itb-threshold", "0.05",
        ])
        #expect(run.status == 0, "\(run.output)")
        // The break-even win rate is printed at load, the verdict and the baselines in the table.
        #expect(run.output.contains("break-even win rate 87.50 %"))
        #expect(run.output.contains("VERDICT:"))
        #expect(run.output.contains("enter whenever fla") && run.output.contains("volatility only"))
        // Four models (two labels × logreg and LightGBM) in the registry; LightGBM's trees beside its metadata.
        for name in ["logreg-high_030_4", "logreg-low_030_4", "lgbm-high_030_4", "lgbm-low_030_4"] {
            let versions = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("models/\(name)").path)
            #expect(versions.count == 1, "\(name)")
            let dir = out.appendingPathComponent("models/\(name)/\(versions[0])")
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("metadata.json").path))
            if name.hasPrefix("lgbm") { #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("model.txt").path)) }
        }
        // The stack meta-model over the two entry models' out-of-fold probabilities, for the Ensemble's stack mode.
        let stackVersions = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("models/stack-high_030_4").path)
        let stack = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("models/stack-high_030_4/\(stackVersions[0])/metadata.json"))) as? [String: Any]
        #expect(stack?["features"] as? [String] == ["lgbm-high_030_4", "logreg-high_030_4"] || stack?["features"] as? [String] == ["logreg-high_030_4", "lgbm-high_030_4"])
        #expect(run.output.contains("stack-high_030_4"))
        // The report: self-contained HTML with its charts, and the metrics JSON with the verdict.
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("<svg") && !html.contains("src=\"http"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as? [String: Any]
        let decision = json?["decision"] as? [String: Any]
        #expect(decision?["verdict"] as? String != nil, "\(String(describing: json?.keys))")
        // Out-of-sample predictions only: every row is inside the walk-forward's predicted bars.
        let predictions = try String(contentsOf: out.appendingPathComponent("predictions.csv"), encoding: .utf8).split(separator: "\n")
        #expect(predictions.first?.hasPrefix("open_time,logreg-high_030_4") == true && predictions.count > 20 * 288)
    }

    @Test(.enabled(if: RepositoryPaths.shared != nil, "\(skip)"))
    func lookaheadCheckPassesOnTheSeedConfig() async throws {
        let run = try await Self.quorum([
            "lookahead-check", "-c", Self.seedConfig!, "--klines", Self.klines!, "--cuts", "8", "--last-days", "20", "--span-days", "2",
        ])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("passed: no value at time t depends on data after t"))
    }

    /// A broken config fails fast with every problem listed and a suggestion, and touches nothing.
    @Test func aBrokenConfigListsEveryProblem() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-badconfig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("bad.jsonc")
        try """
        // a broken config
        { "symbol": "BTCUSDT", "freq": "5m", "labels": ["high_30_4"],
          "trian_features": ["close_SMA_3"], "train_features": ["close_SMAX_3"],
          "algorithms": [{"name": "seq", "algo": "lstm", "train": {}}] }
        """.write(to: config, atomically: true, encoding: .utf8)
        let run = try await Self.quorum(["pipeline", "-c", config.path, "--klines", RepositoryPaths.sampleKlines.path, "--out", dir.path + "/out"])
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains("trian_features") && run.output.contains("train_features"), "unknown key with its suggestion: \(run.output)")
        #expect(run.output.contains("close_SMAX_3") && run.output.contains("high_30_4") && run.output.contains("not supported yet"), "\(run.output)")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/out"))
        // A missing data file is named.
        let missing = try await Self.quorum(["pipeline", "-c", Self.seedConfig ?? config.path, "--klines", dir.path + "/nope.csv"])
        #expect(missing.status == 2 && missing.output.contains("nope.csv"), "\(missing.output)")
    }
}
}
