import Domain
import EnsembleCore
import PredictorCore
import RiskGateCore

/// The demo suite's decisions as cores (compose/compose.yaml's defaults say the same in env keys):
/// two divisions with the specification's presets, the regime router choosing which may open
/// (`route_then_vote`), the conservative logistic regression alone in a storm. The demo's
/// in-process reference and the tests build the suite from here, so they decide as the services do.
extension DemoStrategy {
    /// Portfolio equity of the demo, in USDT.
    public static let equity = Decimal8(1000)

    public static func ensembleConfiguration() -> EnsembleCore.Configuration {
        let models = ensembleModels.split(separator: ",").compactMap { entry -> EnsembleCore.Configuration.Model? in
            if case .success(let model) = EnsembleCore.Configuration.Model.parse(String(entry)) { return model }
            return nil
        }
        var router = EnsembleCore.Configuration.Router()
        router.stormModels = stormModels
        return EnsembleCore.Configuration(models: models, threshold: threshold, mode: .routeThenVote, router: router)
    }

    public static func riskConfiguration() -> RiskGateCore.Configuration {
        .presets(equity: equity, shadow: true)
    }
}

extension DemoStrategy {
    /// Both demo models, trained on `klines` of the training range (what `scripts/demo.sh` trains
    /// with `quorum train`).
    public static func trainModels(klines: [Kline]) throws -> [Model] {
        let range = Timestamp(utcDate: trainFrom)!..<Timestamp(utcDate: trainTo)!
        let conservative = try ModelTraining.trainLogisticRegression(
            klines: klines, features: features, label: label, range: range, name: modelName, created: range.upperBound)
        let aggressive = try ModelTraining.trainLogisticRegression(
            klines: klines, features: aggressiveFeatures, label: label, range: range, name: aggressiveModelName, created: range.upperBound)
        return [conservative, aggressive]
    }

    /// The suite's cores in one process, deciding as the demo's services do.
    public static func backtest(models: [Model]) throws -> Backtest {
        try Backtest(configuration: .init(
            features: servedFeatures, models: models, ensemble: ensembleConfiguration(),
            risk: riskConfiguration(), executor: .init()))
    }
}
