import Binance
import Capture
import Domain
import Foundation
import OrderBook
import TestKit
import Testing

/// The capture files under ../shared/data/orderbook.
enum Captures {
    static var root: URL? { RepositoryPaths.shared?.appendingPathComponent("data/orderbook") }
    static func path(_ relative: String) -> String { root!.appendingPathComponent(relative).path }
    static var btcusdt: [String] { ["hftbacktest/spot/btcusdt_20240808.gz", "hftbacktest/spot/btcusdt_20240809.gz"].map(path) }
    static var ethusdt: [String] { ["hftbacktest/spot/ethusdt_20240808.gz", "hftbacktest/spot/ethusdt_20240809.gz"].map(path) }
    static var cryptofeedSingle: [String] { [path("cryptofeed/BINANCE-ee25be.0.txt")] }
    static var cryptofeedPair: [String] { ["cryptofeed/BINANCE.ws.1.0.txt", "cryptofeed/BINANCE.http.0.0.txt"].map(path) }

    /// Every input of a capture, decoded, in order.
    static func inputs(_ files: [String]) throws -> [BookVerifier.Input] {
        try CaptureReader(files: files).compactMap { try CaptureDecoder.input($0) }
    }
}

let sharedData = Testing.ConditionTrait.enabled(if: RepositoryPaths.shared != nil, Comment(rawValue: RepositoryPaths.sharedMissingReason ?? ""))

func verified(_ inputs: [BookVerifier.Input]) -> BookVerifier.SymbolReport {
    var verifier = BookVerifier()
    for input in inputs { verifier.handle(input) }
    return verifier.reports[0]
}

@Suite(.serialized) struct CaptureVerifyTests {
    @Test(sharedData, arguments: [
        ("BTCUSDT 2024-08-08", ["hftbacktest/spot/btcusdt_20240808.gz"], 550),
        ("ETHUSDT 2024-08-08", ["hftbacktest/spot/ethusdt_20240808.gz"], 560),
        ("BTCUSDT 2024-08-08 + 08-09", ["hftbacktest/spot/btcusdt_20240808.gz", "hftbacktest/spot/btcusdt_20240809.gz"], 1050),
        ("ETHUSDT 2024-08-08 + 08-09", ["hftbacktest/spot/ethusdt_20240808.gz", "hftbacktest/spot/ethusdt_20240809.gz"], 1040),
        ("cryptofeed ws + http", ["cryptofeed/BINANCE.ws.1.0.txt", "cryptofeed/BINANCE.http.0.0.txt"], 25),
    ])
    func everyReachedBookTickerMatches(name: String, files: [String], minimumMatched: Int) throws {
        let report = try CaptureReplay.verify(files: files.map(Captures.path))
        #expect(report.verdict.passed, "\(name): \(report.verdict.reason)")
        #expect(report.problemCount == 0 && report.decodeErrorCount == 0)
        #expect(report.mismatched == 0)
        #expect(report.matched >= minimumMatched, "\(name): \(report.matched) matched")
        for symbol in report.symbols {
            #expect(symbol.synchronizer.gaps == 0 && symbol.synchronizer.resyncs == 0 && symbol.synchronizer.snapshotsAccepted == 1, "\(name) \(symbol.symbol)")
        }
    }

    @Test(sharedData) func theHftbacktestDaysContinueEachOther() throws {
        let report = try CaptureReplay.verify(files: Captures.btcusdt)
        let btc = try #require(report.symbols.first)
        // One snapshot at the start of 08-08; 08-09 continues without a gap.
        #expect(btc.synchronizer.diffsApplied > 6400 && btc.synchronizer.staleIgnored == 0 && btc.isSynchronized)
        #expect(btc.bookTickers == 73_174)
    }

    @Test(sharedData) func cryptofeedWithoutBookTickersChecksContinuity() throws {
        let report = try CaptureReplay.verify(files: Captures.cryptofeedSingle)
        #expect(report.verdict.passed, "\(report.verdict.reason)")
        #expect(report.bookTickerRecords == 0)
        #expect(report.symbols.map(\.symbol) == ["BTCUSDT", "DOTUSDT", "ETHUSDT"])
        for symbol in report.symbols {
            #expect(symbol.synchronizer.snapshotsAccepted == 1 && symbol.synchronizer.gaps == 0 && symbol.synchronizer.diffsApplied > 850)
            #expect(symbol.bidLevels > 900 && symbol.askLevels > 900)
        }
    }

    @Test(sharedData) func theBoundaryEventOfTheCryptofeedCaptureNeedsTheContiguousRule() throws {
        // NKNUSDT's snapshot (499869752) is followed by an event starting at 499869753.
        var strict = BookVerifier.Configuration()
        strict.synchronizer.strictFirstEvent = true
        let report = try CaptureReplay.verify(files: Captures.cryptofeedPair, configuration: strict)
        let nkn = try #require(report.symbols.first { $0.symbol == "NKNUSDT" })
        #expect(nkn.synchronizer.snapshotsNotFollowed == 1 && nkn.synchronizer.snapshotsAccepted == 0)
    }

    @Test(sharedData, arguments: ["hftbacktest/usdm/btcusdt_20240808.gz", "hftbacktest/usdm/ethusdt_20240808.gz"])
    func usdmFuturesChainOnPu(file: String) throws {
        var futures = BookVerifier.Configuration()
        futures.synchronizer.market = .usdMFutures
        let report = try CaptureReplay.verify(files: [Captures.path(file)], configuration: futures)
        #expect(report.verdict.passed, "\(file): \(report.verdict.reason)")
        #expect(report.matched > 100 && report.symbols[0].synchronizer.gaps == 0)
    }

    @Test(sharedData) func aCaptureConvertedToQuorumsFormatVerifiesTheSame() throws {
        let dir = try TemporaryDirectory()
        let out = dir.path("btcusdt.jsonl.gz")
        let writer = try CaptureWriter(path: out)
        for record in try CaptureReader(files: Captures.btcusdt) { try writer.write(record) }
        try writer.close()
        let original = try CaptureReplay.verify(files: Captures.btcusdt)
        let converted = try CaptureReplay.verify(files: [out])
        #expect(converted.formats == [.quorum])
        #expect(converted.records == original.records && converted.matched == original.matched && converted.verdict.passed)
    }

    // MARK: - Faults injected into a real capture

    /// The clean capture's book right after the diff at `index`, as a REST snapshot would give it.
    static func trueSnapshot(_ inputs: [BookVerifier.Input], afterInput index: Int) -> DepthSnapshot {
        var verifier = BookVerifier()
        for input in inputs[...index] { verifier.handle(input) }
        let sync = verifier.synchronizer(for: "BTCUSDT")!
        precondition(sync.isSynchronized)
        return sync.book.depthSnapshot()
    }

    /// Indices of the diffs in `inputs`.
    static func diffIndices(_ inputs: [BookVerifier.Input]) -> [Int] {
        inputs.indices.filter { if case .diff = inputs[$0] { return true } else { return false } }
    }

    @Test(sharedData, arguments: ["drop", "reorder", "drop several"])
    func aLostOrReorderedDiffIsDetectedAndTheBookResyncs(fault: String) throws {
        let inputs = try Captures.inputs([Captures.btcusdt[0]])
        let clean = verified(inputs)
        let diffs = Self.diffIndices(inputs)
        var faulty = inputs
        let at = diffs[1500]
        // A fresh snapshot fetched 30 diffs after the fault, when the shell reacts to `needSnapshot`.
        let resyncAfter = diffs[1530]
        faulty.insert(.snapshot(Self.trueSnapshot(inputs, afterInput: resyncAfter)), at: resyncAfter + 1)
        switch fault {
        case "drop": faulty.remove(at: at)
        case "drop several": faulty.removeSubrange(at...diffs[1503])
        default: faulty.swapAt(at, diffs[1501])
        }
        let report = verified(faulty)
        #expect(report.synchronizer.gaps == 1 && report.synchronizer.resyncs == 1 && report.synchronizer.snapshotsAccepted == 2)
        #expect(report.mismatched == 0, "\(report.mismatches)")
        // Only the points inside the out-of-sync window are lost: the rebuilt book matches again after it.
        #expect(report.matched >= clean.matched - 15 && report.matched < clean.matched, "\(report.matched) of \(clean.matched)")
        #expect(report.isSynchronized && report.finalUpdateID == clean.finalUpdateID)
    }

    @Test(sharedData) func duplicatedDiffsAreHarmless() throws {
        let inputs = try Captures.inputs([Captures.btcusdt[0]])
        let clean = verified(inputs)
        let diffs = Self.diffIndices(inputs)
        var faulty = inputs
        // Repeat a diff at once (u == local: applied again, same result) and an old one later (stale).
        faulty.insert(inputs[diffs[2000]], at: diffs[2000] + 1)
        faulty.insert(inputs[diffs[1000]], at: diffs[1100] + 2)
        let report = verified(faulty)
        #expect(report.synchronizer.resyncs == 0 && report.synchronizer.staleIgnored == 1)
        #expect(report.matched == clean.matched && report.mismatched == 0)
    }

    @Test(sharedData) func aCorruptedQuantityIsCaughtByTheBookTickers() throws {
        let inputs = try Captures.inputs([Captures.btcusdt[0]])
        let diffs = Self.diffIndices(inputs)
        var faulty = inputs
        // Give the best bid one more unit (1e-8) in an event whose final id a bookTicker reports:
        // exactness is what makes the cross-check worth having.
        var tickers: [Int64: BookTicker] = [:]
        for input in inputs { if case .bookTicker(let t) = input { tickers[t.updateID] = t } }
        let target = try #require(diffs[500...].first { index in
            if case .diff(let u) = inputs[index] { return tickers[u.finalUpdateID] != nil } else { return false }
        })
        guard case .diff(var update) = faulty[target] else { return }
        let ticker = tickers[update.finalUpdateID]!
        update.bids.append(PriceLevel(price: ticker.bidPrice, quantity: ticker.bidQuantity + Quantity(units: 1)))
        faulty[target] = .diff(update)
        let report = verified(faulty)
        #expect(report.mismatched > 0 && report.mismatches.first != nil)
    }
}
