import CollectorCore
import Domain
@testable import ExchangeSim
import Foundation
import TestKit
import Testing

@Suite(.serialized)
struct KlineTests {
    /// Every column of every served closed kline equals the CSV row; the open bar is not served whole.
    func check(file: URL, start: String, configure: (inout SimConfiguration) -> Void = { _ in }) async throws {
        let sim = try await SimHarness.start {
            $0.klineFiles = [.init(path: file.path)]
            $0.start = Timestamp(utcDate: start)
            configure(&$0)
        }
        defer { Task { await sim.stop() } }
        let rows = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let byOpen = Dictionary(rows.map { (Int64($0[0])!, $0) }, uniquingKeysWith: { a, _ in a })
        let symbol = file.lastPathComponent.split(separator: "-")[0], interval = file.lastPathComponent.split(separator: "-")[1].replacingOccurrences(of: ".csv", with: "")
        try await sim.advance(milliseconds: 123_456)
        let now = try await sim.serverTime()
        let served = try await sim.get("/api/v3/klines", "symbol=\(symbol)&interval=\(interval)&limit=1000").json.arrayValue!
        #expect(served.count == 1000)
        var closed = 0
        for (position, kline) in served.enumerated() {
            let open = kline[0]!.intValue!, close = kline[6]!.intValue!
            #expect(open <= now)
            let row = try #require(byOpen[open])
            guard close < now else {
                #expect(position == served.count - 1, "only the last bar may still be open")
                #expect(Decimal8(kline[5]!.stringValue!)! <= Decimal8(row[5])!, "the open bar's volume is the volume so far")
                continue
            }
            closed += 1
            #expect(close == Int64(row[6])!)
            for (index, column) in [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (7, 7), (9, 9), (10, 10)] {
                let expected = row[column].isEmpty ? Decimal8.zero : Decimal8(row[column])!
                #expect(Decimal8(kline[index]!.stringValue!)! == expected, "column \(column) of \(open)")
            }
            #expect(kline[8]!.intValue! == (row[8].isEmpty ? 0 : Int64(row[8])!))
            #expect(kline[11]!.stringValue == "0")
        }
        #expect(closed >= 999)
        // startTime/endTime select by open time.
        let first = rows[10]
        let ranged = try await sim.get("/api/v3/klines", "symbol=\(symbol)&interval=\(interval)&startTime=\(first[0])&limit=3").json.arrayValue!
        #expect(ranged.map { $0[0]!.intValue! } == rows[10..<13].map { Int64($0[0])! })
    }

    @Test func servedKlinesEqualTheSampleCSV() async throws {
        try await check(file: RepositoryPaths.sampleKlines, start: "2024-08-10")
    }

    @Test func servedKlinesEqualACSVWithEveryColumn() async throws {
        // A file with all eleven columns filled (the sample leaves the last four empty).
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sim-klines-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = try KlineCSV.read(path: RepositoryPaths.sampleKlines.path)
        var text = KlineCSV.header + "\n"
        for (i, k) in source.prefix(3000).enumerated() {
            text += "\(k.openTime.milliseconds),\(k.open.compactDescription),\(k.high.compactDescription),\(k.low.compactDescription),\(k.close.compactDescription),\(k.volume.compactDescription),\(k.closeTime.milliseconds),\(k.volume.multiplied(by: k.close).compactDescription),\(1000 + i),\(Decimal8(units: k.volume.units / 2).compactDescription),\(Decimal8(units: k.volume.units / 2).multiplied(by: k.close).compactDescription)\n"
        }
        let file = directory.appendingPathComponent("BTCUSDT-5m.csv")
        try text.write(to: file, atomically: true, encoding: .utf8)
        try await check(file: file, start: "2024-07-08")
    }
}
