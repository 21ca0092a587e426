import Domain
import Foundation
import RiskGateCore
import TestKit
import Testing

// Exit signals at the RiskGate: an ensemble exit (action exit, side SELL) for bar B closes every
// open position of B's symbol that entered by B's close, in its division or in all, in every
// trading state; nothing to close is denied no_position.

/// 2024-08-05T00:00:00Z (a Monday).
private let dayStart: Int64 = 1_722_816_000_000
private let now = Timestamp(milliseconds: dayStart)

private func dec(_ text: String) -> Decimal8 { Decimal8(text)! }

private func bar(_ minute: Int64, _ symbol: String) -> BarKey {
    BarKey(symbol: symbol, interval: .oneMinute, openTime: Timestamp(milliseconds: dayStart + minute * 60_000))
}

private func entrySignal(_ minute: Int64, _ symbol: String, division: String) -> EnsembleSignal {
    EnsembleSignal(bar: bar(minute, symbol), side: .buy, probability: 0.7, threshold: 0.6, models: ["a"], referencePrice: dec("100"), division: division)
}

private func exitSignal(_ minute: Int64, _ symbol: String, division: String = "") -> EnsembleSignal {
    EnsembleSignal(
        bar: bar(minute, symbol), side: .sell, probability: 0.8, threshold: 0.6, models: ["low_a"], referencePrice: dec("101"),
        action: .exit, division: division
    )
}

private func id(_ n: Int64) -> IntentID { IntentID(milliseconds: dayStart + n, random: UInt64(n)) }

private func intents(_ outputs: [RiskGateCore.Output]) -> [TradeIntent] {
    outputs.compactMap { if case .intent(let i) = $0 { i } else { nil } }
}

private func denials(_ outputs: [RiskGateCore.Output]) -> [RiskDenied] {
    outputs.compactMap { if case .denied(let d) = $0 { d } else { nil } }
}

/// The presets over 10 000 with a 5 % stop: each position takes a tenth of its division's capital
/// (the presets' own stop takes all of it).
private func configuration() -> RiskGateCore.Configuration {
    var configuration = RiskGateCore.Configuration.presets(equity: Decimal8(10_000))
    for i in configuration.divisions.indices { configuration.divisions[i].stopDistance = dec("0.05") }
    return configuration
}

/// A gate whose executor watermarks keep up (every intent seen, every bar covered).
private struct Driver {
    var gate: RiskGateCore
    var seen: [String: Int] = [:]

    init(_ configuration: RiskGateCore.Configuration = configuration()) { gate = RiskGateCore(configuration: configuration) }

    mutating func decide(_ s: EnsembleSignal, id n: Int64) -> [RiskGateCore.Output] {
        var out = gate.handle(.signal(s, newIntentID: id(n)), now: now)
        for symbol in Set(gate.blockingSymbols + [s.bar.symbol]).sorted() {
            out += gate.handle(.watermark(ExecutionWatermark(symbol: symbol, through: s.bar.openTime, intentsSeen: seen[symbol, default: 0])), now: now)
        }
        for intent in intents(out) { seen[intent.bar.symbol, default: 0] += 1 }
        return out
    }

    mutating func send(_ input: RiskGateCore.Input) -> [RiskGateCore.Output] { gate.handle(input, now: now) }
}

/// Entries: BTC in conservative (bar 0) and aggressive (bar 1), ETH in conservative (bar 0).
private func withPositions() -> (Driver, btcConservative: TradeIntent, btcAggressive: TradeIntent, eth: TradeIntent) {
    var d = Driver()
    let a = intents(d.decide(entrySignal(0, "BTCUSDT", division: "conservative"), id: 1))
    let e = intents(d.decide(entrySignal(0, "ETHUSDT", division: "conservative"), id: 2))
    let b = intents(d.decide(entrySignal(1, "BTCUSDT", division: "aggressive"), id: 3))
    precondition(a.count == 1 && e.count == 1 && b.count == 1, "the entries are issued: \(a) \(e) \(b) \(d.gate.heldSignals)")
    return (d, a[0], b[0], e[0])
}

@Suite("RiskGate exit signals")
struct RiskGateExitTests {
    @Test("An exit naming no division closes the symbol's positions in every division, one SELL close intent each; other symbols stay; a rejected close releases nothing")
    func closesEveryDivision() throws {
        var (d, conservative, aggressive, _) = withPositions()
        let free = d.gate.states.map(\.freeCapital)
        let out = d.decide(exitSignal(3, "BTCUSDT"), id: 4)
        let closes = intents(out)
        #expect(closes.map(\.closesIntentID) == [conservative.id, aggressive.id])
        #expect(closes.allSatisfy { $0.side == .sell && $0.bar == bar(3, "BTCUSDT") && $0.isClose })
        #expect(closes.map(\.division) == ["conservative", "aggressive"])
        #expect(closes.map(\.quantity) == [conservative.quantity, aggressive.quantity])
        #expect(closes.first?.id == id(4) && closes[1].id != id(4))
        #expect(denials(out).isEmpty)
        // Close intents reserve nothing and are not positions.
        #expect(d.gate.states.map(\.freeCapital) == free)
        #expect(d.gate.state.openPositions == 2)  // conservative: BTC and ETH
        // Re-published until acknowledged, like any intent.
        let republished = d.send(.republishDue).compactMap { if case .republish(let i) = $0 { i.id } else { nil } }
        #expect(Set(closes.map(\.id)).isSubset(of: Set(republished)))
        // A close the Executor rejects (the position was gone) releases nothing: the capital waits for the position's own events.
        _ = d.send(.ack(IntentAck(intentID: closes[1].id, symbol: "BTCUSDT", status: .rejected, reason: "no_position: gone")))
        #expect(denials(d.decide(exitSignal(5, "SOLUSDT"), id: 9)).map(\.reason) == [.noPosition])
        #expect(d.gate.states.map(\.freeCapital) == free)
        #expect(d.gate.openIntents["aggressive"]?.map(\.id) == [aggressive.id])
    }

    @Test("An exit naming a division closes only that division's positions")
    func closesOneDivision() {
        var (d, _, aggressive, _) = withPositions()
        let closes = intents(d.decide(exitSignal(3, "BTCUSDT", division: "aggressive"), id: 4))
        #expect(closes.map(\.closesIntentID) == [aggressive.id])
        #expect(closes.map(\.division) == ["aggressive"])
    }

    @Test("Nothing to close: denied no_position; a position already being closed is not closed twice; an unknown division is denied")
    func noPosition() {
        var (d, _, _, _) = withPositions()
        let none = denials(d.decide(exitSignal(3, "SOLUSDT"), id: 4))
        #expect(none.map(\.reason) == [.noPosition])
        #expect(none.first?.reason.rawValue == "no_position")
        #expect(intents(d.decide(exitSignal(3, "BTCUSDT"), id: 5)).count == 2)
        #expect(denials(d.decide(exitSignal(4, "BTCUSDT"), id: 6)).map(\.reason) == [.noPosition])
        #expect(denials(d.decide(exitSignal(5, "ETHUSDT", division: "nowhere"), id: 7)).map(\.reason) == [.unknownDivision])
        // A position that enters after the exit bar's close is not closed: a 5m entry on [0, 5) enters
        // at minute 5, after the close of the 1m exit bar [4, 5).
        var fresh = Driver()
        var fiveMinute = entrySignal(0, "BTCUSDT", division: "conservative")
        fiveMinute.bar = BarKey(symbol: "BTCUSDT", interval: .fiveMinutes, openTime: bar(0, "BTCUSDT").openTime)
        #expect(intents(fresh.decide(fiveMinute, id: 1)).count == 1)
        #expect(denials(fresh.decide(exitSignal(4, "BTCUSDT"), id: 2)).map(\.reason) == [.noPosition])
        // The 1m exit bar [5, 6) closes after that entry: it is closed.
        #expect(intents(fresh.decide(exitSignal(5, "BTCUSDT"), id: 3)).count == 1)
    }

    @Test("Exits are allowed while REDUCING (paused) and HALTED (flattened), when entries are denied")
    func allowedInEveryState() {
        var (d, conservative, aggressive, _) = withPositions()
        _ = d.send(.control(.pause, division: "aggressive"))
        #expect(d.gate.states.first { $0.division == "aggressive" }?.tradingState == .reducing)
        #expect(intents(d.decide(exitSignal(3, "BTCUSDT", division: "aggressive"), id: 4)).map(\.closesIntentID) == [aggressive.id])
        _ = d.send(.control(.flatten, division: nil))
        #expect(d.gate.state.tradingState == .halted)
        #expect(intents(d.decide(entrySignal(4, "ETHUSDT", division: "conservative"), id: 5)).isEmpty)
        #expect(intents(d.decide(exitSignal(4, "BTCUSDT"), id: 6)).map(\.closesIntentID) == [conservative.id])
    }

    @Test("The exit report (leg signal) releases the position's capital; the close survives a restart")
    func capitalAndRestart() throws {
        var (d, conservative, _, _) = withPositions()
        let close = try #require(intents(d.decide(exitSignal(3, "BTCUSDT", division: "conservative"), id: 4)).first)
        // Restart: the close intent is restored with the position it closes.
        let snapshot = try JSONDecoder().decode(RiskGateCore.Snapshot.self, from: JSONEncoder().encode(d.gate.snapshot))
        var restored = try RiskGateCore(configuration: configuration(), restoring: snapshot)
        #expect(restored.unacknowledgedIntents.first { $0.id == close.id }?.closesIntentID == conservative.id)
        // The position stays marked as closing: a second exit finds nothing in conservative.
        var again = restored.handle(.signal(exitSignal(4, "BTCUSDT", division: "conservative"), newIntentID: id(9)), now: now)
        for symbol in ["BTCUSDT", "ETHUSDT"] {
            again += restored.handle(.watermark(ExecutionWatermark(symbol: symbol, through: bar(4, symbol).openTime, intentsSeen: d.seen[symbol]!)), now: now)
        }
        #expect(denials(again).map(\.reason) == [.noPosition])

        let before = d.gate.state
        _ = d.send(.ack(IntentAck(intentID: close.id, symbol: "BTCUSDT", status: .accepted)))
        let entryTime = bar(1, "BTCUSDT").openTime
        let exitTime = bar(4, "BTCUSDT").openTime
        _ = d.send(.report(ExecutionReport(
            intentID: conservative.id, clientOrderID: conservative.id.clientOrderID(leg: .entry), symbol: "BTCUSDT", leg: .entry, side: .buy,
            price: dec("100"), quantity: conservative.quantity, fee: .zero, realizedPnL: .zero, eventTime: entryTime, shadow: conservative.shadow
        )))
        _ = d.send(.report(ExecutionReport(
            intentID: conservative.id, clientOrderID: conservative.id.clientOrderID(leg: .signal), symbol: "BTCUSDT", leg: .signal, side: .sell,
            price: dec("101"), quantity: conservative.quantity, fee: .zero, realizedPnL: dec("5"), eventTime: exitTime, shadow: conservative.shadow
        )))
        // Any later decision applies the reports up to its bar (here an exit with nothing to close).
        #expect(denials(d.decide(exitSignal(5, "SOLUSDT"), id: 10)).map(\.reason) == [.noPosition])
        let after = d.gate.state
        #expect(after.equity == before.equity + dec("5"))
        #expect(after.openPositions == before.openPositions - 1)
        #expect(after.freeCapital == before.freeCapital + conservative.notional + dec("5"))
        #expect(!(d.gate.openIntents["conservative"] ?? []).contains { $0.id == conservative.id })
    }

    @Test("Deterministic: the same signals give the same close intents (ids included)")
    func deterministic() {
        func run() -> [RiskGateCore.Output] {
            var (d, _, _, _) = withPositions()
            return d.decide(exitSignal(3, "BTCUSDT"), id: 4) + d.decide(exitSignal(4, "ETHUSDT"), id: 5)
        }
        let first = run()
        #expect(first == run())
        #expect(intents(first).count == 3)
        #expect(Set(intents(first).map(\.id)).count == 3)
    }
}
