import Domain
import EnsembleCore
import Foundation
import TestKit
import Testing

// The product specification's ensemble: family weights, the low models' veto and exits, regime
// routing on the reference symbol's σ, route-only leaders, stacking, missing and stale models.

private let dayStart: Int64 = 1_722_816_000_000
private let now = Timestamp(milliseconds: dayStart)
private typealias Config = EnsembleCore.Configuration

private func bar(_ step: Int64, _ symbol: String = "ETHUSDT") -> BarKey {
    BarKey(symbol: symbol, interval: .fiveMinutes, openTime: Timestamp(milliseconds: dayStart + step * 300_000))
}

private func prediction(_ model: String, _ probability: Double, _ key: BarKey) -> EnsembleCore.Input {
    .prediction(Prediction(bar: key, model: model, version: "1", label: String(model.split(separator: "-").last!), probability: probability))
}

private func vector(_ key: BarKey, sigma: Double? = nil, close: String = "100") -> EnsembleCore.Input {
    let price = Decimal8(close)!
    return .features(FeatureVector(bar: key, close: price, high: price, low: price,
                                   names: sigma == nil ? ["x"] : ["x", "vol_sigma"], values: sigma == nil ? [1] : [1, sigma!]))
}

private func run(_ configuration: Config, _ inputs: [EnsembleCore.Input]) -> [EnsembleCore.Output] {
    var core = EnsembleCore(configuration: configuration)
    return inputs.flatMap { core.handle($0, now: now) }
}

private func decisions(_ outputs: [EnsembleCore.Output]) -> [EnsembleCore.Output] {
    outputs.filter {
        switch $0 {
        case .signal, .noSignal: true
        default: false
        }
    }
}

private func onlySignal(_ outputs: [EnsembleCore.Output]) -> EnsembleSignal? {
    let d = decisions(outputs)
    guard d.count == 1, case .signal(let s) = d[0] else { return nil }
    return s
}

private func reason(_ outputs: [EnsembleCore.Output]) -> EnsembleCore.NoSignal.Reason? {
    let d = decisions(outputs)
    guard d.count == 1, case .noSignal(let n) = d[0] else { return nil }
    return n.reason
}

/// Two divisions: conservative (lgbm leads, logreg) and aggressive (two order-flow models), a low model.
private func routed(_ mode: Config.Mode, stormModels: [String] = []) -> Config {
    Config(models: [
        .init(name: "lgbm-high_030_4", division: "conservative"),
        .init(name: "logreg-high_030_4", division: "conservative"),
        .init(name: "lgbm-high_050_3", division: "aggressive"),
        .init(name: "automl-high_050_3", division: "aggressive"),
        .init(name: "logreg-low_030_4", division: "conservative"),
    ], threshold: 0.6, mode: mode, router: .init(stormModels: stormModels))
}

private func allPredictions(_ key: BarKey, cons: (Double, Double), aggr: (Double, Double), low: Double) -> [EnsembleCore.Input] {
    [prediction("lgbm-high_030_4", cons.0, key), prediction("logreg-high_030_4", cons.1, key),
     prediction("lgbm-high_050_3", aggr.0, key), prediction("automl-high_050_3", aggr.1, key),
     prediction("logreg-low_030_4", low, key)]
}

@Suite("Ensemble: voting, veto, routing, stacking")
struct EnsembleRoutingTests {
    @Test("Weights default to the specification's (lgbm 0.4, automl 0.3, logreg 0.2, lstm 0.1) and renormalise over the models present")
    func familyWeights() throws {
        let configuration = Config(models: ["lgbm-high_030_4", "automl-high_030_4", "logreg-high_030_4", "lstm-high_030_4"].map { .init(name: $0) })
        #expect(configuration.models.map(\.weight) == [0.4, 0.3, 0.2, 0.1])
        // No sequence model publishes: its weight is renormalised away once the timeout gives up on it.
        let key = bar(0)
        let outputs = run(configuration, [vector(key), prediction("lgbm-high_030_4", 0.9, key), prediction("automl-high_030_4", 0.7, key),
                                          prediction("logreg-high_030_4", 0.5, key), prediction("lgbm-high_030_4", 0.1, bar(1)), .timeout])
        let signal = try #require(onlySignal(outputs))
        #expect(abs(signal.probability - (0.4 * 0.9 + 0.3 * 0.7 + 0.2 * 0.5) / 0.9) < 1e-15)
        #expect(abs(signal.votes.map(\.weight).reduce(0, +) - 1) < 1e-15)
        #expect(signal.votes.map(\.model) == ["automl-high_030_4", "lgbm-high_030_4", "logreg-high_030_4"])
        #expect(signal.mode == "vote" && signal.sigma == nil && signal.division.isEmpty && signal.action == .enter)
    }

    @Test("A low model vetoes an entry above the veto threshold and turns the bar into an exit above the exit threshold")
    func vetoAndExit() throws {
        let configuration = Config(models: [.init(name: "lgbm-high_030_4"), .init(name: "logreg-low_030_4")])
        func decide(high: Double, low: Double) -> [EnsembleCore.Output] {
            let key = bar(0)
            return run(configuration, [vector(key, close: "101.5"), prediction("lgbm-high_030_4", high, key), prediction("logreg-low_030_4", low, key)])
        }
        let passes = try #require(onlySignal(decide(high: 0.8, low: 0.5)))   // 0.5 is not above 0.5
        #expect(passes.action == .enter && abs(passes.probability - 0.8) < 1e-15 && passes.vetoProbability == 0.5)
        #expect(passes.votes.last == .init(model: "logreg-low_030_4", probability: 0.5, weight: 1, role: .veto))
        #expect(reason(decide(high: 0.8, low: 0.55)) == .vetoed)
        let exit = try #require(onlySignal(decide(high: 0.8, low: 0.61)))
        #expect(exit.action == .exit && exit.side == .sell && exit.models == ["logreg-low_030_4"] && exit.threshold == 0.6)
        #expect(exit.referencePrice == Decimal8("101.5")!)
        // An exit does not need the entry vote.
        #expect(onlySignal(decide(high: 0.1, low: 0.9))?.action == .exit)
        // Exits can be switched off.
        var noExits = configuration
        noExits.veto.exitThreshold = nil
        let key = bar(0)
        #expect(reason(run(noExits, [vector(key), prediction("lgbm-high_030_4", 0.8, key), prediction("logreg-low_030_4", 0.9, key)])) == .vetoed)
    }

    @Test("σ of the reference symbol routes: calm → conservative, normal → aggressive, storm → none or the storm models")
    func routing() throws {
        func decide(_ mode: Config.Mode, sigma: Double, stormModels: [String] = []) -> [EnsembleCore.Output] {
            let key = bar(0)
            return run(routed(mode, stormModels: stormModels),
                       [vector(bar(0, "BTCUSDT"), sigma: sigma), vector(key)] + allPredictions(key, cons: (0.9, 0.5), aggr: (0.3, 0.4), low: 0.2))
        }
        // Calm: the conservative vote (0.4·0.9 + 0.2·0.5) / 0.6.
        let calm = try #require(onlySignal(decide(.routeThenVote, sigma: 0.3)))
        #expect(calm.division == "conservative" && calm.regime == 0 && calm.sigma == 0.3 && calm.mode == "route_then_vote")
        #expect(abs(calm.probability - (0.4 * 0.9 + 0.2 * 0.5) / 0.6) < 1e-15)
        #expect(calm.models == ["lgbm-high_030_4", "logreg-high_030_4"])
        // Normal: the aggressive models (0.3, 0.4) do not pass.
        #expect(reason(decide(.routeThenVote, sigma: 0.5)) == .belowThreshold)
        // Storm: nobody opens, unless storm models are configured.
        #expect(reason(decide(.routeThenVote, sigma: 1.5)) == .stormHalt)
        let storm = try #require(onlySignal(decide(.routeThenVote, sigma: 2.0, stormModels: ["lgbm-high_030_4"])))
        #expect(storm.models == ["lgbm-high_030_4"] && storm.division.isEmpty && storm.regime == 2)
        // Route only: the conservative division's leaders decide. Nobody is marked, so every entry
        // model of the division leads; marking lgbm makes it decide alone.
        #expect(onlySignal(decide(.route, sigma: 0.3))?.probability == calm.probability)
        var leaders = routed(.route)
        leaders.models[0].leads = true
        let key = bar(0)
        let led = try #require(onlySignal(run(leaders, [vector(bar(0, "BTCUSDT"), sigma: 0.1), vector(key)] + allPredictions(key, cons: (0.7, 0.1), aggr: (0.9, 0.9), low: 0.2))))
        #expect(led.models == ["lgbm-high_030_4"] && abs(led.probability - 0.7) < 1e-15)
        // Vote mode ignores σ: all four entry models.
        #expect(onlySignal(decide(.vote, sigma: 2.0)) == nil)
    }

    @Test("A routed bar waits for the reference bar's σ, and the decisions do not depend on arrival order")
    func routingWaitsAndIsDeterministic() {
        let configuration = routed(.routeThenVote)
        let key = bar(0)
        let withoutReference = run(configuration, [vector(key)] + allPredictions(key, cons: (0.9, 0.9), aggr: (0.9, 0.9), low: 0.1))
        #expect(decisions(withoutReference).isEmpty)
        var groups: [[EnsembleCore.Input]] = []
        let sigmas = [0.2, 0.7, 1.7, 0.4, 0.9, 0.3]
        for step in 0..<Int64(sigmas.count) {
            let p = 0.5 + Double(step) * 0.07
            groups.append([vector(bar(step, "BTCUSDT"), sigma: sigmas[Int(step)]), vector(bar(step))]
                + allPredictions(bar(step), cons: (p, 0.8), aggr: (0.8, p), low: 0.1 * Double(step)))
        }
        let expected = decisions(run(configuration, groups.flatMap { $0 }))
        #expect(expected.count == sigmas.count)
        #expect(Set(expected.compactMap { if case .signal(let s) = $0 { s.regime } else { nil } }).count > 1)
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<200 {
            // Any arrival order of each bar's messages (the reference vector included).
            let shuffled = groups.flatMap { $0.shuffled(using: &generator) }
            #expect(decisions(run(configuration, shuffled)) == expected)
        }
    }

    @Test("Predictors running ahead of each other do not change the decisions (each model's stream stays in bar order)")
    func skewedPredictorsDecideAlike() {
        let configuration = routed(.routeThenVote, stormModels: ["logreg-high_030_4"])
        let steps = 40
        var generator = SeededGenerator(seed: 11)
        // Per source (the reference vectors, the symbol's vectors, each model): its messages in bar order.
        var streams: [[EnsembleCore.Input]] = Array(repeating: [], count: 7)
        for step in 0..<Int64(steps) {
            let sigma = [0.2, 0.8, 1.9, 0.3][Int(step) % 4] + Double.random(in: 0..<0.2, using: &generator)
            streams[0].append(vector(bar(step, "BTCUSDT"), sigma: sigma))
            streams[1].append(vector(bar(step)))
            let inputs = allPredictions(bar(step), cons: (.random(in: 0.3..<0.95, using: &generator), .random(in: 0.3..<0.95, using: &generator)),
                                        aggr: (.random(in: 0.3..<0.95, using: &generator), .random(in: 0.3..<0.95, using: &generator)),
                                        low: .random(in: 0..<0.7, using: &generator))
            for (i, input) in inputs.enumerated() {
                // A predictor skips a bar now and then (features it lacks): it never predicts it later.
                if step % 7 == Int64(i) { continue }
                streams[2 + i].append(input)
            }
        }
        // Reference: bar by bar, every source's message for the bar before the next bar's.
        var byBar: [EnsembleCore.Input] = []
        var cursors = Array(repeating: 0, count: streams.count)
        func openTime(_ input: EnsembleCore.Input) -> Timestamp {
            switch input {
            case .prediction(let p): p.bar.openTime
            case .features(let v): v.bar.openTime
            case .timeout: .init(milliseconds: 0)
            }
        }
        for step in 0..<Int64(steps) {
            for i in streams.indices where cursors[i] < streams[i].count && openTime(streams[i][cursors[i]]) == bar(step).openTime {
                byBar.append(streams[i][cursors[i]])
                cursors[i] += 1
            }
        }
        let expected = decisions(run(configuration, byBar))
        // Every source's first message comes first: the ensemble was running before these bars
        // (a series starts at the first bar it sees, so which bar that is depends on arrival).
        let heads = streams.filter { openTime($0[0]) == bar(0).openTime }.map { $0[0] }
        #expect(expected.count == steps - 1)   // the last bar waits for a later prediction or its missing model
        for _ in 0..<200 {
            // Merge the streams at random: any source may run many bars ahead of another.
            var merged: [EnsembleCore.Input] = heads
            var positions = streams.map { openTime($0[0]) == bar(0).openTime ? 1 : 0 }
            while let source = streams.indices.filter({ positions[$0] < streams[$0].count }).randomElement(using: &generator) {
                merged.append(streams[source][positions[source]])
                positions[source] += 1
            }
            #expect(decisions(run(configuration, merged)) == expected)
        }
    }

    @Test("A bar whose reference vector lacks σ is not routed (no_regime)")
    func missingSigma() {
        let key = bar(0)
        let outputs = run(routed(.routeThenVote), [vector(bar(0, "BTCUSDT")), vector(key)] + allPredictions(key, cons: (0.9, 0.9), aggr: (0.9, 0.9), low: 0.1))
        #expect(reason(outputs) == .noRegime)
    }

    @Test("Stack mode: the logistic-regression meta-model's probability decides")
    func stacking() throws {
        let stack = Config.Stacking(name: "stack-high_030_4@1", inputs: ["lgbm-high_030_4", "logreg-high_030_4"],
                                    means: [0.5, 0.4], stds: [0.1, 0.2], coefficients: [2, -1], intercept: 0.25)
        let configuration = Config(models: [.init(name: "lgbm-high_030_4"), .init(name: "logreg-high_030_4")], mode: .stack, stacking: stack)
        let key = bar(0)
        let signal = try #require(onlySignal(run(configuration, [vector(key), prediction("lgbm-high_030_4", 0.7, key), prediction("logreg-high_030_4", 0.6, key)])))
        let z = 0.25 + 2 * (0.7 - 0.5) / 0.1 - 1 * (0.6 - 0.4) / 0.2
        #expect(abs(signal.probability - 1 / (1 + exp(-z))) < 1e-15)
        #expect(signal.mode == "stack" && signal.votes.map(\.weight) == [2, -1])
        // A missing input: no stacked decision.
        let missing = run(configuration, [vector(key), prediction("lgbm-high_030_4", 0.7, key), prediction("lgbm-high_030_4", 0.7, bar(1)), .timeout])
        #expect(reason(Array(missing.prefix(2))) == .stackInputMissing)
    }

    @Test("Missing models are counted per model and named stale after consecutive misses")
    func staleModels() {
        var core = EnsembleCore(configuration: Config(models: [.init(name: "a", weight: 1), .init(name: "b", weight: 1)], staleAfterBars: 3))
        for step in 0..<4 {
            _ = core.handle(vector(bar(Int64(step))), now: now)
            _ = core.handle(prediction("a", 0.5, bar(Int64(step))), now: now)
            _ = core.handle(.timeout, now: now)   // b never speaks
        }
        #expect(core.missingCounts == ["b": 3] && core.staleModels == ["b"])
        _ = core.handle(prediction("b", 0.5, bar(3)), now: now)
        _ = core.handle(prediction("a", 0.5, bar(4)), now: now)
        #expect(core.staleModels.isEmpty)
    }

    @Test("Configuration errors are all listed at once")
    func validation() {
        var configuration = Config(models: [.init(name: "lgbm-high_030_4"), .init(name: "logreg-low_030_4", leads: true)], mode: .routeThenVote,
                                   router: .init(calmBelow: 2, stormFrom: 1, stormModels: ["nope"]), veto: .init(vetoThreshold: 0.7, exitThreshold: 0.6))
        configuration.staleAfterBars = 0
        do {
            try configuration.validate()
            Issue.record("expected violations")
        } catch {
            let text = error.violations.joined(separator: "\n")
            for needle in ["vetoes and cannot lead", "needs a division", "veto.exitThreshold", "staleAfterBars", "router.stormFrom",
                           "router.calmDivision", "router.normalDivision", "\"nope\" is not a configured entry model"] {
                #expect(text.contains(needle), "missing: \(needle)")
            }
        }
        #expect(throws: Config.ValidationError.self) { try Config(models: [.init(name: "m")], mode: .stack).validate() }
    }

    @Test("ENSEMBLE_MODELS entries: name[:weight][@division][*]")
    func parseEntries() throws {
        let full = try Config.Model.parse("lgbm-high_030_4:0.5@conservative*").get()
        #expect(full == .init(name: "lgbm-high_030_4", weight: 0.5, division: "conservative", leads: true))
        #expect(try Config.Model.parse("automl-high_050_3@aggressive").get().weight == 0.3)
        #expect(try Config.Model.parse("logreg-low_030_4").get().role == .veto)
        #expect(throws: Config.Model.ParseProblem.self) { try Config.Model.parse("m:x").get() }
        #expect(throws: Config.Model.ParseProblem.self) { try Config.Model.parse("m@").get() }
    }
}
