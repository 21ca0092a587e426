import Domain
import FeatureServiceCore
import Foundation
import TestKit
import Testing

private let t0: Int64 = 1_719_792_000_000 // 2024-07-01 00:00 UTC

/// A random walk of closed klines with random gaps (and, optionally, duplicates), as exact decimals.
private func randomWalk(_ count: Int, interval: Interval, seed: UInt64, gaps: Bool, duplicates: Bool = false) -> [Kline] {
    var rng = SeededGenerator(seed: seed)
    var price = 60_000.0
    var klines: [Kline] = []
    var slot: Int64 = 0
    while klines.count < count {
        if gaps && Int.random(in: 0..<40, using: &rng) == 0 { slot += Int64.random(in: 1...6, using: &rng) }
        let open = price
        price *= 1 + Double.random(in: -0.004...0.004, using: &rng)
        let high = max(open, price) * (1 + Double.random(in: 0...0.002, using: &rng))
        let low = min(open, price) * (1 - Double.random(in: 0...0.002, using: &rng))
        func d(_ x: Double) -> Decimal8 { Decimal8(String(format: "%.2f", x))! }
        let openTime = Timestamp(milliseconds: t0 + slot * interval.milliseconds)
        let k = Kline(
            symbol: "BTCUSDT", interval: interval, openTime: openTime, closeTime: openTime.adding(milliseconds: interval.milliseconds - 1),
            open: d(open), high: d(high), low: d(low), close: d(price), volume: d(Double.random(in: 1...100, using: &rng)), isClosed: true
        )
        klines.append(k)
        if duplicates && Int.random(in: 0..<50, using: &rng) == 0 { klines.append(k) }
        slot += 1
    }
    return klines
}

/// The streaming core's vectors, by bar.
private func stream(_ configuration: FeatureServiceCore.Configuration, _ klines: [Kline]) -> (vectors: [FeatureVector], outputs: [FeatureServiceCore.Output]) {
    var core = FeatureServiceCore(configuration: configuration)
    var vectors: [FeatureVector] = [], outputs: [FeatureServiceCore.Output] = []
    for k in klines {
        for output in core.handle(.kline(k), now: k.closeTime) {
            outputs.append(output)
            if case .vector(let v) = output { vectors.append(v) }
        }
    }
    return (vectors, outputs)
}

private func bars(_ close: [Double], spread: Double = 0) -> [BarValues] {
    close.map { BarValues(open: $0, high: $0 + spread, low: $0 - spread, close: $0, volume: 1) }
}

private func run(_ name: String, _ bars: [BarValues], interval: Interval = .oneMinute) throws -> [Double] {
    var indicator = try FeatureSpec(parsing: name).makeIndicator(interval: interval)
    return bars.map { indicator.update($0) }
}

/// Every function at a couple of windows, the non-TA features, and a set with transforms.
private let everyFeature = [
    "close_SMA_3", "close_SMA_12", "close_EMA_7", "close_WMA_4", "volume_STDDEV_6", "close_STDDEV_20", "close_LINEARREG_SLOPE_9",
    "close_RSI_14", "high_low_close_ATR_14", "high_low_close_NATR_7", "close_MOM_3", "close_ROC_10", "high_low_close_ADX_5",
    "high_low_close_CCI_14", "spread_pct_5", "vol_sigma", "vol_regime",
]
private let everySet = [
    TalibFeatureSet(columns: [.close], functions: ["SMA", "EMA"], windows: [1, 5, 10], relativeBase: .next, relativeFunction: .relDiff, percentage: true),
    TalibFeatureSet(columns: [.high, .low, .close], functions: ["ATR"], windows: [3, 7], names: .infix("x"), relativeBase: .last, relativeFunction: .rel, log: true),
]

@Suite struct FeatureBatchTests {
    /// Streaming (one bar at a time) and batch give bit-for-bit the same values, on random walks with
    /// random gaps and duplicates, restarting (default) or interpolating: both call the same indicator
    /// code in the same order on the same bars, so not even rounding can differ.
    @Test(arguments: [(UInt64(1), false), (2, false), (3, true), (4, true)])
    func streamingEqualsBatchOnRandomWalksWithGaps(seed: UInt64, interpolate: Bool) throws {
        for interval in [Interval.oneMinute, .fiveMinutes] {
            let klines = randomWalk(3_000, interval: interval, seed: seed, gaps: true, duplicates: true)
            let configuration = try FeatureServiceCore.Configuration(features: everyFeature, sets: everySet, maxInterpolatedGap: interpolate ? 3 : nil)
            let (vectors, outputs) = stream(configuration, klines)
            let batch = try FeatureBatch.compute(FeatureBatch.Bars(klines: klines), interval: interval, configuration: configuration)
            #expect(batch.names == configuration.features)
            #expect(batch.complete.filter { $0 }.count == vectors.count)
            #expect(!vectors.isEmpty)
            var row = 0
            for vector in vectors {
                while klines[row].bar != vector.bar || !batch.complete[row] { row += 1 }
                for j in vector.values.indices {
                    let a = vector.values[j], b = batch.columns[j][row]
                    #expect(a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN), "\(configuration.features[j]) at row \(row): \(a) vs \(b)")
                }
                row += 1
            }
            // Both report the same gaps and drops.
            let resets = outputs.compactMap { if case .seriesReset(_, let n) = $0 { n } else { nil } }
            let filled = outputs.compactMap { if case .gapFilled(_, let n) = $0 { n } else { nil } }
            #expect(batch.gaps.filter { !$0.interpolated }.map(\.missingBars) == resets)
            #expect(batch.gaps.filter(\.interpolated).map(\.missingBars) == filled)
            #expect(batch.drops.count == outputs.filter { if case .dropped = $0 { true } else { false } }.count)
            #expect(!batch.gaps.isEmpty && !batch.drops.isEmpty)
            if !interpolate { #expect(filled.isEmpty && !resets.isEmpty) }
        }
    }

    /// Large inputs compute their columns on several threads: the same bits, flags, gaps and drops
    /// as one thread, with restarts, made-up bars and dropped rows in the series.
    @Test(arguments: [false, true])
    func parallelColumnsEqualSequentialBitForBit(interpolate: Bool) throws {
        let klines = randomWalk(15_000, interval: .fiveMinutes, seed: 9, gaps: true, duplicates: true)
        let configuration = try FeatureServiceCore.Configuration(features: everyFeature, sets: everySet, maxInterpolatedGap: interpolate ? 3 : nil)
        #expect(klines.count * configuration.specs.count >= FeatureBatch.parallelCells, "the input must take the parallel path")
        let bars = FeatureBatch.Bars(klines: klines)
        let parallel = try FeatureBatch.compute(bars, interval: .fiveMinutes, configuration: configuration)
        let sequential = try FeatureBatch.compute(bars, interval: .fiveMinutes, configuration: configuration, parallel: false)
        #expect(parallel.complete == sequential.complete && parallel.gaps == sequential.gaps && parallel.drops == sequential.drops)
        #expect(parallel.columns.count == sequential.columns.count)
        for (j, (a, b)) in zip(parallel.columns, sequential.columns).enumerated() {
            #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "column \(configuration.features[j])")
        }
    }

    /// After a gap every indicator starts again: the first vector comes exactly lookback + 1 bars after
    /// the gap, and its values equal those of a core that never saw the bars before the gap.
    @Test func aGapRestartsEveryIndicator() throws {
        let klines = randomWalk(400, interval: .fiveMinutes, seed: 9, gaps: false)
        var shifted = Array(klines[200...])
        for i in shifted.indices {
            shifted[i].openTime = shifted[i].openTime.adding(milliseconds: 3 * 300_000)
            shifted[i].closeTime = shifted[i].closeTime.adding(milliseconds: 3 * 300_000)
        }
        let withGap = Array(klines[..<200]) + shifted
        for name in everyFeature {
            let configuration = try FeatureServiceCore.Configuration(features: [name])
            let lookback = configuration.specs[0].lookback(interval: .fiveMinutes)
            let (vectors, _) = stream(configuration, withGap)
            let afterGap = vectors.filter { $0.bar.openTime >= shifted[0].openTime }
            #expect(afterGap.first?.bar == shifted[lookback].bar, "\(name): first vector after the gap")
            let (fresh, _) = stream(configuration, shifted)
            #expect(afterGap.map(\.values) == fresh.map(\.values), "\(name)")
        }
    }

    @Test(arguments: [61129.92, 0.00001234, 3.0])
    func averagesOfAConstantAreTheConstantAndSpreadsAreZero(_ c: Double) throws {
        let constant = bars(Array(repeating: c, count: 500))
        for name in ["close_SMA_7", "close_EMA_7", "close_WMA_7", "close_EMA_1", "close_WMA_1"] {
            let out = try run(name, constant)
            #expect(out.drop { $0.isNaN }.allSatisfy { abs($0 - c) <= 1e-14 * c }, "\(name) of \(c)")
        }
        for name in ["close_STDDEV_7", "close_MOM_4", "close_ROC_4", "high_low_close_CCI_5", "spread_pct_3", "vol_sigma", "vol_regime"] {
            #expect(try run(name, constant).drop { $0.isNaN }.allSatisfy { $0 == 0 }, "\(name) of \(c)")
        }
        // TA-Lib's slope formula leaves rounding noise on a constant (TA-Lib: −9.3e-12 at 61129.92).
        #expect(try run("close_LINEARREG_SLOPE_5", constant).drop { $0.isNaN }.allSatisfy { abs($0) <= 1e-15 * c * 1_000 })
    }

    @Test func boundedIndicatorsStayInTheirRange() throws {
        let klines = randomWalk(5_000, interval: .oneMinute, seed: 4, gaps: false)
        let values = klines.map { BarValues(open: $0.open.doubleValue, high: $0.high.doubleValue, low: $0.low.doubleValue, close: $0.close.doubleValue, volume: $0.volume.doubleValue) }
        for name in ["close_RSI_2", "close_RSI_14", "high_low_close_ADX_2", "high_low_close_ADX_14"] {
            #expect(try run(name, values).drop { $0.isNaN }.allSatisfy { $0 >= 0 && $0 <= 100 }, "\(name)")
        }
        for name in ["close_STDDEV_10", "high_low_close_NATR_14", "spread_pct_10", "vol_sigma"] {
            #expect(try run(name, values).drop { $0.isNaN }.allSatisfy { $0 >= 0 }, "\(name)")
        }
        #expect(try run("vol_regime", values).drop { $0.isNaN }.allSatisfy { [0, 1, 2].contains($0) })
    }

    @Test func handCheckedValues() throws {
        // LINEARREG_SLOPE of a line is its slope; MOM and ROC by hand.
        let line = bars((0..<30).map { 5 + 0.25 * Double($0) })
        #expect(try run("close_LINEARREG_SLOPE_10", line).dropFirst(9).allSatisfy { abs($0 - 0.25) < 1e-12 })
        let x = bars([1, 2, 4, 8, 16])
        #expect(Array(try run("close_MOM_2", x).dropFirst(2)) == [3, 6, 12])
        #expect(Array(try run("close_ROC_1", x).dropFirst(1)) == [100, 100, 100, 100])
        // EMA_3: k = 0.5, seed = mean(1, 2, 4) = 7/3, then (8 − 7/3)/2 + 7/3.
        let ema = try run("close_EMA_3", x)
        #expect(ema[0].isNaN && ema[1].isNaN && ema[2] == 7.0 / 3 && ema[3] == (8 - 7.0 / 3) * 0.5 + 7.0 / 3)
        // WMA_3 at bar 2: (1·1 + 2·2 + 3·4)/6; at bar 3: (2 + 8 + 24)/6.
        let wma = try run("close_WMA_3", x)
        #expect(wma[2] == 17.0 / 6 && wma[3] == 34.0 / 6)
        // STDDEV_2 of (1, 2) = 0.5.
        #expect(try run("close_STDDEV_2", x)[1] == 0.5)
    }

    /// Abdi–Ranaldo by hand: s²_t = 4(c_{t−1} − η_{t−1})(c_{t−1} − η_t), negatives 0, then 100 × mean.
    @Test func abdiRanaldoSpreadByHand() throws {
        let b = [
            BarValues(open: 100, high: 101, low: 99, close: 100.5, volume: 1),
            BarValues(open: 100, high: 100.8, low: 99.6, close: 99.7, volume: 1),
            BarValues(open: 100, high: 99.5, low: 98.5, close: 99, volume: 1),
            BarValues(open: 100, high: 101.5, low: 100.5, close: 101.2, volume: 1),
        ]
        func eta(_ v: BarValues) -> Double { (log(v.high) + log(v.low)) / 2 }
        var s: [Double] = []
        for t in 1..<b.count {
            let c = log(b[t - 1].close)
            s.append(max(0, 4 * (c - eta(b[t - 1])) * (c - eta(b[t]))).squareRoot())
        }
        #expect(s[0] > 0 && s[1] == 0) // c1 is below η1 but above η2: the negative estimate is set to 0
        let out = try run("spread_pct_2", b)
        #expect(out[0].isNaN && out[1].isNaN)
        #expect(abs(out[2] - 100 * (s[0] + s[1]) / 2) < 1e-15)
        #expect(abs(out[3] - 100 * (s[1] + s[2]) / 2) < 1e-15)
    }

    /// vol_sigma: population σ of 1-bar log returns over one hour, × √(bars per hour) × 100.
    @Test func volatilityAndRegime() throws {
        // Alternating returns ±r: σ_bar = r exactly (mean 0); 5m bars → 12 returns, √12.
        func alternating(_ r: Double, count: Int) -> [BarValues] {
            var price = 100.0
            return (0..<count).map { i in
                if i > 0 { price *= exp(i % 2 == 0 ? r : -r) }
                return BarValues(open: price, high: price, low: price, close: price, volume: 1)
            }
        }
        for (r, regime) in [(0.0005, 0.0), (0.002, 1.0), (0.01, 2.0)] {
            let b = alternating(r, count: 40)
            let sigma = try run("vol_sigma", b, interval: .fiveMinutes)
            #expect(sigma.prefix { $0.isNaN }.count == 12)
            let expected = r * 12.0.squareRoot() * 100
            #expect(sigma.dropFirst(12).allSatisfy { abs($0 - expected) <= 1e-9 * expected }, "σ for r = \(r)")
            #expect(try run("vol_regime", b, interval: .fiveMinutes).dropFirst(12).allSatisfy { $0 == regime })
        }
        // One-minute bars: 60 returns; thresholds are configurable.
        let configuration = try FeatureServiceCore.Configuration(features: ["vol_regime"], volatility: VolatilityParameters(windowSeconds: 1_800, low: 0.1, high: 0.2))
        #expect(configuration.warmupBars(for: .oneMinute) == 31 && configuration.warmupBars(for: .fiveMinutes) == 7)
        #expect(try FeatureSpec(parsing: "vol_sigma").lookback(interval: .oneMinute) == 60)
        #expect(try FeatureSpec(parsing: "vol_sigma").lookback(interval: Interval("1h")!) == 2)
    }

    /// ITB's `parameters`: rel_base / rel_func / percentage / log across one function's windows.
    @Test func relativeTransformsFollowITB() throws {
        let closes: [Double] = [10, 11, 13, 12, 12, 16, 13]
        let klines = closes.enumerated().map { i, c in
            let openTime = Timestamp(milliseconds: t0 + Int64(i) * 60_000)
            return Kline(symbol: "X", interval: .oneMinute, openTime: openTime, closeTime: openTime.adding(milliseconds: 59_999),
                         open: Decimal8(String(c))!, high: Decimal8(String(c))!, low: Decimal8(String(c))!, close: Decimal8(String(c))!, volume: Decimal8(1), isClosed: true)
        }
        let sma1 = closes.last!, sma2 = (closes[5] + closes[6]) / 2, sma3 = (closes[4] + closes[5] + closes[6]) / 3
        func last(_ set: TalibFeatureSet) throws -> [Double] {
            let configuration = try FeatureServiceCore.Configuration(features: [], sets: [set])
            return try #require(stream(configuration, klines).vectors.last).values
        }
        func set(_ base: TalibFeatureSet.RelativeBase?, _ function: TalibFeatureSet.RelativeFunction?, percentage: Bool = false, log: Bool = false, bug: Bool = false) -> TalibFeatureSet {
            TalibFeatureSet(columns: [.close], functions: ["SMA"], windows: [1, 2, 3], relativeBase: base, relativeFunction: function, percentage: percentage, log: log, itbFirstBaseBug: bug)
        }
        #expect(try last(set(nil, nil)) == [sma1, sma2, sma3])
        #expect(try last(set(.next, .relDiff)) == [(sma1 - sma2) / sma2, (sma2 - sma3) / sma3, sma3])
        #expect(try last(set(.last, .diff)) == [sma1 - sma3, sma2 - sma3, sma3])
        #expect(try last(set(.prev, .rel)) == [sma1, sma2 / sma1, sma3 / sma2])
        #expect(try last(set(.first, .rel)) == [sma1, sma2 / sma1, sma3 / sma1])
        // ITB's bug: "first" divides by the last output (the last one by itself).
        #expect(try last(set(.first, .rel, bug: true)) == [sma1, sma2 / sma3, 1])
        // percentage multiplies every output (the base too), log comes last.
        #expect(try last(set(.next, .rel, percentage: true)) == [sma1 / sma2 * 100, sma2 / sma3 * 100, sma3 * 100])
        let logged = try last(set(.next, .diff, log: true))
        #expect(logged[0].isNaN && logged[1] == Foundation.log(sma2 - sma3) && logged[2] == Foundation.log(sma3))
        // Names: ITB's infix and list forms; plain names and sets mix in one configuration.
        let named = TalibFeatureSet(columns: [.high, .low, .close], functions: ["ATR"], windows: [2, 3], names: .infix("a"))
        #expect(named.outputNames == ["high_low_close_ATR_a_2", "high_low_close_ATR_a_3"])
        let listed = TalibFeatureSet(columns: [.close], functions: ["RSI"], windows: [2, 3], names: .list(["fast", "slow"]))
        let mixed = try FeatureServiceCore.Configuration(features: ["close_SMA_2"], sets: [listed])
        #expect(mixed.features == ["close_SMA_2", "fast", "slow"])
        #expect(mixed.specs.map(\.function) == ["SMA", "RSI", "RSI"] && mixed.warmupBars == 4)
    }

    @Test func namesAreValidatedWithReasons() throws {
        for name in ["spread_pct_5", "vol_sigma", "vol_regime", "close_LINEARREG_SLOPE_14", "high_low_close_ADX_14", "high_low_close_CCI_20",
                     "high_low_close_NATR_14", "volume_EMA_1", "close_ROC_1", "close_MOM_1", "close_WMA_3", "close_STDDEV_20"] {
            #expect(FeatureSpec.validate(name: name) == nil, "\(name)")
        }
        #expect(FeatureSpec.validate(name: "vol_foo")?.contains("spread_pct_<n>, vol_regime, vol_sigma") == true)
        #expect(FeatureSpec.validate(name: "close_FOO_3")?.contains("supported: ADX, ATR, CCI, EMA, LINEARREG_SLOPE") == true)
        #expect(FeatureSpec.validate(name: "high_low_close_NATR_1") == "NATR needs a window ≥ 2, got 1")
        #expect(FeatureSpec.validate(name: "spread_pct_0") == "spread_pct needs a window ≥ 1, got 0")
        #expect(FeatureSpec.validate(name: "close_ADX_14")?.contains("ADX takes the inputs high_low_close") == true)
        #expect(try FeatureSpec(parsing: "high_low_close_ADX_14").lookback == 27)
        #expect(try FeatureSpec(parsing: "spread_pct_5").lookback == 5)
        #expect(try FeatureSpec(parsing: "close_EMA_12").lookback == 11)

        // The book source is not wired: refused with the reason. Bad sets list every problem.
        let book = try #require(throws: FeatureServiceCore.ConfigurationError.self) {
            try FeatureServiceCore.Configuration(features: ["spread_pct_5"], spreadSource: .book)
        }
        #expect(book.description.contains("needs order-book input"))
        let bad = try #require(throws: FeatureServiceCore.ConfigurationError.self) {
            try FeatureServiceCore.Configuration(features: ["close_SMA_2"], sets: [
                TalibFeatureSet(columns: [.close], functions: ["SMA"], windows: [2, 3], relativeBase: .next),
                TalibFeatureSet(columns: [.close], functions: ["FOO", "RSI"], windows: [1]),
                TalibFeatureSet(columns: [.close], functions: ["SMA"], windows: [2, 4], names: .list(["a"])),
            ], volatility: VolatilityParameters(low: 2, high: 1))
        }
        let text = bad.description
        #expect(text.contains("needs rel_func") && text.contains("unknown function \"FOO\"") && text.contains("RSI needs a window ≥ 2"))
        #expect(text.contains("names lists 1 names for 2 windows") && text.contains("high must be finite and above low"))
        // A set output colliding with a plain name.
        #expect(throws: FeatureServiceCore.ConfigurationError.self) {
            try FeatureServiceCore.Configuration(features: ["close_SMA_2"], sets: [TalibFeatureSet(columns: [.close], functions: ["SMA"], windows: [2])])
        }
    }
}
