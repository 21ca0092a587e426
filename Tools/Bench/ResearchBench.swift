import CollectorCore
import Domain
import Foundation
import Research
import StrategyConfig
import TestKit

/// `quorum-bench research`: the work of `quorum pipeline -c btcusdt_5m_azure.jsonc` on the real
/// BTCUSDT 5m file (210,375 rows; labels high_030_4 and low_030_4; logistic regression and LightGBM
/// for each: four final fits), stage by stage, plus the walk-forward backtest ITB does not have.
enum ResearchBench {
    static func run(root: URL) throws -> [String] {
        guard let shared = RepositoryPaths.shared else { return ["\n## Research pipeline: skipped (../shared is absent)"] }
        let config = shared.appendingPathComponent("configs/seed/btcusdt_5m_azure.jsonc").path
        let file = shared.appendingPathComponent("data/klines/BTCUSDT-5m.csv").path
        let clock = ContinuousClock()
        let start = clock.now
        let loaded = try StrategyConfig.load(path: config, overrides: ConfigOverrides(klinesFile: file), rules: Pipeline.nameRules)
        let klines = try KlineCSV.read(path: file)
        let read = clock.now - start
        let output = try Pipeline.run(loaded, klines: klines)
        let total = clock.now - start
        func s(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
        var lines = ["\n## Research pipeline (release; \(klines.count) rows of BTCUSDT 5m; the BTCUSDT seed config: 2 labels × logreg + LightGBM)"]
        lines.append("| stage | seconds |")
        lines.append("|---|---|")
        lines.append(String(format: "| load config + read the kline CSV (exact decimals) | %.2f |", s(read)))
        for (stage, seconds) in output.timings {
            lines.append(String(format: "| %@ | %.2f |", stage as NSString, seconds))
        }
        for trained in output.finals {
            lines.append(String(format: "| final fit %@ (%@) | %.2f |", trained.model.name as NSString, trained.algorithm as NSString, trained.fitSeconds))
        }
        let lightGBM = output.finals.filter { $0.algorithm == "lgbm" }.reduce(0) { $0 + $1.fitSeconds }
        let walkForward = output.timings.first { $0.stage == "backtest" }?.seconds ?? 0
        lines.append(String(format: "| total | %.2f |", s(total)))
        lines.append(String(format: "| ITB's work (everything but the walk-forward): %.2f s, of which LightGBM's own fitting %.2f s and the rest %.2f s (targets ≤ 10 s and ≤ 2 s; ITB ≈ 30 s) | |",
                            s(total) - walkForward, lightGBM, s(total) - walkForward - lightGBM))
        return lines
    }
}
