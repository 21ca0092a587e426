import Domain
import Foundation
import Research
import Testing

private let t0: Int64 = 1_719_792_000_000

/// Bars at consecutive 5-minute open times (or at the given indices) with exact prices.
private func bars(_ rows: [(close: String, high: String, low: String)], at indices: [Int]? = nil) -> [Kline] {
    rows.enumerated().map { offset, row in
        let i = indices?[offset] ?? offset
        let open = Timestamp(milliseconds: t0 + Int64(i) * 300_000)
        return Kline(
            symbol: "BTCUSDT", interval: .fiveMinutes, openTime: open, closeTime: open.adding(milliseconds: 299_999),
            open: Decimal8(row.close)!, high: Decimal8(row.high)!, low: Decimal8(row.low)!, close: Decimal8(row.close)!, volume: Decimal8(1)
        )
    }
}

@Suite struct LabelTests {
    @Test func parsesNames() throws {
        let high = try HighLowLabel(parsing: "high_030_4")
        #expect(high.direction == .high && high.thresholdBasisPoints == 30 && high.horizon == 4 && high.tolerance == nil)
        #expect(high.thresholdPercent == 0.3)
        let low = try HighLowLabel(parsing: "low_150_12", tolerance: 0.5)
        #expect(low.direction == .low && low.thresholdBasisPoints == 150 && low.horizon == 12 && low.tolerance == 0.5)
        for bad in ["high_30_4", "mid_030_4", "high_030", "high_030_0", "high_030_04", "high_000_4", "high_0x0_4", "high_030_4_1", "high__4"] {
            #expect(throws: HighLowLabel.NameError.self, "\(bad)") { try HighLowLabel(parsing: bad) }
        }
        #expect(throws: HighLowLabel.NameError.self) { try HighLowLabel(parsing: "high_030_4", tolerance: -0.1) }
        #expect(throws: HighLowLabel.NameError.self) { try HighLowLabel(parsing: "high_030_4", tolerance: .nan) }
    }

    /// close 100, θ = 0.30 % → target 100.30 (strictly above); τ = 0.5 → stop 99.85 (strictly below).
    @Test func strictInequalitiesAtTheTargetAndStop() throws {
        let label = try HighLowLabel(parsing: "high_030_2")
        // Reaching exactly 100.30 is not crossing.
        #expect(label.labels(for: bars([("100", "100", "100"), ("100", "100.30", "100"), ("100", "100.3", "99")]))[0] == false)
        #expect(label.labels(for: bars([("100", "100", "100"), ("100", "100.30", "100"), ("100", "100.30000001", "99")]))[0] == true)
        let stopped = try HighLowLabel(parsing: "high_030_2", tolerance: 0.5)
        // Low exactly at the stop 99.85 does not stop; the target in the next bar counts.
        #expect(stopped.labels(for: bars([("100", "100", "100"), ("100", "100", "99.85"), ("100", "100.31", "100")]))[0] == true)
        // Low one unit below the stop, before the target: false.
        #expect(stopped.labels(for: bars([("100", "100", "100"), ("100", "100", "99.84999999"), ("100", "100.31", "100")]))[0] == false)
    }

    @Test func tieInOneBarIsTrueAndOrderDecides() throws {
        let label = try HighLowLabel(parsing: "high_030_3", tolerance: 0.5)
        let tie = bars([("100", "100", "100"), ("100", "100", "100"), ("100", "100.31", "99.84"), ("100", "100", "100")])
        #expect(label.labels(for: tie)[0] == true)
        let targetFirst = bars([("100", "100", "100"), ("100", "100.31", "100"), ("100", "100", "90"), ("100", "100", "100")])
        #expect(label.labels(for: targetFirst)[0] == true)
        let stopFirst = bars([("100", "100", "100"), ("100", "100", "99"), ("100", "101", "100"), ("100", "100", "100")])
        #expect(label.labels(for: stopFirst)[0] == false)
        // Without a tolerance there is no stop: the same path is true.
        #expect(try HighLowLabel(parsing: "high_030_3").labels(for: stopFirst)[0] == true)
        // The target beyond the horizon does not count; the current bar's own high does not count.
        let late = bars([("100", "105", "95"), ("100", "100", "100"), ("100", "100", "100"), ("100", "100", "100"), ("100", "101", "100")])
        #expect(label.labels(for: late)[0] == false)
    }

    @Test func lowIsTheMirrorImage() throws {
        let label = try HighLowLabel(parsing: "low_030_2", tolerance: 0.5)
        // Target 99.70 strictly below, stop 100.15 strictly above.
        #expect(label.labels(for: bars([("100", "100", "100"), ("100", "100.15", "99.70"), ("100", "100", "99.69")]))[0] == true)
        #expect(label.labels(for: bars([("100", "100", "100"), ("100", "100.16", "99.71"), ("100", "100", "99.69")]))[0] == false)
        #expect(label.labels(for: bars([("100", "100.16", "100"), ("100", "100.2", "99.69"), ("100", "100", "100")]))[0] == true)
    }

    @Test func lastHorizonRowsAndGapsAreNil() throws {
        let label = try HighLowLabel(parsing: "high_030_3")
        let rows = Array(repeating: (close: "100", high: "100.5", low: "99.5"), count: 10)
        let contiguous = label.labels(for: bars(rows))
        #expect(contiguous.prefix(7).allSatisfy { $0 == true })
        #expect(contiguous.suffix(3).allSatisfy { $0 == nil })
        #expect(label.labels(for: bars(Array(rows.prefix(3)))) == [nil, nil, nil])
        // Bar index 5 is missing: rows whose next 3 bars span the hole have no label.
        let gapped = label.labels(for: bars(Array(rows.prefix(9)), at: [0, 1, 2, 3, 4, 6, 7, 8, 9]))
        #expect(gapped == [true, true, nil, nil, nil, true, nil, nil, nil])
    }

    /// Against a reference in Foundation's decimal arithmetic on 20,000 real bars.
    @Test(.enabled(if: SharedKlineFixture.isAvailable, SharedKlineFixture.skipReason))
    func realKlinesMatchADecimalReference() throws {
        let klines = Array(SharedKlineFixture.btcFiveMinute.prefix(20_000))
        try #require(klines.count == 20_000)
        func dec(_ d: Decimal8) -> Decimal { Decimal(string: d.description)! }
        for (name, tolerance) in [("high_030_4", nil), ("high_030_4", 0.5), ("low_020_6", 1.0), ("high_010_2", 0.2)] as [(String, Double?)] {
            let label = try HighLowLabel(parsing: name, tolerance: tolerance)
            let got = label.labels(for: klines)
            let theta = Decimal(label.thresholdBasisPoints) / 10_000
            let stop = tolerance.map { Decimal(string: String(format: "%.8f", $0 * Double(label.thresholdBasisPoints) / 10_000))! }
            var positives = 0
            for t in 0..<(klines.count - label.horizon) {
                let c = dec(klines[t].close)
                var expected = false
                for k in 1...label.horizon {
                    let h = dec(klines[t + k].high), l = dec(klines[t + k].low)
                    if label.direction == .high {
                        if h > c * (1 + theta) { expected = true; break }
                        if let stop, l < c * (1 - stop) { break }
                    } else {
                        if l < c * (1 - theta) { expected = true; break }
                        if let stop, h > c * (1 + stop) { break }
                    }
                }
                positives += expected ? 1 : 0
                if got[t] != expected {
                    Issue.record("\(name) τ=\(String(describing: tolerance)) differs at row \(t)")
                    break
                }
            }
            #expect(got.suffix(label.horizon).allSatisfy { $0 == nil })
            #expect(positives > 100 && positives < klines.count - 100, "\(name): \(positives) positives is a degenerate check")
        }
    }
}
