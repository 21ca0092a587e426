import Bus
import Domain
import EnsembleCore
import Foundation
import PredictorCore
import Runtime
import Wire

// quorum-ensemble: predictions (pred.) and feature vectors (feat.) in; one decision per bar in
// event time; signals out on sig.<SYM>.<iv>. (README.md documents every key.)
await ServiceMain.run(service: "ensemble") { env in
    let entries = env.list("ENSEMBLE_MODELS", default: [], "models: name[:weight][@division][*],... (* = leads in route mode)")
    let threshold = env.double("ENSEMBLE_THRESHOLD", default: 0.6, range: 0...1, "signal when the weighted probability exceeds this")
    let symbols = env.list("SYMBOLS", default: [], "only these symbols (empty = all)")
    let modeName = env.string("ENSEMBLE_MODE", default: "vote", "vote | route | route_then_vote | stack")
    let defaults = EnsembleCore.Configuration.Router()
    let router = EnsembleCore.Configuration.Router(
        referenceSymbol: env.string("REGIME_REFERENCE_SYMBOL", default: defaults.referenceSymbol, "whose vol_sigma routes (route modes)"),
        referenceInterval: env.interval("REGIME_REFERENCE_INTERVAL", default: defaults.referenceInterval, "bar interval of the reference symbol"),
        sigmaFeature: env.string("REGIME_SIGMA_FEATURE", default: defaults.sigmaFeature, "feature carrying σ"),
        calmBelow: env.double("REGIME_CALM_BELOW", default: defaults.calmBelow, "σ below this is calm (regime 0)"),
        stormFrom: env.double("REGIME_STORM_FROM", default: defaults.stormFrom, "σ at or above this is a storm (regime 2)"),
        calmDivision: env.string("REGIME_CALM_DIVISION", default: defaults.calmDivision, "division allowed when calm"),
        normalDivision: env.string("REGIME_NORMAL_DIVISION", default: defaults.normalDivision, "division allowed when normal"),
        stormModels: env.list("REGIME_STORM_MODELS", default: [], "models allowed in a storm (empty = none)")
    )
    let vetoThreshold = env.double("VETO_THRESHOLD", default: 0.5, range: 0...1, "low models' weighted probability above which entries are vetoed")
    let exitText = env.string("EXIT_THRESHOLD", default: "0.6", "low models' weighted probability above which the bar is an exit signal (none = never)")
    let stackPath = env.string("STACK_MODEL", default: "", "stack mode: a registry version directory of the logistic-regression meta-model")
    let waitMs = env.int("ENSEMBLE_WAIT_MS", default: 2000, range: 10...600_000, "how long a bar waits for a model that lags behind the others (wall clock) before it is decided without it")
    let staleAfter = env.int("STALE_AFTER_BARS", default: 3, range: 1...10_000, "a model missing this many consecutive bars is named stale")

    var models: [EnsembleCore.Configuration.Model] = []
    for entry in entries {
        switch EnsembleCore.Configuration.Model.parse(entry) {
        case .success(let model): models.append(model)
        case .failure(let problem): env.fail("ENSEMBLE_MODELS: \(problem)")
        }
    }
    if entries.isEmpty { env.fail("ENSEMBLE_MODELS is required (e.g. logreg-high_030_4:1)") }
    let mode = EnsembleCore.Configuration.Mode(rawValue: modeName)
    if mode == nil { env.fail("ENSEMBLE_MODE: \"\(modeName)\" is not one of \(EnsembleCore.Configuration.Mode.allCases.map(\.rawValue).joined(separator: ", "))") }
    var exitThreshold: Double?
    if exitText != "none" {
        if let value = Double(exitText) { exitThreshold = value } else { env.fail("EXIT_THRESHOLD: \"\(exitText)\" is not a number or none") }
    }
    var stacking: EnsembleCore.Configuration.Stacking?
    if !stackPath.isEmpty {
        do {
            let path = stackPath.hasSuffix(".json") ? stackPath : (stackPath as NSString).appendingPathComponent("metadata.json")
            let model = try ModelRegistry.load(metadataAt: path)
            if case .logisticRegression(let p) = model.parameters {
                stacking = .init(name: "\(model.metadata.name)@\(model.metadata.version)", inputs: model.metadata.features,
                                 means: p.means, stds: p.stds, coefficients: p.coefficients, intercept: p.intercept)
            } else {
                env.fail("STACK_MODEL: \(path): the meta-model must be a logistic regression, got \(model.metadata.algorithm)")
            }
        } catch {
            env.fail("STACK_MODEL: \(error)")
        }
    }
    let configuration = EnsembleCore.Configuration(
        models: models, threshold: threshold, mode: mode ?? .vote, router: router,
        veto: .init(vetoThreshold: vetoThreshold, exitThreshold: exitThreshold), stacking: stacking, staleAfterBars: staleAfter
    )
    if !entries.isEmpty, mode != nil {
        do { try configuration.validate() } catch let error as EnsembleCore.Configuration.ValidationError {
            env.fail(error.description)
        }
    }
    return { node in
        var subscribed = symbols
        if configuration.routes, !symbols.isEmpty, !symbols.contains(router.referenceSymbol) { subscribed.append(router.referenceSymbol) }
        let prefixes = subscribed.isEmpty
            ? [Topic.Prefix.predictions, Topic.Prefix.features]
            : subscribed.flatMap { ["\(Topic.Prefix.predictions)\($0).", "\(Topic.Prefix.features)\($0)."] }
        let inbound = try node.subscribe(prefixes)
        ServiceMain.status.set("running mode=\(configuration.mode.rawValue)")
        let shell = EnsembleShell(core: EnsembleCore(configuration: configuration), node: node)
        let waitNanoseconds = UInt64(waitMs) * 1_000_000
        let ticker = Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(max(10, min(250, waitMs / 4))))
                shell.tick(waitNanoseconds: waitNanoseconds)
            }
        }
        await inbound.onReceiveThread {
            for await envelope in inbound {
                let input: EnsembleCore.Input
                let now: Timestamp
                do {
                    switch envelope.payload {
                    case .prediction(let wire):
                        let prediction = try wire.domain()
                        input = .prediction(prediction)
                        now = prediction.bar.closeTime
                    case .features(let wire):
                        let vector = try wire.domain()
                        input = .features(vector)
                        now = vector.bar.closeTime
                    default:
                        node.dropUnexpected(envelope)
                        continue
                    }
                } catch {
                    node.drop(reason: "invalid_payload", detail: "\(error)")
                    continue
                }
                shell.handle(input, now: now, traceID: envelope.header.traceID, causationID: envelope.causationID)
            }
        }
        ticker.cancel()
    }
}
