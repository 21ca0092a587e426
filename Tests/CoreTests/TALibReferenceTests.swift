import Domain
import FeatureServiceCore
import Foundation
import TestKit
import Testing

/// TA-Lib's own output on real, gap-free klines, generated once by scripts/talib_reference.py
/// (TA-Lib 0.8.2 from PyPI) and committed as Tests/CoreTests/Fixtures/talib_reference.csv:
/// 2,500 bars of BTCUSDT 5m (the repository's sample) and 1,500 bars of ETHUSDT 1m.
enum TALibReferenceFixture {
    struct Slice {
        var series: String
        var bars: FeatureBatch.Bars
        /// TA-Lib's values by feature name.
        var expected: [String: [Double]]
    }

    static let path = RepositoryPaths.root.appendingPathComponent("Tests/CoreTests/Fixtures/talib_reference.csv").path

    static func load() throws -> [Slice] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(separator: "\n")
        let header = lines.removeFirst().split(separator: ",").map(String.init)
        let featureNames = Array(header.dropFirst(6))
        var slices: [Slice] = []
        for line in lines {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            let series = String(fields[0])
            if slices.last?.series != series {
                slices.append(Slice(
                    series: series, bars: FeatureBatch.Bars(openTimes: [], open: [], high: [], low: [], close: [], volume: []),
                    expected: Dictionary(uniqueKeysWithValues: featureNames.map { ($0, []) })
                ))
            }
            let high = Double(fields[2])!, low = Double(fields[3])!, close = Double(fields[4])!, volume = Double(fields[5])!
            slices[slices.count - 1].bars.openTimes.append(Int64(fields[1])!)
            slices[slices.count - 1].bars.open.append(close)
            slices[slices.count - 1].bars.high.append(high)
            slices[slices.count - 1].bars.low.append(low)
            slices[slices.count - 1].bars.close.append(close)
            slices[slices.count - 1].bars.volume.append(volume)
            for (j, name) in featureNames.enumerated() {
                slices[slices.count - 1].expected[name]!.append(Double(fields[6 + j])!)
            }
        }
        return slices
    }

    static func interval(_ series: String) -> Interval { series.hasSuffix("-1m") ? .oneMinute : .fiveMinutes }
}

/// |a − b| ≤ 1e-9·max(|a|, |b|) + floor (both NaN counts as equal).
private func agrees(_ a: Double, _ b: Double, floor: Double) -> Bool {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b)) + floor
}

@Suite struct TALibReferenceTests {
    /// Absolute floor of the comparison. Every function is compared within 1e-9 relative; the
    /// functions whose value can be ~0 while it is a difference of price-sized numbers also get an
    /// absolute floor of 1e-9 of the price (the rounding of the inputs' own magnitude): LINEARREG_SLOPE,
    /// MOM and ROC around 0, CCI when the price sits at its mean. Everything else: floor 0.
    static func floor(_ name: String, price: Double) -> Double {
        for function in ["LINEARREG_SLOPE", "MOM", "CCI"] where name.contains("_\(function)_") { return 1e-9 * price }
        if name.contains("_ROC_") { return 1e-12 }
        return 0
    }

    @Test func everyFunctionEqualsTALibOnRealKlinesStreamingAndBatch() throws {
        let slices = try TALibReferenceFixture.load()
        try #require(slices.count >= 1 && slices[0].bars.count == 2_500)
        for slice in slices {
            let names = slice.expected.keys.sorted()
            let interval = TALibReferenceFixture.interval(slice.series)
            let configuration = try FeatureServiceCore.Configuration(features: names)
            // Streaming: each indicator bar by bar, as the core feeds it.
            for name in names {
                var indicator = try FeatureSpec(parsing: name).makeIndicator(interval: interval)
                let expected = slice.expected[name]!
                var worst = 0.0, mismatches = 0
                for i in 0..<slice.bars.count {
                    let bar = BarValues(open: slice.bars.open[i], high: slice.bars.high[i], low: slice.bars.low[i], close: slice.bars.close[i], volume: slice.bars.volume[i])
                    let ours = indicator.update(bar)
                    if !agrees(ours, expected[i], floor: Self.floor(name, price: bar.close)) {
                        mismatches += 1
                        if mismatches <= 3 { Issue.record("\(slice.series) \(name) bar \(i): ours \(ours), TA-Lib \(expected[i])") }
                    }
                    if !ours.isNaN && !expected[i].isNaN && expected[i] != 0 { worst = max(worst, abs(ours - expected[i]) / abs(expected[i])) }
                }
                #expect(mismatches == 0, "\(slice.series) \(name): \(mismatches) bars differ (worst relative \(worst))")
            }
            // Batch: the same values, and TA-Lib's NaN prefix is exactly each feature's lookback.
            let batch = try FeatureBatch.compute(slice.bars, interval: interval, configuration: configuration)
            for (j, name) in configuration.features.enumerated() {
                let expected = slice.expected[name]!
                let firstMismatch = expected.indices.first { !agrees(batch.columns[j][$0], expected[$0], floor: Self.floor(name, price: slice.bars.close[$0])) }
                #expect(firstMismatch == nil, "\(slice.series) \(name) batch differs at bar \(firstMismatch ?? -1)")
                #expect(expected.prefix { $0.isNaN }.count == configuration.specs[j].lookback, "\(name) lookback")
            }
        }
    }
}
