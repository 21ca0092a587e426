import Domain
import Foundation
import RiskGateCore
import TestKit
import Testing

// Divisions in one gate: routing, sizing per division, position limits, trading states with their
// denials, recovery-shadow intents, and the state that survives a restart.

/// 2024-08-05T00:00:00Z (a Monday).
private let dayStart: Int64 = 1_722_816_000_000
private let now = Timestamp(milliseconds: dayStart)

private func dec(_ text: String) -> Decimal8 { Decimal8(text)! }

private func bar(_ minute: Int64, _ symbol: String) -> BarKey {
    BarKey(symbol: symbol, interval: .oneMinute, openTime: Timestamp(milliseconds: dayStart + minute * 60_000))
}

private func signal(_ minute: Int64, _ symbol: String, price: String = "100", division: String = "") -> EnsembleSignal {
    EnsembleSignal(bar: bar(minute, symbol), side: .buy, probability: 0.7, threshold: 0.6, models: ["a"], referencePrice: dec(price), division: division)
}

private func id(_ n: Int64) -> IntentID { IntentID(milliseconds: dayStart + n, random: UInt64(n)) }

private func mark(_ minute: Int64, _ symbol: String, seen: Int) -> RiskGateCore.Input {
    .watermark(ExecutionWatermark(symbol: symbol, through: bar(minute, symbol).closeTime, intentsSeen: seen))
}

private func exit(_ intent: TradeIntent, pnl: String, at minute: Int64) -> RiskGateCore.Input {
    .report(ExecutionReport(
        intentID: intent.id, clientOrderID: intent.id.clientOrderID(leg: .stop), symbol: intent.bar.symbol, leg: .stop, side: .sell,
        price: intent.stopLoss, quantity: intent.quantity, fee: .zero, realizedPnL: dec(pnl),
        eventTime: bar(minute, intent.bar.symbol).openTime, shadow: intent.shadow
    ))
}

private func intents(_ outputs: [RiskGateCore.Output]) -> [TradeIntent] {
    outputs.compactMap { if case .intent(let i) = $0 { i } else { nil } }
}

private func denials(_ outputs: [RiskGateCore.Output]) -> [RiskDenied] {
    outputs.compactMap { if case .denied(let d) = $0 { d } else { nil } }
}

private func states(_ outputs: [RiskGateCore.Output]) -> [RiskState] {
    outputs.compactMap { if case .state(let s) = $0 { s } else { nil } }
}

/// The presets over 10 000 (conservative 6000, aggressive 3000, reserve 1000), live (not shadow).
private func presets() -> RiskGateCore.Configuration { .presets(equity: Decimal8(10_000), shadow: false) }

/// A gate whose executor watermarks keep up: `decide` sends the signal and the marks that release it.
private struct Driver {
    var gate: RiskGateCore
    var seen: [String: Int] = [:]
    var outputs: [RiskGateCore.Output] = []

    init(_ configuration: RiskGateCore.Configuration) { gate = RiskGateCore(configuration: configuration) }

    @discardableResult
    mutating func decide(_ s: EnsembleSignal, id n: Int64) -> [RiskGateCore.Output] {
        var out = gate.handle(.signal(s, newIntentID: id(n)), now: now)
        let minute = (s.bar.openTime.milliseconds - dayStart) / 60_000
        for symbol in Set(gate.blockingSymbols + [s.bar.symbol]).sorted() {
            out += gate.handle(mark(minute, symbol, seen: seen[symbol, default: 0]), now: now)
        }
        for intent in intents(out) { seen[intent.bar.symbol, default: 0] += 1 }
        outputs += out
        return out
    }

    @discardableResult
    mutating func send(_ input: RiskGateCore.Input) -> [RiskGateCore.Output] {
        let out = gate.handle(input, now: now)
        outputs += out
        return out
    }
}

@Suite("RiskGate divisions")
struct RiskGateDivisionsTests {
    @Test("Presets: 60 % / 30 % / 10 % reserve; signals go to the division listing the symbol, or the one they name")
    func routingAndSizing() {
        var d = Driver(presets())
        #expect(d.gate.states.map(\.division) == ["conservative", "aggressive", "portfolio"])
        #expect(d.gate.states.map(\.equity) == [dec("6000"), dec("3000"), dec("10000")])
        // Conservative: risk 0.5 % of 6000 = 30, stop 0.5 % below 100 → 60 units, capped by the 6000 of free capital.
        let btc = intents(d.decide(signal(0, "BTCUSDT", price: "100"), id: 1))
        #expect(btc.map(\.division) == ["conservative"])
        #expect(btc.first?.quantity == dec("60") && btc.first?.stopLoss == dec("99.5") && btc.first?.takeProfit == dec("100.3"))
        // Aggressive: risk 1 % of 3000 = 30, stop 1 % below 10 → 300 units = 3000, its whole capital.
        let sol = intents(d.decide(signal(0, "SOLUSDT", price: "10"), id: 2))
        #expect(sol.map(\.division) == ["aggressive"])
        #expect(sol.first?.quantity == dec("300") && sol.first?.stopLoss == dec("9.9") && sol.first?.takeProfit == dec("10.05"))
        // A signal naming a division is decided there (its capital is all reserved by now); an
        // unknown division is denied.
        let named = denials(d.decide(signal(1, "ETHUSDT", price: "1000", division: "aggressive"), id: 3))
        #expect(named.map(\.division) == ["aggressive"] && named.map(\.reason) == [.insufficientCapital])
        #expect(named.first?.figures["free_capital"] == .zero && named.first?.figures["equity"] == dec("3000"))
        let unknown = denials(d.decide(signal(2, "ETHUSDT", division: "nope"), id: 4))
        #expect(unknown.map(\.reason) == [.unknownDivision])
        // A symbol no division lists goes to the first division.
        #expect(denials(d.decide(signal(3, "DOGEUSDT", price: "0.2"), id: 5)).first?.division == "conservative")
    }

    @Test("At most one open position per symbol and four per division (presets); denials carry the numbers")
    func positionLimits() {
        var configuration = presets()
        configuration.divisions[0].stopDistance = dec("0.05")  // a trade takes a tenth of the capital
        var d = Driver(configuration)
        _ = d.decide(signal(0, "BTCUSDT", price: "10000"), id: 1)
        let second = denials(d.decide(signal(1, "BTCUSDT", price: "10000"), id: 2))
        #expect(second.map(\.reason) == [.maxPositionsSymbol])
        #expect(second.first?.figures == ["open": dec("1"), "limit": dec("1")])
        #expect(second.first?.division == "conservative")
        for (n, symbol) in ["ETHUSDT", "AAAUSDT", "BBBUSDT"].enumerated() {
            #expect(intents(d.decide(signal(2 + Int64(n), symbol, price: "10000", division: "conservative"), id: 3 + Int64(n))).count == 1)
        }
        let fifth = denials(d.decide(signal(9, "CCCUSDT", price: "10000", division: "conservative"), id: 9))
        #expect(fifth.map(\.reason) == [.maxPositionsDivision])
    }

    @Test("Property: whatever the signals and results, a division never reserves more than its capital")
    func neverExceedsCapital() {
        var generator = SeededGenerator(seed: 55)
        let symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT"]
        for _ in 0..<40 {
            var configuration = presets()
            for i in configuration.divisions.indices {
                configuration.divisions[i].maxOpenPositionsPerSymbol = nil
                configuration.divisions[i].maxOpenPositions = nil
                configuration.divisions[i].riskPerTrade = Decimal8(units: Int64.random(in: 100_000...5_000_000, using: &generator))
                configuration.divisions[i].stopDistance = Decimal8(units: Int64.random(in: 100_000...3_000_000, using: &generator))
            }
            var d = Driver(configuration)
            var open: [TradeIntent] = []
            for minute in Int64(0)..<60 {
                let symbol = symbols[Int.random(in: 0..<symbols.count, using: &generator)]
                let price = Decimal8(units: Int64.random(in: 100...10_000_000, using: &generator) * 1_000_000)
                open += intents(d.decide(signal(minute, symbol, price: price.description), id: minute + 1))
                // Close a random open position with a random result.
                if !open.isEmpty && Bool.random(using: &generator) {
                    let intent = open.remove(at: Int.random(in: 0..<open.count, using: &generator))
                    // A loss never exceeds the position's value.
                    let bound = intent.notional.units / 10
                    let pnl = Decimal8(units: Int64.random(in: -intent.notional.units...max(bound, 1), using: &generator))
                    d.send(exit(intent, pnl: pnl.description, at: minute))
                }
                for state in d.gate.states where state.division != RiskState.portfolio {
                    let reserved = state.equity - state.freeCapital
                    #expect(state.freeCapital >= .zero, "\(state.division) reserved \(reserved) of \(state.equity)")
                }
                for (division, list) in d.gate.openIntents {
                    let equity = d.gate.states.first { $0.division == division }!.equity
                    #expect(list.reduce(Decimal8.zero) { $0 + $1.notional } <= max(equity, .zero) + Decimal8(units: 1))
                }
            }
        }
    }

    @Test("A paused division is REDUCING: its signals are denied with manual_pause, the other division trades")
    func pausedDivision() {
        var d = Driver(presets())
        let paused = states(d.send(.control(.pause, division: "aggressive")))
        #expect(paused.first { $0.division == "aggressive" }?.tradingState == .reducing)
        #expect(paused.first { $0.division == "aggressive" }?.events.map(\.code) == ["pause"])
        #expect(denials(d.decide(signal(0, "SOLUSDT", price: "10"), id: 1)).map(\.reason) == [.manualPause])
        #expect(intents(d.decide(signal(0, "BTCUSDT"), id: 2)).count == 1)
        _ = d.send(.control(.resume, division: "aggressive"))
        #expect(intents(d.decide(signal(1, "SOLUSDT", price: "10"), id: 3)).count == 1)
        // An unknown division in a command is refused, as an event.
        let refused = states(d.send(.control(.pause, division: "nope")))
        #expect(refused.flatMap(\.events).map(\.kind) == [.controlRejected])
    }

    @Test("Health: an unhealthy collector pauses every division (unhealthy) until healthy")
    func unhealthy() {
        var d = Driver(presets())
        _ = d.send(.health(component: "collector", healthy: false, detail: "no heartbeat for 6000 ms"))
        #expect(d.gate.states.allSatisfy { $0.tradingState == .reducing })
        #expect(denials(d.decide(signal(0, "BTCUSDT"), id: 1)).map(\.reason) == [.unhealthy])
        _ = d.send(.health(component: "collector", healthy: true, detail: ""))
        #expect(intents(d.decide(signal(1, "BTCUSDT"), id: 2)).count == 1)
    }

    @Test("Feed failure of an aggressive symbol: denied there, and the aggressive free capital moves to the conservative division")
    func feedFailure() {
        var d = Driver(presets())
        _ = d.send(.feed(symbol: "SOLUSDT", healthy: false))
        #expect(denials(d.decide(signal(0, "SOLUSDT", price: "10"), id: 1)).map(\.reason) == [.feedFailure])
        let byName = Dictionary(uniqueKeysWithValues: d.gate.states.map { ($0.division, $0) })
        #expect(byName["aggressive"]?.equity == .zero && byName["conservative"]?.equity == dec("9000"))
        #expect(byName["aggressive"]?.causes == ["feed_failure"])
        _ = d.send(.feed(symbol: "SOLUSDT", healthy: true))
        let after = Dictionary(uniqueKeysWithValues: d.gate.states.map { ($0.division, $0) })
        #expect(after["aggressive"]?.equity == dec("3000") && after["conservative"]?.equity == dec("6000"))
    }

    @Test("After a manual halt and resume, a division trades shadow only: intents are shadow and reserve nothing")
    func recoveryShadowIntents() {
        var d = Driver(presets())
        _ = d.send(.control(.flatten, division: "conservative"))
        #expect(denials(d.decide(signal(0, "BTCUSDT"), id: 1)).map(\.reason) == [.manualHalt])
        let resumed = states(d.send(.control(.resume, division: "conservative")))
        #expect(resumed.first { $0.division == "conservative" }?.recovery == "shadow")
        let shadow = intents(d.decide(signal(1, "BTCUSDT"), id: 2))
        #expect(shadow.map(\.shadow) == [true])
        #expect(d.gate.states.first?.freeCapital == dec("6000"))  // nothing reserved
        // The aggressive division stays live.
        #expect(intents(d.decide(signal(1, "SOLUSDT", price: "10"), id: 3)).map(\.shadow) == [false])
        // A shadow loss does not touch the equity.
        _ = d.send(exit(shadow[0], pnl: "-25", at: 3))
        _ = d.decide(signal(4, "ETHUSDT"), id: 4)
        #expect(d.gate.states.first?.equity == dec("6000"))
    }

    @Test("A portfolio-wide halt denies with its reason code and the numbers; the single-division gate carries portfolio events")
    func portfolioHaltSingleDivision() {
        var rules = Breakers.Rules()
        rules.maxDrawdown = dec("0.01")
        var configuration = RiskGateCore.Configuration(division: .init(riskPerTrade: dec("0.005"), stopDistance: dec("0.02")))
        configuration.rules = rules
        var d = Driver(configuration)
        let a = intents(d.decide(signal(0, "BTCUSDT"), id: 1))[0]
        _ = d.send(exit(a, pnl: "-10", at: 1))  // 1 % of 1000
        let out = d.decide(signal(2, "BTCUSDT"), id: 2)
        let denied = denials(out)
        #expect(denied.map(\.reason) == [.drawdownHalt])
        #expect(denied.first?.figures["peak_equity"] == dec("1000") && denied.first?.figures["portfolio_equity"] == dec("990"))
        #expect(states(out).flatMap(\.events).map(\.code).contains("drawdown_halt"))
        #expect(d.gate.state.tradingState == .halted && d.gate.state.causes == ["drawdown_halt"])
        #expect(d.gate.states.count == 1)
    }

    // MARK: Persistence

    @Test("A restart (snapshot through JSON) continues exactly: same intents, latches kept, a re-delivered signal is a duplicate")
    func restartContinues() throws {
        var rules = Breakers.Rules()
        rules.maxDrawdown = dec("0.002")
        var configuration = presets()
        configuration.rules = rules
        // The script: trades, a loss that latches the drawdown halt, a resume, more signals.
        var script: [(EnsembleSignal, Int64)] = []
        for minute in Int64(0)..<12 { script.append((signal(minute, minute % 2 == 0 ? "BTCUSDT" : "SOLUSDT", price: "100"), minute + 1)) }

        func run(restartAfter: Int?) throws -> ([TradeIntent], [RiskDenied], RiskGateCore) {
            var d = Driver(configuration)
            var issued: [TradeIntent] = []
            var denied: [RiskDenied] = []
            for (index, (s, n)) in script.enumerated() {
                let out = d.decide(s, id: n)
                issued += intents(out)
                denied += denials(out)
                // Each intent stops out two minutes later at a small loss; minute 5 latches the drawdown.
                for intent in intents(out) {
                    _ = d.send(.ack(IntentAck(intentID: intent.id, symbol: intent.bar.symbol, status: .accepted)))
                    _ = d.send(exit(intent, pnl: index == 4 ? "-25" : "-1", at: (intent.bar.openTime.milliseconds - dayStart) / 60_000 + 1))
                }
                if index == 7 { _ = d.send(.control(.resume, division: nil)) }
                if index == restartAfter {
                    let data = try JSONEncoder().encode(d.gate.snapshot)
                    let snapshot = try JSONDecoder().decode(RiskGateCore.Snapshot.self, from: data)
                    var restarted = Driver(configuration)
                    restarted.gate = try RiskGateCore(configuration: configuration, restoring: snapshot)
                    restarted.seen = d.seen
                    #expect(restarted.gate.snapshot == d.gate.snapshot)
                    // The signal just decided, delivered again, is a duplicate.
                    #expect(restarted.gate.handle(.signal(s, newIntentID: id(99)), now: now) == [.duplicateSignal(s)])
                    d = restarted
                }
            }
            return (issued, denied, d.gate)
        }
        let (reference, referenceDenied, last) = try run(restartAfter: nil)
        #expect(referenceDenied.map(\.reason).contains(.drawdownHalt))
        #expect(last.breakerState.recovery(of: "conservative") == .shadow)
        for restart in [2, 5, 6, 9] {
            let (issued, denied, gate) = try run(restartAfter: restart)
            #expect(issued == reference, "restart after \(restart)")
            #expect(denied == referenceDenied, "restart after \(restart)")
            #expect(gate.snapshot == last.snapshot, "restart after \(restart)")
        }
        // A latch survives a restart.
        var d = Driver(configuration)
        let a = intents(d.decide(signal(0, "BTCUSDT"), id: 1))[0]
        _ = d.send(exit(a, pnl: "-25", at: 1))
        _ = d.decide(signal(2, "BTCUSDT"), id: 2)
        #expect(d.gate.breakerState.portfolioCauses == [.drawdownHalt])
        let restored = try RiskGateCore(configuration: configuration, restoring: JSONDecoder().decode(RiskGateCore.Snapshot.self, from: JSONEncoder().encode(d.gate.snapshot)))
        #expect(restored.breakerState.portfolioCauses == [.drawdownHalt])
        #expect(restored.states.first?.tradingState == .halted)
    }

    @Test("A snapshot of other divisions is refused with the reason")
    func restoreMismatch() throws {
        let gate = RiskGateCore(configuration: .init())
        #expect(throws: RiskGateCore.RestoreError.self) { _ = try RiskGateCore(configuration: presets(), restoring: gate.snapshot) }
    }

    @Test("Invalid multi-division configurations list every violation")
    func validation() {
        var configuration = presets()
        configuration.divisions[1].name = "conservative"
        configuration.divisions[1].capitalShare = dec("0.5")
        configuration.divisions[0].feedFallback = "nowhere"
        configuration.divisions[0].maxOpenPositions = 0
        configuration.rules.maxDrawdown = .zero
        do {
            try configuration.validate()
            Issue.record("expected a validation error")
        } catch {
            // Two divisions named conservative, shares over 1, a fallback to nowhere, the second's
            // fallback to itself, no positions allowed, a zero drawdown limit.
            #expect(error.violations.count == 6, "\(error.violations)")
        }
        #expect(throws: Never.self) { try presets().validate() }
    }
}

@Suite("RiskGate marking to market")
struct RiskGateMarkTests {
    @Test("Book mids mark filled open positions in the published equity; they never change decisions or publish by themselves")
    func markedEquity() {
        var d = Driver(presets())
        #expect(d.gate.states.first?.markedEquity == nil)
        let a = intents(d.decide(signal(0, "BTCUSDT", price: "100"), id: 1))[0]  // 60 units
        #expect(d.send(.mark(symbol: "BTCUSDT", price: dec("101"))).isEmpty)
        // Not filled yet: marked equity is the equity.
        #expect(d.gate.states.first?.markedEquity == dec("6000"))
        _ = d.send(.report(ExecutionReport(
            intentID: a.id, clientOrderID: a.id.clientOrderID(leg: .entry), symbol: "BTCUSDT", leg: .entry, side: .buy, price: dec("100"),
            quantity: a.quantity, fee: .zero, realizedPnL: .zero, eventTime: bar(1, "BTCUSDT").openTime, shadow: false
        )))
        _ = d.decide(signal(2, "SOLUSDT", price: "10"), id: 2)  // applies the entry at a later cutoff
        _ = d.send(.mark(symbol: "BTCUSDT", price: dec("99.5")))
        let states = d.gate.states
        #expect(states[0].markedEquity == dec("5970"))  // 60 × −0.5
        #expect(states[0].equity == dec("6000"))
        #expect(states.last?.markedEquity == dec("9970"))
    }
}
