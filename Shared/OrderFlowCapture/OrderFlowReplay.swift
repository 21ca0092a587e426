import Binance
import Capture
import Domain
import OrderBook
import OrderFlow
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Order-flow bars of one symbol from recorded captures (the config's `gen_features_orderflow`
/// with `orderbook_pattern`, `depths`, `freq`): the files are read in order (`CaptureReader`:
/// Quorum's, hftbacktest's and cryptofeed's formats), the book is synced with Binance's procedure
/// (`BookSynchronizer`), and every applied diff, resync and trade goes to an `OrderFlowAggregator`
/// exactly as the FeatureService shell feeds it from md.depth / md.trade.
///
/// Kept apart from the pure `OrderFlow` target because it reads files (Capture, zlib).
public enum OrderFlowReplay {
    /// Replays `files` (one capture, possibly split into several files) for `symbol` (nil: the
    /// first symbol the capture names). Only closed bars are returned: the bar open when the
    /// capture ends is incomplete and left out (`OrderFlowTable.incompleteBarAtEnd`).
    ///
    /// `synchronizer.market == .usdMFutures` switches the aggregator's own sequence check off (the
    /// synchronizer checks `pu`).
    ///
    /// `until` cuts the capture in event time, as if recording had stopped there: reading ends at
    /// the first diff or trade whose event time is at or after it (that record and everything after
    /// it are left out), then every bar that ends at or before `until` is closed, as the live shell
    /// closes a bar when its kline closes. The lookahead check compares such cut replays with the
    /// whole one.
    public static func bars(
        files: [String], format: CaptureFormat = .auto, symbol: String? = nil,
        configuration: OrderFlowConfiguration, synchronizer syncConfiguration: BookSynchronizer.Configuration = .init(),
        until: Timestamp? = nil
    ) throws(CaptureError) -> OrderFlowTable {
        let reader = try CaptureReader(files: files, format: format, symbol: symbol)
        var configuration = configuration
        if syncConfiguration.market == .usdMFutures { configuration.sequenceCheck = .none }
        var table = OrderFlowTable(names: configuration.names, files: reader.files.map(\.path))
        var chosen = symbol?.uppercased()
        var synchronizer: BookSynchronizer?
        var aggregator: OrderFlowAggregator?
        var lastSnapshot: DepthSnapshot?
        var outputs: [BookSynchronizer.Output] = []
        var bars: [OrderFlowBar] = []

        func start(_ s: String) {
            chosen = s
            synchronizer = BookSynchronizer(symbol: s, configuration: syncConfiguration)
            aggregator = OrderFlowAggregator(symbol: s, configuration: configuration)
        }
        if let chosen { start(chosen) }

        /// Feeds one synchronizer input and passes its outputs on; `time` is the event time of the
        /// diff that caused them (resyncs are dated by it).
        func sync(_ input: BookSynchronizer.Input, time: Timestamp?) {
            outputs.removeAll(keepingCapacity: true)
            synchronizer!.handle(input, into: &outputs)
            for output in outputs {
                switch output {
                case .synchronized(let top):
                    if let snapshot = lastSnapshot, snapshot.lastUpdateID == top.updateID { aggregator!.load(snapshot) }
                case .applied(let update, _):
                    aggregator!.handle(.depth(update), into: &bars)
                case .resynced:
                    aggregator!.handle(.resync(at: time), into: &bars)
                case .needSnapshot, .ignoredStale, .snapshotRejected:
                    break
                }
            }
        }

        reading: for record in reader {
            table.records += 1
            if chosen == nil, let s = CaptureDecoder.symbol(of: record) { start(s) }
            do {
                switch record.kind {
                case .connect:
                    if synchronizer != nil { sync(.streamRestarted, time: nil) }
                case .snapshot:
                    guard let s = record.symbol, s == chosen else { table.otherSymbolRecords += 1; continue }
                    let result: Result<DepthSnapshot, BinanceDecodeError> = record.payload.withUnsafeBytes { bytes in
                        Result { () throws(BinanceDecodeError) in try BinanceDecoder.depthSnapshot(bytes, symbol: s) }
                    }
                    let snapshot = try result.get()
                    lastSnapshot = snapshot
                    sync(.snapshot(snapshot), time: nil)
                case .stream:
                    let result: Result<CombinedStreamMessage, BinanceDecodeError> = record.payload.withUnsafeBytes { bytes in
                        Result { () throws(BinanceDecodeError) in try BinanceDecoder.combined(bytes) }
                    }
                    switch try result.get().event {
                    case .depthUpdate(let update):
                        guard update.symbol == chosen else { table.otherSymbolRecords += 1; continue }
                        if let until, update.eventTime >= until { table.records -= 1; break reading }
                        sync(.diff(update), time: update.eventTime)
                    case .trade(let trade), .aggTrade(let trade):
                        guard trade.symbol == chosen else { table.otherSymbolRecords += 1; continue }
                        if let until, trade.eventTime >= until { table.records -= 1; break reading }
                        aggregator!.handle(.trade(trade), into: &bars)
                    default:
                        break
                    }
                }
            } catch {
                table.decodeErrorCount += 1
                if table.decodeErrors.count < 5 { table.decodeErrors.append("\(record.location): \(error)") }
            }
        }
        if let until, aggregator != nil { aggregator!.handle(.advance(to: until), into: &bars) }
        table.symbol = chosen
        table.bars = bars
        table.problems = reader.problems
        table.problemCount = reader.problemCount
        if let synchronizer { table.synchronizer = synchronizer.statistics }
        if let aggregator {
            table.aggregator = aggregator.statistics
            table.incompleteBarAtEnd = aggregator.openBarTime
        }
        return table
    }

    /// The files a config's `orderbook_pattern` names (shell glob: `*`, `?`, `[...]`), sorted by
    /// name, so day files come in order. Relative patterns are relative to the working directory.
    public static func files(matching pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard glob(pattern, 0, nil, &g) == 0 else { return [] }
        var paths: [String] = []
        for i in 0..<Int(g.gl_pathc) {
            if let p = g.gl_pathv[i] { paths.append(String(cString: p)) }
        }
        return paths.sorted()
    }
}

/// The result of `OrderFlowReplay.bars`: closed bars with their open times, and every count a
/// reader of the features needs to trust them.
public struct OrderFlowTable: Sendable {
    public var names: [String]
    public var files: [String]
    public var symbol: String?
    public var bars: [OrderFlowBar] = []
    public var records = 0
    /// Records about other symbols (multi-symbol captures), skipped.
    public var otherSymbolRecords = 0
    public var problems: [CaptureProblem] = []
    public var problemCount = 0
    public var decodeErrors: [String] = []
    public var decodeErrorCount = 0
    public var synchronizer = BookSynchronizer.Statistics()
    public var aggregator = OrderFlowAggregator.Statistics()
    /// The open time of the bar still open when the capture ended (not in `bars`).
    public var incompleteBarAtEnd: Timestamp?

    public init(names: [String], files: [String]) {
        self.names = names
        self.files = files
    }

    /// Bar open times (ms since the epoch, UTC).
    public var openTimes: [Int64] { bars.map(\.openTime.milliseconds) }
    /// Bars whose book-derived features are NaN (not in sync for the whole bar).
    public var invalidBars: Int { bars.filter { !$0.bookValid }.count }
    /// Resyncs seen inside the emitted bars.
    public var resyncs: Int { aggregator.resyncs }

    /// `open_time,<names...>,book_valid,diffs,trades,resyncs` with one row per bar; NaN as `nan`,
    /// doubles in Swift's shortest round-trip form.
    public func csv() -> String {
        var out = "open_time," + names.joined(separator: ",") + ",book_valid,diffs,trades,resyncs\n"
        for bar in bars {
            out += "\(bar.openTime.milliseconds)"
            for v in bar.values { out += "," + (v.isNaN ? "nan" : "\(v)") }
            out += ",\(bar.bookValid ? 1 : 0),\(bar.diffs),\(bar.trades),\(bar.resyncs)\n"
        }
        return out
    }
}
