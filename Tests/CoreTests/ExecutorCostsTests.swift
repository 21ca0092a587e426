import Domain
import ExecutorCore
import TestKit
import Testing

// The Executor core's costs and time limit: slippage (bps, or half the bar's quoted spread), maker
// and taker fees, and time-limit exits. Every expectation is on the reports the core returns.

/// 2024-08-05T00:00:00Z.
private let dayStart: Int64 = 1_722_816_000_000
private let now = Timestamp(milliseconds: dayStart)

private func dec(_ text: String) -> Decimal8 { Decimal8(text)! }

private func bar(_ minute: Int64, symbol: String = "BTCUSDT") -> BarKey {
    BarKey(symbol: symbol, interval: .oneMinute, openTime: Timestamp(milliseconds: dayStart + minute * 60_000))
}

private func kline(_ minute: Int64, _ open: String, _ high: String, _ low: String, _ close: String, symbol: String = "BTCUSDT") -> Kline {
    let key = bar(minute, symbol: symbol)
    return Kline(
        symbol: symbol, interval: .oneMinute, openTime: key.openTime, closeTime: key.closeTime,
        open: dec(open), high: dec(high), low: dec(low), close: dec(close), volume: dec("1")
    )
}

private func intent(
    _ n: Int64, barMinute: Int64 = 0, quantity: String = "0.5", takeProfit: String = "101", stopLoss: String = "99",
    division: String = "default", timeLimitBars: Int? = nil
) -> TradeIntent {
    let key = bar(barMinute)
    return TradeIntent(
        id: IntentID(milliseconds: dayStart + n, random: UInt64(n)), bar: key, side: .buy, division: division, quantity: dec(quantity),
        referencePrice: dec("100"), takeProfit: dec(takeProfit), stopLoss: dec(stopLoss), createdAt: key.closeTime,
        expiresAt: key.closeTime.adding(milliseconds: 60_000), shadow: true, timeLimitBars: timeLimitBars
    )
}

private func reports(_ inputs: [ExecutorCore.Input], _ configuration: ExecutorCore.Configuration) -> [ExecutionReport] {
    var core = ExecutorCore(configuration: configuration)
    return inputs.flatMap { core.handle($0, now: now) }.compactMap { if case .report(let r) = $0 { r } else { nil } }
}

/// Maker 0.05 %, taker 0.1 %, slippage 10 bp (0.1 %), tick 0.01.
private let costly = ExecutorCore.Configuration(
    costs: .init(makerFeeRate: dec("0.0005"), takerFeeRate: dec("0.001"), slippageBps: dec("10")),
    tickSizes: ["BTCUSDT": dec("0.01")]
)

@Suite("ExecutorCore costs and time limits")
struct ExecutorCostsTests {
    @Test("A market entry pays the open plus the slippage, rounded up to the tick; the stop receives the level minus it, rounded down; taker fees on the slipped notional")
    func slippageWorsensTakerFills() {
        let fills = reports([
            .intent(intent(1, takeProfit: "102", stopLoss: "99")),
            .kline(kline(1, "100.003", "100.5", "98.5", "99")),
        ], costly)
        #expect(fills.map(\.leg) == [.entry, .stop])
        // 100.003 × 1.001 = 100.103003 → up to the tick: 100.11.
        #expect(fills[0].price == dec("100.11"))
        // 99 × 0.999 = 98.901 → down to the tick: 98.90.
        #expect(fills[1].price == dec("98.9"))
        // Taker fees: 100.11 × 0.5 = 50.055 → 0.050055; 98.9 × 0.5 = 49.45 → 0.04945.
        #expect(fills[0].fee == dec("0.050055"))
        #expect(fills[1].fee == dec("0.04945"))
        #expect(fills[1].realizedPnL == (dec("98.9") - dec("100.11")).multiplied(by: dec("0.5")) - dec("0.050055") - dec("0.04945"))
    }

    @Test("The take-profit LIMIT fills at its level with the maker fee and no slippage")
    func takeProfitIsMaker() {
        let fills = reports([
            .intent(intent(1)),
            .kline(kline(1, "100", "100.5", "99.5", "100")),
            .kline(kline(2, "100.5", "101.2", "100.1", "101")),
        ], costly)
        #expect(fills.map(\.leg) == [.entry, .takeProfit])
        #expect(fills[1].price == dec("101"))
        // 101 × 0.5 = 50.5 × 0.0005 = 0.02525 (maker); entry 100.1 × 0.5 = 50.05 × 0.001 = 0.05005 (taker).
        #expect(fills[0].price == dec("100.1") && fills[0].fee == dec("0.05005"))
        #expect(fills[1].fee == dec("0.02525"))
        #expect(fills[1].realizedPnL == dec("0.45") - dec("0.05005") - dec("0.02525"))
    }

    @Test("Without slippage the prices are the klines' own and one fee rate applies to both legs (the spine's fills)")
    func zeroSlippageKeepsPrices() {
        let fills = reports([
            .intent(intent(1)),
            .kline(kline(1, "100.003", "100.5", "98.5", "99")),
        ], .init(feeRate: dec("0.001")))
        #expect(fills.map(\.price) == [dec("100.003"), dec("99")])
    }

    @Test("Half the quoted spread of the bar before the fill replaces the configured bps; other bars' spreads do not apply")
    func halfSpreadBeatsBps() {
        // Spread of bar 0 (8 bp): fills on kline 1 slip by 4 bp. Spread of bar 5: irrelevant to kline 1.
        let withSpread = reports([
            .spread(.init(bar: bar(0), bps: dec("8"))),
            .spread(.init(bar: bar(5), bps: dec("500"))),
            .intent(intent(1, takeProfit: "200", stopLoss: "50")),
            .kline(kline(1, "100", "100.5", "99.5", "100")),
        ], costly)
        // 100 × (1 + 0.0004) = 100.04 (not 100.1, the 10 bp default).
        #expect(withSpread.first?.price == dec("100.04"))
        // A spread of another bar (bar 1's applies to kline 2) leaves kline 1 on the bps.
        let other = reports([
            .spread(.init(bar: bar(1), bps: dec("8"))),
            .intent(intent(1, takeProfit: "200", stopLoss: "50")),
            .kline(kline(1, "100", "100.5", "99.5", "100")),
        ], costly)
        #expect(other.first?.price == dec("100.1"))
        // A zero spread means no slippage at all, even with bps configured.
        // A broken book's spread (100 % or more) is ignored: the bps apply.
        let broken = reports([
            .spread(.init(bar: bar(0), bps: dec("10000"))),
            .intent(intent(1, takeProfit: "200", stopLoss: "50")),
            .kline(kline(1, "100", "100.5", "99.5", "100")),
        ], costly)
        #expect(broken.first?.price == dec("100.1"))
        let zero = reports([
            .spread(.init(bar: bar(0), bps: .zero)),
            .intent(intent(1, takeProfit: "200", stopLoss: "50")),
            .kline(kline(1, "100.003", "100.5", "99.5", "100")),
        ], costly)
        #expect(zero.first?.price == dec("100.003"))
    }

    @Test("A spread that arrives after the intent but before the entry kline still applies; the exit on a later kline uses its own bar's spread")
    func spreadPerFillKline() {
        let fills = reports([
            .intent(intent(1, takeProfit: "200", stopLoss: "99")),
            .spread(.init(bar: bar(0), bps: dec("2"))),
            .kline(kline(1, "100", "100.5", "99.5", "100")),
            .spread(.init(bar: bar(1), bps: dec("20"))),
            .kline(kline(2, "100", "100", "98", "98.5")),
        ], costly)
        #expect(fills.map(\.leg) == [.entry, .stop])
        #expect(fills[0].price == dec("100.01"))  // 1 bp
        #expect(fills[1].price == dec("98.9"))  // 99 × 0.999 = 98.901 → 98.90 (10 bp = half of 20)
    }

    @Test("Each division pays its own costs; unknown divisions pay the default ones")
    func perDivisionCosts() {
        var configuration = costly
        configuration.divisionCosts = ["aggressive": .init(makerFeeRate: .zero, takerFeeRate: dec("0.002"), slippageBps: dec("50"))]
        let fills = reports([
            .intent(intent(1, takeProfit: "200", stopLoss: "50", division: "aggressive")),
            .intent(intent(2, takeProfit: "200", stopLoss: "50", division: "conservative")),
            .kline(kline(1, "100", "100.5", "99.5", "100")),
        ], configuration)
        let byDivision = Dictionary(uniqueKeysWithValues: fills.map { ($0.intentID.rawValue, $0) })
        let aggressive = byDivision[intent(1).id.rawValue]!, conservative = byDivision[intent(2).id.rawValue]!
        #expect(aggressive.price == dec("100.5") && aggressive.fee == dec("0.1005"))
        #expect(conservative.price == dec("100.1") && conservative.fee == dec("0.05005"))
    }

    // MARK: Time limit

    @Test("A position still open after N bars is sold at the open of bar N + 1 (taker, slipped), never earlier")
    func timeLimitExitsAtTheNextOpen() {
        let fills = reports([
            .intent(intent(1, timeLimitBars: 2)),
            .kline(kline(1, "100", "100.5", "99.5", "100")),   // bar 1 (entry)
            .kline(kline(2, "100", "100.9", "99.1", "100.2")),  // bar 2: neither level
            .kline(kline(3, "100.4", "101.5", "98", "100")),    // bar 3's open: time limit, before its intrabar levels
        ], costly)
        #expect(fills.map(\.leg) == [.entry, .timeLimit])
        #expect(fills[1].eventTime == bar(3).openTime)
        // 100.4 × 0.999 = 100.2996 → down to the tick: 100.29; taker fee 100.29 × 0.5 × 0.001 = 0.050145.
        #expect(fills[1].price == dec("100.29") && fills[1].fee == dec("0.050145"))
        #expect(fills[1].leg.exitReason == "time_limit")
    }

    @Test("The take-profit and stop of bars 1…N are checked in full before the limit; at bar N + 1 an opening gap through a level wins")
    func timeLimitComesAfterTheLevels() {
        // Bar N (= 2) touches the take-profit intrabar: a take-profit, not a time limit.
        let lastBar = reports([
            .intent(intent(1, timeLimitBars: 2)),
            .kline(kline(1, "100", "100.5", "99.5", "100")),
            .kline(kline(2, "100", "101.1", "99.5", "100.8")),
        ], costly)
        #expect(lastBar.map(\.leg) == [.entry, .takeProfit])
        // Bar N + 1 gaps above the take-profit: the resting LIMIT fills at the open (maker).
        let gapUp = reports([
            .intent(intent(1, timeLimitBars: 1)),
            .kline(kline(1, "100", "100.5", "99.5", "100")),
            .kline(kline(2, "101.3", "101.5", "100", "101")),
        ], costly)
        #expect(gapUp.map(\.leg) == [.entry, .takeProfit])
        #expect(gapUp[1].price == dec("101.3"))
        // Bar N + 1 gaps below the stop: a stop at the open, slipped.
        let gapDown = reports([
            .intent(intent(1, timeLimitBars: 1)),
            .kline(kline(1, "100", "100.5", "99.5", "100")),
            .kline(kline(2, "98.5", "99.5", "98", "99")),
        ], costly)
        #expect(gapDown.map(\.leg) == [.entry, .stop])
        #expect(gapDown[1].price == dec("98.40"))  // 98.5 × 0.999 = 98.4015 → 98.40
    }

    @Test("Missing klines count as bars: the first kline at or after bar N + 1 sells; no limit means the position waits")
    func timeLimitCountsTime() {
        let gap = reports([
            .intent(intent(1, timeLimitBars: 3)),
            .kline(kline(1, "100", "100.5", "99.5", "100")),
            .kline(kline(6, "100.2", "100.5", "99.5", "100")),  // bars 2…5 missing: the limit has passed
        ], costly)
        #expect(gap.map(\.leg) == [.entry, .timeLimit])
        #expect(gap[1].eventTime == bar(6).openTime)
        let none = reports([.intent(intent(1))] + (1...50).map { .kline(kline($0, "100", "100.5", "99.5", "100")) }, costly)
        #expect(none.map(\.leg) == [.entry])
    }

    @Test("Book paper fills: maker fee on the take-profit, taker on the market legs, and the time limit sells into the bids")
    func bookPaperCosts() {
        var configuration = ExecutorCore.Configuration(costs: .init(makerFeeRate: .zero, takerFeeRate: dec("0.001")))
        configuration.klineBufferSize = 10
        var core = BookPaperCore(configuration: configuration)
        func book(_ minute: Int64, bid: String, ask: String) -> BookSnapshot {
            BookSnapshot(
                symbol: "BTCUSDT", lastUpdateID: minute + 1, eventTime: bar(minute).openTime.adding(milliseconds: 1),
                bids: [PriceLevel(price: dec(bid), quantity: dec("10"))], asks: [PriceLevel(price: dec(ask), quantity: dec("10"))], isFull: false
            )
        }
        var fills: [ExecutionReport] = []
        func collect(_ outputs: [ExecutorCore.Output]) { fills += outputs.compactMap { if case .report(let r) = $0 { r } else { nil } } }
        collect(core.handle(.book(book(0, bid: "99.9", ask: "100")), now: bar(0).closeTime))
        collect(core.handle(.intent(intent(1, timeLimitBars: 2)), now: bar(0).closeTime))
        collect(core.handle(.book(book(2, bid: "100.1", ask: "100.2")), now: bar(2).openTime))
        #expect(fills.map(\.leg) == [.entry])
        collect(core.handle(.book(book(3, bid: "100.2", ask: "100.3")), now: bar(3).openTime))
        #expect(fills.map(\.leg) == [.entry, .timeLimit])
        #expect(fills[1].price == dec("100.2") && fills[1].fee == dec("0.0501"))
        #expect(fills[0].fee == dec("0.05"))
    }

    // MARK: Property

    @Test("Arbitrary klines, costs and limits: P&L = (exit − entry) × qty − fees, fees = rate × notional rounded up, slippage never improves a price (property)")
    func costsProperty() {
        var rng = SeededGenerator(seed: 2026)
        for n in Int64(1)...400 {
            let tick = [dec("0.01"), dec("0.1"), dec("0.00001")].randomElement(using: &rng)!
            let costs = ExecutorCore.Costs(
                makerFeeRate: Decimal8(units: Int64.random(in: 0...200_000, using: &rng)),
                takerFeeRate: Decimal8(units: Int64.random(in: 0...200_000, using: &rng)),
                slippageBps: Decimal8(units: Int64.random(in: 0...5_000_000_000, using: &rng))
            )
            let configuration = ExecutorCore.Configuration(costs: costs, tickSizes: Bool.random(using: &rng) ? ["BTCUSDT": tick] : [:])
            let base = Int64.random(in: 1_000...9_000_000, using: &rng)  // cents
            let reference = Decimal8(units: base * 1_000_000)
            let quantity = Decimal8(units: Int64.random(in: 1...500_000, using: &rng) * 1_000)
            let take = Decimal8(units: (base * Int64.random(in: 1_001...1_030, using: &rng) / 1_000) * 1_000_000)
            let stop = Decimal8(units: (base * Int64.random(in: 970...999, using: &rng) / 1_000) * 1_000_000)
            guard stop > .zero, take > stop else { continue }
            let limit: Int? = Bool.random(using: &rng) ? Int.random(in: 1...6, using: &rng) : nil
            let i = TradeIntent(
                id: IntentID(milliseconds: dayStart + n, random: UInt64(n)), bar: bar(0), side: .buy, division: "default", quantity: quantity,
                referencePrice: reference, takeProfit: take, stopLoss: stop, createdAt: bar(0).closeTime,
                expiresAt: bar(0).closeTime.adding(milliseconds: 60_000), shadow: true, timeLimitBars: limit
            )
            var inputs: [ExecutorCore.Input] = [.intent(i)]
            var klines: [Kline] = []
            var price = reference
            for minute in Int64(1)...10 {
                if Bool.random(using: &rng) {
                    inputs.append(.spread(.init(bar: bar(minute - 1), bps: Decimal8(units: Int64.random(in: 0...3_000_000_000, using: &rng)))))
                }
                let move = Decimal8(units: reference.units / 1_000 * Int64.random(in: -15...15, using: &rng))
                let open = max(Decimal8(units: 1_000_000), price + move)
                let high = open + Decimal8(units: reference.units / 1_000 * Int64.random(in: 0...12, using: &rng))
                let low = max(Decimal8(units: 1_000_000), open - Decimal8(units: reference.units / 1_000 * Int64.random(in: 0...12, using: &rng)))
                let k = Kline(symbol: "BTCUSDT", interval: .oneMinute, openTime: bar(minute).openTime, closeTime: bar(minute).closeTime,
                              open: open, high: high, low: low, close: open, volume: .one)
                klines.append(k)
                inputs.append(.kline(k))
                price = open
            }
            let fills = reports(inputs, configuration)
            guard let entry = fills.first else { Issue.record("no entry"); continue }
            let entryKline = klines[0]
            #expect(entry.leg == .entry && entry.price >= entryKline.open)
            #expect(entry.fee == costs.takerFeeRate.multiplied(by: entry.price.multiplied(by: quantity), rounding: .up))
            guard fills.count == 2 else {
                #expect(fills.count == 1 && (limit == nil || limit! >= 10))
                continue
            }
            let exit = fills[1]
            let k = klines.first { $0.openTime == exit.eventTime }!
            switch exit.leg {
            case .takeProfit:
                #expect(exit.price == max(take, k.open) && exit.price >= take)
                #expect(exit.fee == costs.makerFeeRate.multiplied(by: exit.price.multiplied(by: quantity), rounding: .up))
            case .stop:
                #expect(exit.price <= min(stop, k.open))
                #expect(exit.fee == costs.takerFeeRate.multiplied(by: exit.price.multiplied(by: quantity), rounding: .up))
            case .timeLimit:
                let bars = Int((k.openTime.milliseconds - entryKline.openTime.milliseconds) / 60_000)
                #expect(limit == bars, "the time limit sells at the open of bar N + 1 exactly")
                #expect(exit.price <= k.open && k.open > stop && k.open < take)
                #expect(exit.fee == costs.takerFeeRate.multiplied(by: exit.price.multiplied(by: quantity), rounding: .up))
            case .entry:
                Issue.record("two entries")
            case .signal:
                Issue.record("a signal exit without a close intent")
            }
            if let limit, exit.leg != .timeLimit {
                #expect((exit.eventTime.milliseconds - entryKline.openTime.milliseconds) / 60_000 <= Int64(limit), "no position outlives its limit")
            }
            #expect(exit.realizedPnL == (exit.price - entry.price).multiplied(by: quantity) - entry.fee - exit.fee)
        }
    }

    @Test("Invalid costs are listed together with every other violation")
    func costValidation() {
        let configuration = ExecutorCore.Configuration(
            costs: .init(makerFeeRate: dec("-0.001"), takerFeeRate: dec("1"), slippageBps: dec("1000.5")),
            divisionCosts: ["aggressive": .init(feeRate: dec("-1"), slippageBps: dec("-1"))],
            tickSizes: ["BTCUSDT": .zero], klineBufferSize: 0
        )
        do {
            try configuration.validate()
            Issue.record("expected violations")
        } catch {
            #expect(error.violations == [
                "makerFeeRate: must be in [0, 1), got -0.001",
                "takerFeeRate: must be in [0, 1), got 1",
                "slippageBps: must be in [0, 1000], got 1000.5",
                "divisionCosts[aggressive].makerFeeRate: must be in [0, 1), got -1",
                "divisionCosts[aggressive].takerFeeRate: must be in [0, 1), got -1",
                "divisionCosts[aggressive].slippageBps: must be in [0, 1000], got -1",
                "tickSizes[BTCUSDT]: must be > 0, got 0",
                "klineBufferSize: must be at least 1, got 0",
            ])
        }
    }

    @Test("slip rounds adversely and never improves the price")
    func slipRounding() {
        #expect(ExecutorCore.slip(dec("100"), by: dec("0.0001"), side: .buy, tick: dec("0.01")) == dec("100.01"))
        #expect(ExecutorCore.slip(dec("100"), by: dec("0.0001"), side: .sell, tick: dec("0.01")) == dec("99.99"))
        #expect(ExecutorCore.slip(dec("100"), by: dec("0.00001"), side: .buy, tick: dec("0.01")) == dec("100.01"))  // 100.001 → up
        #expect(ExecutorCore.slip(dec("100"), by: dec("0.00001"), side: .sell, tick: dec("0.01")) == dec("99.99"))  // 99.999 → down
        #expect(ExecutorCore.slip(dec("0.005"), by: dec("0.1"), side: .sell, tick: dec("0.01")) == dec("0.0045"), "below one tick: not rounded to zero")
        #expect(ExecutorCore.slip(dec("100"), by: .zero, side: .sell, tick: dec("0.01")) == dec("100"))
        #expect(ExecutorCore.slip(dec("0.12345678"), by: dec("0.00000001"), side: .buy, tick: nil) == dec("0.12345679"))
        #expect(ExecutorCore.slip(dec("0.12345678"), by: dec("0.00000001"), side: .sell, tick: nil) == dec("0.12345677"))
    }
}
