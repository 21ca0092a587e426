import Domain
import Foundation
import OrderBook
import TestKit
import Testing
@testable import OrderFlow

/// Bars in event time, worked by hand (10 s bars).
@Suite struct OrderFlowAggregatorTests {
    func value(_ bar: OrderFlowBar, _ feature: OrderFlowFeature, _ c: OrderFlowConfiguration = Make.configuration()) -> Double {
        bar.values[c.column(of: feature.rawValue)!]
    }

    /// Book 99×2 / 101×1 loaded; at 1 s the bid grows to 4 (state A, level-1 imbalance 0.6);
    /// at 12 s it drops to 1 (state B, imbalance 0); trades at 15 s and 16 s.
    func scenario() -> (OrderFlowAggregator, [OrderFlowBar]) {
        var a = OrderFlowAggregator(symbol: "TEST", configuration: Make.configuration())
        var bars: [OrderFlowBar] = []
        a.load(Make.snapshot(bids: [(99, 2)], asks: [(101, 1)]))
        a.handle(.depth(Make.diff(11, at: 1_000, bids: [(99, 4)])), into: &bars)
        a.handle(.depth(Make.diff(12, at: 12_000, bids: [(99, 1)])), into: &bars)
        a.handle(.trade(Make.trade(at: 15_000, price: 101, quantity: 2, takerBuys: true)), into: &bars)
        a.handle(.trade(Make.trade(at: 16_000, price: 100, quantity: 1, takerBuys: false)), into: &bars)
        a.handle(.advance(to: Timestamp(milliseconds: 30_000)), into: &bars)
        return (a, bars)
    }

    @Test func theBarOfTheFirstSyncIsInvalid() {
        let (_, bars) = scenario()
        #expect(bars.map(\.openTime.milliseconds) == [0, 10_000, 20_000])
        #expect(!bars[0].bookValid && bars[0].diffs == 1)
        #expect(bars[0].values.allSatisfy { $0.isNaN })      // no trade either
    }

    @Test func bookStateIsTimeWeighted() {
        let (_, bars) = scenario()
        let b = bars[1]
        #expect(b.bookValid && b.diffs == 1 && b.trades == 2)
        // A for 2 s, B for 8 s.
        #expect(close(value(b, .level1Imbalance), (0.6 * 2_000 + 0 * 8_000) / 10_000))
        #expect(close(value(b, .imbalance5), 0.12))
        #expect(close(value(b, .quotedSpreadBps), 200))
        // Micro: A (99·1 + 101·4)/5 = 100.6, B = 100.
        #expect(close(value(b, .micropriceDev), (0.006 * 2_000 + 0 * 8_000) / 10_000))
    }

    @Test func ofiIsSummedAndNormalisedByLevel1Depth() {
        let (_, bars) = scenario()
        // Same best prices, bid 4 → 1: e = −3. Mean level-1 depth (2.5 · 2 s + 1 · 8 s) / 10 s = 1.3.
        #expect(close(value(bars[1], .ofi), -3 / 1.3))
        #expect(close(value(bars[1], .bookUpdateRate), 0.1))
        #expect(value(bars[1], .midReturn) == 0)
    }

    @Test func tradeFeatures() {
        let (_, bars) = scenario()
        #expect(close(value(bars[1], .tradeImbalance), (2.0 - 1) / 3))
        // |101 − 100| · 2 / 100 and 0.
        #expect(close(value(bars[1], .effectiveSpread), 0.01))
    }

    @Test func anEmptyBarCarriesTheStateAndHasNoTrades() {
        let (_, bars) = scenario()
        let b = bars[2]
        #expect(b.bookValid && b.diffs == 0 && b.trades == 0)
        #expect(value(b, .level1Imbalance) == 0)
        #expect(value(b, .ofi) == 0 && value(b, .bookUpdateRate) == 0 && value(b, .midReturn) == 0)
        #expect(value(b, .tradeImbalance).isNaN && value(b, .effectiveSpread).isNaN)
        #expect(close(value(b, .quotedSpreadBps), 200))
    }

    @Test func priceMovesGiveOfiAndMidReturn() {
        var a = OrderFlowAggregator(symbol: "TEST", configuration: Make.configuration())
        a.load(Make.snapshot(bids: [(99, 2)], asks: [(101, 1)]))
        _ = a.handle(.depth(Make.diff(11, at: 9_000)))                      // times the book: valid from bar 10 s
        // 12 s: a new best bid 100×3 (bid part +3); the ask 101×1 is taken (ask moves up to 102×5: ask part −1).
        _ = a.handle(.depth(Make.diff(12, at: 12_000, bids: [(100, 3)], asks: [(101, 0), (102, 5)])))
        // 14 s: the best bid is cancelled (falls back to 99×2: bid part −3); a new best ask 101.5×2 (+2).
        _ = a.handle(.depth(Make.diff(13, at: 14_000, bids: [(100, 0)], asks: [(101.5, 2)])))
        let bars = a.handle(.advance(to: Timestamp(milliseconds: 20_000)))
        let b = bars.last!
        #expect(b.bookValid && b.diffs == 2)
        let e: Double = 4 - 5                                                 // e₁ = 4, e₂ = −5
        let weighted: Double = 1.5 * 2_000 + 4.0 * 2_000 + 2.0 * 6_000             // depths (2+1)/2, (3+5)/2, (2+2)/2
        let depth = weighted / 10_000
        #expect(close(value(b, .ofi), e / depth))
        #expect(close(value(b, .midReturn), log(100.25 / 100)))              // mid (99 + 101.5) / 2 at the end
    }

    @Test func aGapInvalidatesTheBarUntilTheNextSnapshot() {
        var (a, bars) = scenario()
        #expect(a.isBookValid)
        a.handle(.depth(Make.diff(20, at: 35_000, first: 15)), into: &bars)   // U 15 > 12 + 1
        #expect(!a.isBookLoaded && a.statistics.gaps == 1 && a.statistics.resyncs == 1)
        a.handle(.depth(Make.diff(21, at: 36_000)), into: &bars)              // no book: ignored
        #expect(a.statistics.diffsWithoutBook == 1)
        a.handle(.trade(Make.trade(at: 37_000, price: 100, quantity: 1, takerBuys: true)), into: &bars)
        a.load(Make.snapshot(bids: [(99, 1)], asks: [(101, 1)], id: 30))
        a.handle(.depth(Make.diff(31, at: 38_000)), into: &bars)
        a.handle(.advance(to: Timestamp(milliseconds: 50_000)), into: &bars)
        let gapBar = bars[3], after = bars[4]
        #expect(gapBar.openTime.milliseconds == 30_000 && !gapBar.bookValid && gapBar.resyncs == 1)
        #expect(value(gapBar, .imbalance5).isNaN && value(gapBar, .effectiveSpread).isNaN && value(gapBar, .bookUpdateRate).isNaN)
        #expect(value(gapBar, .tradeImbalance) == 1)        // trades do not need the book
        #expect(after.bookValid && value(after, .level1Imbalance) == 0)
        #expect(a.statistics.invalidBars == 2)
    }

    @Test func aCrossedBookIsAResync() {
        var a = OrderFlowAggregator(symbol: "TEST", configuration: Make.configuration())
        a.load(Make.snapshot(bids: [(99, 2)], asks: [(101, 1)]))
        _ = a.handle(.depth(Make.diff(11, at: 1_000, bids: [(102, 1)])))
        #expect(a.statistics.crossed == 1 && !a.isBookLoaded)
    }

    @Test func staleDiffsAndRepeatedSnapshotsAreIgnored() {
        var a = OrderFlowAggregator(symbol: "TEST", configuration: Make.configuration())
        _ = a.handle(.book(BookSnapshot(symbol: "TEST", lastUpdateID: 10, eventTime: .zero, bids: [Make.level(99, 1)], asks: [Make.level(101, 1)], isFull: true)))
        _ = a.handle(.depth(Make.diff(10, at: 1_000, bids: [(99, 5)])))
        #expect(a.statistics.staleDiffs == 1 && a.book.bestBid?.quantity == Decimal8(1))
        _ = a.handle(.depth(Make.diff(11, at: 1_100)))
        _ = a.handle(.book(BookSnapshot(symbol: "TEST", lastUpdateID: 11, eventTime: .zero, bids: [], asks: [], isFull: true)))
        _ = a.handle(.book(BookSnapshot(symbol: "TEST", lastUpdateID: 11, eventTime: .zero, bids: [], asks: [], isFull: false)))
        #expect(a.statistics.snapshotsIgnored == 1 && a.statistics.partialSnapshotsIgnored == 1 && a.isBookValid)
        // A newer full book than the diffs reached: the diff stream lost events.
        _ = a.handle(.book(BookSnapshot(symbol: "TEST", lastUpdateID: 40, eventTime: .zero, bids: [Make.level(98, 1)], asks: [Make.level(101, 1)], isFull: true)))
        #expect(a.statistics.resyncs == 1 && a.isBookLoaded && !a.isBookValid)
    }

    @Test func lateEventsLandInTheCurrentBar() {
        var a = OrderFlowAggregator(symbol: "TEST", configuration: Make.configuration())
        var bars: [OrderFlowBar] = []
        a.handle(.trade(Make.trade(at: 10_500, price: 100, quantity: 1, takerBuys: true)), into: &bars)
        a.handle(.trade(Make.trade(at: 9_900, price: 100, quantity: 1, takerBuys: false)), into: &bars)
        a.handle(.advance(to: Timestamp(milliseconds: 20_000)), into: &bars)
        #expect(bars.count == 1 && bars[0].openTime.milliseconds == 10_000 && bars[0].trades == 2)
        #expect(a.statistics.lateEvents == 1)
        #expect(value(bars[0], .tradeImbalance) == 0)
        // After the shell closed bar 10 s at 20 s, a trade stamped 19.5 s is late and belongs to bar 20 s.
        a.handle(.trade(Make.trade(at: 19_500, price: 100, quantity: 1, takerBuys: true)), into: &bars)
        a.handle(.advance(to: Timestamp(milliseconds: 30_000)), into: &bars)
        #expect(bars.count == 2 && bars[1].openTime.milliseconds == 20_000 && bars[1].trades == 1)
        #expect(a.statistics.lateEvents == 2)
    }

    @Test func longJumpsSkipEmptyBarsBeyondTheLimit() throws {
        let c = try OrderFlowConfiguration(frequency: BarFrequency("1s"), maxEmptyBars: 5)
        var a = OrderFlowAggregator(symbol: "TEST", configuration: c)
        _ = a.handle(.trade(Make.trade(at: 0, price: 1, quantity: 1, takerBuys: true)))
        let few = a.handle(.trade(Make.trade(at: 4_500, price: 1, quantity: 1, takerBuys: true)))
        #expect(few.map(\.openTime.milliseconds) == [0, 1_000, 2_000, 3_000])
        let many = a.handle(.trade(Make.trade(at: 100_000, price: 1, quantity: 1, takerBuys: true)))
        #expect(many.map(\.openTime.milliseconds) == [4_000])
        #expect(a.statistics.barsSkipped == 95 && a.openBarTime == Timestamp(milliseconds: 100_000))
    }

    @Test func configuredDepthsSelectTheImbalances() throws {
        let c = try OrderFlowConfiguration(depths: [1, 3], freq: "10s")
        var a = OrderFlowAggregator(symbol: "TEST", configuration: c)
        a.load(Make.snapshot(bids: [(99, 1), (98, 1), (97, 1)], asks: [(101, 3), (102, 3), (103, 3)]))
        _ = a.handle(.depth(Make.diff(11, at: 0)))
        let bars = a.handle(.advance(to: Timestamp(milliseconds: 20_000)))
        let b = bars[1]
        #expect(a.names.prefix(2) == ["imbalance_1", "imbalance_3"])
        #expect(close(b.values[0], -0.5) && close(b.values[1], -0.5))
    }

    /// Random event streams: bounded features stay bounded in every valid bar, counts add up.
    @Test func propertiesOfRandomStreams() {
        var rng = SeededGenerator(seed: 0x0F11)
        let c = Make.configuration(freq: "1s")
        var a = OrderFlowAggregator(symbol: "TEST", configuration: c)
        a.load(Make.snapshot(bids: (0..<30).map { (999.0 - Double($0), 1) }, asks: (0..<30).map { (1001.0 + Double($0), 1) }))
        var bars: [OrderFlowBar] = []
        var t: Int64 = 0, id: Int64 = 10, trades = 0
        for _ in 0..<3_000 {
            t += Int64.random(in: 0...300, using: &rng)
            if Bool.random(using: &rng) {
                id += 1
                let bid = (Double(Int.random(in: 950...999, using: &rng)), Double(Int.random(in: 0...50, using: &rng)))
                let ask = (Double(Int.random(in: 1001...1050, using: &rng)), Double(Int.random(in: 0...50, using: &rng)))
                a.handle(.depth(Make.diff(id, at: t, bids: [bid], asks: [ask])), into: &bars)
            } else {
                trades += 1
                a.handle(.trade(Make.trade(at: t, price: Double(Int.random(in: 990...1010, using: &rng)), quantity: 1, takerBuys: Bool.random(using: &rng))), into: &bars)
            }
        }
        a.handle(.advance(to: Timestamp(milliseconds: t + 1_000)), into: &bars)
        #expect(bars.reduce(0) { $0 + $1.trades } == trades)
        #expect(bars.reduce(0) { $0 + $1.diffs } == a.statistics.diffsApplied)
        for (i, b) in bars.enumerated() where i > 0 { #expect(b.openTime.milliseconds == bars[i - 1].openTime.milliseconds + 1_000) }
        func v(_ b: OrderFlowBar, _ f: OrderFlowFeature) -> Double { b.values[c.column(of: f.rawValue)!] }
        for b in bars where b.bookValid {
            for f in [OrderFlowFeature.imbalance5, .imbalance10, .imbalance20, .level1Imbalance, .tradeImbalance] where !v(b, f).isNaN {
                #expect((-1 - 1e-12...1 + 1e-12).contains(v(b, f)), "\(f)")
            }
            #expect((0...20).contains(v(b, .bidWallCount)) && (0...20).contains(v(b, .askWallCount)))
            #expect(close(v(b, .bidPressure) + v(b, .askPressure), 1, relative: 1e-9))
            #expect(v(b, .bookUpdateRate) == Double(b.diffs))
            #expect(v(b, .quotedSpreadBps) > 0 && v(b, .depthBid10bps) >= 0)
            #expect(b.trades > 0 || v(b, .effectiveSpread).isNaN)
        }
        #expect(bars.filter(\.bookValid).count > 100)
    }
}
