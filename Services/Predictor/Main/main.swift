import Bus
import Dispatch
import Domain
import Foundation
import PredictorCore
import Runtime
import Synchronization
import Wire

// quorum-predictor: one process per model. Feature vectors in (feat.<SYM>.<iv>.), P(label) out
// (pred.<SYM>.<iv>.<model>.). Refuses to run, saying which, when the model's features are not in
// the vectors it receives.
//
// Hot reload: SIGHUP, or a Control message on ctl.predictor. with command "reload" (arguments:
// "model" = only this registry name, "version" = that version; default the latest), loads and
// validates the new version on a background queue, then swaps it in between two messages. A version
// whose file is invalid, or whose features are not in the vectors the service receives, is refused
// and the running model stays. Counters: model_reloads, model_reload_refused, model_reload_unchanged.
await ServiceMain.run(service: "predictor") { env in
    let directory = env.string("MODEL_DIR", default: "./models", "model registry folder")
    let name = env.requiredString("MODEL_NAME", "registry name of the model, e.g. logreg-high_030_4")
    let version = env.string("MODEL_VERSION", default: "", "model version (empty = the latest; SIGHUP and reload switch versions)")
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
            "model.algorithm": "\(model.metadata.algorithm)",
            "model.features": "\(model.metadata.features.joined(separator: ","))", "model.label": "\(model.metadata.label)",
        ])
        let slot = ModelSlot(PredictorCore(configuration: .init(model: model, symbols: symbols.isEmpty ? nil : Set(symbols))))
        let reloader = ModelReloader(registry: ModelRegistry(directory: directory), name: name, slot: slot, node: node)
        // SIGHUP: ignored by default, delivered to a dispatch source instead.
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: reloader.queue)
        hangup.setEventHandler { reloader.reload(version: nil, trigger: "sighup") }
        hangup.resume()
        defer { hangup.cancel() }

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
                    // The swap takes the same lock: a message sees the old model or the new one, whole.
                    let (outputs, running) = slot.core.withLock { core in
                        (core.handle(.features(vector), now: vector.bar.closeTime), core.configuration.model)
                    }
                    for output in outputs {
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
                                "model.name": "\(running.metadata.name)", "model.version": "\(running.metadata.version)",
                                "features.missing": "\(missing.joined(separator: ","))",
                                "features.available": "\(vector.names.joined(separator: ","))", "bar": "\(bar)",
                            ])
                            FileHandle.standardError.write(Data("quorum-predictor: model \(running.metadata.name) needs features missing from the vectors on \(envelope.topic): \(missing.joined(separator: ", "))\n".utf8))
                            throw PredictorRefusal.missingFeatures(missing)
                        }
                    }
                case .control(let control):
                    node.logger.notice("control received", metadata: ["ctl.command": "\(control.command)"])
                    guard control.command == "reload" else { continue }
                    if let target = control.arguments["model"], !target.isEmpty, target != name { continue }
                    let requested = control.arguments["version"].flatMap { $0.isEmpty ? nil : $0 }
                    reloader.queue.async { reloader.reload(version: requested, trigger: "control") }
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

/// The running core, shared by the receive loop and the reloader.
final class ModelSlot: Sendable {
    let core: Mutex<PredictorCore>
    init(_ core: PredictorCore) { self.core = Mutex(core) }
}

/// Loads and validates model versions on its own serial queue (off the receive thread), then swaps
/// them into the slot between two messages.
final class ModelReloader: Sendable {
    let queue = DispatchQueue(label: "quorum.predictor.reload")
    let registry: ModelRegistry
    let name: String
    let slot: ModelSlot
    let node: BusNode

    init(registry: ModelRegistry, name: String, slot: ModelSlot, node: BusNode) {
        self.registry = registry
        self.name = name
        self.slot = slot
        self.node = node
    }

    /// Runs on `queue`. `version` nil = the latest.
    func reload(version: String?, trigger: String) {
        let candidate: Model
        do {
            candidate = try registry.load(name: name, version: version)
        } catch {
            node.counters.increment("model_reload_refused")
            node.logger.error("model reload refused: the new version does not load", metadata: [
                "model.name": "\(name)", "model.version": "\(version ?? "latest")", "reload.trigger": "\(trigger)", "error": "\(error)",
            ])
            return
        }
        let (previous, refusal) = slot.core.withLock { core -> (String, String?) in
            let previous = core.configuration.model.version
            if core.configuration.model == candidate { return (previous, "unchanged") }
            return (previous, core.switchModel(to: candidate))
        }
        switch refusal {
        case nil:
            node.counters.increment("model_reloads")
            node.logger.notice("model switched", metadata: [
                "model.name": "\(name)", "model.version": "\(candidate.version)", "model.previous_version": "\(previous)",
                "model.algorithm": "\(candidate.metadata.algorithm)", "reload.trigger": "\(trigger)",
            ])
        case "unchanged":
            node.counters.increment("model_reload_unchanged")
            node.logger.info("model reload: already running this version", metadata: [
                "model.name": "\(name)", "model.version": "\(candidate.version)", "reload.trigger": "\(trigger)",
            ])
        case let reason?:
            node.counters.increment("model_reload_refused")
            node.logger.error("model reload refused: keeping the running version", metadata: [
                "model.name": "\(name)", "model.version": "\(candidate.version)", "model.running_version": "\(previous)",
                "reason": "\(reason)", "reload.trigger": "\(trigger)",
            ])
        }
    }
}
