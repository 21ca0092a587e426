import Domain
import Foundation
import Testing
import TestKit
@testable import StrategyConfig

/// A fresh temporary directory per test, removed afterwards.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "strategy-config-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ relative: String, _ text: String = "") throws -> String {
        let file = (path as NSString).appendingPathComponent(relative)
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }
}

@Suite struct BreakEvenTests {
    @Test func theIssuesExampleNeedsAbout87PercentWins() throws {
        let b = BreakEven(target: 0.003, stop: 0.005, feePerSide: 0.001)
        #expect(abs(b.netWin - 0.001) < 1e-15)
        #expect(abs(b.netLoss - 0.007) < 1e-15)
        #expect(abs(try #require(b.winRate) - 0.875) < 1e-12)
        #expect(b.description == "target 0.30 %, stop 0.50 %, fee 0.10 % per side: net +0.10 % per win, −0.70 % per loss; break-even win rate 87.50 %")
    }

    @Test func noWinRateBreaksEvenWhenFeesEatTheTarget() {
        let b = BreakEven(target: 0.002, stop: 0.005, feePerSide: 0.001)
        #expect(b.winRate == nil)
        #expect(b.description.hasSuffix("no win rate breaks even (a win does not cover the fees)"))
    }

    @Test func expectedReturnIsZeroAtTheBreakEvenRate() throws {
        var g = SeededGenerator(seed: 7)
        for _ in 0..<1_000 {
            let b = BreakEven(target: Double.random(in: 0.0021...0.05, using: &g), stop: Double.random(in: 0.001...0.05, using: &g), feePerSide: Double.random(in: 0...0.001, using: &g))
            let p = try #require(b.winRate)
            #expect(abs(p * b.netWin - (1 - p) * b.netLoss) < 1e-12)
        }
    }

    @Test func presetsFollowTheArchitecture() {
        #expect(Division.conservative.capitalShare == Decimal8("0.6")! && Division.conservative.riskPerTrade == Decimal8("0.005")! && Division.conservative.target == Decimal8("0.003")!)
        #expect(Division.aggressive.capitalShare == Decimal8("0.3")! && Division.aggressive.riskPerTrade == Decimal8("0.01")! && Division.aggressive.target == Decimal8("0.005")!)
        #expect(Division.conservative.stop == .percent(Decimal8("0.005")!))
        #expect(Division.defaultReserve == Decimal8("0.1")!)
        #expect(Division.defaultFeeRate == Decimal8("0.001")!)
        #expect(Division.preset(forSymbol: "ETHUSDT").division.name == "conservative")
        #expect(Division.preset(forSymbol: "XRPUSDT").division.name == "aggressive")
        #expect(Division.preset(forSymbol: "DOGEUSDT").note.contains("no preset division"))
    }
}

@Suite struct PortfolioTests {
    static let btc = """
    {"symbol": "BTCUSDT", "freq": "5m", "labels": ["high_030_4"], "train_features": ["close_RSI_14"], "algorithms": [{"algo": "logreg"}]}
    """

    @Test func theRepositorysPortfolioLoadsTheSeedConfigs() throws {
        guard RepositoryPaths.shared != nil else {
            print(RepositoryPaths.sharedMissingReason!)
            return
        }
        let path = RepositoryPaths.root.appendingPathComponent("configs/portfolio.jsonc").path
        let loaded = try Portfolio.load(path: path)
        let p = loaded.portfolio
        #expect(p.divisions.map(\.name) == ["conservative", "aggressive"])
        #expect(p.divisions[0].models.map(\.symbol) == ["BTCUSDT"])
        #expect(p.divisions[1].models.map(\.symbol) == ["SOLUSDT"])
        #expect(p.reserve == Decimal8("0.1")!)
        #expect(p.divisions[1].stop == .percent(Decimal8("0.01")!))
        #expect(loaded.notes.contains { $0.contains("division aggressive: target 0.50 %, stop 1.00 %") && $0.contains("break-even win rate 80.00 %") })
        #expect(loaded.notes.contains("economics: division conservative: target 0.30 %, stop 0.50 %, fee 0.10 % per side: net +0.10 % per win, −0.70 % per loss; break-even win rate 87.50 %"))
        #expect(loaded.notes.contains { $0.hasPrefix("sol_5m_gcp_orderflow.jsonc: ") && $0.contains("vertex_automl runs locally") })
    }

    @Test func modelDirectoryOverrideAndInlineModels() throws {
        let dir = try TemporaryDirectory()
        try dir.write("models/btc.jsonc", Self.btc)
        let portfolio = try dir.write("p/portfolio.jsonc", """
        {
          "divisions": [
            {"name": "conservative", "models": ["btc.jsonc"]},
            {"name": "scalp", "capital_share": 0.2, "risk_per_trade": 0.002, "target": 0.004, "stop": {"kind": "percent", "value": 0.002},
             "fee_rate": 0.00075, "models": [{"symbol": "ETHUSDT", "freq": "1m", "labels": ["low_040_10"], "train_features": ["close_SMA_3"], "algorithms": [{"algo": "rf"}]}]}
          ],
          "reserve": 0.2,
        }
        """)
        let loaded = try Portfolio.load(path: portfolio, overrides: ConfigOverrides(modelDirectory: dir.path + "/models"))
        let divisions = loaded.portfolio.divisions
        #expect(divisions[0].capitalShare == Decimal8("0.6")!) // the preset's
        #expect(divisions[0].models.first?.file == dir.path + "/models/btc.jsonc")
        #expect(divisions[1].models.first?.interval == Interval("1m"))
        #expect(divisions[1].feeRate == Decimal8("0.00075")!)
        #expect(loaded.notes.contains { $0.contains("scalp: target 0.40 %, stop 0.20 %, fee 0.08 % per side") })
    }

    @Test func everyPortfolioViolationIsListedWithModelErrorsPrefixedByFile() throws {
        let dir = try TemporaryDirectory()
        let bad = try dir.write("bad.jsonc", """
        {"symbol": "BTCUSDT", "freq": "5m", "labels": ["high_030_4"], "train_features": ["close_RSI_14"],
         "algorithms": [{"algo": "lstm"}]}
        """)
        try dir.write("broken.jsonc", "{\"symbol\": }")
        let portfolio = try dir.write("portfolio.jsonc", """
        {
          "divisions": [
            {"name": "conservative", "capital_share": 0.7, "models": ["bad.jsonc", "missing.jsonc", "broken.jsonc"]},
            {"name": "conservative", "capital_share": 0.3, "models": [], "stop": {"kind": "atr", "multiple": -1}},
            {"name": "other", "capital_share": 0, "target": 0.002, "risk_per_trade": 0.01, "models": []},
            {"name": "x", "capital_shar": 0.1}
          ],
          "reserve": 0.1, "referense_symbol": "BTCUSDT"
        }
        """)
        do {
            _ = try Portfolio.load(path: portfolio)
            Issue.record("accepted")
        } catch {
            let text = error.violations.map(\.description)
            func has(_ fragment: String) { #expect(text.contains { $0.contains(fragment) }, "no …\(fragment)… in\n\(text.joined(separator: "\n"))") }
            has("\(bad):2:26: algorithms[0].algo: \"lstm\" is not supported yet")
            has("divisions[0].models[1]: model config missing.jsonc: cannot read")
            has("broken.jsonc:1:12: unexpected '}'")
            has("divisions[1].name: division \"conservative\" is defined twice")
            has("divisions[1].stop.multiple: -1 must be in (0, 100]")
            has("divisions[2].capital_share: 0 must be in (0, 1] (a fraction of capital)")
            has("divisions[3].capital_shar: unknown key \"capital_shar\"; did you mean \"capital_share\"?")
            has("divisions[3].capital_share: required key \"capital_share\" is missing")
            has("divisions[3].models: required key \"models\" is missing")
            has("referense_symbol: unknown key \"referense_symbol\"; did you mean \"reference_symbol\"?")
            has("capital shares and the reserve add up to 1.1 (conservative 0.7 + conservative 0.3 + reserve 0.1): at most 1")
        }
    }

    @Test func aModelRunAloneGetsItsPresetDivision() throws {
        let loaded = try StrategyConfig.load(text: Self.btc)
        let portfolio = Portfolio.single(loaded)
        #expect(portfolio.divisions.map(\.name) == ["conservative"])
        #expect(portfolio.divisions[0].models == [loaded.config])
        #expect(portfolio.reserve == Division.defaultReserve)
    }
}

@Suite struct FileCheckTests {
    static let sol = """
    {"symbol": "SOLUSDT", "freq": "15m", "data_folder": "DATA", "labels": ["high_040_4"], "train_features": ["imbalance_5", "ofi"],
     "feature_sets": [{"generator": "gen_features_orderflow", "config": {"orderbook_pattern": "BOOKS/SOLUSDT_orderbook_*.parquet", "depths": [5]}}],
     "algorithms": [{"algo": "rf"}]}
    """

    @Test func missingDataIsAViolationOnlyWhenChecked() throws {
        let dir = try TemporaryDirectory()
        let loaded = try StrategyConfig.load(text: Self.sol) // loading never looks at files
        let check = loaded.config.checkFiles(overrides: ConfigOverrides(baseDirectory: dir.path))
        #expect(check.violations.map(\.path) == ["data_folder", "feature_sets[0].config.orderbook_pattern"])
        #expect(check.violations[0].message.contains("no kline file for SOLUSDT 15m: looked for DATA/SOLUSDT/klines.csv, DATA/SOLUSDT-15m.csv, DATA/SOLUSDT-5m.csv"))
        #expect(check.violations[1].message.contains("no files match \"BOOKS/SOLUSDT_orderbook_*.parquet\", and no Quorum captures match BOOKS/SOLUSDT_orderbook_*.jsonl"))
    }

    @Test func finerKlinesAreFoundAndMarkedForResamplingAndCapturesReplaceParquet() throws {
        let dir = try TemporaryDirectory()
        try dir.write("DATA/SOLUSDT-5m.csv", "open_time,open,high,low,close,volume\n")
        try dir.write("BOOKS/capture-BNBUSDT_SOLUSDT-2026-04-16.jsonl")
        try dir.write("BOOKS/capture-BNBUSDT_SOLUSDT-2026-04-15.jsonl.gz")
        try dir.write("BOOKS/capture-XRPUSDT-2026-04-15.jsonl")
        let loaded = try StrategyConfig.load(text: Self.sol)
        let check = loaded.config.checkFiles(overrides: ConfigOverrides(baseDirectory: dir.path))
        #expect(check.violations.isEmpty, "\(check.violations)")
        #expect(check.klines == .init(path: dir.path + "/DATA/SOLUSDT-5m.csv", interval: Interval("5m"), needsResampling: true))
        #expect(check.orderbookFiles == [[dir.path + "/BOOKS/capture-BNBUSDT_SOLUSDT-2026-04-15.jsonl.gz", dir.path + "/BOOKS/capture-BNBUSDT_SOLUSDT-2026-04-16.jsonl"]])
        #expect(check.notes.contains { $0.contains("SOLUSDT-5m.csv holds 5m bars: resampled to 15m") })
        #expect(check.notes.contains { $0.contains("no Parquet files match BOOKS/SOLUSDT_orderbook_*.parquet; using 2 Quorum captures of SOLUSDT") })
    }

    @Test func aKlinesOverrideMustExistAndDivideTheInterval() throws {
        let dir = try TemporaryDirectory()
        try dir.write("SOLUSDT-1h.csv")
        let loaded = try StrategyConfig.load(text: Self.sol)
        let missing = loaded.config.checkFiles(overrides: ConfigOverrides(klinesFile: "nope.csv", baseDirectory: dir.path))
        #expect(missing.violations.first?.path == "--klines")
        let coarse = loaded.config.checkFiles(overrides: ConfigOverrides(klinesFile: "SOLUSDT-1h.csv", baseDirectory: dir.path))
        #expect(coarse.violations.first?.message.contains("holds 1h bars: cannot resample 1h bars into 15m") == true)
    }
}

@Suite struct CapturePatternResolverTests {
    @Test func globMatchesStarsAndQuestionMarksInEveryComponent() throws {
        let dir = try TemporaryDirectory()
        for name in ["a/x1.jsonl", "a/x2.jsonl", "a/y1.jsonl", "b/x3.jsonl", "b/x33.jsonl", "c/x4.txt"] { try dir.write(name) }
        #expect(CapturePatternResolver.glob(dir.path + "/a/x*.jsonl") == [dir.path + "/a/x1.jsonl", dir.path + "/a/x2.jsonl"])
        #expect(CapturePatternResolver.glob(dir.path + "/?/x?.jsonl") == [dir.path + "/a/x1.jsonl", dir.path + "/a/x2.jsonl", dir.path + "/b/x3.jsonl"])
        #expect(CapturePatternResolver.glob(dir.path + "/*/x*") == ["a/x1.jsonl", "a/x2.jsonl", "b/x3.jsonl", "b/x33.jsonl", "c/x4.txt"].map { dir.path + "/" + $0 })
        #expect(CapturePatternResolver.matches("SOLUSDT_orderbook_2024.parquet", "SOLUSDT_orderbook_*.parquet"))
        #expect(!CapturePatternResolver.matches("SOLUSDT_orderbook_2024.parquetx", "SOLUSDT_orderbook_*.parquet"))
        #expect(CapturePatternResolver.matches("abc", "*"))
        #expect(CapturePatternResolver.matches("", "*"))
        #expect(!CapturePatternResolver.matches("ab", "a?c"))
    }

    @Test func literalMatchesWinWithoutANote() throws {
        let dir = try TemporaryDirectory()
        try dir.write("B/SOLUSDT_orderbook_1.parquet")
        let r = try CapturePatternResolver.resolve(pattern: "B/SOLUSDT_orderbook_*.parquet", relativeTo: dir.path)
        #expect(r.files == [dir.path + "/B/SOLUSDT_orderbook_1.parquet"] && r.note == nil)
    }

    @Test func sameStemCapturesReplaceParquet() throws {
        let dir = try TemporaryDirectory()
        try dir.write("B/SOLUSDT_orderbook_2.jsonl.gz")
        try dir.write("B/SOLUSDT_orderbook_1.jsonl.gz")
        let r = try CapturePatternResolver.resolve(pattern: "B/SOLUSDT_orderbook_*.parquet", relativeTo: dir.path)
        #expect(r.files == [dir.path + "/B/SOLUSDT_orderbook_1.jsonl.gz", dir.path + "/B/SOLUSDT_orderbook_2.jsonl.gz"])
        #expect(r.note == "no Parquet files match B/SOLUSDT_orderbook_*.parquet; using 2 Quorum captures matching B/SOLUSDT_orderbook_*.jsonl.gz (Quorum reads its own capture format)")
    }

    @Test func nothingAtAllNamesBothPatterns() throws {
        let dir = try TemporaryDirectory()
        do {
            _ = try CapturePatternResolver.resolve(pattern: "B/SOLUSDT_orderbook_*.parquet", relativeTo: dir.path)
            Issue.record("resolved")
        } catch {
            let message = error.violations[0].message
            #expect(message.contains("\"B/SOLUSDT_orderbook_*.parquet\""))
            #expect(message.contains("B/SOLUSDT_orderbook_*.jsonl or B/SOLUSDT_orderbook_*.jsonl.gz or B/capture-*SOLUSDT*-YYYY-MM-DD.jsonl[.gz]"))
        }
        do {
            _ = try CapturePatternResolver.resolve(pattern: "B/*.jsonl", relativeTo: dir.path)
            Issue.record("resolved")
        } catch {
            #expect(error.violations[0].message.hasPrefix("no files match \"B/*.jsonl\""))
        }
    }
}
