import Domain
import OrderBook
import TestKit
import Testing
@testable import OrderFlow

/// Each formula on a tiny book worked out by hand (docs/FEATURES.md).
@Suite struct BookMeasuresTests {
    /// bids 99×2, 98×4; asks 101×1, 102×3: mid 100, each level 100 or 200 bps from mid.
    let small = Make.book(bids: [(99, 2), (98, 4)], asks: [(101, 1), (102, 3)])

    @Test func imbalances() {
        let m = Make.measures(small)
        #expect(m["mid"] == 100)
        #expect(close(m["imbalance_1"]!, 1.0 / 3))           // (2 − 1) / (2 + 1)
        #expect(close(m["imbalance_2"]!, 0.2))               // (6 − 4) / (6 + 4)
        #expect(close(m["imbalance_5"]!, 0.2))               // only two levels a side
        #expect(close(m["level1Imbalance"]!, 1.0 / 3))
    }

    @Test func pressureWeightsByClosenessToMid() {
        let m = Make.measures(small)
        let wb = 2.0 / 101 + 4.0 / 201, wa = 1.0 / 101 + 3.0 / 201   // q / (1 + distance in bps)
        #expect(close(m["bidPressure"]!, wb / (wb + wa)))
        #expect(close(m["askPressure"]!, wa / (wb + wa)))
        #expect(close(m["bidPressure"]! + m["askPressure"]!, 1))
    }

    @Test func slopeOfCumulativeQuantityPerBasisPoint() {
        let m = Make.measures(small)
        #expect(close(m["bidSlope"]!, 0.04))   // cumulative 2 → 6 over 100 → 200 bps
        #expect(close(m["askSlope"]!, 0.03))   // 1 → 4
        // Three levels: x = 100, 200, 300; y = 1, 3, 4 → slope = Σdx·dy / Σdx² = (−100·−1.667 + 0 + 100·1.333) / 20000 = 0.015.
        let three = Make.measures(Make.book(bids: [(99, 1), (98, 2), (97, 1)], asks: [(101, 1)]))
        #expect(close(three["bidSlope"]!, 0.015))
        #expect(three["askSlope"]!.isNaN)      // one level: no slope
    }

    @Test func wallsExceedFiveTimesTheMedian() {
        let m = Make.measures(small)
        #expect(m["bidWallCount"] == 0 && m["askWallCount"] == 0)
        // Bids 1, 1, 1, 10: median 1, 10 > 5 → one wall. Asks 1, 2, 10, 11: median 6, 11 ≤ 30 → none.
        let w = Make.measures(Make.book(bids: [(99, 1), (98, 1), (97, 1), (96, 10)], asks: [(101, 1), (102, 2), (103, 10), (104, 11)]))
        #expect(w["bidWallCount"] == 1)
        #expect(w["askWallCount"] == 0)
        // Exactly 5 × median is not a wall: bids 1, 1, 5 (median 1).
        #expect(Make.measures(Make.book(bids: [(99, 1), (98, 1), (97, 5)], asks: [(101, 1)]))["bidWallCount"] == 0)
    }

    @Test func spreadAndMicroprice() {
        let m = Make.measures(small)
        #expect(close(m["quotedSpreadBps"]!, 200))                 // 2 / 100 · 10⁴
        let micro = (99.0 * 1 + 101.0 * 2) / 3                      // the bid's size pulls toward the ask
        #expect(close(m["micropriceDev"]!, (micro - 100) / 100))
        #expect(close(m["level1Depth"]!, 1.5))
    }

    @Test func depthWithinTenBasisPointsIsQuoteValue() {
        // mid 100.05, band ±0.10005: bids ≥ 99.94995 (100.00, 99.95), asks ≤ 100.15005 (100.10).
        let b = Make.book(bids: [(100.00, 1), (99.95, 2), (99.80, 5)], asks: [(100.10, 1), (100.20, 3)])
        let m = Make.measures(b)
        #expect(close(m["depthBid10bps"]!, 100.0 * 1 + 99.95 * 2))
        #expect(close(m["depthAsk10bps"]!, 100.10))
        #expect(Make.measures(small)["depthBid10bps"] == 0)          // nothing within 0.1 of 100
    }

    @Test func depthBandWalksPastTwentyLevels() {
        // 30 bid levels one cent apart, all within 10 bps of a 1000 mid.
        let bids = (0..<30).map { (999.99 - Double($0) * 0.01, 1.0) }
        let m = Make.measures(Make.book(bids: bids, asks: [(1000.01, 1)]))
        let expected = bids.reduce(0.0) { $0 + $1.0 * $1.1 }
        #expect(close(m["depthBid10bps"]!, expected, relative: 1e-12))
    }

    @Test func anEmptySideGivesNaN() {
        let m = Make.measures(Make.book(bids: [(99, 1)], asks: []))
        #expect(m.values.allSatisfy { $0.isNaN })
    }

    /// Random books: every bounded feature stays in its range.
    @Test func propertiesOfRandomBooks() {
        var rng = SeededGenerator(seed: 0x0F10)
        for _ in 0..<500 {
            let nb = Int.random(in: 1...40, using: &rng), na = Int.random(in: 1...40, using: &rng)
            let mid = Double.random(in: 1...100_000, using: &rng).rounded()
            var bids: [(Double, Double)] = [], asks: [(Double, Double)] = []
            var p = mid - Double(Int.random(in: 1...5, using: &rng)) * 0.01
            for _ in 0..<nb { bids.append((p, Double(Int.random(in: 1...100_000, using: &rng)) / 1000)); p -= Double(Int.random(in: 1...50, using: &rng)) * 0.01 }
            p = mid + Double(Int.random(in: 1...5, using: &rng)) * 0.01
            for _ in 0..<na { asks.append((p, Double(Int.random(in: 1...100_000, using: &rng)) / 1000)); p += Double(Int.random(in: 1...50, using: &rng)) * 0.01 }
            let m = Make.measures(Make.book(bids: bids, asks: asks), depths: [1, 5, 10, 20, 50])
            for k in [1, 5, 10, 20, 50] { #expect((-1...1).contains(m["imbalance_\(k)"]!)) }
            #expect((-1...1).contains(m["level1Imbalance"]!))
            #expect(m["level1Imbalance"] == m["imbalance_1"])
            #expect((0...1).contains(m["bidPressure"]!) && (0...1).contains(m["askPressure"]!))
            #expect(close(m["bidPressure"]! + m["askPressure"]!, 1, relative: 1e-12))
            #expect((0...20).contains(m["bidWallCount"]!) && (0...20).contains(m["askWallCount"]!))
            #expect(m["quotedSpreadBps"]! > 0)
            #expect(abs(m["micropriceDev"]!) <= m["quotedSpreadBps"]! / 20_000 * (1 + 1e-12))   // micro within the spread
            #expect(m["depthBid10bps"]! >= 0 && m["depthAsk10bps"]! >= 0)
            // Cumulative quantity grows with distance: a non-negative slope.
            if nb >= 2 { #expect(m["bidSlope"]! > 0) }
            if na >= 2 { #expect(m["askSlope"]! > 0) }
        }
    }
}
