import Domain
import EnsembleCore
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
