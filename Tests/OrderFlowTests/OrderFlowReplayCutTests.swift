import Capture
import Domain
import Foundation
import OrderFlow
import OrderFlowCapture
import TestKit
import Testing

/// The replay cut in event time (`until`), as the lookahead check uses it, and the provenance
/// sidecar that says whether a capture's books were synthetic.
@Suite struct OrderFlowReplayCutTests {
    /// Cut anywhere on a bar boundary, the real BTCUSDT capture gives exactly the bars of the whole
    /// replay that end by the cut: no bar depends on events after it.
    @Test(sharedData) func aCutReplayEqualsTheWholeOneUpToTheCut() throws {
        let configuration = try OrderFlowConfiguration(freq: "10s")
        let files = Captures.files("btcusdt")
        let whole = try OrderFlowReplay.bars(files: files, configuration: configuration)
        #expect(whole.bars.count > 40)
        for k in [3, 10, 25, whole.bars.count - 2] {
            let until = whole.bars[k].openTime.adding(milliseconds: 10_000)
            let cut = try OrderFlowReplay.bars(files: files, configuration: configuration, until: until)
            #expect(cut.bars == Array(whole.bars[...k]), "cut after bar \(k)")
            #expect(cut.records < whole.records)
        }
    }

    @Test func theSidecarRoundTripsAndSummarises() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-provenance-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let synthetic = directory.appendingPathComponent("capture-SOLUSDT-2025-06-01.jsonl").path
        let real = directory.appendingPathComponent("capture-SOLUSDT-2025-06-02.jsonl.gz").path
        let unknown = directory.appendingPathComponent("other.jsonl").path
        #expect(CaptureProvenance.sidecarPath(for: synthetic) == directory.appendingPathComponent("capture-SOLUSDT-2025-06-01.source.json").path)
        #expect(CaptureProvenance.sidecarPath(for: real) == directory.appendingPathComponent("capture-SOLUSDT-2025-06-02.source.json").path)
        let sim = CaptureProvenance(recorder: "quorum collect-book", exchange: CaptureProvenance.simulatorName, rest: "http://127.0.0.1:1", streams: "ws://127.0.0.1:1", syntheticBooks: true, filesBy: "event-time")
        try sim.write(besides: synthetic)
        var binance = sim
        binance.exchange = "binance"
        binance.syntheticBooks = false
        try binance.write(besides: real)
        #expect(try CaptureProvenance.read(besides: synthetic) == sim)
        let summary = try CaptureProvenance.summary(of: [synthetic, real, unknown])
        #expect(summary.synthetic == [synthetic] && summary.recorded == [real] && summary.unknown == [unknown] && summary.anySynthetic)
        // A sidecar that is not one is an error, not "unknown": it could hide synthetic books.
        try "{not json".write(toFile: CaptureProvenance.sidecarPath(for: unknown), atomically: true, encoding: .utf8)
        #expect(throws: CaptureProvenance.ProvenanceError.self) { try CaptureProvenance.summary(of: [unknown]) }
    }
}
