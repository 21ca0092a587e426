import Bus
import Domain
import EnsembleCore
import Runtime
import Wire

// quorum-ensemble: predictions (pred.) and feature vectors (feat.) in; one decision per bar in
// event time; signals out on sig.<SYM>.<iv>.
await ServiceMain.run(service: "ensemble") { env in
    let entries = env.list("ENSEMBLE_MODELS", default: [], "models and weights: name[:weight],...")
    let threshold = env.double("ENSEMBLE_THRESHOLD", default: 0.6, range: 0...1, "signal when the weighted probability exceeds this")
    let symbols = env.list("SYMBOLS", default: [], "only these symbols (empty = all)")
    var models: [EnsembleCore.Configuration.Model] = []
    for entry in entries {
        let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
        if parts.count == 2 {
            guard let weight = Double(parts[1]) else { env.fail("ENSEMBLE_MODELS: weight of \"\(parts[0])\" is not a number: \"\(parts[1])\""); continue }
            models.append(.init(name: parts[0], weight: weight))
        } else {
            models.append(.init(name: parts[0]))
        }
    }
    if entries.isEmpty { env.fail("ENSEMBLE_MODELS is required (e.g. logreg-high_030_4:1)") }
    let configuration = EnsembleCore.Configuration(models: models, threshold: threshold)
    do { try configuration.validate() } catch let error as EnsembleCore.Configuration.ValidationError {
        env.fail(error.description)
    }
    return { node in
        var core = EnsembleCore(configuration: configuration)
        let prefixes = symbols.isEmpty
            ? [Topic.Prefix.predictions, Topic.Prefix.features]
            : symbols.flatMap { ["\(Topic.Prefix.predictions)\($0).", "\(Topic.Prefix.features)\($0)."] }
        let inbound = try node.subscribe(prefixes)
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
                for output in core.handle(input, now: now) {
                    switch output {
                    case .signal(let signal):
                        node.publish(.signal(Quorum_V1_EnsembleSignal(signal)), topic: Topic.signal(symbol: signal.bar.symbol, interval: signal.bar.interval.name),
                                     eventTime: signal.bar.closeTime, traceID: envelope.header.traceID,
                                     causationID: envelope.causationID)
                        node.counters.increment("signals")
                    case .noSignal(let decision):
                        node.counters.increment("no_signal_\(decision.reason.rawValue)")
                    case .duplicate:
                        node.counters.increment("duplicate_predictions")
                    case .ignored(_, let reason):
                        node.counters.increment("ignored_\(reason.rawValue)")
                    case .late:
                        node.counters.increment("late_predictions")
                    }
                }
            }
        }
    }
}
