import Domain
import Foundation
import OrderFlow

/// Order-flow bars of one symbol as the research stages take them: what `OrderFlowReplay.bars`
/// computed from the captures (Shared/OrderFlowCapture), with the files it read. Kept free of file
/// I/O so that the research code stays pure; the CLI replays the captures.
public struct OrderFlowBars: Sendable {
    /// The columns of every bar's `values` (`OrderFlowConfiguration.names`).
    public var names: [String]
    /// Closed bars in open-time order.
    public var bars: [OrderFlowBar]
    /// The bar length (the config's `freq` of the order-flow set).
    public var barMilliseconds: Int64
    /// The capture files read, in order.
    public var files: [String]

    public init(names: [String], bars: [OrderFlowBar], barMilliseconds: Int64, files: [String] = []) {
        self.names = names
        self.bars = bars
        self.barMilliseconds = barMilliseconds
        self.files = files
    }

    /// Open time of the first and last bar.
    public var span: ClosedRange<Timestamp>? {
        guard let first = bars.first, let last = bars.last else { return nil }
        return first.openTime...last.openTime
    }
}

/// Order-flow bars joined to klines by bar open time: row i gets the bar whose open time is
/// `klines[i].openTime`, and only a bar whose book was valid for its whole length gives values.
/// Everything else is NaN (never zero, never interpolated) and counted.
public struct OrderFlowJoin: Sendable {
    /// The joined features, in order.
    public var names: [String]
    /// Per kline row: the values of `names` (NaN where undefined).
    public var values: [[Double]]
    /// Per kline row: every value of `names` is defined.
    public var complete: [Bool]
    public var statistics: Statistics
    public var files: [String]

    public struct Statistics: Sendable, Hashable {
        /// Order-flow bars read from the captures.
        public var bars = 0
        /// Kline rows from the first to the last captured bar (the span the captures cover).
        public var rowsInSpan = 0
        /// Rows whose bar had a valid book for its whole length.
        public var rowsWithBook = 0
        /// Rows whose bar exists but whose book was not valid for all of it (first sync, a resync, a gap).
        public var rowsWithInvalidBook = 0
        /// Rows inside the span without any bar (the capture stopped or stalled).
        public var rowsWithoutBar = 0
        /// Rows with a valid book but some requested value undefined (e.g. `effective_spread` in a bar
        /// without trades).
        public var rowsWithUndefinedValue = 0
        /// Rows with every requested value defined.
        public var completeRows = 0
        /// Bars whose open time is no kline's (a hole in the klines): not used.
        public var barsWithoutKline = 0
    }

    public init(klines: [Kline], names: [String], bars source: OrderFlowBars) throws(ResearchMatrix.Error) {
        var problems: [String] = []
        if let interval = klines.first?.interval, interval.milliseconds != source.barMilliseconds {
            problems.append("the order-flow bars are \(source.barMilliseconds) ms long but the klines are \(interval.name) bars: the feature set's freq must be the config's freq")
        }
        var columns: [Int] = []
        for name in names {
            if let c = source.names.firstIndex(of: name) { columns.append(c) } else { problems.append("\(name) is not computed by the order-flow feature set (it computes \(source.names.joined(separator: ", ")))") }
        }
        guard problems.isEmpty else { throw .orderFlow(problems.joined(separator: "; ")) }

        var byOpen: [Int64: Int] = [:]
        byOpen.reserveCapacity(source.bars.count)
        for (i, bar) in source.bars.enumerated() { byOpen[bar.openTime.milliseconds] = i }
        var statistics = Statistics()
        statistics.bars = source.bars.count
        let missing = [Double](repeating: .nan, count: names.count)
        var values = [[Double]](repeating: missing, count: klines.count)
        var complete = [Bool](repeating: false, count: klines.count)
        let span = source.span
        var used = 0
        for (row, kline) in klines.enumerated() {
            let inSpan = span?.contains(kline.openTime) ?? false
            if inSpan { statistics.rowsInSpan += 1 }
            guard let index = byOpen[kline.openTime.milliseconds] else {
                if inSpan { statistics.rowsWithoutBar += 1 }
                continue
            }
            used += 1
            let bar = source.bars[index]
            guard bar.bookValid else {
                statistics.rowsWithInvalidBook += 1
                continue
            }
            statistics.rowsWithBook += 1
            let picked = columns.map { bar.values[$0] }
            values[row] = picked
            if picked.allSatisfy({ $0.isFinite }) {
                complete[row] = true
                statistics.completeRows += 1
            } else {
                statistics.rowsWithUndefinedValue += 1
            }
        }
        statistics.barsWithoutKline = source.bars.count - used
        self.names = names
        self.values = values
        self.complete = complete
        self.statistics = statistics
        self.files = source.files
    }

    /// One line per fact, for the terminal and the report.
    public var summary: [String] {
        let s = statistics
        return [
            "order flow: \(s.bars) bars from \(files.count) capture file\(files.count == 1 ? "" : "s"); of the \(s.rowsInSpan) bars the captures span, \(s.rowsWithBook) had a valid book, \(s.rowsWithInvalidBook) an invalid one (first sync, resync or gap inside the bar), \(s.rowsWithoutBar) no data; \(s.rowsWithUndefinedValue) valid-book bars lack a value (no trades); \(s.completeRows) bars have every order-flow feature. Bars without them are left out of every model that needs them (never zero-filled or interpolated).",
            "order flow: files read: " + (files.isEmpty ? "none" : files.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")),
        ] + (s.barsWithoutKline > 0 ? ["order flow: \(s.barsWithoutKline) bars fall where the klines have no bar (unused)"] : [])
    }
}
