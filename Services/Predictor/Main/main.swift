import Bus
import Domain
import Foundation
import PredictorCore
import Runtime
import Wire

// quorum-predictor: one process per model. Feature vectors in (feat.<SYM>.<iv>.), P(label) out
// (pred.<SYM>.<iv>.<model>.). Refuses to run, saying which, when the model's features are not in
// the vectors it receives.
await ServiceMain.run(service: "predictor") { env in
    let directory = env.string("MODEL_DIR", default: "./models", "model registry folder")
    let name = env.requiredString("MODEL_NAME", "registry name of the model, e.g. logreg-high_030_4")
    let version = env.string("MODEL_VERSION", default: "", "model version (empty = the latest)")
    let symbols = env.list("SYMBOLS", default: [], "only these symbols (empty = all the model knows)")
    var model: Model? = nil
    if !name.isEmpty {
        do {
            model = try ModelRegistry(directory: directory).load(name: name, version: version.isEmpty ? nil : version)
        } catch {
            env.fail("MODEL_NAME=\(name): \(error)")
        }
    }
    let loaded = model
    return { node in
        guard let model = loaded else { return }
        let interval = model.metadata.interval.name
        node.logger.info("model loaded", metadata: [
            "model.name": "\(model.metadata.name)", "model.version": "\(model.metadata.version)",
            "model.features": "\(model.metadata.features.joined(separator: ","))", "model.label": "\(model.metadata.label)",
        ])
        var core = PredictorCore(configuration: .init(model: model, symbols: symbols.isEmpty ? nil : Set(symbols)))
        let prefixes = symbols.isEmpty ? [Topic.Prefix.features] : symbols.map { Topic.features(symbol: $0, interval: interval) }
        let inbound = try node.subscribe(prefixes + [Topic.control(service: "predictor")])
        try await inbound.onReceiveThread {
            for await envelope in inbound {
                switch envelope.payload {
                case .features(let wire):
                    let vector: FeatureVector
                    do { vector = try wire.domain() } catch {
                        node.drop(reason: "invalid_features", detail: "\(error)")
                        continue
                    }
                    for output in core.handle(.features(vector), now: vector.bar.closeTime) {
                        switch output {
                        case .prediction(let prediction):
                            node.publish(.prediction(Quorum_V1_Prediction(prediction)),
                                         topic: Topic.prediction(symbol: prediction.bar.symbol, interval: prediction.bar.interval.name, model: prediction.model),
                                         eventTime: prediction.bar.closeTime, traceID: envelope.header.traceID,
                                         causationID: envelope.causationID)
                            node.counters.increment("predictions")
                        case .skipped(let bar, let reason):
                            node.counters.increment("skipped_\(reason)")
                            node.logger.debug("vector skipped", metadata: ["bar": "\(bar)", "reason": "\(reason)"])
                        case .missingFeatures(let bar, let missing):
                            node.logger.critical("model features are not in the vectors: refusing to run", metadata: [
                                "model.name": "\(model.metadata.name)", "features.missing": "\(missing.joined(separator: ","))",
                                "features.available": "\(vector.names.joined(separator: ","))", "bar": "\(bar)",
                            ])
                            FileHandle.standardError.write(Data("quorum-predictor: model \(model.metadata.name) needs features missing from the vectors on \(envelope.topic): \(missing.joined(separator: ", "))\n".utf8))
                            throw PredictorRefusal.missingFeatures(missing)
                        }
                    }
                case .control(let control):
                    node.logger.notice("control received", metadata: ["ctl.command": "\(control.command)"])
                default:
                    node.dropUnexpected(envelope)
                }
            }
        }
    }
}

enum PredictorRefusal: Error {
    case missingFeatures([String])
}
