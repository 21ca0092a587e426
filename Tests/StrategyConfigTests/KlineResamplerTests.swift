import CollectorCore
import Domain
import Foundation
import Testing
import TestKit
@testable import StrategyConfig

@Suite struct KlineResamplerTests {
    static let m5 = Interval("5m")!
    static let m15 = Interval("15m")!

    func bar(_ openMs: Int64, _ o: Int64, _ h: Int64, _ l: Int64, _ c: Int64, volume: Int64, interval: Interval = m5, full: Bool = true) -> Kline {
        Kline(
            symbol: "BTCUSDT", interval: interval, openTime: Timestamp(milliseconds: openMs), closeTime: Timestamp(milliseconds: openMs + interval.milliseconds - 1),
            open: Decimal8(units: o), high: Decimal8(units: h), low: Decimal8(units: l), close: Decimal8(units: c), volume: Decimal8(units: volume),
            quoteVolume: full ? Decimal8(units: volume * 3) : nil, trades: full ? volume % 97 : nil,
            takerBuyBase: full ? Decimal8(units: volume / 2) : nil, takerBuyQuote: full ? Decimal8(units: volume / 3) : nil
        )
    }

    /// A random series with gaps, starting at an arbitrary (aligned) time.
    func randomSeries(_ g: inout SeededGenerator, source: Interval) -> [Kline] {
        var klines: [Kline] = []
        var t = Int64.random(in: 0...1_000_000, using: &g) * source.milliseconds
        var price = Int64.random(in: 1_000_000...10_000_000_000, using: &g)
        for _ in 0..<Int.random(in: 0...400, using: &g) {
            if Int.random(in: 0..<20, using: &g) == 0 { t += source.milliseconds * Int64.random(in: 1...7, using: &g) }
            let o = price
            let c = max(1, price + Int64.random(in: -50_000...50_000, using: &g))
            let h = max(o, c) + Int64.random(in: 0...30_000, using: &g)
            let l = max(1, min(o, c) - Int64.random(in: 0...30_000, using: &g))
            klines.append(bar(t, o, h, l, c, volume: Int64.random(in: 0...1_000_000_000, using: &g), interval: source, full: Int.random(in: 0..<50, using: &g) != 0))
            price = c
            t += source.milliseconds
        }
        return klines
    }

    /// Brute force: for every possible bucket, collect members by scanning everything.
    func bruteForce(_ klines: [Kline], to target: Interval) -> (bars: [Kline], dropped: [Timestamp]) {
        guard let first = klines.first, let last = klines.last else { return ([], []) }
        let size = target.milliseconds
        let per = Int(size / first.interval.milliseconds)
        var bars: [Kline] = []
        var dropped: [Timestamp] = []
        var start = first.openTime.milliseconds / size * size
        while start <= last.openTime.milliseconds {
            let members = klines.filter { $0.openTime.milliseconds >= start && $0.openTime.milliseconds < start + size }
            if members.count == per {
                let anyMissing = { (f: (Kline) -> Decimal8?) in members.contains { f($0) == nil } }
                bars.append(Kline(
                    symbol: first.symbol, interval: target, openTime: Timestamp(milliseconds: start), closeTime: Timestamp(milliseconds: start + size - 1),
                    open: members.first!.open, high: members.map(\.high).max()!, low: members.map(\.low).min()!, close: members.last!.close,
                    volume: members.reduce(Decimal8.zero) { $0 + $1.volume },
                    quoteVolume: anyMissing(\.quoteVolume) ? nil : members.reduce(Decimal8.zero) { $0 + $1.quoteVolume! },
                    trades: members.contains { $0.trades == nil } ? nil : members.reduce(0) { $0 + $1.trades! },
                    takerBuyBase: anyMissing(\.takerBuyBase) ? nil : members.reduce(Decimal8.zero) { $0 + $1.takerBuyBase! },
                    takerBuyQuote: anyMissing(\.takerBuyQuote) ? nil : members.reduce(Decimal8.zero) { $0 + $1.takerBuyQuote! }
                ))
            } else if !members.isEmpty {
                dropped.append(Timestamp(milliseconds: start))
            }
            start += size
        }
        return (bars, dropped)
    }

    @Test func resamplingEqualsBruteForceAggregation() throws {
        var g = SeededGenerator(seed: 20_261_206)
        let pairs: [(String, String)] = [("5m", "15m"), ("1m", "5m"), ("1m", "15m"), ("5m", "1h"), ("15m", "4h"), ("1h", "1d"), ("5m", "5m")]
        for _ in 0..<30 {
            for (s, t) in pairs {
                let source = Interval(s)!, target = Interval(t)!
                let klines = randomSeries(&g, source: source)
                let (bars, report) = try KlineResampler.resample(klines, to: target)
                let expected = bruteForce(klines, to: target)
                #expect(bars == expected.bars, "\(s)→\(t)")
                #expect(report.incompleteOpenTimes == expected.dropped, "\(s)→\(t)")
                #expect(report.emittedBars == bars.count && report.inputBars == klines.count)
            }
        }
    }

    @Test func weeksStartOnMondayLikeBinance() {
        // 2024-07-10 (a Wednesday) 12:00 UTC → Monday 2024-07-08 00:00 UTC.
        let wednesday = Timestamp(milliseconds: 1_720_612_800_000)
        #expect(KlineResampler.bucketStart(wednesday, interval: Interval("1w")!) == Timestamp(milliseconds: 1_720_396_800_000))
        #expect(KlineResampler.bucketStart(wednesday, interval: Interval("1d")!) == Timestamp(milliseconds: 1_720_569_600_000))
    }

    @Test func incompleteBucketsAreDroppedAndReported() throws {
        // 00:00 bucket complete; 00:15 bucket misses 00:20; 00:30 bucket has only 00:30.
        let base: Int64 = 1_719_792_000_000
        let klines = [0, 1, 2, 3, 5, 6].map { bar(base + Int64($0) * 300_000, 100, 110, 90, 105, volume: 10) }
        let (bars, report) = try KlineResampler.resample(klines, to: Self.m15)
        #expect(bars.map(\.openTime.milliseconds) == [base])
        #expect(report.incompleteOpenTimes == [Timestamp(milliseconds: base + 900_000), Timestamp(milliseconds: base + 1_800_000)])
        #expect(report.incompleteBuckets.map(\.present) == [2, 1])
        #expect(report.description.contains("dropped 2 incomplete buckets"))
    }

    @Test func sumsBeyondDecimal8AreNilOrAnErrorNeverACrash() throws {
        let base: Int64 = 1_719_792_000_000
        var klines = (0..<3).map { bar(base + Int64($0) * 300_000, 100, 110, 90, 105, volume: 10) }
        for i in klines.indices { klines[i].quoteVolume = Decimal8(units: Int64.max / 2) }
        let (bars, report) = try KlineResampler.resample(klines, to: Self.m15)
        #expect(bars.count == 1 && bars[0].quoteVolume == nil && bars[0].volume == Decimal8(units: 30))
        #expect(report.overflowedSums == 1)
        for i in klines.indices { klines[i].volume = Decimal8(units: Int64.max / 2) }
        #expect(throws: KlineResampler.ResampleError.volumeOverflow(openTime: Timestamp(milliseconds: base))) { try KlineResampler.resample(klines, to: Self.m15) }
    }

    @Test func badInputsThrowTypedErrors() {
        let a = bar(1_719_792_000_000, 1, 1, 1, 1, volume: 1)
        let b = bar(1_719_792_300_000, 1, 1, 1, 1, volume: 1)
        #expect(throws: KlineResampler.ResampleError.notADivisor(source: Self.m5, target: Interval("3m")!)) { try KlineResampler.resample([a], to: Interval("3m")!) }
        #expect(throws: KlineResampler.ResampleError.notADivisor(source: Self.m15, target: Self.m5)) {
            try KlineResampler.resample([bar(1_719_792_000_000, 1, 1, 1, 1, volume: 1, interval: Self.m15)], to: Self.m5)
        }
        #expect(throws: KlineResampler.ResampleError.notIncreasing(index: 1, openTime: a.openTime)) { try KlineResampler.resample([b, a], to: Self.m15) }
        #expect(throws: KlineResampler.ResampleError.notIncreasing(index: 1, openTime: a.openTime)) { try KlineResampler.resample([a, a], to: Self.m15) }
        #expect(throws: KlineResampler.ResampleError.misaligned(index: 0, openTime: Timestamp(milliseconds: 1_719_792_000_001), interval: Self.m5)) {
            try KlineResampler.resample([bar(1_719_792_000_001, 1, 1, 1, 1, volume: 1)], to: Self.m15)
        }
        var other = b
        other.symbol = "ETHUSDT"
        #expect(throws: KlineResampler.ResampleError.mixedSeries(index: 1)) { try KlineResampler.resample([a, other], to: Self.m15) }
    }

    /// The embedded sample (BTCUSDT 5m, July–August 2024): 17,856 bars without gaps → 5,952 15m bars;
    /// three of them checked by hand against the CSV's rows.
    @Test func realFiveMinuteDataResamplesToHandCheckedFifteenMinuteBars() throws {
        guard FileManager.default.fileExists(atPath: RepositoryPaths.sampleKlines.path) else {
            print("skipped: \(RepositoryPaths.sampleKlines.path) does not exist")
            return
        }
        let klines = try KlineCSV.read(path: RepositoryPaths.sampleKlines.path)
        let (bars, report) = try KlineResampler.resample(klines, to: Self.m15)
        #expect(klines.count == 17_856)
        #expect(bars.count == 5_952 && report.incompleteOpenTimes.isEmpty)
        func d(_ text: String) -> Decimal8 { Decimal8(text)! }
        // Rows 1-3 (2024-07-01 00:00, 00:05, 00:10).
        #expect(bars[0].openTime == Timestamp(milliseconds: 1_719_792_000_000))
        #expect(bars[0].closeTime == Timestamp(milliseconds: 1_719_792_899_999))
        #expect([bars[0].open, bars[0].high, bars[0].low, bars[0].close] == [d("62772.01"), d("62809.01"), d("62573.32"), d("62624")])
        #expect(bars[0].volume == d("416.77792")) // 93.0944 + 195.58295 + 128.10057
        #expect(bars[0].quoteVolume == nil && bars[0].trades == nil) // the sample has OHLCV only
        // Rows 4-6 (00:15, 00:20, 00:25).
        #expect([bars[1].open, bars[1].high, bars[1].low, bars[1].close] == [d("62624"), d("62744.99"), d("62621.4"), d("62720.02")])
        #expect(bars[1].volume == d("196.18162"))
        // CSV lines 698-700 (2024-07-03 10:00).
        let bar = try #require(bars.first { $0.openTime == Timestamp(milliseconds: 1_720_000_800_000) })
        #expect([bar.open, bar.high, bar.low, bar.close] == [d("60606.02"), d("60618"), d("60210.26"), d("60269.99")])
        #expect(bar.volume == d("663.95439"))
        #expect(bar.interval == Self.m15 && bar.symbol == "BTCUSDT")

        // A missing 5m bar drops its 15m bucket, and only that one.
        var holed = klines
        holed.remove(at: 700)
        let (fewer, holedReport) = try KlineResampler.resample(holed, to: Self.m15)
        #expect(fewer.count == 5_951)
        #expect(holedReport.incompleteOpenTimes == [KlineResampler.bucketStart(klines[700].openTime, interval: Self.m15)])
    }
}
