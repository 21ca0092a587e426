import Domain

/// Aggregates klines into a coarser interval exactly as Binance builds its own (5m → 15m): a bucket
/// starts at the open time aligned down to the target interval (epoch-aligned; weeks start on
/// Monday 00:00 UTC like Binance's `1w`), open = the first bar's open, close = the last bar's close,
/// high = max, low = min, volumes and trade counts summed exactly (an optional field is nil when
/// any member lacks it), close time = bucket start + interval − 1 ms.
///
/// A bucket with any sub-bar missing is not emitted: it would be a bar Binance never printed. It is
/// counted in the report with its open time.
public enum KlineResampler {
    /// What resampling did.
    public struct ResampleReport: Sendable, Hashable, CustomStringConvertible {
        public var source: Interval?
        public var target: Interval
        public var inputBars: Int
        public var emittedBars: Int
        /// Buckets dropped because sub-bars were missing: open time and how many of the expected were present.
        public var incompleteBuckets: [(openTime: Timestamp, present: Int, expected: Int)] {
            zip(incompleteOpenTimes, incompletePresent).map { ($0, $1, expectedPerBucket) }
        }
        public var incompleteOpenTimes: [Timestamp]
        var incompletePresent: [Int]
        public var expectedPerBucket: Int
        /// Emitted bars whose quote or taker volume sum exceeded Decimal8's range (left nil).
        public var overflowedSums: Int = 0

        public var description: String {
            var text = "resampled \(inputBars) \(source?.name ?? "?") bars into \(emittedBars) \(target.name) bars"
            if !incompleteOpenTimes.isEmpty {
                let shown = incompleteOpenTimes.prefix(3).map(\.description).joined(separator: ", ")
                text += "; dropped \(incompleteOpenTimes.count) incomplete bucket\(incompleteOpenTimes.count == 1 ? "" : "s") (\(shown)\(incompleteOpenTimes.count > 3 ? ", …" : ""))"
            }
            return text
        }
    }

    public enum ResampleError: Error, Sendable, Hashable, CustomStringConvertible {
        case notADivisor(source: Interval, target: Interval)
        case mixedSeries(index: Int)
        case notIncreasing(index: Int, openTime: Timestamp)
        case misaligned(index: Int, openTime: Timestamp, interval: Interval)
        /// The bucket's volume is beyond Decimal8's range (about 92 billion units).
        case volumeOverflow(openTime: Timestamp)

        public var description: String {
            switch self {
            case .notADivisor(let source, let target):
                "cannot resample \(source) bars into \(target): the target must be a whole multiple of the source interval"
            case .mixedSeries(let index):
                "kline \(index) belongs to another symbol or interval than the first"
            case .notIncreasing(let index, let openTime):
                "kline \(index) (open \(openTime)) is not after the previous one: open times must increase"
            case .misaligned(let index, let openTime, let interval):
                "kline \(index) opens at \(openTime), not on a \(interval) boundary"
            case .volumeOverflow(let openTime):
                "the volume of the bar opening at \(openTime) exceeds Decimal8's range"
            }
        }
    }

    /// Monday 1970-01-05 00:00 UTC: Binance's weekly klines start on Mondays.
    static let weekOrigin: Int64 = 4 * 86_400_000

    /// The open time of the target bar containing `time`.
    public static func bucketStart(_ time: Timestamp, interval: Interval) -> Timestamp {
        let origin: Int64 = interval.name == "1w" ? weekOrigin : 0
        let ms = time.milliseconds - origin
        let size = interval.milliseconds
        let floor = ms >= 0 ? ms / size * size : -((-ms + size - 1) / size) * size
        return Timestamp(milliseconds: floor + origin)
    }

    /// Whether `source` bars can be aggregated into `target` ones (nil) or why not.
    public static func check(source: Interval, target: Interval) -> String? {
        guard target.milliseconds >= source.milliseconds, target.milliseconds % source.milliseconds == 0 else {
            return ResampleError.notADivisor(source: source, target: target).description
        }
        return nil
    }

    /// Resamples one series (ascending open times, one symbol and interval). Same interval → unchanged.
    public static func resample(_ klines: [Kline], to target: Interval) throws(ResampleError) -> (klines: [Kline], report: ResampleReport) {
        guard let first = klines.first else {
            return ([], ResampleReport(source: nil, target: target, inputBars: 0, emittedBars: 0, incompleteOpenTimes: [], incompletePresent: [], expectedPerBucket: 0))
        }
        let source = first.interval
        guard check(source: source, target: target) == nil else { throw .notADivisor(source: source, target: target) }
        let perBucket = Int(target.milliseconds / source.milliseconds)
        for (i, k) in klines.enumerated() {
            guard k.interval == source, k.symbol == first.symbol else { throw .mixedSeries(index: i) }
            if i > 0, k.openTime <= klines[i - 1].openTime { throw .notIncreasing(index: i, openTime: k.openTime) }
            if bucketStart(k.openTime, interval: source) != k.openTime { throw .misaligned(index: i, openTime: k.openTime, interval: source) }
        }
        var report = ResampleReport(source: source, target: target, inputBars: klines.count, emittedBars: 0, incompleteOpenTimes: [], incompletePresent: [], expectedPerBucket: perBucket)
        if source == target {
            report.emittedBars = klines.count
            return (klines, report)
        }
        var result: [Kline] = []
        result.reserveCapacity(klines.count / perBucket + 1)
        var start = 0
        while start < klines.count {
            let bucket = bucketStart(klines[start].openTime, interval: target)
            var end = start
            while end < klines.count, bucketStart(klines[end].openTime, interval: target) == bucket { end += 1 }
            let members = klines[start..<end]
            if members.count == perBucket {
                result.append(try aggregate(members, openTime: bucket, interval: target, report: &report))
            } else {
                report.incompleteOpenTimes.append(bucket)
                report.incompletePresent.append(members.count)
            }
            start = end
        }
        report.emittedBars = result.count
        return (result, report)
    }

    /// The exact sum, nil when any member lacks the field; `overflowed` when it does not fit.
    static func sum(_ members: ArraySlice<Kline>, _ field: (Kline) -> Decimal8?, overflowed: inout Bool) -> Decimal8? {
        var total: Int64 = 0
        for k in members {
            guard let value = field(k) else { return nil }
            let (next, overflow) = total.addingReportingOverflow(value.units)
            if overflow {
                overflowed = true
                return nil
            }
            total = next
        }
        return Decimal8(units: total)
    }

    static func aggregate(_ members: ArraySlice<Kline>, openTime: Timestamp, interval: Interval, report: inout ResampleReport) throws(ResampleError) -> Kline {
        let first = members.first!, last = members.last!
        var high = first.high, low = first.low
        var overflowed = false
        guard let volume = sum(members, { $0.volume }, overflowed: &overflowed) else { throw .volumeOverflow(openTime: openTime) }
        var trades: Int64? = 0
        var closed = true
        for k in members {
            high = max(high, k.high)
            low = min(low, k.low)
            if let t = k.trades, let sum = trades { trades = sum.addingReportingOverflow(t).overflow ? nil : sum + t } else { trades = nil }
            closed = closed && k.isClosed
        }
        let quote = sum(members, \.quoteVolume, overflowed: &overflowed)
        let takerBase = sum(members, \.takerBuyBase, overflowed: &overflowed)
        let takerQuote = sum(members, \.takerBuyQuote, overflowed: &overflowed)
        if overflowed { report.overflowedSums += 1 }
        return Kline(
            symbol: first.symbol, interval: interval, openTime: openTime, closeTime: openTime.adding(milliseconds: interval.milliseconds - 1),
            open: first.open, high: high, low: low, close: last.close, volume: volume,
            quoteVolume: quote, trades: trades, takerBuyBase: takerBase, takerBuyQuote: takerQuote, isClosed: closed
        )
    }
}
