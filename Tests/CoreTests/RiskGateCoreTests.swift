import Domain
import EnsembleCore
import ExecutorCore
import RiskGateCore
import Testing

// Scripted inputs for the RiskGateCore, and the chained Ensemble → RiskGate → Executor parity test.

/// 2024-08-05T00:00:00Z.
private let dayStart: Int64 = 1_722_816_000_000
private let now = Timestamp(milliseconds: dayStart)

private func dec(_ text: String) -> Decimal8 { Decimal8(text)! }

private func bar(_ minute: Int64, symbol: String = "BTCUSDT", interval: Interval = .oneMinute) -> BarKey {
    BarKey(symbol: symbol, interval: interval, openTime: Timestamp(milliseconds: dayStart + minute * 60_000))
}

private func signal(_ minute: Int64, price: String = "100", symbol: String = "BTCUSDT", side: Side = .buy) -> EnsembleSignal {
    EnsembleSignal(bar: bar(minute, symbol: symbol), side: side, probability: 0.7, threshold: 0.6, models: ["a"], referencePrice: dec(price))
}

private func id(_ n: Int64) -> IntentID { IntentID(milliseconds: dayStart + n, random: UInt64(n)) }

/// The watermark an executor publishes once it has processed minute `minute`'s kline (flat, or in a position).
private func mark(_ minute: Int64, seen: Int, symbol: String = "BTCUSDT") -> RiskGateCore.Input {
    .watermark(ExecutionWatermark(symbol: symbol, through: bar(minute, symbol: symbol).closeTime, intentsSeen: seen))
}

private func exitReport(_ intent: TradeIntent, pnl: String, at minute: Int64, leg: ExecutionReport.Leg = .stop) -> ExecutionReport {
    ExecutionReport(
        intentID: intent.id, clientOrderID: intent.id.clientOrderID(leg: leg), symbol: intent.bar.symbol, leg: leg, side: .sell,
        price: intent.stopLoss, quantity: intent.quantity, fee: .zero, realizedPnL: dec(pnl),
        eventTime: bar(minute, symbol: intent.bar.symbol).openTime, shadow: true
    )
}

private func entryReport(_ intent: TradeIntent, at minute: Int64) -> ExecutionReport {
    ExecutionReport(
        intentID: intent.id, clientOrderID: intent.id.clientOrderID(leg: .entry), symbol: intent.bar.symbol, leg: .entry, side: .buy,
        price: intent.referencePrice, quantity: intent.quantity, fee: .zero, realizedPnL: .zero,
        eventTime: bar(minute, symbol: intent.bar.symbol).openTime, shadow: true
    )
}

private func gate(_ division: RiskGateCore.Division = .init()) -> RiskGateCore {
    RiskGateCore(configuration: .init(division: division))
}

/// A division whose trades use a quarter of the equity (risk 0.5 %, stop 2 %): the capital cap stays out of the way.
private let roomy = RiskGateCore.Division(riskPerTrade: dec("0.005"), stopDistance: dec("0.02"))

private func intents(_ outputs: [RiskGateCore.Output]) -> [TradeIntent] {
    outputs.compactMap { if case .intent(let i) = $0 { i } else { nil } }
}

private func denials(_ outputs: [RiskGateCore.Output]) -> [RiskDenied] {
    outputs.compactMap { if case .denied(let d) = $0 { d } else { nil } }
}

private func states(_ outputs: [RiskGateCore.Output]) -> [RiskState] {
    outputs.compactMap { if case .state(let s) = $0 { s } else { nil } }
}

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

@Suite("RiskGateCore")
struct RiskGateCoreTests {
    // MARK: Sizing

    @Test("Sizing: a stop-out loses the risk budget; levels are on the tick")
    func sizingExample() {
        let outcome = RiskGateCore.size(price: dec("100"), equity: dec("1000"), freeCapital: dec("1000"), division: roomy)
        #expect(outcome == .sized(.init(quantity: dec("2.5"), stopLoss: dec("98"), takeProfit: dec("100.3"), notional: dec("250"), cappedByCapital: false)))
        // Levels round up to the tick: 61837.63 × 0.98 = 60600.8774 → 60600.88; × 1.003 = 62023.14289 → 62023.15.
        guard case .sized(let s) = RiskGateCore.size(price: dec("61837.63"), equity: dec("1000"), freeCapital: dec("1000"), division: roomy) else {
            Issue.record("not sized")
            return
        }
        #expect(s.stopLoss == dec("60600.88") && s.takeProfit == dec("62023.15"))
        // 5 / (61837.63 − 60600.88) = 0.00404285… → 0.00404 (step 0.00001).
        #expect(s.quantity == dec("0.00404"))
    }

    @Test("Sizing property: a stop-out loses riskPerTrade × equity up to one quantity step; never more")
    func sizingProperty() {
        var generator = SeededGenerator(state: 2024)
        var sized = 0
        for _ in 0..<2000 {
            let price = Decimal8(units: Int64.random(in: 100...10_000_000, using: &generator) * 1_000_000)  // 1.00 … 100000.00
            let equity = Decimal8(units: Int64.random(in: 1_000...100_000_000, using: &generator) * 1_000_000)  // 10 … 1e6
            let division = RiskGateCore.Division(
                riskPerTrade: Decimal8(units: Int64.random(in: 100_000...2_000_000, using: &generator)),  // 0.1 % … 2 %
                stopDistance: Decimal8(units: Int64.random(in: 200_000...5_000_000, using: &generator)),  // 0.2 % … 5 %
                target: Decimal8(units: Int64.random(in: 100_000...5_000_000, using: &generator))
            )
            let free = Bool.random(using: &generator) ? Decimal8(units: equity.units * 100) : Decimal8(units: Int64.random(in: 0...equity.units, using: &generator))
            guard case .sized(let s) = RiskGateCore.size(price: price, equity: equity, freeCapital: free, division: division) else { continue }
            sized += 1
            let budget = division.riskPerTrade.multiplied(by: equity, rounding: .down)
            let distance = price - s.stopLoss
            let loss = s.quantity.multiplied(by: distance, rounding: .up)
            #expect(loss <= budget)
            #expect(s.notional <= free)
            #expect(s.notional >= division.minNotional)
            #expect(s.quantity.units % division.quantityStep.units == 0)
            #expect(s.stopLoss.units % division.tickSize.units == 0 && s.takeProfit.units % division.tickSize.units == 0)
            #expect(s.stopLoss < price && s.takeProfit > price)
            // The stop is within one tick of price × (1 − stopDistance), on the price's side.
            let exactStop = price.multiplied(by: .one - division.stopDistance, rounding: .up)
            #expect(s.stopLoss >= exactStop && s.stopLoss - exactStop < division.tickSize)
            if !s.cappedByCapital {
                #expect(budget - loss < division.quantityStep.multiplied(by: distance, rounding: .up) + Decimal8(units: 2))
            }
        }
        #expect(sized > 1000)
    }

    @Test("Free capital caps the size; too little of it is insufficientCapital, a tiny budget is belowMinimumSize")
    func capitalCapAndMinimums() {
        let division = RiskGateCore.Division()  // risk 0.5 %, stop 0.5 %: the risk size is the whole equity
        #expect(RiskGateCore.size(price: dec("100"), equity: dec("1000"), freeCapital: dec("600"), division: division)
            == .sized(.init(quantity: dec("6"), stopLoss: dec("99.5"), takeProfit: dec("100.3"), notional: dec("600"), cappedByCapital: true)))
        guard case .refused(.insufficientCapital, _) = RiskGateCore.size(price: dec("100"), equity: dec("1000"), freeCapital: dec("4.99"), division: division) else {
            Issue.record("expected insufficientCapital")
            return
        }
        guard case .refused(.belowMinimumSize, _) = RiskGateCore.size(price: dec("100"), equity: dec("4"), freeCapital: dec("4"), division: roomy) else {
            Issue.record("expected belowMinimumSize")
            return
        }
        guard case .refused(.belowMinimumSize, _) = RiskGateCore.size(price: dec("0.01"), equity: dec("1000"), freeCapital: dec("1000"), division: roomy) else {
            Issue.record("expected a refusal: the stop distance is below one tick")
            return
        }
    }

    // MARK: Intents and the barrier

    @Test("A signal waits for the executor's watermark, then becomes an intent priced in event time")
    func barrierHoldsAndReleases() {
        var g = gate(roomy)
        #expect(g.handle(.signal(signal(0), newIntentID: id(1)), now: now) == [.held(signal(0))])
        #expect(g.handle(mark(-1, seen: 0), now: now).isEmpty)  // through 00:00:59.999 of the previous minute
        let outputs = g.handle(mark(0, seen: 0), now: now)
        let expected = TradeIntent(
            id: id(1), bar: bar(0), side: .buy, division: "default", quantity: dec("2.5"), referencePrice: dec("100"),
            takeProfit: dec("100.3"), stopLoss: dec("98"), createdAt: bar(0).closeTime,
            expiresAt: bar(0).closeTime.adding(milliseconds: 60_000), shadow: true
        )
        #expect(intents(outputs) == [expected])
        #expect(states(outputs).last?.freeCapital == dec("750"))
        #expect(states(outputs).last?.openPositions == 1)
        // The next bar waits until the executor has seen the intent, even if its klines are ahead.
        #expect(g.handle(.signal(signal(1), newIntentID: id(2)), now: now) == [.held(signal(1))])
        #expect(g.handle(mark(5, seen: 0), now: now).isEmpty)
        #expect(intents(g.handle(mark(5, seen: 1), now: now)).map(\.bar) == [bar(1)])
        #expect(g.heldSignals.isEmpty)
    }

    @Test("Held signals are decided in bar order; a signal for a bar already passed is a duplicate")
    func heldInBarOrder() {
        var g = gate(roomy)
        _ = g.handle(.signal(signal(2), newIntentID: id(2)), now: now)
        _ = g.handle(.signal(signal(1), newIntentID: id(1)), now: now)
        #expect(g.heldSignals.map(\.bar) == [bar(1), bar(2)])
        let outputs = g.handle(mark(2, seen: 0), now: now)
        // Bar 1 first; bar 2 then waits for the executor to count bar 1's intent.
        #expect(intents(outputs).map(\.bar) == [bar(1)])
        #expect(intents(g.handle(mark(2, seen: 1), now: now)).map(\.bar) == [bar(2)])
        #expect(g.handle(.signal(signal(1), newIntentID: id(3)), now: now) == [.duplicateSignal(signal(1))])
        _ = g.handle(.signal(signal(3), newIntentID: id(4)), now: now)
        #expect(g.handle(.signal(signal(3), newIntentID: id(5)), now: now) == [.duplicateSignal(signal(3))])
    }

    @Test("Sell signals are denied at once; a timeout denies a symbol's held signals as executorStale")
    func sellAndTimeout() {
        var g = gate()
        #expect(denials(g.handle(.signal(signal(0, side: .sell), newIntentID: id(1)), now: now)).map(\.reason) == [.unsupportedSide])
        _ = g.handle(.signal(signal(1), newIntentID: id(2)), now: now)
        _ = g.handle(.signal(signal(1, symbol: "ETHUSDT"), newIntentID: id(3)), now: now)
        let outputs = g.handle(.timeout(symbol: "BTCUSDT"), now: now)
        #expect(denials(outputs).map(\.reason) == [.executorStale])
        #expect(denials(outputs).map(\.bar) == [bar(1)])
        #expect(g.heldSignals.map(\.bar) == [bar(1, symbol: "ETHUSDT")])
        #expect(intents(g.handle(mark(1, seen: 0, symbol: "ETHUSDT"), now: now)).count == 1)
    }

    @Test("Reports are applied in event order: a decision sees exactly the reports at or before its bar's open")
    func reportsInEventOrder() {
        let first = TradeIntent(
            id: id(1), bar: bar(0), side: .buy, division: "default", quantity: dec("2.5"), referencePrice: dec("100"),
            takeProfit: dec("100.3"), stopLoss: dec("98"), createdAt: bar(0).closeTime,
            expiresAt: bar(0).closeTime.adding(milliseconds: 60_000), shadow: true
        )
        let accepted = RiskGateCore.Input.ack(IntentAck(intentID: id(1), symbol: "BTCUSDT", status: .accepted))
        let entry = RiskGateCore.Input.report(entryReport(first, at: 1))
        let exit = RiskGateCore.Input.report(exitReport(first, pnl: "-5.5", at: 3))  // a stop-out in minute 3
        // Arrival orders as the bus may deliver them; the executor's own messages stay in its order.
        let scripts: [[RiskGateCore.Input]] = [
            // Executor far ahead: the exit is known before the signals come.
            [.signal(signal(0), newIntentID: id(1)), mark(0, seen: 0), accepted, entry, exit, mark(3, seen: 1),
             .signal(signal(2), newIntentID: id(2)), .signal(signal(3), newIntentID: id(3))],
            // Executor behind: the bar-2 decision is made before the exit exists.
            [.signal(signal(0), newIntentID: id(1)), .signal(signal(2), newIntentID: id(2)), mark(0, seen: 0), accepted, entry,
             mark(2, seen: 1), .signal(signal(3), newIntentID: id(3)), exit, mark(3, seen: 1)],
            // Signals first, then everything from the executor at once.
            [.signal(signal(0), newIntentID: id(1)), .signal(signal(2), newIntentID: id(2)), .signal(signal(3), newIntentID: id(3)),
             mark(0, seen: 0), accepted, entry, exit, mark(3, seen: 1), mark(3, seen: 3)],
        ]
        var results: [[TradeIntent]] = []
        for script in scripts {
            var g = gate(roomy)
            var issued: [TradeIntent] = []
            for input in script { issued += intents(g.handle(input, now: now)) }
            // The executor has seen all three intents by the end.
            issued += intents(g.handle(mark(3, seen: 3), now: now))
            results.append(issued)
        }
        #expect(results[0].map(\.bar) == [bar(0), bar(2), bar(3)])
        // Bar 2 is sized on the initial equity with bar 0's 250 reserved; bar 3 after the stop-out (equity 994.5).
        #expect(results[0].map(\.quantity) == [dec("2.5"), dec("2.5"), dec("2.48625")])
        for result in results { #expect(result == results[0]) }
    }

    @Test("Capital is reserved at issue and released by the exit report or an expired ack, in event time")
    func reservations() {
        var g = gate()  // the risk size is the whole equity
        _ = g.handle(mark(0, seen: 0), now: now)
        let first = intents(g.handle(.signal(signal(0), newIntentID: id(1)), now: now))
        #expect(first.map(\.quantity) == [dec("10")])
        // No capital left for a second position.
        _ = g.handle(.ack(IntentAck(intentID: id(1), symbol: "BTCUSDT", status: .expired)), now: now)
        _ = g.handle(mark(0, seen: 1), now: now)
        // Bar 0 itself would not see the release (it is at bar 1's open), bar 1 does.
        let second = g.handle(.signal(signal(1), newIntentID: id(2)), now: now)
        #expect(second.contains(.held(signal(1))))
        let released = g.handle(mark(1, seen: 1), now: now)
        #expect(intents(released).map(\.quantity) == [dec("10")])
        #expect(g.state.openPositions == 1)

        var h = gate()
        _ = h.handle(mark(0, seen: 0), now: now)
        let a = intents(h.handle(.signal(signal(0), newIntentID: id(1)), now: now))[0]
        _ = h.handle(.report(entryReport(a, at: 1)), now: now)
        _ = h.handle(mark(1, seen: 1), now: now)
        #expect(denials(h.handle(.signal(signal(1), newIntentID: id(2)), now: now)).map(\.reason) == [.insufficientCapital])
        _ = h.handle(.report(exitReport(a, pnl: "2", at: 2, leg: .takeProfit)), now: now)
        _ = h.handle(mark(2, seen: 1), now: now)
        let after = h.handle(.signal(signal(2), newIntentID: id(3)), now: now)
        #expect(intents(after).map(\.quantity) == [dec("10.02")])  // equity 1002
        #expect(h.state.equity == dec("1002"))
    }

    @Test("The daily-loss breaker trips on the day's realized loss and resets the next UTC day")
    func dailyLossBreaker() {
        var g = gate(roomy)  // limit: 2 % of 1000 = 20
        _ = g.handle(mark(0, seen: 0), now: now)
        let a = intents(g.handle(.signal(signal(0), newIntentID: id(1)), now: now))[0]
        _ = g.handle(.ack(IntentAck(intentID: a.id, symbol: "BTCUSDT", status: .accepted)), now: now)
        _ = g.handle(.report(exitReport(a, pnl: "-19.99", at: 2)), now: now)
        _ = g.handle(mark(3, seen: 1), now: now)
        let stillOpen = g.handle(.signal(signal(3), newIntentID: id(2)), now: now)
        #expect(intents(stillOpen).count == 1)
        #expect(states(stillOpen).first?.realizedPnLToday == dec("-19.99"))
        #expect(states(stillOpen).first?.breakerTripped == false)
        let b = intents(stillOpen)[0]
        _ = g.handle(.report(exitReport(b, pnl: "-0.01", at: 5)), now: now)
        _ = g.handle(mark(6, seen: 2), now: now)
        let tripped = g.handle(.signal(signal(6), newIntentID: id(3)), now: now)
        #expect(denials(tripped).map(\.reason) == [.dailyLossBreaker])
        #expect(states(tripped).last?.breakerTripped == true)
        #expect(denials(g.handle(.signal(signal(23 * 60 + 59), newIntentID: id(4)), now: now) + g.handle(mark(23 * 60 + 59, seen: 2), now: now)).map(\.reason) == [.dailyLossBreaker])
        // The next UTC day: a fresh start-of-day equity (980) and no breaker.
        _ = g.handle(mark(24 * 60, seen: 2), now: now)
        let nextDay = g.handle(.signal(signal(24 * 60), newIntentID: id(5)), now: now)
        #expect(intents(nextDay).count == 1)
        #expect(states(nextDay).first?.breakerTripped == false)
        #expect(states(nextDay).first?.realizedPnLToday == .zero)
        #expect(states(nextDay).first?.equity == dec("980"))
    }

    @Test("Intents are re-published until any ack arrives")
    func republishUntilAck() {
        var g = gate(roomy)
        _ = g.handle(mark(0, seen: 0), now: now)
        let a = intents(g.handle(.signal(signal(0), newIntentID: id(1)), now: now))[0]
        #expect(g.handle(.republishDue, now: now) == [.republish(a)])
        #expect(g.handle(.republishDue, now: now) == [.republish(a)])
        _ = g.handle(.ack(IntentAck(intentID: a.id, symbol: "BTCUSDT", status: .duplicate)), now: now)
        #expect(g.handle(.republishDue, now: now).isEmpty)
        #expect(g.unacknowledgedIntents.isEmpty)
        // Reports and acks of unknown intents are ignored.
        #expect(g.handle(.ack(IntentAck(intentID: id(99), symbol: "BTCUSDT", status: .expired)), now: now).isEmpty)
    }

    @Test("An open position in one symbol makes other symbols' decisions wait for its watermark")
    func crossSymbolBarrier() {
        var g = gate(roomy)
        _ = g.handle(mark(0, seen: 0), now: now)
        #expect(intents(g.handle(.signal(signal(0), newIntentID: id(1)), now: now)).count == 1)
        _ = g.handle(mark(1, seen: 0, symbol: "ETHUSDT"), now: now)
        // BTC's executor has not seen its intent yet: a BTC report could still change the equity.
        #expect(g.handle(.signal(signal(1, symbol: "ETHUSDT"), newIntentID: id(2)), now: now) == [.held(signal(1, symbol: "ETHUSDT"))])
        #expect(g.blockingSymbols == ["BTCUSDT"])
        #expect(intents(g.handle(mark(1, seen: 1), now: now)).map(\.bar) == [bar(1, symbol: "ETHUSDT")])
        #expect(g.blockingSymbols.isEmpty)

        // If BTC's executor stays silent, a timeout of BTC denies what waits for it, ETH signals included.
        _ = g.handle(mark(2, seen: 1, symbol: "ETHUSDT"), now: now)
        _ = g.handle(.signal(signal(2, symbol: "ETHUSDT"), newIntentID: id(3)), now: now)
        #expect(g.blockingSymbols == ["BTCUSDT"])
        let timedOut = g.handle(.timeout(symbol: "BTCUSDT"), now: now)
        #expect(denials(timedOut).map(\.reason) == [.executorStale])
        #expect(denials(timedOut).map(\.bar) == [bar(2, symbol: "ETHUSDT")])
        #expect(g.heldSignals.isEmpty)
    }

    @Test("Invalid configurations list every violation")
    func configurationValidation() {
        let division = RiskGateCore.Division(
            name: "", equity: .zero, riskPerTrade: .one, stopDistance: .zero, target: .zero, maxDailyLoss: dec("1.5"),
            intentTTLMilliseconds: -1, quantityStep: .zero, tickSize: .zero, minNotional: dec("-1")
        )
        do {
            try RiskGateCore.Configuration(division: division).validate()
            Issue.record("expected a validation error")
        } catch {
            #expect(error.violations.count == 10)
        }
        #expect(throws: Never.self) { try RiskGateCore.Configuration().validate() }
    }

    // MARK: The chain

    @Test("Ensemble → RiskGate → Executor: any bus interleaving gives the in-process chain's intents and fills", arguments: 0..<24)
    func chainParity(seed: Int) {
        let scenario = ChainScenario(seed: 99)
        var lockstep = ChainHarness(scenario)
        let reference = lockstep.runLockstep(klinesFirst: true)
        var signalsFirst = ChainHarness(scenario)
        #expect(signalsFirst.runLockstep(klinesFirst: false) == reference)
        var interleaved = ChainHarness(scenario)
        #expect(interleaved.runInterleaved(seed: UInt64(seed)) == reference)
        if seed == 0 {
            // The scenario exercises what it should.
            #expect(reference.intents.count >= 10)
            #expect(reference.denials.contains { $0.hasSuffix("insufficient_capital") })
            #expect(reference.reports.contains { $0.contains(" s ") } && reference.reports.contains { $0.contains(" t ") })
            #expect(reference.denials.contains { $0.hasSuffix("daily_loss_breaker") })
            #expect(reference.endings.contains { $0.hasSuffix("expired") })  // the lost entry kline
            #expect(reference.held == 0 && reference.unacknowledged == 0)
        }
    }
}

// MARK: - Chain harness

/// A scripted market: one symbol, 1m bars across a UTC midnight, two models and a replica.
private struct ChainScenario {
    var klines: [Kline] = []
    var vectors: [FeatureVector] = []
    var predictions: [[Prediction]] = []
    /// Klines lost on the way to the executor (at-most-once market data).
    var lostToExecutor: Set<Int> = [11, 77]

    init(seed: UInt64) {
        var generator = SeededGenerator(state: seed)
        let start = dayStart - 2 * 3_600_000  // 22:00 the day before
        var open: Int64 = 6_000_000  // cents
        for index in 0..<240 {
            let key = BarKey(symbol: "BTCUSDT", interval: .oneMinute, openTime: Timestamp(milliseconds: start + Int64(index) * 60_000))
            let close = open + open * Int64.random(in: -25...25, using: &generator) / 10_000
            let high = max(open, close) + open * Int64.random(in: 0...15, using: &generator) / 10_000
            let low = min(open, close) - open * Int64.random(in: 0...15, using: &generator) / 10_000
            func price(_ cents: Int64) -> Price { Decimal8(units: cents * 1_000_000) }
            klines.append(Kline(
                symbol: key.symbol, interval: key.interval, openTime: key.openTime, closeTime: key.closeTime,
                open: price(open), high: price(high), low: price(low), close: price(close), volume: .one
            ))
            vectors.append(FeatureVector(bar: key, close: price(close), high: price(high), low: price(low), names: ["x"], values: [0]))
            let a = Double.random(in: 0.3...0.9, using: &generator)
            let b = Double.random(in: 0.3...0.9, using: &generator)
            var bar = [
                Prediction(bar: key, model: "a", version: "1", label: "l", probability: a),
                Prediction(bar: key, model: "b", version: "1", label: "l", probability: b),
            ]
            // An identical replica of model a (same model, same features: same probability).
            if index % 5 == 0 { bar.append(Prediction(bar: key, model: "a", version: "1", label: "l", probability: a)) }
            predictions.append(bar)
            open = close + (index % 37 == 36 ? open * Int64.random(in: -60...60, using: &generator) / 10_000 : 0)
        }
    }
}

/// What a run decided, without intent ids (the shell makes them): comparable across runs.
private struct ChainResult: Equatable, CustomStringConvertible {
    var intents: [String] = []
    var denials: [String] = []
    var reports: [String] = []
    var endings: [String] = []
    var finalState: RiskState?
    var held = 0
    var unacknowledged = 0

    var description: String {
        "intents \(intents.count), denials \(denials.count), reports \(reports.count), endings \(endings), state \(String(describing: finalState))"
    }
}

/// The three cores wired as the bus wires them: FIFO per link, any interleaving across links.
private struct ChainHarness {
    let scenario: ChainScenario
    var ensemble = EnsembleCore(configuration: .init(models: [.init(name: "a"), .init(name: "b", weight: 2)], threshold: 0.6))
    var gate = RiskGateCore(configuration: .init(division: .init(
        riskPerTrade: Decimal8("0.002")!, stopDistance: Decimal8("0.005")!, target: Decimal8("0.003")!, maxDailyLoss: Decimal8("0.01")!
    )))
    var executor = ExecutorCore(configuration: .init())
    // Links.
    var klineLink: [Kline] = []
    var signalLink: [EnsembleSignal] = []
    var intentLink: [TradeIntent] = []
    var executorLink: [RiskGateCore.Input] = []
    var nextBar = 0
    var nextID: Int64 = 0
    // Records.
    var barOfIntent: [IntentID: BarKey] = [:]
    var result = ChainResult()

    init(_ scenario: ChainScenario) { self.scenario = scenario }

    private var now: Timestamp { .zero }

    /// The market publishes bar `nextBar`: its kline to the executor's link, its features and
    /// predictions to the ensemble (in a shuffled order within the bar).
    mutating func publishBar(using generator: inout SeededGenerator) {
        let index = nextBar
        nextBar += 1
        var messages: [EnsembleCore.Input] = [.features(scenario.vectors[index])] + scenario.predictions[index].map { .prediction($0) }
        messages.shuffle(using: &generator)
        if !scenario.lostToExecutor.contains(index) { klineLink.append(scenario.klines[index]) }
        for message in messages {
            for output in ensemble.handle(message, now: now) {
                if case .signal(let signal) = output { signalLink.append(signal) }
            }
        }
    }

    mutating func deliverKline() {
        let kline = klineLink.removeFirst()
        fromExecutor(executor.handle(.kline(kline), now: now))
    }

    mutating func deliverSignal() {
        let signal = signalLink.removeFirst()
        nextID += 1
        fromGate(gate.handle(.signal(signal, newIntentID: IntentID(milliseconds: nextID, random: UInt64(nextID))), now: now))
    }

    mutating func deliverIntent() {
        let intent = intentLink.removeFirst()
        fromExecutor(executor.handle(.intent(intent), now: now))
    }

    mutating func deliverExecutorMessage() {
        let message = executorLink.removeFirst()
        fromGate(gate.handle(message, now: now))
    }

    mutating func republish() { fromGate(gate.handle(.republishDue, now: now)) }

    private mutating func fromGate(_ outputs: [RiskGateCore.Output]) {
        for output in outputs {
            switch output {
            case .intent(let i):
                barOfIntent[i.id] = i.bar
                result.intents.append("\(i.bar.openTime) qty \(i.quantity) tp \(i.takeProfit) sl \(i.stopLoss) created \(i.createdAt) expires \(i.expiresAt)")
                intentLink.append(i)
            case .republish(let i):
                intentLink.append(i)
            case .denied(let d):
                result.denials.append("\(d.bar.openTime) \(d.reason.rawValue)")
            case .state(let s):
                result.finalState = s
            case .held, .duplicateSignal:
                break
            }
        }
    }

    private mutating func fromExecutor(_ outputs: [ExecutorCore.Output]) {
        for output in outputs {
            switch output {
            case .journalIntent:
                break
            case .ack(let a):
                if a.status == .expired || a.status == .rejected { result.endings.append("\(barOfIntent[a.intentID]!.openTime) \(a.status)") }
                executorLink.append(.ack(a))
            case .report(let r):
                result.reports.append("\(barOfIntent[r.intentID]!.openTime) \(r.leg.rawValue) \(r.price) \(r.quantity) fee \(r.fee) pnl \(r.realizedPnL) at \(r.eventTime)")
                executorLink.append(.report(r))
            case .watermark(let w):
                executorLink.append(.watermark(w))
            }
        }
    }

    private var linksEmpty: Bool { klineLink.isEmpty && signalLink.isEmpty && intentLink.isEmpty && executorLink.isEmpty }

    /// Everything delivered as soon as it is published (the in-process backtest): market data to
    /// the executor first, or the decision path first.
    mutating func drain(klinesFirst: Bool) {
        while !linksEmpty {
            if klinesFirst {
                if !klineLink.isEmpty { deliverKline() }
                else if !executorLink.isEmpty { deliverExecutorMessage() }
                else if !intentLink.isEmpty { deliverIntent() }
                else { deliverSignal() }
            } else {
                if !signalLink.isEmpty { deliverSignal() }
                else if !intentLink.isEmpty { deliverIntent() }
                else if !executorLink.isEmpty { deliverExecutorMessage() }
                else { deliverKline() }
            }
        }
    }

    mutating func finish() -> ChainResult {
        var sorted = result
        sorted.reports.sort()  // the order of reports within a kline does not matter
        sorted.held = gate.heldSignals.count
        sorted.unacknowledged = gate.unacknowledgedIntents.count
        return sorted
    }

    mutating func runLockstep(klinesFirst: Bool) -> ChainResult {
        var generator = SeededGenerator(state: 1)
        while nextBar < scenario.klines.count {
            publishBar(using: &generator)
            drain(klinesFirst: klinesFirst)
        }
        return finish()
    }

    /// Random interleaving: each link gets a random speed, so any of them can lag far behind.
    mutating func runInterleaved(seed: UInt64) -> ChainResult {
        var generator = SeededGenerator(state: seed &* 7919 &+ 17)
        let speeds = (0..<6).map { _ in Int.random(in: 1...20, using: &generator) }
        while nextBar < scenario.klines.count || !linksEmpty {
            var choices: [(Int, Int)] = []
            if nextBar < scenario.klines.count { choices.append((0, speeds[0])) }
            if !klineLink.isEmpty { choices.append((1, speeds[1])) }
            if !signalLink.isEmpty { choices.append((2, speeds[2])) }
            if !intentLink.isEmpty { choices.append((3, speeds[3])) }
            if !executorLink.isEmpty { choices.append((4, speeds[4])) }
            choices.append((5, 1))  // the re-publication timer
            var pick = Int.random(in: 0..<choices.reduce(0) { $0 + $1.1 }, using: &generator)
            var action = choices[0].0
            for (candidate, weight) in choices {
                if pick < weight { action = candidate; break }
                pick -= weight
            }
            switch action {
            case 0: publishBar(using: &generator)
            case 1: deliverKline()
            case 2: deliverSignal()
            case 3: deliverIntent()
            case 4: deliverExecutorMessage()
            default: republish()
            }
        }
        return finish()
    }
}
