import Domain
import EnsembleCore
import Testing

// Scripted inputs for the EnsembleCore; every expectation is on the returned outputs.

private let dayStart: Int64 = 1_722_816_000_000
private let now = Timestamp(milliseconds: dayStart)

private func bar(_ minute: Int64, symbol: String = "BTCUSDT", interval: Interval = .oneMinute) -> BarKey {
    BarKey(symbol: symbol, interval: interval, openTime: Timestamp(milliseconds: dayStart + minute * 60_000))
}

private func prediction(_ model: String, _ probability: Double, _ key: BarKey) -> Prediction {
    Prediction(bar: key, model: model, version: "1", label: "high_030_4", probability: probability)
}

private func vector(_ key: BarKey, close: String = "100.5") -> FeatureVector {
    let price = Decimal8(close)!
    return FeatureVector(bar: key, close: price, high: price, low: price, names: ["rsi_14"], values: [55])
}

private func core(_ models: [(String, Double)] = [("a", 1), ("b", 1)], threshold: Double = 0.6) -> EnsembleCore {
    EnsembleCore(configuration: .init(models: models.map { .init(name: $0.0, weight: $0.1) }, threshold: threshold))
}

private func run(_ inputs: [EnsembleCore.Input], on ensemble: EnsembleCore = core()) -> [EnsembleCore.Output] {
    var ensemble = ensemble
    return inputs.flatMap { ensemble.handle($0, now: now) }
}

/// The decisions (signals and no-signals) among outputs.
private func decisions(_ outputs: [EnsembleCore.Output]) -> [EnsembleCore.Output] {
    outputs.filter {
        switch $0 {
        case .signal, .noSignal: true
        default: false
        }
    }
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

@Suite("EnsembleCore")
struct EnsembleCoreTests {
    @Test("A bar is decided as soon as every model and its feature vector have arrived")
    func decidesWhenComplete() {
        var ensemble = core()
        #expect(ensemble.handle(.features(vector(bar(0))), now: now).isEmpty)
        #expect(ensemble.handle(.prediction(prediction("b", 0.75, bar(0))), now: now).isEmpty)
        let outputs = ensemble.handle(.prediction(prediction("a", 0.625, bar(0))), now: now)
        #expect(outputs == [.signal(EnsembleSignal(
            bar: bar(0), side: .buy, probability: 0.6875, threshold: 0.6, models: ["a", "b"], referencePrice: Decimal8("100.5")!,
            votes: [.init(model: "a", probability: 0.625, weight: 0.5, role: .entry), .init(model: "b", probability: 0.75, weight: 0.5, role: .entry)]
        ))])
        #expect(ensemble.pendingBarCount == 0)
        // Decided once: a replica's copy is now late.
        #expect(ensemble.handle(.prediction(prediction("a", 0.9, bar(0))), now: now) == [.late(prediction("a", 0.9, bar(0)))])
    }

    @Test("A prediction for a later bar decides the earlier bar with the models present; a later vector does not")
    func decidesOnLaterBar() {
        // The next bar's vector routinely overtakes this bar's prediction over the bus: it must not close the bar.
        let byFeatures = run([
            .features(vector(bar(0))),
            .prediction(prediction("a", 0.75, bar(0))),
            .features(vector(bar(1))),
        ])
        #expect(byFeatures.isEmpty)
        let vectorFirst = run([
            .features(vector(bar(0))),
            .features(vector(bar(1))),
            .prediction(prediction("a", 0.75, bar(0))),
            .prediction(prediction("b", 0.5, bar(0))),
        ])
        #expect(vectorFirst == [.signal(EnsembleSignal(
            bar: bar(0), side: .buy, probability: 0.625, threshold: 0.6, models: ["a", "b"], referencePrice: Decimal8("100.5")!,
            votes: [.init(model: "a", probability: 0.75, weight: 0.5, role: .entry), .init(model: "b", probability: 0.5, weight: 0.5, role: .entry)]
        ))])
        let byPrediction = run([
            .features(vector(bar(0))),
            .prediction(prediction("a", 0.5, bar(0))),
            .prediction(prediction("b", 0.9, bar(3))),
        ])
        #expect(byPrediction == [.noSignal(.init(bar: bar(0), probability: 0.5, models: ["a"], reason: .belowThreshold))])
    }

    @Test("A model that has spoken is waited for; a timeout gives up on it until it speaks again")
    func laggingModelIsWaitedForThenTimedOut() {
        var ensemble = core()
        func feed(_ inputs: [EnsembleCore.Input]) -> [EnsembleCore.Output] { decisions(inputs.flatMap { ensemble.handle($0, now: now) }) }
        // Both speak for bars 0 and 1; a runs ahead to bar 3 while b lags: bars 1.. wait for b.
        #expect(feed([.features(vector(bar(0))), .prediction(prediction("a", 0.9, bar(0))), .prediction(prediction("b", 0.9, bar(0)))]).count == 1)
        #expect(feed([.features(vector(bar(1))), .prediction(prediction("a", 0.9, bar(1))), .features(vector(bar(2))),
                      .prediction(prediction("a", 0.9, bar(2))), .features(vector(bar(3))), .prediction(prediction("a", 0.9, bar(3)))]).isEmpty)
        #expect(ensemble.hasLaggingBars)
        // b catches up: every bar is decided with both models, as if nobody had lagged.
        var caughtUp = ensemble
        let both = decisions([bar(1), bar(2)].flatMap { caughtUp.handle(.prediction(prediction("b", 0.5, $0)), now: now) })
        #expect(both.count == 2 && both.allSatisfy { if case .signal(let s) = $0 { s.models == ["a", "b"] } else { false } })
        // b is down instead: the timeout decides bars 1 and 2 with a alone and stops waiting for b.
        let timedOut = feed([.timeout])
        #expect(timedOut.count == 2 && timedOut.allSatisfy { if case .signal(let s) = $0 { s.models == ["a"] } else { false } })
        #expect(!ensemble.hasLaggingBars)
        #expect(feed([.features(vector(bar(4))), .prediction(prediction("a", 0.9, bar(4)))]).count == 1)   // bar 3, without waiting
        // b speaks again: waited for again.
        #expect(feed([.prediction(prediction("b", 0.9, bar(4))), .features(vector(bar(5))), .prediction(prediction("b", 0.9, bar(5)))]).count == 1)
        // a skips bar 5 (features it lacked) and predicts bar 6: bar 5 is decided with b alone.
        let skipped = feed([.prediction(prediction("a", 0.9, bar(6)))])
        #expect(skipped.count == 1 && skipped.allSatisfy { if case .signal(let s) = $0 { s.models == ["b"] } else { false } })
    }

    @Test("Bars skipped by a later message are closed: their messages are late")
    func skippedBarsAreClosed() {
        let outputs = run([
            .prediction(prediction("a", 0.9, bar(5))),
            .prediction(prediction("a", 0.9, bar(3))),
            .features(vector(bar(3))),
        ])
        #expect(outputs == [.late(prediction("a", 0.9, bar(3)))])
    }

    @Test("Weights are renormalized over the models present; the threshold is strict")
    func weights() {
        let weighted = core([("a", 1), ("b", 3)], threshold: 0.5)
        // (1 × 0.75 + 3 × 0.5) / 4 = 0.5625
        let both = run([.features(vector(bar(0))), .prediction(prediction("a", 0.75, bar(0))), .prediction(prediction("b", 0.5, bar(0)))], on: weighted)
        #expect(both == [.signal(EnsembleSignal(
            bar: bar(0), side: .buy, probability: 0.5625, threshold: 0.5, models: ["a", "b"], referencePrice: Decimal8("100.5")!,
            votes: [.init(model: "a", probability: 0.75, weight: 0.25, role: .entry), .init(model: "b", probability: 0.5, weight: 0.75, role: .entry)]
        ))])
        // Equal to the threshold is not above it.
        let atThreshold = core([("a", 1), ("b", 3)], threshold: 0.5625)
        let equal = run([.features(vector(bar(0))), .prediction(prediction("a", 0.75, bar(0))), .prediction(prediction("b", 0.5, bar(0)))], on: atThreshold)
        #expect(equal == [.noSignal(.init(bar: bar(0), probability: 0.5625, models: ["a", "b"], reason: .belowThreshold))])
        // Only b present: b's weight alone, renormalized to 1.
        // (a never speaks: the bar waits for it until the shell's timeout.)
        let waiting = run([.features(vector(bar(0))), .prediction(prediction("b", 0.5, bar(0))), .prediction(prediction("b", 0.5, bar(1)))], on: weighted)
        #expect(waiting.isEmpty)
        let onlyB = run([.features(vector(bar(0))), .prediction(prediction("b", 0.5, bar(0))), .prediction(prediction("b", 0.5, bar(1))), .timeout], on: weighted)
        #expect(onlyB == [.noSignal(.init(bar: bar(0), probability: 0.5, models: ["b"], reason: .belowThreshold))])
    }

    @Test("Replicas' duplicate predictions count once: the first one")
    func duplicatesCountOnce() {
        let outputs = run([
            .features(vector(bar(0))),
            .prediction(prediction("a", 0.25, bar(0))),
            .prediction(prediction("a", 0.99, bar(0))),
            .prediction(prediction("b", 0.75, bar(0))),
        ])
        #expect(outputs == [
            .duplicate(prediction("a", 0.99, bar(0))),
            .noSignal(.init(bar: bar(0), probability: 0.5, models: ["a", "b"], reason: .belowThreshold)),
        ])
    }

    @Test("Unknown models and invalid probabilities are ignored")
    func ignored() {
        let outputs = run([
            .prediction(prediction("c", 0.9, bar(0))),
            .prediction(prediction("a", .nan, bar(0))),
            .prediction(prediction("a", 1.5, bar(0))),
        ])
        // NaN ≠ NaN, so compare the reasons rather than whole outputs.
        #expect(outputs.count == 3)
        if case .ignored(_, let reason) = outputs[0] { #expect(reason == .unknownModel) } else { Issue.record("not ignored") }
        if case .ignored(_, let reason) = outputs[1] { #expect(reason == .invalidProbability) } else { Issue.record("not ignored") }
        if case .ignored(_, let reason) = outputs[2] { #expect(reason == .invalidProbability) } else { Issue.record("not ignored") }
    }

    @Test("A bar with predictions but no feature vector waits, then gives no signal for lack of a price")
    func missingReferencePrice() {
        var ensemble = core()
        #expect(ensemble.handle(.prediction(prediction("a", 0.9, bar(0))), now: now).isEmpty)
        #expect(ensemble.handle(.prediction(prediction("b", 0.9, bar(0))), now: now).isEmpty)
        #expect(ensemble.handle(.features(vector(bar(1))), now: now).isEmpty)
        // The vector may still come (it travels on another path): the bar waits until the timeout.
        #expect(ensemble.handle(.prediction(prediction("a", 0.2, bar(1))), now: now).isEmpty)
        #expect(ensemble.hasLaggingBars)
        let outputs = ensemble.handle(.timeout, now: now)
        #expect(outputs == [.noSignal(.init(bar: bar(0), probability: 0.9, models: ["a", "b"], reason: .noReferencePrice))])
        let empty = run([.features(vector(bar(0))), .features(vector(bar(1))), .prediction(prediction("a", 0.2, bar(1))), .timeout])
        #expect(empty == [.noSignal(.init(bar: bar(0), probability: nil, models: [], reason: .noPredictions))])
    }

    @Test("Every arrival order of one bar's messages gives the same decision")
    func arrivalOrderWithinBar() {
        let messages: [EnsembleCore.Input] = [
            .features(vector(bar(0))),
            .prediction(prediction("a", 0.75, bar(0))),
            .prediction(prediction("b", 0.625, bar(0))),
        ]
        let orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
        let results = orders.map { order in decisions(run(order.map { messages[$0] } + [.prediction(prediction("a", 0.1, bar(1)))])) }
        #expect(results[0].count == 1)
        for result in results { #expect(result == results[0]) }
    }

    @Test("Series are independent; memory holds at most one undecided bar per series")
    func seriesAndMemory() {
        var ensemble = core()
        var signals = 0
        for minute in Int64(0)..<500 {
            for symbol in ["BTCUSDT", "ETHUSDT"] {
                for interval in [Interval.oneMinute, .fiveMinutes] {
                    let key = bar(minute, symbol: symbol, interval: interval)
                    for output in ensemble.handle(.prediction(prediction("a", 0.9, key)), now: now) + ensemble.handle(.timeout, now: now) {
                        if case .signal = output { signals += 1 }
                    }
                    _ = ensemble.handle(.features(vector(key)), now: now)
                }
            }
            #expect(ensemble.pendingBarCount <= 4)
        }
        // Model b never speaks (the first timeout gives up on it): every bar but the last of each
        // series is decided by the next one.
        #expect(signals == 4 * 499)
    }

    @Test("The decision is the weighted mean of the first prediction per model (property)")
    func weightedMeanProperty() {
        var generator = SeededGenerator(state: 11)
        let names = ["m1", "m2", "m3", "m4"]
        for trial in Int64(0)..<200 {
            let weights = names.map { _ in Double.random(in: 0.1...5, using: &generator) }
            var ensemble = core(Array(zip(names, weights)), threshold: 0.5)
            let key = bar(trial)
            var present: [(Double, Double)] = []
            var inputs: [EnsembleCore.Input] = [.features(vector(key))]
            for (index, name) in names.enumerated() where Bool.random(using: &generator) {
                let p = Double.random(in: 0...1, using: &generator)
                present.append((weights[index], p))
                inputs.append(.prediction(prediction(name, p, key)))
                inputs.append(.prediction(prediction(name, 1 - p, key)))  // a replica's disagreeing copy
            }
            inputs.shuffle(using: &generator)
            inputs.append(.prediction(prediction(names[0], 0.5, key.next)))
            inputs.append(.timeout)   // the models that did not speak are down
            let outputs = decisions(inputs.flatMap { ensemble.handle($0, now: now) })
            #expect(outputs.count == 1)
            let probability: Double?
            switch outputs.first {
            case .signal(let s): probability = s.probability
            case .noSignal(let n): probability = n.probability
            default: probability = nil
            }
            if present.isEmpty {
                #expect(probability == nil)
                continue
            }
            // Only the first copy per model counts; find which one came first after the shuffle.
            var firsts: [String: Double] = [:]
            for input in inputs {
                if case .prediction(let p) = input, p.bar == key, firsts[p.model] == nil { firsts[p.model] = p.probability }
            }
            let weightOf = Dictionary(uniqueKeysWithValues: zip(names, weights))
            let sumW = firsts.keys.sorted().reduce(0.0) { $0 + weightOf[$1]! }
            let mean = firsts.keys.sorted().reduce(0.0) { $0 + weightOf[$1]! * firsts[$1]! } / sumW
            #expect(probability.map { abs($0 - mean) < 1e-12 } == true)
            #expect(probability.map { $0 >= firsts.values.min()! - 1e-12 && $0 <= firsts.values.max()! + 1e-12 } == true)
            if case .signal = outputs.first { #expect(mean > 0.5) } else { #expect(mean <= 0.5 + 1e-12) }
        }
    }

    @Test("Invalid configurations list every violation")
    func configurationValidation() {
        let configuration = EnsembleCore.Configuration(
            models: [.init(name: "a", weight: 0), .init(name: "a", weight: .infinity), .init(name: "", weight: 1)],
            threshold: 1
        )
        do {
            try configuration.validate()
            Issue.record("expected a validation error")
        } catch {
            // weight 0, repeated name, infinite weight, empty name, threshold.
            #expect(error.violations.count == 5)
        }
        #expect(throws: EnsembleCore.Configuration.ValidationError.self) { try EnsembleCore.Configuration(models: []).validate() }
    }
}
