import Bus
import Domain
import FeatureServiceCore
import Runtime
import Wire

// quorum-features: closed klines in (md.kline.), feature vectors out (feat.<SYM>.<iv>.).
await ServiceMain.run(service: "features") { env in
    let names = env.list("FEATURES", default: ["close_SMA_3", "close_SMA_6", "close_SMA_12", "close_RSI_14", "high_low_close_ATR_14"], "feature names (ITB naming)")
    let symbols = env.list("SYMBOLS", default: [], "only these symbols (empty = all)")
    let maxGap = env.int("MAX_INTERPOLATED_GAP", default: 0, range: 0...100_000, "largest gap of missing bars filled by interpolation (0 = no limit)")
    var configuration: FeatureServiceCore.Configuration? = nil
    do {
        configuration = try FeatureServiceCore.Configuration(features: names, maxInterpolatedGap: maxGap == 0 ? nil : maxGap)
    } catch let error as FeatureServiceCore.ConfigurationError {
        for problem in error.problems { env.fail("FEATURES: \(problem)") }
    }
    let validated = configuration
    return { node in
        guard let configuration = validated else { return }
        var core = FeatureServiceCore(configuration: configuration)
        let prefixes = symbols.isEmpty ? [Topic.Prefix.klines] : symbols.map { "\(Topic.Prefix.klines)\($0)." }
        let inbound = try node.subscribe(prefixes)
        await inbound.onReceiveThread {
            for await envelope in inbound {
                guard case .kline(let wire) = envelope.payload else {
                    node.dropUnexpected(envelope)
                    continue
                }
                let kline: Kline
                do { kline = try wire.domain() } catch {
                    node.drop(reason: "invalid_kline", detail: "\(error)")
                    continue
                }
                let now = kline.closeTime
                for output in core.handle(.kline(kline), now: now) {
                    switch output {
                    case .vector(let vector):
                        node.publish(.features(Quorum_V1_FeatureVector(vector)),
                                     topic: Topic.features(symbol: vector.bar.symbol, interval: vector.bar.interval.name),
                                     eventTime: vector.bar.closeTime, traceID: envelope.header.traceID,
                                     causationID: envelope.causationID)
                        node.counters.increment("vectors")
                    case .warming:
                        node.counters.increment("warming")
                    case .dropped(let bar, let reason):
                        node.drop(reason: reason, detail: "\(bar)")
                    case .gapFilled(_, let synthetic):
                        node.counters.increment("gap_bars_interpolated", by: UInt64(synthetic))
                    case .seriesReset(let bar, let missing):
                        node.counters.increment("series_resets")
                        node.logger.warning("series reset after a long gap", metadata: ["bar": "\(bar)", "missing": "\(missing)"])
                    }
                }
            }
        }
    }
}
