import Domain
import EnsembleCore
import ExecutorCore
import RiskGateCore
import Foundation

/// Decision time per message of the Ensemble core (issue 5 §5): the product specification's
/// full form (route then vote over two divisions, a low model vetoing, σ from the reference symbol).
enum DecisionBench {
    /// Per-message latency of `EnsembleCore.handle`, nanoseconds, over `bars` bars of two symbols
    /// (BTCUSDT, the reference, and ETHUSDT), five models each plus the feature vectors.
    static func ensemble(bars: Int) -> (samples: Samples, signals: Int) {
        let configuration = EnsembleCore.Configuration(models: [
            .init(name: "lgbm-high_030_4", division: "conservative"),
            .init(name: "logreg-high_030_4", division: "conservative"),
            .init(name: "lgbm-high_050_3", division: "aggressive"),
            .init(name: "automl-high_050_3", division: "aggressive"),
            .init(name: "logreg-low_030_4", division: "conservative"),
        ], threshold: 0.6, mode: .routeThenVote)
        var core = EnsembleCore(configuration: configuration)
        var samples = Samples()
        samples.values.reserveCapacity(bars * 12)
        var signals = 0
        var state: UInt64 = 42
        func unit() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        let start: Int64 = 1_722_816_000_000
        let price = Decimal8(100)
        for i in 0..<bars {
            for symbol in ["BTCUSDT", "ETHUSDT"] {
                let bar = BarKey(symbol: symbol, interval: .fiveMinutes, openTime: Timestamp(milliseconds: start + Int64(i) * 300_000))
                var inputs: [EnsembleCore.Input] = [.features(FeatureVector(bar: bar, close: price, high: price, low: price,
                                                                            names: ["close_RSI_14", "vol_sigma"], values: [50, unit() * 2]))]
                for model in configuration.models {
                    inputs.append(.prediction(Prediction(bar: bar, model: model.name, version: "1", label: "x", probability: unit())))
                }
                for input in inputs {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    let outputs = core.handle(input, now: .zero)
                    let t1 = DispatchTime.now().uptimeNanoseconds
                    samples.add(Double(t1 - t0))
                    for output in outputs { if case .signal = output { signals += 1 } }
                }
            }
        }
        return (samples, signals)
    }
}

extension DecisionBench {
    /// Per-signal decision time of the RiskGate core (issue 5 §5) with the specification's two
    /// divisions and every breaker armed, on real klines: the Executor core paper-fills the intents
    /// on the same klines and its acks, reports and watermarks reach the gate as over the bus.
    /// Every bar gets an entry signal (alternately for each division), so the gate sizes, checks
    /// limits and breakers, and issues or denies on every one. Returns the signal decision times,
    /// the times of every other message, and how many intents were issued.
    static func riskGate(klines: [Kline]) -> (signals: Samples, others: Samples, intents: Int, denied: Int) {
        var gate = RiskGateCore(configuration: .presets(equity: Decimal8(1000)))
        var executor = ExecutorCore(configuration: .init())
        var signalTimes = Samples(), otherTimes = Samples()
        signalTimes.values.reserveCapacity(klines.count)
        var intents = 0, denied = 0, nextID: UInt64 = 0
        var pending: [RiskGateCore.Input] = []
        func timed(_ input: RiskGateCore.Input, now: Timestamp, into samples: inout Samples) -> [RiskGateCore.Output] {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let outputs = gate.handle(input, now: now)
            samples.add(Double(DispatchTime.now().uptimeNanoseconds - t0))
            return outputs
        }
        for (index, kline) in klines.enumerated() {
            let now = kline.closeTime
            pending += executor.handle(.kline(kline), now: now).compactMap(Self.gateInput)
            while !pending.isEmpty {
                let input = pending.removeFirst()
                for case .intent(let intent) in timed(input, now: now, into: &otherTimes) {
                    pending += executor.handle(.intent(intent), now: now).compactMap(Self.gateInput)
                }
            }
            nextID += 1
            let signal = EnsembleSignal(
                bar: kline.bar, side: .buy, probability: 0.7, threshold: 0.6, models: ["bench"], referencePrice: kline.close,
                division: index % 2 == 0 ? "conservative" : "aggressive", mode: "route_then_vote")
            for output in timed(.signal(signal, newIntentID: IntentID(milliseconds: kline.closeTime.milliseconds, random: nextID)), now: now, into: &signalTimes) {
                switch output {
                case .intent(let intent):
                    intents += 1
                    pending += executor.handle(.intent(intent), now: now).compactMap(Self.gateInput)
                case .denied: denied += 1
                default: break
                }
            }
            while !pending.isEmpty {
                let input = pending.removeFirst()
                for case .intent(let intent) in timed(input, now: now, into: &otherTimes) {
                    intents += 1
                    pending += executor.handle(.intent(intent), now: now).compactMap(Self.gateInput)
                }
            }
        }
        return (signalTimes, otherTimes, intents, denied)
    }

    private static func gateInput(_ output: ExecutorCore.Output) -> RiskGateCore.Input? {
        switch output {
        case .ack(let ack): .ack(ack)
        case .report(let report): .report(report)
        case .watermark(let mark): .watermark(mark)
        case .journalIntent: nil
        }
    }
}
