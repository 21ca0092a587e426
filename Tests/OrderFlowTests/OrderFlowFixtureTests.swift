import Capture
import Domain
import Foundation
import OrderFlow
import OrderFlowCapture
import TestKit
import Testing

/// The real hftbacktest spot captures (../shared/data/orderbook) against the independent NumPy
/// reference (scripts/orderflow_reference.py), whose output is committed in Fixtures/.
enum Captures {
    static var root: URL? { RepositoryPaths.shared?.appendingPathComponent("data/orderbook/hftbacktest/spot") }
    static func files(_ symbol: String) -> [String] {
        ["\(symbol)_20240808.gz", "\(symbol)_20240809.gz"].map { root!.appendingPathComponent($0).path }
    }
}

let sharedData = Testing.ConditionTrait.enabled(if: RepositoryPaths.shared != nil, Comment(rawValue: RepositoryPaths.sharedMissingReason ?? ""))

/// A fixture CSV: header, then open_time, one column per feature, book_valid, diffs, trades.
struct ReferenceTable {
    var names: [String]
    var rows: [(open: Int64, values: [Double], valid: Bool, diffs: Int, trades: Int)]

    init(_ file: String) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(file)")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        let header = lines[0].split(separator: ",").map(String.init)
        names = Array(header[1..<(header.count - 3)])
        rows = try lines.dropFirst().map { line in
            let f = line.split(separator: ",").map(String.init)
            guard f.count == header.count, let open = Int64(f[0]), let diffs = Int(f[f.count - 2]), let trades = Int(f[f.count - 1]) else {
                throw CocoaError(.fileReadCorruptFile)
            }
            let values = f[1..<(f.count - 3)].map { $0 == "nan" ? Double.nan : Double($0)! }
            return (open, values, f[f.count - 3] == "1", diffs, trades)
        }
    }
}

@Suite(.serialized) struct OrderFlowFixtureTests {
    /// Relative tolerance. The Swift and NumPy code do the same IEEE operations in the same order
    /// (sums best level first, left to right; NumPy's pairwise `sum` is avoided), so most values
    /// are bit-identical; 1e-9 leaves room for libm's `log` and nothing else.
    static let tolerance = 1e-9

    @Test(sharedData, arguments: [
        ("btcusdt", "orderflow_btcusdt_20240808_09_10s.csv"),
        ("ethusdt", "orderflow_ethusdt_20240808_09_10s.csv"),
    ])
    func realCapturesMatchTheNumPyReference(symbol: String, fixture: String) throws {
        let reference = try ReferenceTable(fixture)
        let configuration = try OrderFlowConfiguration(depths: [5, 10, 20], freq: "10s")
        let table = try OrderFlowReplay.bars(files: Captures.files(symbol), configuration: configuration)
        #expect(table.problemCount == 0 && table.decodeErrorCount == 0)
        #expect(table.names == reference.names)
        #expect(table.synchronizer.gaps == 0 && table.aggregator.resyncs == 0 && table.synchronizer.snapshotsAccepted == 1)
        #expect(table.bars.count == reference.rows.count, "\(table.bars.count) bars, reference \(reference.rows.count)")
        #expect(table.bars.count > 60)
        #expect(table.invalidBars == 1)   // the bar in which the book first synced
        var worst = 0.0, compared = 0
        for (bar, row) in zip(table.bars, reference.rows) {
            #expect(bar.openTime.milliseconds == row.open)
            #expect(bar.bookValid == row.valid && bar.diffs == row.diffs && bar.trades == row.trades, "bar \(row.open)")
            for (i, (a, b)) in zip(bar.values, row.values).enumerated() {
                #expect(a.isNaN == b.isNaN, "\(reference.names[i]) at \(row.open): \(a) vs \(b)")
                guard !a.isNaN, !b.isNaN else { continue }
                let scale = max(abs(a), abs(b))
                let error = scale == 0 ? 0 : abs(a - b) / scale
                worst = max(worst, error)
                compared += 1
                #expect(error <= Self.tolerance, "\(reference.names[i]) at \(row.open): \(a) vs \(b)")
            }
        }
        #expect(compared > 60 * 18)
        print("order-flow fixture \(symbol): \(table.bars.count) bars, \(compared) values, worst relative difference \(worst)")
    }

    @Test(sharedData) func theCaptureReplayCountsEverything() throws {
        let configuration = try OrderFlowConfiguration(freq: "1m")
        let table = try OrderFlowReplay.bars(files: Captures.files("btcusdt"), configuration: configuration)
        #expect(table.symbol == "BTCUSDT")
        #expect(table.bars.count >= 10)
        #expect(table.aggregator.diffsApplied == table.synchronizer.diffsApplied)
        // Trades of the incomplete last bar are counted but not in any emitted bar.
        #expect(table.incompleteBarAtEnd != nil)
        #expect(table.bars.reduce(0) { $0 + $1.trades } < table.aggregator.trades)
        let csv = table.csv()
        #expect(csv.hasPrefix("open_time,imbalance_5,"))
        #expect(csv.split(separator: "\n").count == table.bars.count + 1)
    }

    @Test(sharedData) func cryptofeedCapturesWithAggTrades() throws {
        let path = RepositoryPaths.shared!.appendingPathComponent("data/orderbook/cryptofeed/BINANCE-ee25be.0.txt").path
        let table = try OrderFlowReplay.bars(files: [path], symbol: "BTCUSDT", configuration: try OrderFlowConfiguration(freq: "10s"))
        #expect(table.decodeErrorCount == 0 && table.otherSymbolRecords > 0)
        #expect(table.synchronizer.snapshotsAccepted == 1 && table.aggregator.trades > 0)
        #expect(table.bars.contains { $0.bookValid && !$0.values.contains { $0.isNaN } })
    }

    /// One depth diff removed from the real BTCUSDT capture: the synchronizer sees a gap, the bar
    /// holding it has NaN book features and counts the resync, and (the capture has no second
    /// snapshot) every later bar stays invalid while its trade imbalance is still computed.
    @Test(sharedData) func aGapInTheCaptureInvalidatesItsBar() throws {
        let original = Captures.files("btcusdt")[0]
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("orderflow-gap-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let gapped = dir.appendingPathComponent("btcusdt_gap.txt").path
        var text = "", depth = 0
        for record in try CaptureReader(files: [original]) {
            if record.kind == .stream, record.text.contains("\"depthUpdate\"") {
                depth += 1
                if depth == 2_000 { continue }
            }
            text += "\(record.receiveTime.nanoseconds) \(record.text)\n"
        }
        try text.write(toFile: gapped, atomically: true, encoding: .utf8)
        let configuration = try OrderFlowConfiguration(freq: "10s")
        let clean = try OrderFlowReplay.bars(files: [original], configuration: configuration)
        let table = try OrderFlowReplay.bars(files: [gapped], format: .hftbacktest, symbol: "BTCUSDT", configuration: configuration)
        #expect(table.synchronizer.gaps == 1 && table.aggregator.resyncs == 1)
        let hit = try #require(table.bars.firstIndex { $0.resyncs == 1 })
        #expect(table.bars.filter { $0.resyncs > 0 }.count == 1)
        #expect(hit > 10 && hit < table.bars.count - 3)
        #expect(Array(table.bars[..<hit]) == Array(clean.bars[..<hit]))
        for bar in table.bars[hit...] {
            #expect(!bar.bookValid)
            #expect(bar.values.enumerated().allSatisfy { i, v in configuration.names[i] == "trade_imbalance" ? !v.isNaN : v.isNaN })
        }
        #expect(table.invalidBars == 1 + (table.bars.count - hit))
    }

    /// USD-M futures: `pu` chaining is the synchronizer's; the aggregator's own spot check is off.
    @Test(sharedData) func futuresCapturesReplayWithTheirOwnChaining() throws {
        let path = RepositoryPaths.shared!.appendingPathComponent("data/orderbook/hftbacktest/usdm/btcusdt_20240808.gz").path
        let table = try OrderFlowReplay.bars(
            files: [path], configuration: try OrderFlowConfiguration(freq: "30s"),
            synchronizer: .init(market: .usdMFutures)
        )
        #expect(table.synchronizer.gaps == 0 && table.aggregator.resyncs == 0 && table.aggregator.gaps == 0)
        #expect(table.bars.count >= 10 && table.invalidBars == 1)
        #expect(table.aggregator.diffsApplied == table.synchronizer.diffsApplied)
    }

    @Test func patternsExpandSorted() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("orderflow-glob-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["SOL_2.gz", "SOL_1.gz", "BTC_1.gz"] { _ = FileManager.default.createFile(atPath: dir.appendingPathComponent(name).path, contents: Data()) }
        let files = OrderFlowReplay.files(matching: dir.path + "/SOL_*.gz")
        #expect(files.map { URL(fileURLWithPath: $0).lastPathComponent } == ["SOL_1.gz", "SOL_2.gz"])
        #expect(OrderFlowReplay.files(matching: dir.path + "/none_*").isEmpty)
    }
}
