import Domain
import FeatureServiceCore
import Testing

private let t0: Int64 = 1_719_792_000_000 // 2024-07-01 00:00 UTC

/// A closed 1-minute kline at bar index `i` from `t0`.
private func kline(_ i: Int, close: String, high: String? = nil, low: String? = nil, symbol: String = "BTCUSDT", closed: Bool = true) -> Kline {
    let c = Decimal8(close)!
    let openTime = Timestamp(milliseconds: t0 + Int64(i) * 60_000)
    return Kline(
        symbol: symbol, interval: .oneMinute, openTime: openTime, closeTime: openTime.adding(milliseconds: 59_999),
        open: c, high: high.map { Decimal8($0)! } ?? c, low: low.map { Decimal8($0)! } ?? c, close: c, volume: Decimal8(1),
        isClosed: closed
    )
}

private func feed(_ core: inout FeatureServiceCore, _ klines: [Kline]) -> [FeatureServiceCore.Output] {
    klines.flatMap { core.handle(.kline($0), now: $0.closeTime) }
}

private func vectors(_ outputs: [FeatureServiceCore.Output]) -> [FeatureVector] {
    outputs.compactMap { if case .vector(let v) = $0 { v } else { nil } }
}

@Suite struct FeatureServiceCoreTests {
    @Test func parsesITBNames() throws {
        let sma = try FeatureSpec(parsing: "close_SMA_3")
        #expect(sma.inputs == [.close] && sma.function == "SMA" && sma.window == 3)
        let atr = try FeatureSpec(parsing: "high_low_close_ATR_14")
        #expect(atr.inputs == [.high, .low, .close] && atr.function == "ATR" && atr.window == 14)
        let rsi = try FeatureSpec(parsing: "close_RSI_14")
        #expect(rsi.function == "RSI" && rsi.lookback == 14)
        #expect(try FeatureSpec(parsing: "volume_SMA_1").lookback == 0)
    }

    @Test func configurationListsEveryBadNameAtOnce() throws {
        let names = [
            "close_SMA_3", "close_FOO_3", "close_SMA_x", "close_RSI_1", "high_close_ATR_14", "close_SMA_3",
            "price_SMA_5", "close_SMA_0", "close_SMA_07", "SMA_5", "close__SMA_5", "close_sma_5", "high_low_SMA_5",
        ]
        let error = try #require(throws: FeatureServiceCore.ConfigurationError.self) {
            try FeatureServiceCore.Configuration(features: names)
        }
        #expect(error.problems.map(\.name) == [
            "close_FOO_3", "close_SMA_x", "close_RSI_1", "high_close_ATR_14", "close_SMA_3",
            "price_SMA_5", "close_SMA_0", "close_SMA_07", "SMA_5", "close__SMA_5", "close_sma_5", "high_low_SMA_5",
        ])
        let text = error.description
        #expect(text.contains("12 problems"))
        #expect(text.contains(
            "unknown function \"FOO\" (supported: ADX, ATR, CCI, EMA, LINEARREG_SLOPE, MOM, NATR, ROC, RSI, SMA, STDDEV, WMA; also spread_pct_<n>, vol_regime, vol_sigma)"
        ))
        #expect(text.contains("listed more than once"))
        #expect(text.contains("unknown input column \"price\""))
        #expect(text.contains("RSI needs a window ≥ 2"))
        #expect(text.contains("ATR takes the inputs high_low_close"))
        #expect(throws: FeatureServiceCore.ConfigurationError.self) { try FeatureServiceCore.Configuration(features: []) }
    }

    @Test func catalogIsExtensibleWithOneType() throws {
        struct Change: Indicator {
            static let function = "CHANGE"
            static let inputs = IndicatorInputs.anySingle
            static let minimumWindow = 1
            let window: Int
            var history: [Double] = []
            init(inputs: [BarField], window: Int) { self.window = window }
            var lookback: Int { window }
            mutating func update(_ bar: BarValues) -> Double {
                history.append(bar.close)
                return history.count > window ? bar.close - history[history.count - 1 - window] : .nan
            }
        }
        let catalog = FeatureCatalog(FeatureCatalog.standard.indicators + [Change.self])
        let configuration = try FeatureServiceCore.Configuration(features: ["close_CHANGE_2", "close_SMA_2"], catalog: catalog)
        var core = FeatureServiceCore(configuration: configuration)
        let out = vectors(feed(&core, [kline(0, close: "1"), kline(1, close: "2"), kline(2, close: "4"), kline(3, close: "7")]))
        #expect(out.map(\.values) == [[3, 3], [5, 5.5]])
    }

    @Test func warmsThenEmitsVectorsInConfiguredOrderWithBarPrices() throws {
        let configuration = try FeatureServiceCore.Configuration(features: ["close_SMA_3", "close_SMA_1", "high_low_close_ATR_2"])
        #expect(configuration.warmupBars == 3)
        var core = FeatureServiceCore(configuration: configuration)
        let klines = [
            kline(0, close: "2", high: "2.5", low: "1.5"), kline(1, close: "2", high: "3", low: "1"),
            kline(2, close: "4.5", high: "5", low: "4"), kline(3, close: "3.5", high: "4", low: "3"),
        ]
        let outputs = feed(&core, klines)
        #expect(outputs.count == 4)
        #expect(outputs[0] == .warming(bar: klines[0].bar, remainingBars: 2))
        #expect(outputs[1] == .warming(bar: klines[1].bar, remainingBars: 1))
        #expect(outputs[2] == .vector(FeatureVector(
            bar: klines[2].bar, close: Decimal8("4.5")!, high: Decimal8(5), low: Decimal8(4),
            names: ["close_SMA_3", "close_SMA_1", "high_low_close_ATR_2"], values: [17.0 / 6, 4.5, 2.5]
        )))
        #expect(vectors([outputs[3]]).first?.values == [10.0 / 3, 3.5, 2])
        #expect(core.statistics.vectors == 2 && core.statistics.klines == 4)
    }

    @Test func ignoresOpenKlinesAndDropsDuplicatesOutOfOrderAndMisaligned() throws {
        var core = FeatureServiceCore(configuration: try .init(features: ["close_SMA_2"]))
        _ = feed(&core, [kline(0, close: "1"), kline(1, close: "2")])
        #expect(core.handle(.kline(kline(2, close: "9", closed: false)), now: .zero).isEmpty)
        for again in [kline(1, close: "2"), kline(0, close: "2")] {
            #expect(core.handle(.kline(again), now: .zero) == [.dropped(bar: again.bar, reason: "duplicate_or_out_of_order")])
        }
        var misaligned = kline(2, close: "3")
        misaligned.openTime = misaligned.openTime.adding(milliseconds: 1_000)
        #expect(core.handle(.kline(misaligned), now: .zero) == [.dropped(bar: misaligned.bar, reason: "misaligned_open_time")])
        // State is untouched by what was refused: the next bar continues from bar 1.
        #expect(vectors(core.handle(.kline(kline(2, close: "3")), now: .zero)).first?.values == [2.5])
        #expect(core.statistics.ignoredOpen == 1 && core.statistics.dropped == 3)
    }

    @Test func gapRestartsTheSeriesByDefault() throws {
        let names = ["close_SMA_3", "close_RSI_2"]
        var core = FeatureServiceCore(configuration: try .init(features: names))
        let present = [0, 1, 2, 3, 7, 8, 9, 10]
        let klines = present.map { i in kline(i, close: "\(100 + i * i)") }
        let outputs = feed(&core, klines)
        #expect(outputs.contains(.seriesReset(bar: klines[4].bar, missingBars: 3)))
        #expect(!outputs.contains { if case .gapFilled = $0 { true } else { false } })
        #expect(outputs.contains(.warming(bar: klines[4].bar, remainingBars: 2)))
        #expect(outputs.contains(.warming(bar: klines[5].bar, remainingBars: 1)))
        // The first vector after the gap comes lookback + 1 = 3 bars later, from bars 7…9 only.
        let emitted = vectors(outputs)
        #expect(emitted.map(\.bar) == [klines[2].bar, klines[3].bar, klines[6].bar, klines[7].bar])
        let close = [7, 8, 9, 10].map { Double(100 + $0 * $0) }
        #expect(emitted[2].values[0] == (close[0] + close[1] + close[2]) / 3)
        #expect(emitted[2].values[1] == IndicatorReference.rsi(close, 2)[2])
        #expect(core.statistics.gaps == 1 && core.statistics.missingBars == 3 && core.statistics.resets == 1 && core.statistics.syntheticBars == 0)
    }

    @Test func gapIsInterpolatedWhenAskedCountedAndEmitsNoSyntheticVectors() throws {
        let names = ["close_SMA_3", "close_RSI_2", "high_low_close_ATR_2"]
        var core = FeatureServiceCore(configuration: try .init(features: names, maxInterpolatedGap: 3))
        let present = [0, 1, 2, 3, 7, 8]
        let klines = present.map { i in kline(i, close: "\(100 + i * i)", high: "\(101 + i * i)", low: "\(99 + i * i)") }
        let outputs = feed(&core, klines)
        #expect(outputs.contains(.gapFilled(bar: klines[4].bar, syntheticBars: 3)))
        let emitted = vectors(outputs)
        #expect(emitted.map(\.bar.openTime) == [2, 3, 7, 8].map { klines[0].openTime.adding(milliseconds: Int64($0) * 60_000) })
        #expect(core.statistics.gaps == 1 && core.statistics.syntheticBars == 3)

        // Reference: the regular raster with linearly interpolated high/low/close, batch formulas.
        var high = [Double](), low = [Double](), close = [Double]()
        for i in 0...8 {
            if let k = klines.first(where: { $0.openTime.milliseconds == t0 + Int64(i) * 60_000 }) {
                high.append(k.high.doubleValue); low.append(k.low.doubleValue); close.append(k.close.doubleValue)
            } else {
                let a = 3.0, b = 7.0, x = Double(i)
                func lerp(_ ya: Double, _ yb: Double) -> Double { ya + (yb - ya) * (x - a) / (b - a) }
                high.append(lerp(101 + 9, 101 + 49)); low.append(lerp(99 + 9, 99 + 49)); close.append(lerp(100 + 9, 100 + 49))
            }
        }
        let sma = IndicatorReference.sma(close, 3), rsi = IndicatorReference.rsi(close, 2)
        let atr = IndicatorReference.atr(high: high, low: low, close: close, 2)
        for vector in emitted {
            let i = Int((vector.bar.openTime.milliseconds - t0) / 60_000)
            for (j, reference) in [sma[i], rsi[i], atr[i]].enumerated() {
                #expect(IndicatorReference.close(vector.values[j], reference, relative: 1e-12), "\(names[j]) at bar \(i)")
            }
        }
    }

    @Test func gapLongerThanTheLimitRestartsTheSeries() throws {
        var core = FeatureServiceCore(configuration: try .init(features: ["close_SMA_2"], maxInterpolatedGap: 2))
        let outputs = feed(&core, [kline(0, close: "1"), kline(1, close: "2"), kline(4, close: "5"), kline(8, close: "9"), kline(9, close: "10")])
        #expect(outputs.contains(.gapFilled(bar: kline(4, close: "5").bar, syntheticBars: 2)))
        #expect(outputs.contains(.seriesReset(bar: kline(8, close: "9").bar, missingBars: 3)))
        #expect(outputs.contains(.warming(bar: kline(8, close: "9").bar, remainingBars: 1)))
        #expect(vectors(outputs).map(\.values) == [[1.5], [4.5], [9.5]])
    }

    @Test func seriesAreIndependentPerSymbolAndInterval() throws {
        let configuration = try FeatureServiceCore.Configuration(features: ["close_SMA_2", "close_RSI_2"])
        let a = (0..<30).map { kline($0, close: "\(100 + ($0 * 7) % 11)", symbol: "AAA") }
        let b = (0..<30).map { kline($0, close: "\(50 + ($0 * 5) % 13)", symbol: "BBB") }
        let c5 = b.map { k -> Kline in
            var k = k
            k.interval = .fiveMinutes
            k.openTime = Timestamp(milliseconds: t0 + (k.openTime.milliseconds - t0) * 5)
            return k
        }
        var alone = FeatureServiceCore(configuration: configuration)
        let expectedA = vectors(feed(&alone, a)).map(\.values)
        alone = FeatureServiceCore(configuration: configuration)
        let expectedB = vectors(feed(&alone, b)).map(\.values)
        var mixed = FeatureServiceCore(configuration: configuration)
        var interleaved: [Kline] = []
        for i in 0..<30 { interleaved += [a[i], b[i], c5[i]] }
        let out = vectors(feed(&mixed, interleaved))
        #expect(out.filter { $0.bar.symbol == "AAA" }.map(\.values) == expectedA)
        #expect(out.filter { $0.bar.symbol == "BBB" && $0.bar.interval == .oneMinute }.map(\.values) == expectedB)
        #expect(out.filter { $0.bar.interval == .fiveMinutes }.map(\.values) == expectedB)
    }

    @Test func copiesOfTheCoreHaveIndependentState() throws {
        var core = FeatureServiceCore(configuration: try .init(features: ["close_SMA_3"]))
        _ = feed(&core, (0..<5).map { kline($0, close: "\($0)") })
        var copy = core
        let original = vectors(feed(&core, [kline(5, close: "100")]))
        let other = vectors(feed(&copy, [kline(5, close: "10")]))
        #expect(original.first?.values == [(3 + 4 + 100) / 3.0])
        #expect(other.first?.values == [(3 + 4 + 10) / 3.0])
    }

    /// The core (the serving path) equals the batch reference on 50,000 real contiguous klines.
    @Test(.enabled(if: SharedKlineFixture.isAvailable, SharedKlineFixture.skipReason))
    func realKlinesMatchTheBatchReference() throws {
        let klines = Array(SharedKlineFixture.btcFiveMinute.prefix(50_000))
        try #require(klines.count == 50_000)
        let names = ["close_SMA_1", "close_SMA_20", "close_RSI_14", "high_low_close_ATR_14", "volume_SMA_5"]
        var core = FeatureServiceCore(configuration: try .init(features: names))
        var emitted: [FeatureVector] = []
        emitted.reserveCapacity(klines.count)
        for k in klines {
            for case .vector(let v) in core.handle(.kline(k), now: k.closeTime) { emitted.append(v) }
        }
        #expect(emitted.count == klines.count - 19)
        #expect(core.statistics.gaps == 0)
        let close = klines.map(\.close.doubleValue), high = klines.map(\.high.doubleValue), low = klines.map(\.low.doubleValue)
        let reference = [
            close, IndicatorReference.sma(close, 20), IndicatorReference.rsi(close, 14),
            IndicatorReference.atr(high: high, low: low, close: close, 14), IndicatorReference.sma(klines.map(\.volume.doubleValue), 5),
        ]
        var mismatches = 0
        for (offset, vector) in emitted.enumerated() {
            let i = offset + 19
            #expect(vector.bar == klines[i].bar)
            for j in names.indices where !IndicatorReference.close(vector.values[j], reference[j][i]) {
                mismatches += 1
                if mismatches < 5 { Issue.record("\(names[j]) at bar \(i): \(vector.values[j]) vs \(reference[j][i])") }
            }
        }
        #expect(mismatches == 0)
    }
}
