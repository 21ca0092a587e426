import Binance
import Domain
import OrderBook

/// Decodes capture records into the verifier's inputs with the Binance decoders.
public enum CaptureDecoder {
    /// The verifier input of a record: a diff, a snapshot, a bookTicker or a reconnection; nil for
    /// messages the book does not use (trades, klines...).
    public static func input(_ record: CaptureRecord) throws(BinanceDecodeError) -> BookVerifier.Input? {
        switch record.kind {
        case .connect:
            return .streamRestarted
        case .snapshot:
            let symbol = record.symbol ?? ""
            let result: Result<DepthSnapshot, BinanceDecodeError> = record.payload.withUnsafeBytes { bytes in
                Result { () throws(BinanceDecodeError) in try BinanceDecoder.depthSnapshot(bytes, symbol: symbol) }
            }
            return .snapshot(try result.get())
        case .stream:
            let result: Result<CombinedStreamMessage, BinanceDecodeError> = record.payload.withUnsafeBytes { bytes in
                Result { () throws(BinanceDecodeError) in try BinanceDecoder.combined(bytes) }
            }
            switch try result.get().event {
            case .depthUpdate(let update): return .diff(update)
            case .bookTicker(let ticker): return .bookTicker(ticker)
            default: return nil
            }
        }
    }

    /// The symbol a record is about, without decoding it: the snapshot's, or the stream name's
    /// prefix (`"stream":"btcusdt@depth"` → BTCUSDT). For attributing decode errors.
    public static func symbol(of record: CaptureRecord) -> String? {
        if let symbol = record.symbol { return symbol }
        return record.payload.withUnsafeBytes { bytes -> String? in
            guard let start = Framing.find(UnsafeRawBufferPointer(rebasing: bytes[0..<min(bytes.count, 64)]), "\"stream\":\"") else { return nil }
            var i = start + 10
            let from = i
            while i < bytes.count, bytes[i] != UInt8(ascii: "@"), bytes[i] != UInt8(ascii: "\"") { i += 1 }
            guard i > from else { return nil }
            return Framing.string(bytes, from..<i).uppercased()
        }
    }
}

/// The result of replaying one capture through `BookVerifier`.
public struct VerifyReport: Sendable {
    public var files: [String]
    public var formats: [CaptureFormat]
    public var records = 0
    public var bookTickerRecords = 0
    /// Lines that were not records (first few) and how many there were.
    public var problems: [CaptureProblem] = []
    public var problemCount = 0
    public var decodeErrors: [String] = []
    public var decodeErrorCount = 0
    public var unattributedDecodeErrors = 0
    public var symbols: [BookVerifier.SymbolReport] = []

    public var matched: Int { symbols.reduce(0) { $0 + $1.matched } }
    public var reached: Int { symbols.reduce(0) { $0 + $1.reached } }
    public var mismatched: Int { symbols.reduce(0) { $0 + $1.mismatched } }

    /// Whether the capture verifies, and why not.
    ///
    /// Passes when nothing was malformed or undecodable, no reached point mismatched, and at least
    /// one point matched. A capture without any bookTicker message (cryptofeed's 2021 BTC/ETH/DOT
    /// sample) has no points to compare: it passes when every symbol with diffs got in sync, applied
    /// diffs, and never saw a gap or a crossed book; the verdict says that only continuity was checked.
    public var verdict: (passed: Bool, reason: String) {
        if problemCount > 0 { return (false, "\(problemCount) malformed line(s)") }
        if decodeErrorCount > 0 { return (false, "\(decodeErrorCount) message(s) could not be decoded") }
        if mismatched > 0 { return (false, "\(mismatched) of \(reached) reached point(s) did not match") }
        if matched > 0 { return (true, "all \(matched) reached point(s) matched") }
        if bookTickerRecords == 0 {
            let books = symbols.filter { $0.synchronizer.diffsReceived > 0 }
            if books.isEmpty { return (false, "no depth diffs") }
            let broken = books.filter { $0.synchronizer.snapshotsAccepted == 0 || $0.synchronizer.diffsApplied == 0 || $0.synchronizer.gaps > 0 || $0.synchronizer.crossed > 0 }
            if broken.isEmpty {
                return (true, "no bookTicker stream in this capture: continuity only (every book in sync, no gap, never crossed)")
            }
            return (false, "no bookTicker stream, and \(broken.map(\.symbol).joined(separator: ", ")) did not stay in sync")
        }
        return (false, "no bookTicker point was reached")
    }
}

/// Replays a capture (one or more files, see `CaptureReader`) through `BookVerifier`.
public enum CaptureReplay {
    public static func verify(
        files: [String], format: CaptureFormat = .auto, symbol: String? = nil, configuration: BookVerifier.Configuration = .init()
    ) throws(CaptureError) -> VerifyReport {
        let reader = try CaptureReader(files: files, format: format, symbol: symbol)
        var verifier = BookVerifier(configuration: configuration)
        var report = VerifyReport(files: reader.files.map(\.path), formats: reader.files.map(\.format))
        for record in reader {
            report.records += 1
            do {
                guard let input = try CaptureDecoder.input(record) else { continue }
                if case .bookTicker = input { report.bookTickerRecords += 1 }
                verifier.handle(input)
            } catch {
                report.decodeErrorCount += 1
                if report.decodeErrors.count < 5 { report.decodeErrors.append("\(record.location): \(error)") }
                verifier.noteDecodeError(symbol: CaptureDecoder.symbol(of: record))
            }
        }
        report.problems = reader.problems
        report.problemCount = reader.problemCount
        report.unattributedDecodeErrors = verifier.unattributedDecodeErrors
        report.symbols = verifier.reports
        return report
    }
}
