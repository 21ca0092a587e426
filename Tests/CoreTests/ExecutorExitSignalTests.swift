import Domain
import ExecutorCore
import TestKit
import Testing

// The Executor core's exits by signal: a close intent (the RiskGate's answer to an ensemble exit
// signal) sells the named position at market at the open of the kline after its bar, with the
// taker fee and slippage, unless the take-profit or the stop came first in event time.

/// 2024-08-05T00:00:00Z.
private let dayStart: Int64 = 1_722_816_000_000
private let now = Timestamp(milliseconds: dayStart)

private func dec(_ text: String) -> Decimal8 { Decimal8(text)! }

private func bar(_ minute: Int64) -> BarKey {
    BarKey(symbol: "BTCUSDT", interval: .oneMinute, openTime: Timestamp(milliseconds: dayStart + minute * 60_000))
}

private func kline(_ minute: Int64, _ open: String, _ high: String, _ low: String, _ close: String) -> Kline {
    let key = bar(minute)
    return Kline(
        symbol: "BTCUSDT", interval: .oneMinute, openTime: key.openTime, closeTime: key.closeTime,
        open: dec(open), high: dec(high), low: dec(low), close: dec(close), volume: dec("1")
    )
}

private func id(_ n: Int64) -> IntentID { IntentID(milliseconds: dayStart + n, random: UInt64(n)) }

/// A long entry on bar 0 (enters at kline 1's open), take-profit 105, stop 95.
private func entry(_ n: Int64 = 1) -> TradeIntent {
    let key = bar(0)
    return TradeIntent(
        id: id(n), bar: key, side: .buy, division: "default", quantity: dec("0.5"), referencePrice: dec("100"),
        takeProfit: dec("105"), stopLoss: dec("95"), createdAt: key.closeTime, expiresAt: key.closeTime.adding(milliseconds: 60_000), shadow: true
    )
}

/// A close intent decided on bar `minute`: the position sells at kline `minute + 1`'s open.
private func close(_ n: Int64, of target: IntentID, onBar minute: Int64, side: Side = .sell) -> TradeIntent {
    let key = bar(minute)
    return TradeIntent(
        id: id(n), bar: key, side: side, division: "default", quantity: dec("0.5"), referencePrice: dec("100"),
        takeProfit: dec("105"), stopLoss: dec("95"), createdAt: key.closeTime, expiresAt: key.next.openTime, shadow: true, closesIntentID: target
    )
}

/// Maker 0.05 %, taker 0.1 %, slippage 10 bp, tick 0.01.
private let costly = ExecutorCore.Configuration(
    costs: .init(makerFeeRate: dec("0.0005"), takerFeeRate: dec("0.001"), slippageBps: dec("10")),
    tickSizes: ["BTCUSDT": dec("0.01")]
)

private func run(_ inputs: [ExecutorCore.Input], _ configuration: ExecutorCore.Configuration = costly) -> [ExecutorCore.Output] {
    var core = ExecutorCore(configuration: configuration)
    return inputs.flatMap { core.handle($0, now: now) }
}

private func reports(_ outputs: [ExecutorCore.Output]) -> [ExecutionReport] {
    outputs.compactMap { if case .report(let r) = $0 { r } else { nil } }
}

private func acks(_ outputs: [ExecutorCore.Output]) -> [IntentAck] {
    outputs.compactMap { if case .ack(let a) = $0 { a } else { nil } }
}

/// Quiet klines: inside (95, 105), never touching the levels.
private func quiet(_ minute: Int64, open: String = "100") -> Kline { kline(minute, open, "101", "99", "100") }

@Suite("ExecutorCore exits by signal")
struct ExecutorExitSignalTests {
    @Test("A close intent for bar 2 sells at kline 3's open minus the slippage, rounded down to the tick, with the taker fee; reported under the position's id, leg signal")
    func exitsAtTheNextOpen() throws {
        let position = entry()
        let outputs = run([
            .intent(position), .kline(quiet(1)), .kline(quiet(2)),
            .intent(close(2, of: position.id, onBar: 2)),
            .kline(quiet(3, open: "102.003")),
        ])
        let fills = reports(outputs)
        #expect(fills.map(\.leg) == [.entry, .signal])
        let exit = try #require(fills.last)
        #expect(exit.intentID == position.id && exit.side == .sell && exit.eventTime == bar(3).openTime)
        #expect(exit.clientOrderID == position.id.clientOrderID(leg: .signal))
        // 102.003 × 0.999 = 101.900997 → down to the tick: 101.90; taker fee 101.9 × 0.5 × 0.001 = 0.05095.
        #expect(exit.price == dec("101.9"))
        #expect(exit.fee == dec("0.05095"))
        // Entry: 100 × 1.001 = 100.1, fee 0.05005.
        #expect(exit.realizedPnL == (dec("101.9") - dec("100.1")).multiplied(by: dec("0.5")) - dec("0.05005") - dec("0.05095"))
        #expect(acks(outputs).map(\.status) == [.accepted, .accepted])
        #expect(exit.leg.exitReason == "signal")
    }

    @Test("A close intent that arrives after its exit kline was processed (the klines ran ahead) gives the same exit, before the watermark that counts it")
    func lateCloseGivesTheSameExit() throws {
        let position = entry()
        let inOrder = reports(run([
            .intent(position), .kline(quiet(1)), .kline(quiet(2)),
            .intent(close(2, of: position.id, onBar: 2)), .kline(quiet(3, open: "102.003")), .kline(quiet(4)),
        ]))
        let lateOutputs = run([
            .intent(position), .kline(quiet(1)), .kline(quiet(2)), .kline(quiet(3, open: "102.003")), .kline(quiet(4)),
            .intent(close(2, of: position.id, onBar: 2)),
        ])
        #expect(reports(lateOutputs) == inOrder)
        let last = lateOutputs.suffix(2)
        guard case .report(let exit) = last.first, case .watermark(let mark) = last.last else {
            Issue.record("expected the exit report then the watermark, got \(last)")
            return
        }
        #expect(exit.leg == .signal && mark.intentsSeen == 2)
    }

    @Test("A stop or take-profit hit before the exit open wins; a gap through the stop at the exit open wins too")
    func earlierLevelsWin() {
        let position = entry()
        // The stop inside kline 2, before kline 3's open: the close intent finds no position.
        let stopped = run([
            .intent(position), .kline(quiet(1)), .kline(kline(2, "100", "101", "94", "96")),
            .intent(close(2, of: position.id, onBar: 2)), .kline(quiet(3)),
        ])
        #expect(reports(stopped).map(\.leg) == [.entry, .stop])
        let refused = acks(stopped).last
        #expect(refused?.status == .rejected && refused?.reason.hasPrefix("no_position:") == true)
        // The close intent first, then kline 2 hits the take-profit inside the bar: it wins (kline 2 is before the exit open).
        let target = reports(run([
            .intent(position), .kline(quiet(1)), .intent(close(2, of: position.id, onBar: 2)),
            .kline(kline(2, "100", "106", "99", "104")), .kline(quiet(3)),
        ]))
        #expect(target.map(\.leg) == [.entry, .takeProfit])
        // Kline 3 opens below the stop: the resting stop was there first.
        let gap = reports(run([
            .intent(position), .kline(quiet(1)), .kline(quiet(2)), .intent(close(2, of: position.id, onBar: 2)),
            .kline(kline(3, "94", "95", "93", "94")),
        ]))
        #expect(gap.map(\.leg) == [.entry, .stop])
        // Inside kline 3 the stop would hit, but the signal sells at its open first.
        let signal = reports(run([
            .intent(position), .kline(quiet(1)), .kline(quiet(2)), .intent(close(2, of: position.id, onBar: 2)),
            .kline(kline(3, "100", "101", "90", "91")),
        ]))
        #expect(signal.map(\.leg) == [.entry, .signal])
    }

    @Test("A close intent is journaled once: a second copy is acknowledged duplicate and sells nothing twice")
    func duplicateClose() {
        let position = entry()
        let closing = close(2, of: position.id, onBar: 2)
        let outputs = run([
            .intent(position), .kline(quiet(1)), .kline(quiet(2)), .intent(closing), .intent(closing), .kline(quiet(3)), .intent(closing),
        ])
        let journaled = outputs.filter { if case .journalIntent(let i) = $0 { i.id == closing.id } else { false } }
        #expect(journaled.count == 1)
        #expect(acks(outputs).filter { $0.intentID == closing.id }.map(\.status) == [.accepted, .duplicate, .duplicate])
        #expect(reports(outputs).map(\.leg) == [.entry, .signal])
    }

    @Test("A close intent naming an unknown, finished or not-yet-entered position is rejected no_position and changes nothing")
    func unknownPosition() {
        let position = entry()
        let unknown = run([.intent(position), .kline(quiet(1)), .intent(close(2, of: id(99), onBar: 1)), .kline(quiet(2)), .kline(quiet(3))])
        #expect(reports(unknown).map(\.leg) == [.entry])
        let ack = acks(unknown).last
        #expect(ack?.intentID == id(2) && ack?.status == .rejected && ack?.reason.hasPrefix("no_position:") == true)
        // Exit time at or before the entry (bar 0's close intent: exit at kline 1's open, the entry's).
        let early = acks(run([.intent(position), .intent(close(2, of: position.id, onBar: 0)), .kline(quiet(1))]))
        #expect(early.last?.status == .rejected && early.last?.reason.hasPrefix("no_position:") == true)
        // A close intent with side BUY is malformed.
        let buy = acks(run([.intent(position), .kline(quiet(1)), .intent(close(2, of: position.id, onBar: 1, side: .buy))]))
        #expect(buy.last?.status == .rejected)
        // Close intents count in the watermark like any intent.
        let marks = run([.intent(position), .intent(close(2, of: id(99), onBar: 1))]).compactMap { if case .watermark(let m) = $0 { m } else { nil } }
        #expect(marks.last?.intentsSeen == 2)
    }
}
