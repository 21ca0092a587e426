import CollectorCore
import Domain
import FeatureServiceCore
import Foundation
import TestKit
import Testing

/// Straightforward batch versions of the TA-Lib definitions (ITB.md §2.1), written from the formulas
/// and independent of the incremental indicators: whole arrays in, whole arrays out, NaN where undefined.
enum IndicatorReference {
    /// SMA_w(t) = (1/w)·Σ_{i=0}^{w−1} x_{t−i}; first w−1 undefined.
    static func sma(_ x: [Double], _ w: Int) -> [Double] {
        x.indices.map { t in
            guard t >= w - 1 else { return .nan }
            var sum = 0.0
            for i in 0..<w { sum += x[t - i] }
            return sum / Double(w)
        }
    }

    /// Wilder RSI: seed means of the first n gains/losses at t = n, then (prev·(n−1) + new)/n.
    static func rsi(_ x: [Double], _ n: Int) -> [Double] {
        var out = [Double](repeating: .nan, count: x.count)
        guard x.count > n else { return out }
        let gains = x.indices.map { t in t == 0 ? 0 : max(x[t] - x[t - 1], 0) }
        let losses = x.indices.map { t in t == 0 ? 0 : max(x[t - 1] - x[t], 0) }
        var ag = gains[1...n].reduce(0, +) / Double(n)
        var al = losses[1...n].reduce(0, +) / Double(n)
        func value() -> Double { abs(ag + al) < 1e-8 ? 0 : 100 * ag / (ag + al) }
        out[n] = value()
        for t in (n + 1)..<x.count {
            ag = (ag * Double(n - 1) + gains[t]) / Double(n)
            al = (al * Double(n - 1) + losses[t]) / Double(n)
            out[t] = value()
        }
        return out
    }

    /// Wilder ATR: TR from the second bar; ATR(n) = mean(TR_1..TR_n); then (prev·(n−1) + TR)/n.
    static func atr(high: [Double], low: [Double], close: [Double], _ n: Int) -> [Double] {
        var out = [Double](repeating: .nan, count: close.count)
        guard close.count > n else { return out }
        let tr = close.indices.map { t in
            t == 0 ? .nan : max(high[t] - low[t], abs(high[t] - close[t - 1]), abs(low[t] - close[t - 1]))
        }
        var atr = tr[1...n].reduce(0, +) / Double(n)
        out[n] = atr
        for t in (n + 1)..<close.count {
            atr = (atr * Double(n - 1) + tr[t]) / Double(n)
            out[t] = atr
        }
        return out
    }

    /// True when both are NaN, or they agree within `tolerance` relative.
    static func close(_ a: Double, _ b: Double, relative tolerance: Double = 1e-9) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        if a == b { return true }
        return abs(a - b) <= tolerance * max(abs(a), abs(b))
    }

    /// Index of the first disagreement, or nil.
    static func firstMismatch(_ a: [Double], _ b: [Double], relative tolerance: Double = 1e-9) -> Int? {
        guard a.count == b.count else { return min(a.count, b.count) }
        return a.indices.first { !close(a[$0], b[$0], relative: tolerance) }
    }
}

/// Runs one incremental indicator over bars.
private func run<I: Indicator>(_ indicator: I, _ bars: [BarValues]) -> [Double] {
    var indicator = indicator
    return bars.map { indicator.update($0) }
}

private func barValues(_ k: Kline) -> BarValues {
    BarValues(open: k.open.doubleValue, high: k.high.doubleValue, low: k.low.doubleValue, close: k.close.doubleValue, volume: k.volume.doubleValue)
}

private func bars(close: [Double]) -> [BarValues] {
    close.map { BarValues(open: $0, high: $0, low: $0, close: $0, volume: 1) }
}

@Suite struct IndicatorTests {
    @Test(.enabled(if: SharedKlineFixture.isAvailable, SharedKlineFixture.skipReason))
    func incrementalIndicatorsEqualBatchReferenceOnRealKlines() throws {
        let klines = Array(SharedKlineFixture.btcFiveMinute.prefix(50_000))
        try #require(klines.count == 50_000)
        let values = klines.map(barValues)
        let high = values.map(\.high), low = values.map(\.low), close = values.map(\.close), volume = values.map(\.volume)
        for w in [1, 2, 3, 20, 200] {
            let ours = run(SimpleMovingAverage(inputs: [.close], window: w), values)
            let mismatch = IndicatorReference.firstMismatch(ours, IndicatorReference.sma(close, w))
            #expect(mismatch == nil, "close SMA_\(w) differs at bar \(mismatch ?? -1)")
        }
        let volumeSMA = run(SimpleMovingAverage(inputs: [.volume], window: 12), values)
        let volumeMismatch = IndicatorReference.firstMismatch(volumeSMA, IndicatorReference.sma(volume, 12))
        #expect(volumeMismatch == nil)
        for n in [2, 6, 14, 100] {
            let ours = run(RelativeStrengthIndex(inputs: [.close], window: n), values)
            let mismatch = IndicatorReference.firstMismatch(ours, IndicatorReference.rsi(close, n))
            #expect(mismatch == nil, "RSI_\(n) differs at bar \(mismatch ?? -1)")
        }
        for n in [1, 2, 14, 50] {
            let mismatch = IndicatorReference.firstMismatch(
                run(AverageTrueRange(inputs: [.high, .low, .close], window: n), values),
                IndicatorReference.atr(high: high, low: low, close: close, n)
            )
            #expect(mismatch == nil, "ATR_\(n) differs at bar \(mismatch ?? -1)")
        }
    }

    @Test func handCheckedValues() {
        let sma = run(SimpleMovingAverage(inputs: [.close], window: 3), bars(close: [1, 2, 3, 4, 8]))
        #expect(sma[0].isNaN && sma[1].isNaN)
        #expect(Array(sma[2...]) == [2, 3, 5])
        // d = +1, −1, +1: AG = AL = 0.5 at t = 2 → 50; then AG = (0.5 + 1)/2, AL = (0.5 + 0)/2 → 75.
        let rsi = run(RelativeStrengthIndex(inputs: [.close], window: 2), bars(close: [1, 2, 1, 2]))
        #expect(rsi[0].isNaN && rsi[1].isNaN)
        #expect(rsi[2] == 50 && rsi[3] == 75)
        // TR_1 = max(3−1, |3−2|, |1−2|) = 2, TR_2 = max(5−4, |5−2|, |4−2|) = 3 → ATR_2(2) = 2.5;
        // TR_3 = max(4−3, |4−4.5|, |3−4.5|) = 1.5 → (2.5 + 1.5)/2 = 2.
        let atrBars = [
            BarValues(open: 2, high: 2.5, low: 1.5, close: 2, volume: 1),
            BarValues(open: 2, high: 3, low: 1, close: 2, volume: 1),
            BarValues(open: 4, high: 5, low: 4, close: 4.5, volume: 1),
            BarValues(open: 4, high: 4, low: 3, close: 3.5, volume: 1),
        ]
        let atr = run(AverageTrueRange(inputs: [.high, .low, .close], window: 2), atrBars)
        #expect(atr[0].isNaN && atr[1].isNaN)
        #expect(atr[2] == 2.5 && atr[3] == 2)
    }

    @Test func undefinedPrefixLengthsAreTALibLookbacks() {
        var rng = SeededGenerator(seed: 7)
        let closes = (0..<300).map { _ in Double.random(in: 90...110, using: &rng) }
        let b = bars(close: closes)
        for w in [1, 5, 30] {
            let out = run(SimpleMovingAverage(inputs: [.close], window: w), b)
            #expect(out.prefix { $0.isNaN }.count == w - 1)
            #expect(out.dropFirst(w - 1).allSatisfy { !$0.isNaN })
        }
        for n in [2, 14] {
            #expect(run(RelativeStrengthIndex(inputs: [.close], window: n), b).prefix { $0.isNaN }.count == n)
            #expect(run(AverageTrueRange(inputs: [.high, .low, .close], window: n), b).prefix { $0.isNaN }.count == n)
        }
        #expect(SimpleMovingAverage(inputs: [.close], window: 9).lookback == 8)
        #expect(RelativeStrengthIndex(inputs: [.close], window: 9).lookback == 9)
        #expect(AverageTrueRange(inputs: [.high, .low, .close], window: 9).lookback == 9)
    }

    @Test(arguments: [61129.92, 0.00001234, 3.0, 1e7 + 0.01])
    func smaOfAConstantIsTheConstant(_ c: Double) {
        for w in [1, 2, 7, 50] {
            let out = run(SimpleMovingAverage(inputs: [.close], window: w), bars(close: Array(repeating: c, count: 5_000)))
            #expect(out.dropFirst(w - 1).allSatisfy { abs($0 - c) <= 1e-15 * c }, "SMA_\(w) of \(c)")
        }
    }

    @Test func smaOfOneIsTheInputItself() {
        var rng = SeededGenerator(seed: 11)
        let closes = (0..<1_000).map { _ in Double.random(in: 1...100_000, using: &rng) }
        #expect(run(SimpleMovingAverage(inputs: [.close], window: 1), bars(close: closes)) == closes)
    }

    /// `run` over a column, in chunks of any length and from any state, gives exactly `update`'s
    /// bits bar by bar: SMA windows on both sides of the direct-sum limit, RSI and ATR (property).
    @Test func runInChunksEqualsUpdateBitForBit() {
        var rng = SeededGenerator(seed: 11)
        for trial in 0..<60 {
            var price = 100.0
            let values = (0..<Int.random(in: 1...400, using: &rng)).map { _ -> BarValues in
                price *= 1 + Double.random(in: -0.02...0.02, using: &rng)
                let high = price * (1 + Double.random(in: 0...0.01, using: &rng)), low = price * (1 - Double.random(in: 0...0.01, using: &rng))
                return BarValues(open: price, high: high, low: low, close: price, volume: 1)
            }
            let window = [1, 2, 3, 6, 12, SimpleMovingAverage.directSumLimit, SimpleMovingAverage.directSumLimit + 1, 30][trial % 8]
            func check<I: Indicator>(_ make: () -> I, _ name: String) {
                var streaming = make()
                let expected = values.map { streaming.update($0) }
                var batch = make()
                var got: [Double] = []
                var start = 0
                while start < values.count {
                    let end = min(values.count, start + Int.random(in: 0...40, using: &rng))
                    if Bool.random(using: &rng) || end == start {
                        // Some bars through update, the rest of the chunk through run.
                        got.append(batch.update(values[start]))
                        start += 1
                        continue
                    }
                    let chunk = Array(values[start..<end])
                    let o = chunk.map(\.open), h = chunk.map(\.high), l = chunk.map(\.low), c = chunk.map(\.close), v = chunk.map(\.volume)
                    var out = [Double](repeating: 0, count: chunk.count)
                    o.withUnsafeBufferPointer { o in h.withUnsafeBufferPointer { h in l.withUnsafeBufferPointer { l in
                    c.withUnsafeBufferPointer { c in v.withUnsafeBufferPointer { v in
                        let columns = BarColumnPointers(open: o.baseAddress!, high: h.baseAddress!, low: l.baseAddress!, close: c.baseAddress!, volume: v.baseAddress!)
                        out.withUnsafeMutableBufferPointer { batch.run(columns, count: chunk.count, into: $0.baseAddress!) }
                    }}}}}
                    got += out
                    start = end
                }
                let same = zip(expected, got).allSatisfy { $0.bitPattern == $1.bitPattern }
                #expect(same && expected.count == got.count, "\(name) window \(window), \(values.count) bars (trial \(trial))")
            }
            check({ SimpleMovingAverage(inputs: [.close], window: window) }, "SMA")
            check({ RelativeStrengthIndex(inputs: [.close], window: max(2, window)) }, "RSI")
            check({ AverageTrueRange(inputs: [.high, .low, .close], window: window) }, "ATR")
        }
    }

    @Test func smaDoesNotDriftOverALongSeries() {
        var rng = SeededGenerator(seed: 5)
        var price = 60_000.0
        let closes = (0..<400_000).map { _ in
            price *= 1 + Double.random(in: -0.01...0.01, using: &rng)
            return price
        }
        let out = run(SimpleMovingAverage(inputs: [.close], window: 30), bars(close: closes))
        for t in stride(from: 399_000, to: 400_000, by: 37) {
            let exact = closes[(t - 29)...t].reduce(0, +) / 30
            #expect(abs(out[t] - exact) <= 1e-12 * exact)
        }
    }

    @Test func rsiStaysWithinZeroAndHundredAndHitsTheEnds() {
        var rng = SeededGenerator(seed: 3)
        for trial in 0..<20 {
            var price = 100.0
            let closes = (0..<2_000).map { _ in
                price = max(0.01, price + Double.random(in: -1...1, using: &rng) * Double(trial + 1))
                return price
            }
            for n in [2, 14, 60] {
                let out = run(RelativeStrengthIndex(inputs: [.close], window: n), bars(close: closes)).dropFirst(n)
                #expect(out.allSatisfy { $0 >= 0 && $0 <= 100 })
            }
        }
        let rising = run(RelativeStrengthIndex(inputs: [.close], window: 14), bars(close: (0..<100).map(Double.init)))
        #expect(rising.dropFirst(14).allSatisfy { $0 == 100 })
        let falling = run(RelativeStrengthIndex(inputs: [.close], window: 14), bars(close: (0..<100).map { 200 - Double($0) }))
        #expect(falling.dropFirst(14).allSatisfy { $0 == 0 })
        // No movement at all: TA-Lib's zero test makes the RSI 0.
        let flat = run(RelativeStrengthIndex(inputs: [.close], window: 14), bars(close: Array(repeating: 5, count: 50)))
        #expect(flat.dropFirst(14).allSatisfy { $0 == 0 })
    }

    @Test func atrOfConstantRangeIsTheRangeAndNeverNegative() {
        let constant = (0..<200).map { _ in BarValues(open: 10, high: 10.5, low: 9.75, close: 10, volume: 1) }
        let out = run(AverageTrueRange(inputs: [.high, .low, .close], window: 14), constant)
        #expect(out.dropFirst(14).allSatisfy { abs($0 - 0.75) < 1e-15 })
        var rng = SeededGenerator(seed: 9)
        let random = (0..<2_000).map { _ -> BarValues in
            let c = Double.random(in: 50...150, using: &rng)
            let up = Double.random(in: 0...3, using: &rng), down = Double.random(in: 0...3, using: &rng)
            return BarValues(open: c, high: c + up, low: c - down, close: c, volume: 1)
        }
        #expect(run(AverageTrueRange(inputs: [.high, .low, .close], window: 7), random).dropFirst(7).allSatisfy { $0 >= 0 })
        // ATR_1 is the true range itself.
        let one = run(AverageTrueRange(inputs: [.high, .low, .close], window: 1), random)
        for t in 1..<random.count {
            let tr = max(random[t].high - random[t].low, abs(random[t].high - random[t - 1].close), abs(random[t].low - random[t - 1].close))
            #expect(one[t] == tr)
        }
    }

    /// Against TA-Lib itself: values computed once with TA-Lib 0.6 (Python TA-Lib 0.8.2) on the first
    /// 250 bars of the repository's sample (data/sample/BTCUSDT-5m-2024-07-08.csv), stored below.
    @Test func matchesTALibOutputOnTheRepositorySample() throws {
        let root = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let klines = Array(try KlineCSV.read(path: root.appendingPathComponent("data/sample/BTCUSDT-5m-2024-07-08.csv").path).prefix(250))
        try #require(klines.count == 250)
        let values = klines.map(barValues)
        let cases: [(String, [Double], [Double])] = [
            ("SMA_20", run(SimpleMovingAverage(inputs: [.close], window: 20), values), TALibGolden.sma20),
            ("RSI_14", run(RelativeStrengthIndex(inputs: [.close], window: 14), values), TALibGolden.rsi14),
            ("ATR_14", run(AverageTrueRange(inputs: [.high, .low, .close], window: 14), values), TALibGolden.atr14),
        ]
        for (name, ours, talib) in cases {
            let mismatch = IndicatorReference.firstMismatch(ours, talib, relative: 1e-12)
            #expect(mismatch == nil, "\(name) differs from TA-Lib at bar \(mismatch ?? -1)")
        }
    }
}

/// TA-Lib's output (see `matchesTALibOutputOnTheRepositorySample`).
private enum TALibGolden {
    static let sma20: [Double] = [
        .nan, .nan, .nan, .nan, .nan, .nan,
        .nan, .nan, .nan, .nan, .nan, .nan,
        .nan, .nan, .nan, .nan, .nan, .nan,
        .nan, 63027.355500000005, 63072.1405, 63118.2165, 63166.99700000001, 63214.93700000001,
        63270.330500000004, 63318.029500000004, 63357.10400000001, 63397.204000000005, 63434.308999999994, 63470.215000000004,
        63499.615000000005, 63527.215500000006, 63547.139, 63550.057499999995, 63536.772, 63534.664000000004,
        63534.8035, 63533.957500000004, 63530.926, 63522.846999999994, 63514.75749999999, 63509.10299999999,
        63501.78349999998, 63490.63799999998, 63470.12999999998, 63459.005499999985, 63455.25999999999, 63448.844499999985,
        63440.16749999998, 63434.54049999998, 63432.19849999998, 63427.82749999998, 63426.873999999974, 63426.03799999998,
        63422.72799999998, 63413.673499999975, 63400.924999999974, 63390.77049999997, 63380.92649999998, 63372.31599999998,
        63364.81549999998, 63359.96999999999, 63354.32449999999, 63351.37999999999, 63353.66649999999, 63350.47749999999,
        63348.403999999995, 63348.15299999999, 63349.095499999996, 63346.909999999996, 63348.652500000004, 63350.470499999996,
        63352.924, 63357.0245, 63360.4865, 63366.505999999994, 63370.18499999998, 63375.88549999999,
        63383.36099999999, 63387.77149999999, 63390.57299999999, 63390.21599999999, 63392.84299999999, 63395.09199999999,
        63392.969999999994, 63391.684499999996, 63392.72899999999, 63388.8345, 63385.786, 63380.657999999996,
        63375.657499999994, 63369.8105, 63365.554000000004, 63359.613, 63354.144499999995, 63349.2785,
        63347.14850000001, 63343.44850000001, 63335.94850000001, 63332.24850000001, 63319.866000000016, 63308.11450000001,
        63292.87250000001, 63269.59850000001, 63245.34800000001, 63223.15800000001, 63196.85850000001, 63175.315,
        63158.340000000004, 63137.3645, 63115.170999999995, 63091.87749999999, 63068.28149999998, 63044.74249999998,
        63027.64449999998, 63008.55299999998, 62989.41299999998, 62971.51299999998, 62953.73499999997, 62935.98349999997,
        62927.66649999997, 62919.774999999965, 62910.50299999997, 62908.47699999997, 62906.477499999964, 62904.16649999997,
        62903.91799999997, 62901.02299999997, 62893.445999999974, 62889.472499999974, 62888.56649999998, 62888.671999999984,
        62885.09399999998, 62881.22099999998, 62875.323499999984, 62870.62249999998, 62863.02299999999, 62853.32999999998,
        62844.50799999999, 62832.55949999999, 62822.04449999998, 62806.844499999985, 62791.59499999999, 62779.79949999999,
        62775.09949999999, 62766.999999999985, 62756.53849999999, 62750.03749999999, 62746.13799999999, 62743.40099999999,
        62739.00099999999, 62738.52499999999, 62741.7615, 62747.57050000001, 62750.6995, 62754.7,
        62764.0, 62769.79400000001, 62774.991, 62778.0915, 62777.84500000001, 62792.34450000001,
        62805.5475, 62812.443999999996, 62809.94299999999, 62807.928499999995, 62806.319999999985, 62803.783999999985,
        62803.88349999998, 62806.98399999998, 62799.22199999999, 62795.08599999999, 62793.47949999998, 62791.123999999974,
        62787.39299999998, 62786.59299999998, 62783.39299999998, 62778.90399999998, 62777.28799999998, 62780.48849999998,
        62790.94949999997, 62791.70599999997, 62800.161999999975, 62807.87699999998, 62815.47749999998, 62829.22599999998,
        62845.64199999998, 62856.576999999976, 62865.09049999998, 62874.98949999998, 62895.650499999974, 62914.29549999997,
        62924.193999999974, 62941.79599999997, 62965.89549999997, 62985.894999999975, 63003.89349999997, 63023.95249999997,
        63046.60549999997, 63066.19249999997, 63078.09199999997, 63087.23649999998, 63093.19849999998, 63101.44899999998,
        63114.39149999998, 63120.10649999998, 63126.20949999998, 63137.88549999999, 63150.05299999999, 63166.04149999999,
        63185.041999999994, 63198.215000000004, 63227.317, 63243.8145, 63259.016, 63280.5995,
        63305.779, 63327.20850000001, 63347.017500000016, 63378.34250000001, 63405.625000000015, 63424.44900000001,
        63443.19950000001, 63463.415, 63485.6655, 63514.3165, 63544.4155, 63570.0405,
        63586.989, 63595.867000000006, 63601.42050000001, 63604.486, 63598.123, 63592.0265,
        63582.026, 63560.94300000001, 63535.865000000005, 63515.064, 63490.820499999994, 63459.9465,
        63437.464, 63425.9395, 63414.45, 63407.06800000001, 63398.50749999999, 63384.307499999995,
        63367.057499999995, 63349.373999999996, 63338.649, 63328.683,
    ]
    static let rsi14: [Double] = [
        .nan, .nan, .nan, .nan, .nan, .nan,
        .nan, .nan, .nan, .nan, .nan, .nan,
        .nan, .nan, 90.61536292667489, 78.28573001193352, 78.36175953226606, 78.48406618440299,
        79.11978139852131, 81.04092498147939, 81.12312412478511, 77.03227462348876, 77.77998654624167, 78.81407874022096,
        81.91639398600371, 73.10024089435147, 63.158723933891935, 64.52442069475258, 63.258784370781605, 64.26930721798854,
        55.90417782925522, 57.80700675975565, 52.36105333917762, 50.9697818849304, 51.71174217237504, 54.83225779044161,
        57.354691456745535, 56.40419672702841, 55.41590984867717, 55.008298549349135, 55.27106842421456, 55.33654563976144,
        54.99163880603164, 51.68107494885154, 47.6407283050229, 54.28878935218101, 54.37245525416664, 52.92085111617513,
        47.057453747551946, 54.38230308126785, 48.93793605261857, 49.05821620486736, 46.908737925577526, 45.00934536806787,
        42.13406584464281, 37.96397539633883, 36.28076800851386, 40.61841331624593, 40.04237983624594, 42.31145785591494,
        45.33622941968574, 51.03960630737274, 49.030891779171064, 51.0031828938409, 56.64535580757146, 53.2843024288249,
        55.52021180116918, 57.538466471784446, 52.683449423987916, 55.11880765987407, 56.481852945912216, 56.7837032656419,
        54.9702745430125, 56.13610233544819, 49.4286188740577, 48.63524667268917, 40.494308753425, 50.30615474209527,
        53.26363846771011, 48.592593038472465, 47.94693445260641, 46.92242178759143, 51.7763956273161, 53.06552082206647,
        49.370150939160155, 47.765053608310325, 56.05410290410131, 47.16076225879663, 44.8071215493649, 43.11740819986799,
        45.20887686013304, 43.71927534354499, 46.288162039267014, 43.59770103494691, 39.50392375422376, 40.40738081499218,
        38.6079545708382, 45.80698127433759, 40.594736073495746, 45.33886928428578, 31.17067019996934, 31.61648682051866,
        29.8327348123528, 22.869376277922335, 21.14428519233427, 24.701928981833728, 24.193338269738327, 26.579910143762596,
        34.916851391091996, 29.69195156006148, 29.299457063392577, 27.553966077898817, 29.172166109960052, 27.98794759465141,
        38.64546362842254, 36.44211978951639, 35.29388563914798, 43.02300220068174, 39.7852252615789, 43.26963243608735,
        44.18157169528555, 45.43308368351768, 40.72252867633846, 40.36395366890255, 36.70857757041287, 39.415996735198874,
        42.890366837090035, 39.91664493527246, 37.81989879900021, 35.851105656271955, 42.634610443361176, 41.24389013574022,
        36.32071326652265, 34.26151237147044, 40.52937146994816, 39.694456766751316, 33.99792364876226, 37.809373594859295,
        35.734572369621844, 33.748653408186215, 38.690023069420995, 32.95582115197063, 29.579734229156564, 37.22580751145127,
        46.35775610624173, 43.05419582249343, 41.78542582041178, 45.949390372806384, 48.29509491044558, 48.122222465370974,
        50.04780445651594, 55.61126383711781, 56.7205030780383, 58.63137362546206, 58.09214902926727, 58.76255398362623,
        61.465717353718055, 56.180796164260194, 51.41085513224882, 44.335226634772795, 41.74995896742269, 60.05385377497618,
        52.96249589877422, 48.46105841989204, 42.52190051893332, 40.46200506313094, 39.88374118867304, 42.14771769537038,
        48.5566481216678, 52.714026483172994, 40.678198432821624, 49.23573234635736, 52.71196854647854, 53.14503417837899,
        51.13287207689439, 54.923114669734055, 53.70028903531691, 49.372410444848356, 50.50817506853832, 52.258511506033436,
        59.104409055186046, 60.1195959727019, 63.65773360216173, 57.61466933104282, 51.039687911662526, 55.91588039437608,
        58.15600599831249, 52.57171882609747, 54.27742258170919, 58.792988788387966, 59.69258877323288, 64.14042652498587,
        56.31751552365275, 63.350740287581786, 66.82665659668196, 65.72933253657823, 61.77139621264997, 60.12078643259308,
        63.11452508341739, 60.64233808669811, 57.997614936722805, 55.51325329255504, 55.8517410541446, 53.59922393327169,
        53.41164247563479, 49.09468916798087, 52.72392083487573, 54.600307275594915, 57.26854025286951, 65.97116714174017,
        69.22734869482288, 67.308674624148, 74.58682313956993, 67.5653448759438, 69.99951179972692, 73.33893021201857,
        73.73131462110693, 66.2192258444795, 67.53790868727155, 73.45362866151001, 65.63436178619666, 54.77362760226092,
        54.950114032105986, 54.88005521316276, 56.54458995790287, 59.497991782059415, 62.61785536529882, 58.83429785120402,
        51.609720582163185, 51.645192290077325, 52.243299916939435, 48.328097859838806, 49.41841583167198, 44.88937884266105,
        44.57502473527206, 39.19910643612387, 36.36609149351856, 35.774528249056814, 34.399512255202986, 39.32800230151491,
        42.94701548052171, 43.97146913026611, 44.37150188449681, 50.29693739974197, 51.30987408068485, 48.229015257867566,
        49.678186103001856, 44.66662987106739, 45.15306307425675, 46.54924454749224,
    ]
    static let atr14: [Double] = [
        .nan, .nan, .nan, .nan, .nan, .nan,
        .nan, .nan, .nan, .nan, .nan, .nan,
        .nan, .nan, 124.74999999999947, 132.98214285714238, 131.39341836734636, 127.30817419824999,
        127.63044746980354, 130.11470122196067, 127.13007970610646, 124.70507401281316, 119.79685444046922, 121.16850769472141,
        129.10861428795573, 129.03442755310172, 145.0105398707371, 140.84978702282692, 135.04765937833946, 130.3385408513149,
        134.28221650479261, 131.66134389730718, 136.85696219035677, 134.3293220339028, 127.65008474576686, 125.8943644067835,
        123.63262409201347, 120.78243665686988, 121.18583403852205, 117.52898875005604, 114.24763241076607, 114.8263729528541,
        110.81734631336431, 110.98896443383838, 107.48903840284977, 105.7291070883604, 101.51845658204886, 98.4099953976168,
        98.70856715492964, 97.9436695010061, 96.36983596521968, 90.79913339627524, 89.12348101082728, 84.96680379576821,
        84.44774638178457, 83.62790735451381, 81.13662825776282, 81.25544052506568, 78.0936233447037, 75.21479310579636,
        74.86730788395366, 73.7882144636714, 69.94691343055216, 68.52213389979843, 67.83269576409822, 67.66393178094843,
        65.86150808230929, 64.20497179071565, 64.68175951995057, 62.77591955423982, 61.457639586079814, 60.17780818707418,
        59.19725045942582, 57.61030399803849, 57.40099656960719, 59.55663967177823, 60.42902255236579, 61.87052094148256,
        62.15405515994836, 62.40447979138087, 60.130588377710794, 57.407689207874455, 57.5721399787405, 60.038415694544646,
        58.964243144934315, 56.41894006315342, 58.24615863007103, 59.6021472993519, 60.61913677796937, 60.50134129382879,
        59.963388344269674, 58.25028917682155, 56.15169709276306, 55.836575871851785, 55.453249023862455, 53.29873123644377,
        52.29739329098342, 52.57615091305583, 52.5135687049802, 51.19117094033876, 61.914658730314535, 60.92075453529207,
        61.4721292113426, 69.08197712481827, 71.43683590161665, 76.09991905150126, 79.17921054782254, 80.72569550869248,
        80.85814582950029, 84.09613541310758, 80.80212574074245, 79.1326881878323, 79.21892474584403, 79.2468586925695,
        80.33494021452906, 78.14958734206255, 74.85461681762928, 74.9271441877988, 77.43163388867016, 74.36651718233688,
        73.86890881217006, 72.84541532558654, 71.74574280233067, 70.23818974502129, 68.64974762037691, 66.00476564749303,
        67.29085381552939, 65.41579282870592, 66.81180762665544, 66.49524993903701, 66.75130351482021, 64.34049612090448,
        64.7440321122683, 64.52517267567772, 67.79051748455774, 66.80619480708947, 69.17646660658293, 69.17743327754094,
        71.71404518628766, 70.94161338726722, 68.56935528817694, 70.70868705330744, 70.12520940664268, 70.18269444902536,
        73.51821627409531, 78.01834368308828, 78.03060484858162, 76.38341878796872, 76.34603173168529, 76.38702946513621,
        77.29652736048381, 77.07106112044922, 76.85384246898847, 74.93571086406072, 74.94816008805643, 72.77400579605255,
        76.34229109633422, 77.75641316088173, 77.34666936367567, 80.53190726626991, 80.82605674725073, 90.4041955510184,
        99.62389586880303, 99.65004616388839, 102.65932858075342, 103.60009082498544, 108.52294148034392, 110.91415994603364,
        113.42671994988812, 115.03909709632468, 121.91344730372998, 123.89462963917794, 129.4478703792366, 126.38516535214826,
        124.77051068413812, 128.28547420669992, 126.50865462050731, 122.9937507190422, 121.3284828105392, 118.9371626097863,
        119.84736528051587, 118.20398204619359, 119.03012618575148, 118.97511717248366, 121.04832308873483, 119.93630001096828,
        121.06013572447043, 120.38512602986543, 118.74690274201821, 118.32140968901697, 114.01416613980177, 118.96886855838717,
        125.88894937564513, 133.33831013452763, 138.81128798206132, 134.12619598334274, 131.52646769881798, 127.71457714890266,
        130.94925020969532, 130.46644662328816, 128.35955757876766, 123.90458918028412, 119.62140423883542, 115.8284467932041,
        113.56141487940356, 111.09417095944593, 109.8138730337711, 106.81288210278714, 104.27767623830233, 111.67069936413779,
        116.65850655241366, 114.28289894152707, 123.64340615998954, 121.92459143427612, 123.92712061754206, 123.85589771628908,
        121.59476216512536, 124.26585058190197, 121.77257554033758, 128.6202487160277, 129.4330880934543, 141.01286751535062,
        140.94051983568272, 136.31691127599103, 132.78927475627742, 130.89861227368615, 128.54799711127987, 125.42956874618841,
        129.30388526431767, 125.09932203115177, 119.82579902892694, 117.91609909828905, 116.21066344841132, 116.6849017735247,
        113.85598021827306, 114.2948387741107, 113.90806457595976, 117.55391710624814, 116.82292302723039, 128.06128566814223,
        127.05262240613224, 122.79529223426545, 118.14634278896071, 115.47803258974929, 112.36745883333865, 110.42406891667133,
        106.46520685119481, 105.28912064753804, 99.96989774414244, 95.86561933384618,
    ]
}
