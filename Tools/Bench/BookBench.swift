import Binance
import Capture
import Domain
import Foundation
import OrderBook
import TestKit

/// The order book's hot path on real data: decode + apply of every depthUpdate of the hftbacktest
/// spot captures (BTCUSDT and ETHUSDT, 2024-08-08 then 08-09), each event timed on its own, through
/// `BookSynchronizer` (sequence checks included) on a book loaded from the capture's snapshot; the
/// same without the decode (ns per level); and the decode of kline stream messages (cryptofeed).
enum BookBench {
    struct Figures {
        var name: String
        var events = 0
        var levels = 0
        var bookLevels = 0
        /// decode + synchronizer + apply, per event (ns).
        var decodeApply = Samples()
        /// decode only, per event (ns).
        var decode = Samples()
        /// synchronizer + apply only, per event (ns).
        var apply = Samples()
    }

    /// The capture's snapshot and its depthUpdate messages (raw bytes), in order.
    static func load(_ files: [String]) throws -> (snapshot: DepthSnapshot, diffs: [[UInt8]]) {
        var snapshot: DepthSnapshot?
        var diffs: [[UInt8]] = []
        for record in try CaptureReader(files: files, format: .hftbacktest) {
            switch record.kind {
            case .snapshot where snapshot == nil:
                guard case .snapshot(let s)? = try CaptureDecoder.input(record) else { continue }
                snapshot = s
            case .stream:
                if case .diff? = try CaptureDecoder.input(record) { diffs.append(record.payload) }
            default:
                break
            }
        }
        guard let snapshot else { throw CaptureError.invalidRecord("no snapshot in \(files)") }
        return (snapshot, diffs)
    }

    static func measure(name: String, files: [String], runs: Int) throws -> Figures {
        let (snapshot, diffs) = try load(files)
        var figures = Figures(name: name)
        // Events buffered before the snapshot are replayed from the buffer; the timed loop feeds every
        // diff after the snapshot is in, as a live feed does.
        var outputs: [BookSynchronizer.Output] = []
        outputs.reserveCapacity(8)
        var decoded: [DepthUpdate] = []
        for _ in 0..<runs {
            var sync = BookSynchronizer(symbol: snapshot.symbol)
            _ = sync.handle(.diff(try decodeDiff(diffs[0])))
            _ = sync.handle(.snapshot(snapshot))
            decoded.removeAll(keepingCapacity: true)
            for bytes in diffs.dropFirst() {
                try bytes.withUnsafeBytes { raw in
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    let message = try BinanceDecoder.combined(raw)
                    guard case .depthUpdate(let update) = message.event else { return }
                    outputs.removeAll(keepingCapacity: true)
                    sync.handle(.diff(update), into: &outputs)
                    let t1 = DispatchTime.now().uptimeNanoseconds
                    figures.decodeApply.add(Double(t1 - t0))
                    decoded.append(update)
                }
            }
            precondition(sync.isSynchronized && sync.statistics.gaps == 0, "bench replay lost sync")
            figures.bookLevels = sync.book.count(.bid) + sync.book.count(.ask)
            // Decode only.
            for bytes in diffs.dropFirst() {
                try bytes.withUnsafeBytes { raw in
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    let message = try BinanceDecoder.combined(raw)
                    let t1 = DispatchTime.now().uptimeNanoseconds
                    if case .depthUpdate = message.event { figures.decode.add(Double(t1 - t0)) }
                }
            }
            // Apply only (already decoded).
            var again = BookSynchronizer(symbol: snapshot.symbol)
            _ = again.handle(.diff(try decodeDiff(diffs[0])))
            _ = again.handle(.snapshot(snapshot))
            for update in decoded {
                let t0 = DispatchTime.now().uptimeNanoseconds
                outputs.removeAll(keepingCapacity: true)
                again.handle(.diff(update), into: &outputs)
                let t1 = DispatchTime.now().uptimeNanoseconds
                figures.apply.add(Double(t1 - t0))
            }
        }
        figures.events = decoded.count
        figures.levels = decoded.reduce(0) { $0 + $1.bids.count + $1.asks.count }
        return figures
    }

    static func decodeDiff(_ bytes: [UInt8]) throws -> DepthUpdate {
        let message = try bytes.withUnsafeBytes { try BinanceDecoder.combined($0) }
        guard case .depthUpdate(let update) = message.event else { throw CaptureError.invalidRecord("not a depthUpdate") }
        return update
    }

    /// ns per kline stream message (cryptofeed's BTC/ETH/DOT capture), median of `runs` passes.
    static func klineDecode(file: String, runs: Int) throws -> (messages: Int, nanoseconds: Double) {
        var klines: [[UInt8]] = []
        for record in try CaptureReader(files: [file]) where record.kind == .stream && record.text.contains("@kline_") {
            klines.append(record.payload)
        }
        guard !klines.isEmpty else { return (0, .nan) }
        var decodedCount = 0
        let repeats = max(1, 20_000 / klines.count)
        let ns = try medianTime(runs: runs) {
            for _ in 0..<repeats {
                for bytes in klines {
                    let message = try bytes.withUnsafeBytes { try BinanceDecoder.combined($0) }
                    if case .kline = message.event { decodedCount += 1 }
                }
            }
        }
        precondition(decodedCount > 0)
        return (klines.count, ns / Double(repeats * klines.count))
    }

    /// The benchmark as markdown lines (quorum-bench `book`); empty with a note when ../shared is absent.
    static func run(runs: Int = 5) throws -> [String] {
        guard let shared = RepositoryPaths.shared else { return ["\n## Order book: skipped (../shared is absent)"] }
        let root = shared.appendingPathComponent("data/orderbook")
        func path(_ p: String) -> String { root.appendingPathComponent(p).path }
        var out: [String] = []
        out.append("\n## Order book: decode + apply of real depthUpdate events (hftbacktest spot, 2024-08-08 + 08-09, each event timed, \(runs) passes)")
        out.append("| capture | events | levels/event | book levels | decode + apply median | p99 | decode only median | apply only median | apply ns/level |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        for symbol in ["btcusdt", "ethusdt"] {
            let f = try measure(
                name: symbol.uppercased(),
                files: [path("hftbacktest/spot/\(symbol)_20240808.gz"), path("hftbacktest/spot/\(symbol)_20240809.gz")], runs: runs
            )
            let perEvent = Double(f.levels) / Double(max(1, f.events))
            out.append(String(
                format: "| %@ | %d | %.1f | %d | %.2f µs | %.2f µs | %.2f µs | %.2f µs | %.0f ns |",
                f.name, f.events, perEvent, f.bookLevels, f.decodeApply.median / 1000, f.decodeApply.percentile(99) / 1000,
                f.decode.median / 1000, f.apply.median / 1000, f.apply.median / perEvent
            ))
        }
        let kline = try klineDecode(file: path("cryptofeed/BINANCE-ee25be.0.txt"), runs: runs)
        out.append("\n| kline stream message decode (cryptofeed, \(kline.messages) messages) | \(String(format: "%.0f ns", kline.nanoseconds)) per message |")
        out.append("|---|---|")
        return out
    }
}
