import Domain
import ExecutorCore
import Testing

// Scripted inputs for the ExecutorCore; every expectation is on the returned outputs.

/// 2024-08-05T00:00:00Z, a Monday.
private let dayStart: Int64 = 1_722_816_000_000
private let now = Timestamp(milliseconds: dayStart)

private func dec(_ text: String) -> Decimal8 { Decimal8(text)! }

private func bar(_ minute: Int64, symbol: String = "BTCUSDT", interval: Interval = .oneMinute) -> BarKey {
    BarKey(symbol: symbol, interval: interval, openTime: Timestamp(milliseconds: dayStart + minute * 60_000))
}

private func kline(
    _ minute: Int64, _ open: String, _ high: String, _ low: String, _ close: String,
    symbol: String = "BTCUSDT", interval: Interval = .oneMinute, closed: Bool = true
) -> Kline {
    let key = bar(minute, symbol: symbol, interval: interval)
    return Kline(
        symbol: symbol, interval: interval, openTime: key.openTime, closeTime: key.closeTime,
        open: dec(open), high: dec(high), low: dec(low), close: dec(close), volume: dec("1"), isClosed: closed
    )
}

private func intentID(_ n: Int64) -> IntentID { IntentID(milliseconds: dayStart + n, random: UInt64(n)) }

private func intent(
    _ n: Int64, barMinute: Int64, quantity: String = "0.5", takeProfit: String = "101", stopLoss: String = "99",
    side: Side = .buy, ttl: Int64 = 60_000, symbol: String = "BTCUSDT", interval: Interval = .oneMinute, shadow: Bool = true
) -> TradeIntent {
    let key = bar(barMinute, symbol: symbol, interval: interval)
    return TradeIntent(
        id: intentID(n), bar: key, side: side, division: "default", quantity: dec(quantity), referencePrice: dec("100"),
        takeProfit: dec(takeProfit), stopLoss: dec(stopLoss), createdAt: key.closeTime,
        expiresAt: key.closeTime.adding(milliseconds: ttl), shadow: shadow
    )
}

private func reports(_ outputs: [ExecutorCore.Output]) -> [ExecutionReport] {
    outputs.compactMap { if case .report(let r) = $0 { r } else { nil } }
}

private func acks(_ outputs: [ExecutorCore.Output]) -> [IntentAck] {
    outputs.compactMap { if case .ack(let a) = $0 { a } else { nil } }
}

private func watermarks(_ outputs: [ExecutorCore.Output]) -> [ExecutionWatermark] {
    outputs.compactMap { if case .watermark(let w) = $0 { w } else { nil } }
}

private func run(_ inputs: [ExecutorCore.Input], core: ExecutorCore = ExecutorCore(configuration: .init())) -> [ExecutorCore.Output] {
    var core = core
    return inputs.flatMap { core.handle($0, now: now) }
}

/// A small seeded generator (SplitMix64): the tests are reproducible.
private struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("ExecutorCore")
struct ExecutorCoreTests {
    @Test("An intent is journaled, then acknowledged, then a watermark follows")
    func journalBeforeAck() {
        var core = ExecutorCore(configuration: .init())
        let i = intent(1, barMinute: 0)
        let outputs = core.handle(.intent(i), now: now)
        #expect(outputs == [
            .journalIntent(i),
            .ack(IntentAck(intentID: i.id, symbol: "BTCUSDT", status: .accepted)),
            .watermark(ExecutionWatermark(symbol: "BTCUSDT", through: bar(1).openTime.adding(milliseconds: -1), intentsSeen: 1)),
        ])
    }

    @Test("The entry fills at the open of the kline after the intent's bar, never at its own bar")
    func entryAtNextOpen() {
        let i = intent(1, barMinute: 0)
        let outputs = run([
            .intent(i),
            .kline(kline(0, "100", "100.5", "99.5", "100.2")),
            .kline(kline(1, "100.30", "100.6", "99.8", "100.4")),
        ])
        let fills = reports(outputs)
        #expect(fills.count == 1)
        let entry = fills[0]
        #expect(entry.leg == .entry)
        #expect(entry.side == .buy)
        #expect(entry.price == dec("100.30"))
        #expect(entry.quantity == dec("0.5"))
        #expect(entry.eventTime == bar(1).openTime)
        #expect(entry.clientOrderID == i.id.clientOrderID(leg: .entry))
        #expect(entry.fee == dec("0.05015"))
        #expect(entry.realizedPnL == .zero)
        #expect(entry.shadow)
    }

    @Test("Fills are identical whatever the intent's arrival position among the klines")
    func arrivalOrderDoesNotMatter() {
        let klines: [Kline] = [
            kline(0, "100", "100.5", "99.5", "100.2"),
            kline(1, "100.2", "100.6", "99.8", "100.4"),
            kline(2, "100.4", "100.9", "100.1", "100.8"),
            kline(3, "100.8", "101.2", "100.5", "101.1"),  // take-profit at 101
            kline(4, "101.1", "101.3", "100.9", "101.0"),
        ]
        let i = intent(1, barMinute: 0)
        var results: [[ExecutionReport]] = []
        for position in 0...klines.count {
            var inputs = klines.map { ExecutorCore.Input.kline($0) }
            inputs.insert(.intent(i), at: position)
            let outputs = run(inputs)
            results.append(reports(outputs))
            // The last watermark is the same as well.
            #expect(watermarks(outputs).last == ExecutionWatermark(symbol: "BTCUSDT", through: bar(4).closeTime, intentsSeen: 1))
        }
        #expect(results[0].map(\.leg) == [.entry, .takeProfit])
        #expect(results[0].map(\.price) == [dec("100.2"), dec("101")])
        for result in results { #expect(result == results[0]) }
    }

    @Test("Permuted arrival of several intents and klines gives the same reports (property)")
    func permutedArrivalProperty() {
        var generator = SeededGenerator(state: 7)
        var klines: [Kline] = []
        var price = 10_000
        for minute in Int64(0)..<40 {
            let open = price
            let close = open + Int.random(in: -40...40, using: &generator)
            let high = max(open, close) + Int.random(in: 0...30, using: &generator)
            let low = min(open, close) - Int.random(in: 0...30, using: &generator)
            func cents(_ v: Int) -> String { Decimal8(units: Int64(v) * 1_000_000).description }
            klines.append(kline(minute, cents(open), cents(high), cents(low), cents(close)))
            price = close + (minute % 9 == 8 ? Int.random(in: -80...80, using: &generator) : 0)  // occasional gaps
        }
        let intents = (Int64(1)...6).map { n in
            intent(n, barMinute: n * 5, quantity: "0.1", takeProfit: "100.30", stopLoss: "99.70")
        }
        func sorted(_ r: [ExecutionReport]) -> [ExecutionReport] {
            r.sorted { ($0.eventTime, $0.intentID, $0.leg.rawValue) < ($1.eventTime, $1.intentID, $1.leg.rawValue) }
        }
        var reference: [ExecutionReport]?
        for _ in 0..<60 {
            // Klines stay in order; each intent is inserted at a random place after its bar's signal could exist.
            var inputs = klines.map { ExecutorCore.Input.kline($0) }
            for i in intents {
                let earliest = inputs.firstIndex { if case .kline(let k) = $0 { k.openTime > i.bar.openTime } else { false } } ?? inputs.count
                inputs.insert(.intent(i), at: Int.random(in: earliest...inputs.count, using: &generator))
            }
            let result = sorted(reports(run(inputs)))
            if let reference { #expect(result == reference) } else { reference = result }
        }
        #expect((reference ?? []).count >= 6)
    }

    @Test("The stop comes first when one kline touches both levels")
    func stopFirst() {
        let outputs = run([
            .intent(intent(1, barMinute: 0)),
            .kline(kline(1, "100", "100.5", "99.5", "100")),
            .kline(kline(2, "100", "101.5", "98.5", "100")),
        ])
        let fills = reports(outputs)
        #expect(fills.map(\.leg) == [.entry, .stop])
        #expect(fills[1].price == dec("99"))
        #expect(fills[1].side == .sell)
        #expect(fills[1].eventTime == bar(2).openTime)
        #expect(fills[1].clientOrderID == intentID(1).clientOrderID(leg: .stop))
    }

    @Test("The entry kline itself can exit the position")
    func exitOnEntryKline() {
        let fills = reports(run([
            .intent(intent(1, barMinute: 0)),
            .kline(kline(1, "100", "100.2", "98.9", "99.2")),
        ]))
        #expect(fills.map(\.leg) == [.entry, .stop])
        #expect(fills.map(\.eventTime) == [bar(1).openTime, bar(1).openTime])
        #expect(fills[1].price == dec("99"))
    }

    @Test("A gap through the stop fills at the open, worse than the stop")
    func gapThroughStop() {
        let fills = reports(run([
            .intent(intent(1, barMinute: 0)),
            .kline(kline(1, "100", "100.5", "99.5", "99.6")),
            .kline(kline(2, "98.2", "99.5", "98", "99.4")),
        ]))
        #expect(fills.map(\.leg) == [.entry, .stop])
        #expect(fills[1].price == dec("98.2"))
    }

    @Test("A gap through the take-profit fills at the open, better than the target, even if the bar then hits the stop")
    func gapThroughTakeProfit() {
        let fills = reports(run([
            .intent(intent(1, barMinute: 0)),
            .kline(kline(1, "100", "100.5", "99.5", "100.4")),
            .kline(kline(2, "101.7", "101.8", "98.5", "99")),
        ]))
        #expect(fills.map(\.leg) == [.entry, .takeProfit])
        #expect(fills[1].price == dec("101.7"))
    }

    @Test("An entry kline opening beyond a level exits at once at the entry price")
    func entryOpensBeyondLevel() {
        let fills = reports(run([
            .intent(intent(1, barMinute: 0)),
            .kline(kline(1, "98.5", "99.5", "98", "99")),
        ]))
        #expect(fills.map(\.leg) == [.entry, .stop])
        #expect(fills.map(\.price) == [dec("98.5"), dec("98.5")])
        #expect(fills[1].realizedPnL == -(fills[0].fee + fills[1].fee))
    }

    @Test("P&L is exact: (exit − entry) × qty − both fees, fees rounded up to 1e-8")
    func exactPnL() {
        let fills = reports(run([
            .intent(intent(1, barMinute: 0)),
            .kline(kline(1, "100", "100.5", "99.5", "100")),
            .kline(kline(2, "100.5", "101.2", "100.1", "101")),
        ]))
        #expect(fills.count == 2)
        // entry 100 × 0.5 = 50 → fee 0.05; exit 101 × 0.5 = 50.5 → fee 0.0505.
        #expect(fills[0].fee == dec("0.05"))
        #expect(fills[1].fee == dec("0.0505"))
        #expect(fills[1].realizedPnL == dec("0.3995"))
        #expect(fills[1].realizedPnL.description == "0.39950000")

        // Fee with more than eight decimals rounds up: 0.00001 × 61837.63 = 0.6183763, × 0.001 = 0.0006183763.
        let small = reports(run([
            .intent(intent(2, barMinute: 0, quantity: "0.00001", takeProfit: "62000", stopLoss: "61000")),
            .kline(kline(1, "61837.63", "61900", "61800", "61850")),
        ]))
        #expect(small.first?.fee == dec("0.00061838"))
    }

    @Test("Arbitrary fills: realized P&L equals the decimal formula (property)")
    func pnlProperty() {
        var generator = SeededGenerator(state: 42)
        for n in Int64(1)...300 {
            let entryCents = Int64.random(in: 1_000...9_000_000, using: &generator)
            let qtyUnits = Int64.random(in: 1...500_000, using: &generator)  // 0.00001 … 5
            let entry = Decimal8(units: entryCents * 1_000_000)
            let quantity = Decimal8(units: qtyUnits * 1_000)
            let stop = Decimal8(units: (entryCents * 98 / 100) * 1_000_000)
            let take = Decimal8(units: (entryCents * 103 / 100) * 1_000_000)
            guard stop > .zero, take > stop else { continue }
            let i = TradeIntent(
                id: intentID(n), bar: bar(0), side: .buy, division: "default", quantity: quantity, referencePrice: entry,
                takeProfit: take, stopLoss: stop, createdAt: bar(0).closeTime, expiresAt: bar(0).closeTime.adding(milliseconds: 60_000),
                shadow: true
            )
            let k1 = Kline(symbol: "BTCUSDT", interval: .oneMinute, openTime: bar(1).openTime, closeTime: bar(1).closeTime,
                           open: entry, high: take, low: entry, close: entry, volume: .one)
            let fills = reports(run([.intent(i), .kline(k1)]))
            #expect(fills.count == 2)
            let fee = Decimal8(units: 100_000)
            let entryFee = fee.multiplied(by: entry.multiplied(by: quantity), rounding: .up)
            let exitFee = fee.multiplied(by: take.multiplied(by: quantity), rounding: .up)
            #expect(fills[1].realizedPnL == (take - entry).multiplied(by: quantity) - entryFee - exitFee)
            #expect(fills[0].fee == entryFee && fills[1].fee == exitFee)
            // With cent prices and 1e-5 quantities, notional has at most 7 decimals: exact.
            #expect((take - entry).multiplied(by: quantity, rounding: .up) == (take - entry).multiplied(by: quantity, rounding: .down))
        }
    }

    @Test("An intent whose entry kline opens after its expiry is acknowledged expired and never filled")
    func expiredBeforeEntry() {
        let i = intent(1, barMinute: 0, ttl: 0)  // expires at the bar's close, the entry is 1 ms later
        let outputs = run([
            .intent(i),
            .kline(kline(1, "100", "100.5", "99.5", "100")),
            .kline(kline(2, "100", "101.5", "98.5", "100")),
        ])
        #expect(acks(outputs).map(\.status) == [.expired])
        #expect(reports(outputs).isEmpty)
    }

    @Test("A missing entry kline expires the intent, whether the next kline comes before or after the intent")
    func missingEntryKline() {
        let i = intent(1, barMinute: 0)
        let later = kline(2, "100", "101.5", "98.5", "100")  // kline 1 was lost
        let intentFirst = run([.intent(i), .kline(later)])
        let klineFirst = run([.kline(later), .intent(i)])
        #expect(acks(intentFirst).map(\.status) == [.accepted, .expired])
        #expect(acks(klineFirst).map(\.status) == [.expired])
        #expect(reports(intentFirst).isEmpty && reports(klineFirst).isEmpty)
    }

    @Test("An intent whose entry kline has left the buffer is expired")
    func evictedEntryKline() {
        let core = ExecutorCore(configuration: .init(klineBufferSize: 2))
        let outputs = run([
            .kline(kline(1, "100", "100.1", "99.9", "100")),
            .kline(kline(2, "100", "100.1", "99.9", "100")),
            .kline(kline(3, "100", "100.1", "99.9", "100")),
            .intent(intent(1, barMinute: 0)),
            .intent(intent(2, barMinute: 1)),
        ], core: core)
        #expect(acks(outputs).map(\.status) == [.expired, .accepted])
        #expect(reports(outputs).map(\.eventTime) == [bar(2).openTime])
    }

    @Test("A repeated intent id is answered duplicate and nothing else, also after a restart")
    func duplicates() {
        var core = ExecutorCore(configuration: .init())
        let i = intent(1, barMinute: 0)
        _ = core.handle(.intent(i), now: now)
        #expect(core.handle(.intent(i), now: now) == [.ack(IntentAck(intentID: i.id, symbol: "BTCUSDT", status: .duplicate))])
        let fills = core.handle(.kline(kline(1, "100", "100.5", "99.5", "100")), now: now)
        #expect(reports(fills).count == 1)

        var restarted = ExecutorCore(configuration: .init(), journal: [i], finished: [])
        #expect(restarted.handle(.intent(i), now: now) == [.ack(IntentAck(intentID: i.id, symbol: "BTCUSDT", status: .duplicate))])
        // The unfinished journaled intent waits for its entry kline again, and counts as seen.
        let resumed = restarted.handle(.kline(kline(1, "100", "100.5", "99.5", "100")), now: now)
        #expect(reports(resumed).map(\.leg) == [.entry])
        #expect(watermarks(resumed).last?.intentsSeen == 1)

        var finished = ExecutorCore(configuration: .init(), journal: [i], finished: [i.id])
        #expect(reports(finished.handle(.kline(kline(1, "100", "100.5", "99.5", "100")), now: now)).isEmpty)
        #expect(finished.liveIntentCount == 0)
    }

    @Test("Sell and live intents are rejected")
    func rejections() {
        let sell = intent(1, barMinute: 0, side: .sell)
        let live = intent(2, barMinute: 0, shadow: false)
        let outputs = run([.intent(sell), .intent(live), .kline(kline(1, "100", "101.5", "98.5", "100"))])
        #expect(acks(outputs) == [
            IntentAck(intentID: sell.id, symbol: "BTCUSDT", status: .rejected, reason: "short selling not supported on spot"),
            IntentAck(intentID: live.id, symbol: "BTCUSDT", status: .rejected, reason: "live trading disabled: this executor only paper-fills shadow intents"),
        ])
        #expect(reports(outputs).isEmpty)
        #expect(watermarks(outputs).last?.intentsSeen == 2)
    }

    @Test("Watermarks follow the reports they cover and count distinct intents per symbol")
    func watermarkOrderAndCounts() {
        var core = ExecutorCore(configuration: .init())
        _ = core.handle(.intent(intent(1, barMinute: 0)), now: now)
        _ = core.handle(.intent(intent(2, barMinute: 0, symbol: "ETHUSDT")), now: now)
        let outputs = core.handle(.kline(kline(1, "100", "100.5", "99.5", "100")), now: now)
        guard case .report = outputs.first, case .watermark(let mark) = outputs.last else {
            Issue.record("expected reports then a watermark, got \(outputs)")
            return
        }
        // In a position: nothing more can be reported before the next kline opens.
        #expect(mark == ExecutionWatermark(symbol: "BTCUSDT", through: bar(1).closeTime, intentsSeen: 1))
        // Unclosed and repeated klines change nothing.
        #expect(core.handle(.kline(kline(2, "100", "100.5", "99.5", "100", closed: false)), now: now).isEmpty)
        #expect(core.handle(.kline(kline(1, "100", "100.5", "99.5", "100")), now: now).isEmpty)
        // A flat symbol's watermark is the close of its newest kline.
        let eth = core.handle(.kline(kline(5, "10", "10", "10", "10", symbol: "ETHUSDT")), now: now)
        #expect(acks(eth).map(\.status) == [.expired])
        #expect(watermarks(eth) == [ExecutionWatermark(symbol: "ETHUSDT", through: bar(5, symbol: "ETHUSDT").closeTime, intentsSeen: 1)])
    }

    @Test("With two intervals, a live 5m position holds the symbol's watermark below its next 5m kline")
    func mixedIntervalWatermark() {
        var core = ExecutorCore(configuration: .init())
        let fiveMinutes = Interval.fiveMinutes
        _ = core.handle(.intent(intent(1, barMinute: 0, interval: fiveMinutes)), now: now)
        _ = core.handle(.kline(kline(5, "100", "100.5", "99.5", "100", interval: fiveMinutes)), now: now)  // entry
        var last: ExecutionWatermark?
        for minute in Int64(5)...9 {
            last = watermarks(core.handle(.kline(kline(minute, "100", "100.2", "99.8", "100")), now: now)).last
        }
        // 1m klines reach 09:59.999, but the 5m kline opening at 10:00 could still report at 10:00.
        #expect(last?.through == bar(10).openTime.adding(milliseconds: -1))
        let after = core.handle(.kline(kline(10, "100", "100.5", "99.5", "100", interval: fiveMinutes)), now: now)
        #expect(watermarks(after).last?.through == bar(15).openTime.adding(milliseconds: -1))
    }

    @Test("Invalid configurations list every violation")
    func configurationValidation() {
        let configuration = ExecutorCore.Configuration(feeRate: dec("-0.1"), klineBufferSize: 0)
        #expect(throws: ExecutorCore.Configuration.ValidationError.self) { try configuration.validate() }
        do {
            try configuration.validate()
        } catch {
            // feeRate sets both the maker and the taker rate: each is reported.
            #expect(error.violations.count == 3)
        }
        #expect(throws: Never.self) { try ExecutorCore.Configuration().validate() }
    }
}
