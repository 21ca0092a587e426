import Capture
import Domain
import Foundation
import Testing

/// A temporary directory removed when the value goes away.
final class TemporaryDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-capture-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func write(_ name: String, _ text: String) throws -> String {
        let p = path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return p
    }
}

let snapshotBody = #"{"lastUpdateId":100,"bids":[["10.00000000","1.00000000"]],"asks":[["11.00000000","2.00000000"]]}"#
let depthMessage = #"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":99,"u":101,"b":[],"a":[["11.00000000","3.00000000"]]}}"#
let tickerMessage = #"{"stream":"btcusdt@bookTicker","data":{"u":101,"s":"BTCUSDT","b":"10.00000000","B":"1.00000000","a":"11.00000000","A":"3.00000000"}}"#

@Suite struct CaptureFormatTests {
    @Test(arguments: ["capture.jsonl", "capture.jsonl.gz"])
    func quorumFormatRoundTripsVerbatim(name: String) throws {
        let dir = try TemporaryDirectory()
        let writer = try CaptureWriter(path: dir.path(name))
        try writer.writeConnect(url: "wss://stream.binance.com:9443/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker", receiveTime: Timestamp(nanoseconds: 1))
        try Array(depthMessage.utf8).withUnsafeBytes { try writer.writeStream($0, receiveTime: Timestamp(nanoseconds: 2)) }
        try Array(snapshotBody.utf8).withUnsafeBytes { try writer.writeSnapshot($0, symbol: "BTCUSDT", url: "https://api.binance.com/api/v3/depth?symbol=BTCUSDT&limit=5000", receiveTime: Timestamp(nanoseconds: 3)) }
        try Array(tickerMessage.utf8).withUnsafeBytes { try writer.writeStream($0, receiveTime: Timestamp(nanoseconds: 4)) }
        try writer.close()
        #expect(try CaptureReader.detect(path: dir.path(name)) == .quorum)
        let (records, problems) = try CaptureReader.readAll(files: [dir.path(name)])
        #expect(problems.isEmpty)
        #expect(records.map(\.kind) == [.connect, .stream, .snapshot, .stream])
        #expect(records.map(\.receiveTime.nanoseconds) == [1, 2, 3, 4])
        #expect(records[1].text == depthMessage && records[2].text == snapshotBody && records[3].text == tickerMessage)
        #expect(records[2].symbol == "BTCUSDT" && records[2].url?.hasSuffix("limit=5000") == true)
        #expect(records[0].url?.hasPrefix("wss://") == true && records[0].payload.isEmpty)
        #expect(records[3].location.line == 4)
        let report = try CaptureReplay.verify(files: [dir.path(name)])
        #expect(report.matched == 1 && report.verdict.passed)
    }

    @Test func theWriterRefusesWhatWouldBreakTheFraming() throws {
        let dir = try TemporaryDirectory()
        let writer = try CaptureWriter(path: dir.path("x.jsonl"))
        #expect(throws: CaptureError.self) { try Array("{\"a\":\n1}".utf8).withUnsafeBytes { try writer.writeStream($0, receiveTime: .zero) } }
        #expect(throws: CaptureError.self) { try Array("[1]".utf8).withUnsafeBytes { try writer.writeStream($0, receiveTime: .zero) } }
        #expect(throws: CaptureError.self) { try Array(snapshotBody.utf8).withUnsafeBytes { try writer.writeSnapshot($0, symbol: "BTC\"USDT", receiveTime: .zero) } }
    }

    @Test func malformedLinesAreReportedWithTheirLineNumbers() throws {
        let dir = try TemporaryDirectory()
        let quorum = try dir.write("q.jsonl", [
            #"{"t":1,"kind":"stream","data":\#(depthMessage)}"#,
            "garbage",
            #"{"t":x,"kind":"stream","data":{}}"#,
            "",
            #"{"t":2,"kind":"snapshot","data":\#(snapshotBody)}"#,
            #"{"t":3,"kind":"stream","data":\#(tickerMessage)}"#,
        ].joined(separator: "\n"))
        let reader = try CaptureReader(files: [quorum], format: .quorum)
        let records = Array(reader)
        #expect(records.count == 2 && records.map(\.location.line) == [1, 6])
        #expect(reader.problems.map(\.location.line) == [2, 3, 5])
        #expect(reader.problems[2].reason.contains("symbol"))
        // A payload that is framed correctly but is not Binance JSON is a decode error, not a crash.
        let bad = try dir.write("bad.jsonl", #"{"t":1,"kind":"stream","data":{"stream":"btcusdt@depth","data":{"U":1}}}"# + "\n")
        let report = try CaptureReplay.verify(files: [bad])
        #expect(report.decodeErrorCount == 1 && !report.verdict.passed)
        #expect(report.symbols.first?.decodeErrors == 1)
    }

    @Test func hftbacktestLinesAndGzipParts() throws {
        let dir = try TemporaryDirectory()
        let day1 = try dir.write("btcusdt_20240808.txt", "5 \(depthMessage)\n7 \(snapshotBody)\n")
        let day2 = try dir.write("btcusdt_20240809.txt", "9 \(tickerMessage)\nnot a line\n")
        #expect(try CaptureReader.detect(path: day1) == .hftbacktest)
        let reader = try CaptureReader(files: [day1, day2])
        let records = Array(reader)
        #expect(records.map(\.kind) == [.stream, .snapshot, .stream])
        #expect(records[1].symbol == "BTCUSDT" && records[1].text == snapshotBody)
        #expect(reader.problems == [CaptureProblem(location: .init(file: day2, line: 2), reason: "expected a receive time in ns at the start of the line")])
    }

    @Test func cryptofeedFilesMergeByReceiveTime() throws {
        let dir = try TemporaryDirectory()
        let ws = try dir.write("BINANCE.ws.1.0.txt", [
            "wss://stream.binance.com:9443/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker <-> 1617566590.378895",
            "1617566591.1: \(depthMessage)",
            "1617566591.3000001: \(tickerMessage)",
        ].joined(separator: "\n") + "\n")
        let http = try dir.write("BINANCE.http.0.0.txt", "https://api.binance.com/api/v3/depth?symbol=BTCUSDT&limit=1000 -> 1617566591.2: \(snapshotBody)\n")
        #expect(try CaptureReader.detect(path: ws) == .cryptofeed && CaptureReader.detect(path: http) == .cryptofeed)
        let (records, problems) = try CaptureReader.readAll(files: [ws, http])
        #expect(problems.isEmpty)
        #expect(records.map(\.kind) == [.connect, .stream, .snapshot, .stream])
        #expect(records.map(\.receiveTime.nanoseconds) == [1_617_566_590_378_895_000, 1_617_566_591_100_000_000, 1_617_566_591_200_000_000, 1_617_566_591_300_000_100])
        #expect(records[2].symbol == "BTCUSDT")
        let report = try CaptureReplay.verify(files: [ws, http])
        #expect(report.matched == 1 && report.verdict.passed)
    }

    @Test func missingFilesAndUnknownFormatsAreErrors() throws {
        let dir = try TemporaryDirectory()
        #expect(throws: CaptureError.cannotOpen(path: dir.path("nope.gz"), reason: "no such file")) { try CaptureReader(files: [dir.path("nope.gz")]) }
        let text = try dir.write("x.txt", "hello\n")
        #expect(throws: CaptureError.unknownFormat(path: text)) { try CaptureReader(files: [text]) }
        #expect(throws: CaptureError.noFiles) { try CaptureReader(files: []) }
    }
}
