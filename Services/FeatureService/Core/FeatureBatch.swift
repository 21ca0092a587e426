import Domain
import Foundation

/// Whole columns in, whole columns out: the features of one series (one symbol, one interval) with
/// exactly `FeatureServiceCore`'s values, for research on millions of bars.
///
/// It follows the core row by row: the same drops (duplicate / out-of-order / misaligned open times),
/// the same restart at every gap (or, with `maxInterpolatedGap`, the same made-up bars), and the same
/// `Indicator` code, but runs each indicator over a whole gap-free segment in one call (`Indicator.run`).
/// The values are therefore bit-for-bit the streaming ones: `complete[row]` is true exactly where the
/// core emits a vector, and there `columns[j][row]` equals the vector's value j.
public enum FeatureBatch {
    /// The bars of one series, as parallel columns.
    public struct Bars: Sendable {
        /// Open times in milliseconds since the epoch.
        public var openTimes: [Int64]
        public var open: [Double]
        public var high: [Double]
        public var low: [Double]
        public var close: [Double]
        public var volume: [Double]

        public init(openTimes: [Int64], open: [Double], high: [Double], low: [Double], close: [Double], volume: [Double]) {
            self.openTimes = openTimes
            self.open = open
            self.high = high
            self.low = low
            self.close = close
            self.volume = volume
        }

        /// The closed klines' columns, in the given order (open klines are skipped, as the core ignores them).
        public init(klines: [Kline]) {
            let closed = klines.filter(\.isClosed)
            self.init(
                openTimes: closed.map(\.openTime.milliseconds), open: closed.map(\.open.doubleValue),
                high: closed.map(\.high.doubleValue), low: closed.map(\.low.doubleValue),
                close: closed.map(\.close.doubleValue), volume: closed.map(\.volume.doubleValue)
            )
        }

        public var count: Int { openTimes.count }
    }

    /// Missing bars before `row`: the series restarted there, or (`interpolated`) they were made up.
    public struct Gap: Sendable, Hashable {
        public var row: Int
        public var missingBars: Int
        public var interpolated: Bool
    }

    /// A row the core would drop, and why.
    public struct Drop: Sendable, Hashable {
        public var row: Int
        public var reason: String
    }

    public struct Result: Sendable {
        /// The configuration's output names.
        public var names: [String]
        /// `columns[j][row]`: output j at input row; NaN where undefined (warm-up after a start or a
        /// restart, dropped rows, NaN from a transform).
        public var columns: [[Double]]
        /// True where the streaming core emits a vector for the row.
        public var complete: [Bool]
        public var gaps: [Gap]
        public var drops: [Drop]
    }

    public enum Error: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        case columnLengths(String)

        public var description: String {
            switch self {
            case .columnLengths(let detail): "bar columns differ in length: \(detail)"
            }
        }
    }

    /// A run of bars fed to fresh indicators: input rows, or (with interpolation or drops) a compact copy.
    private struct Segment: Sendable {
        var firstRow: Int
        var endRow: Int
        /// Input row of each fed bar, −1 for a made-up one; nil when the segment is the rows firstRow..<endRow.
        var rows: [Int]?
        var bars: [BarValues] = []
    }

    /// Rows × features from which the columns are computed on several threads (one column per
    /// task): below it the threads cost more than they save.
    public static let parallelCells = 250_000

    /// - Parameter parallel: compute the columns on several threads when the input is large
    ///   (``parallelCells``). Each column is computed by exactly the same code either way, so the
    ///   values are the same bits.
    public static func compute(
        _ bars: Bars, interval: Interval, configuration: FeatureServiceCore.Configuration, parallel: Bool = true
    ) throws(Error) -> Result {
        let n = bars.count
        let lengths = [bars.open.count, bars.high.count, bars.low.count, bars.close.count, bars.volume.count]
        guard lengths.allSatisfy({ $0 == n }) else {
            throw .columnLengths("openTimes \(n), open \(lengths[0]), high \(lengths[1]), low \(lengths[2]), close \(lengths[3]), volume \(lengths[4])")
        }
        let width = configuration.specs.count
        var gaps: [Gap] = [], drops: [Drop] = []
        let segments = split(bars, interval: interval, configuration: configuration, gaps: &gaps, drops: &drops)
        let lookback = configuration.warmupBars(for: interval) - 1
        var complete = [Bool](repeating: false, count: n)
        for segment in segments {
            if let rows = segment.rows {
                for (index, row) in rows.enumerated() where row >= 0 && index >= lookback { complete[row] = true }
            } else if segment.endRow - segment.firstRow > lookback {
                for row in (segment.firstRow + lookback)..<segment.endRow { complete[row] = true }
            }
        }
        // When every row is fed in place (no drop, no made-up bar), the indicators write every value:
        // the columns need no NaN fill first.
        let everyRowWritten = drops.isEmpty && segments.allSatisfy { $0.rows == nil }
        let columns: [[Double]]
        if parallel && width > 1 && n * width >= parallelCells {
            let slots = ColumnSlots(count: width)
            DispatchQueue.concurrentPerform(iterations: width) { j in
                slots.store(column(j, bars, segments: segments, configuration: configuration, interval: interval, everyRowWritten: everyRowWritten), at: j)
            }
            columns = slots.columns
        } else {
            columns = (0..<width).map { column($0, bars, segments: segments, configuration: configuration, interval: interval, everyRowWritten: everyRowWritten) }
        }
        var result = Result(names: configuration.features, columns: columns, complete: complete, gaps: gaps, drops: drops)
        applyTransforms(configuration, to: &result)
        return result
    }

    /// Output j over every segment, in a fresh column.
    private static func column(
        _ j: Int, _ bars: Bars, segments: [Segment], configuration: FeatureServiceCore.Configuration, interval: Interval, everyRowWritten: Bool
    ) -> [Double] {
        let n = bars.count
        var out = everyRowWritten
            ? [Double](unsafeUninitializedCapacity: n) { _, initialized in initialized = n }
            : [Double](repeating: .nan, count: n)
        let spec = configuration.specs[j]
        out.withUnsafeMutableBufferPointer { out in
        bars.open.withUnsafeBufferPointer { open in
        bars.high.withUnsafeBufferPointer { high in
        bars.low.withUnsafeBufferPointer { low in
        bars.close.withUnsafeBufferPointer { close in
        bars.volume.withUnsafeBufferPointer { volume in
            let input = BarColumnPointers(
                open: open.baseAddress ?? UnsafePointer(bitPattern: 8)!, high: high.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                low: low.baseAddress ?? UnsafePointer(bitPattern: 8)!, close: close.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                volume: volume.baseAddress ?? UnsafePointer(bitPattern: 8)!
            )
            for segment in segments {
                var indicator = spec.makeIndicator(interval: interval, volatility: configuration.volatility)
                if let rows = segment.rows {
                    run(&indicator, segment.bars, rows: rows, into: out)
                } else {
                    indicator.run(input.advanced(by: segment.firstRow), count: segment.endRow - segment.firstRow, into: out.baseAddress! + segment.firstRow)
                }
            }
        }}}}}}
        return out
    }

    /// Columns finished by concurrent tasks, each stored once in its own slot.
    private final class ColumnSlots: @unchecked Sendable {
        private let lock = NSLock()
        private var slots: [[Double]?]

        init(count: Int) { slots = Array(repeating: nil, count: count) }

        func store(_ column: [Double], at index: Int) {
            lock.lock()
            slots[index] = column
            lock.unlock()
        }

        var columns: [[Double]] {
            lock.lock()
            defer { lock.unlock() }
            return slots.map { $0! }
        }
    }

    /// Splits the rows as the core's `step` does: drops, gaps that restart, gaps that are filled.
    private static func split(
        _ bars: Bars, interval: Interval, configuration: FeatureServiceCore.Configuration, gaps: inout [Gap], drops: inout [Drop]
    ) -> [Segment] {
        guard bars.count > 0 else { return [] }
        var segments: [Segment] = []
        let step = interval.milliseconds
        func values(_ row: Int) -> BarValues {
            BarValues(open: bars.open[row], high: bars.high[row], low: bars.low[row], close: bars.close[row], volume: bars.volume[row])
        }
        /// Makes a segment a compact copy (before it takes a made-up bar or skips a dropped row).
        func materialize(_ segment: inout Segment) {
            guard segment.rows == nil else { return }
            segment.rows = Array(segment.firstRow..<segment.endRow)
            segment.bars = (segment.firstRow..<segment.endRow).map(values)
        }
        var current = Segment(firstRow: 0, endRow: 1)
        var lastRow = 0
        bars.openTimes.withUnsafeBufferPointer { times in
            for row in 1..<times.count {
                let delta = times[row] - times[lastRow]
                // The common case: the next bar, right after the last one, in a segment fed in place.
                if delta == step && current.rows == nil && current.endRow == row {
                    current.endRow = row + 1
                    lastRow = row
                    continue
                }
                guard delta > 0 else {
                    drops.append(Drop(row: row, reason: "duplicate_or_out_of_order"))
                    continue
                }
                guard delta % step == 0 else {
                    drops.append(Drop(row: row, reason: "misaligned_open_time"))
                    continue
                }
                let missing = Int(delta / step) - 1
                let target = values(row)
                if missing > 0 {
                    if let maxGap = configuration.maxInterpolatedGap, missing <= maxGap {
                        gaps.append(Gap(row: row, missingBars: missing, interpolated: true))
                        materialize(&current)
                        let last = values(lastRow)
                        for j in 1...missing {
                            current.rows!.append(-1)
                            current.bars.append(FeatureServiceCore.interpolated(from: last, to: target, missing: missing, step: j))
                        }
                    } else {
                        gaps.append(Gap(row: row, missingBars: missing, interpolated: false))
                        segments.append(current)
                        current = Segment(firstRow: row, endRow: row + 1)
                        lastRow = row
                        continue
                    }
                }
                if current.endRow != row { materialize(&current) }
                if current.rows != nil {
                    current.rows!.append(row)
                    current.bars.append(target)
                }
                current.endRow = row + 1
                lastRow = row
            }
        }
        segments.append(current)
        return segments
    }

    /// A compact segment: run over its bars, then scatter the values of real rows back.
    private static func run(_ indicator: inout any Indicator, _ segmentBars: [BarValues], rows: [Int], into out: UnsafeMutableBufferPointer<Double>) {
        let count = segmentBars.count
        var scratch = [Double](repeating: .nan, count: count)
        let open = segmentBars.map(\.open), high = segmentBars.map(\.high), low = segmentBars.map(\.low)
        let close = segmentBars.map(\.close), volume = segmentBars.map(\.volume)
        open.withUnsafeBufferPointer { o in high.withUnsafeBufferPointer { h in low.withUnsafeBufferPointer { l in
        close.withUnsafeBufferPointer { c in volume.withUnsafeBufferPointer { v in
            let columns = BarColumnPointers(open: o.baseAddress!, high: h.baseAddress!, low: l.baseAddress!, close: c.baseAddress!, volume: v.baseAddress!)
            scratch.withUnsafeMutableBufferPointer { indicator.run(columns, count: count, into: $0.baseAddress!) }
        }}}}}
        for (index, row) in rows.enumerated() where row >= 0 { out[row] = scratch[index] }
    }

    /// The sets' per-bar transforms, row by row (the vector's raw values in, transformed values out).
    private static func applyTransforms(_ configuration: FeatureServiceCore.Configuration, to result: inout Result) {
        guard !configuration.transforms.isEmpty else { return }
        let width = configuration.specs.count
        var vector = [Double](repeating: .nan, count: width)
        for row in 0..<result.complete.count {
            for j in 0..<width { vector[j] = result.columns[j][row] }
            vector.withUnsafeMutableBufferPointer { configuration.transform($0) }
            for j in 0..<width { result.columns[j][row] = vector[j] }
        }
    }
}
