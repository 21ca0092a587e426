import Bus
import Domain
import FeatureServiceCore
import OrderFlow
import Runtime
import SwiftProtobuf
import Wire

// quorum-features: closed klines in (md.kline.), feature vectors out (feat.<SYM>.<iv>.); with
// order-flow features, also the synced book stream and trades (md.depth., md.book., md.trade.).
await ServiceMain.run(service: "features") { env in
    let requested = env.list("FEATURES", default: ["close_SMA_3", "close_SMA_6", "close_SMA_12", "close_RSI_14", "high_low_close_ATR_14"], "feature names (ITB naming; order-flow names such as imbalance_5 or ofi are computed from md.depth/md.book/md.trade)")
    let symbols = env.list("SYMBOLS", default: [], "only these symbols (empty = all)")
    let maxGap = env.int("MAX_INTERPOLATED_GAP", default: 0, range: 0...100_000, "0 = never interpolate: a gap of missing bars restarts the series (default); n > 0 = fill gaps up to n bars by linear interpolation (ITB-compatible)")
    let orderFlowFreq = env.string("ORDERFLOW_FREQ", default: "5m", "bar length of the order-flow features (the config's freq); only series of this interval get them")
    let wallMultiple = env.double("ORDERFLOW_WALL_MULTIPLE", default: 5, "a wall is a level above this multiple of the median level quantity")
    let warmUp = WarmUp.read(&env, symbols: symbols)
    // Order-flow names go to the order-flow join; the rest to the core. Depths come from the imbalance_k names.
    // (Loops, not closures: a closure here is inferred main-actor isolated and traps off the main thread.)
    var orderFlowNames: [String] = []
    var names: [String] = []
    for name in requested {
        if OrderFlowFeature.isValidName(name) { orderFlowNames.append(name) } else { names.append(name) }
    }
    var configuration: FeatureServiceCore.Configuration? = nil
    do {
        configuration = try FeatureServiceCore.Configuration(features: names, maxInterpolatedGap: maxGap == 0 ? nil : maxGap)
    } catch let error as FeatureServiceCore.ConfigurationError {
        for problem in error.problems { env.fail("FEATURES: \(problem)") }
    }
    var orderFlow: StreamingOrderFlowJoin? = nil
    if !orderFlowNames.isEmpty {
        var depths: [Int] = []
        for name in orderFlowNames { if let k = OrderFlowFeature.imbalanceLevels(inName: name) { depths.append(k) } }
        do {
            let flow = try OrderFlowConfiguration(depths: depths.isEmpty ? [5] : depths, freq: orderFlowFreq, wallMultiple: wallMultiple)
            orderFlow = try StreamingOrderFlowJoin(names: orderFlowNames, configuration: flow)
        } catch let error as OrderFlowConfigurationError {
            for problem in error.problems { env.fail("FEATURES / ORDERFLOW_*: \(problem)") }
        } catch {
            env.fail("FEATURES / ORDERFLOW_*: \(error)")
        }
    }
    let validated = configuration
    let validatedOrderFlow = orderFlow
    return { node in
        guard let configuration = validated else { return }
        node.logger.info("features", metadata: [
            "names": "\(configuration.features.joined(separator: ","))", "spread_source": "\(configuration.spreadSource.rawValue)",
            "gaps": "\(maxGap == 0 ? "restart the series" : "interpolate up to \(maxGap) bars, restart beyond")",
            "order_flow": "\(validatedOrderFlow.map { "\($0.names.joined(separator: ",")) every \($0.configuration.frequency.name) from md.depth/md.book/md.trade" } ?? "none")",
        ])
        var core = FeatureServiceCore(configuration: configuration)
        var orderFlow = validatedOrderFlow
        var prefixes = symbols.isEmpty ? [Topic.Prefix.klines] : symbols.map { "\(Topic.Prefix.klines)\($0)." }
        if orderFlow != nil {
            prefixes += symbols.isEmpty
                ? ["md.depth.", "md.book.", "md.trade."]
                : symbols.flatMap { [Topic.depth(symbol: $0), Topic.book(symbol: $0), Topic.trade(symbol: $0)] }
        }
        // Warm up from the collector's history socket before listening to live klines.
        if let warmUp { await warmUp.run(core: &core, node: node) }
        let inbound = try node.subscribe(prefixes)
        await inbound.onReceiveThread {
            for await envelope in inbound {
                let wire: Quorum_V1_Kline
                switch envelope.payload {
                case .kline(let kline):
                    wire = kline
                case .bookDelta(let delta) where orderFlow != nil:
                    do {
                        let update = try delta.domain()
                        orderFlow!.handle(symbol: update.symbol, .depth(update))
                    } catch { node.drop(reason: "invalid_book_delta", detail: "\(error)") }
                    continue
                case .bookSnapshot(let snapshot) where orderFlow != nil:
                    do {
                        let book = try snapshot.domain()
                        orderFlow!.handle(symbol: book.symbol, .book(book))
                    } catch { node.drop(reason: "invalid_book_snapshot", detail: "\(error)") }
                    continue
                case .trade(let trade) where orderFlow != nil:
                    do {
                        let domain = try trade.domain()
                        orderFlow!.handle(symbol: domain.symbol, .trade(domain))
                    } catch { node.drop(reason: "invalid_trade", detail: "\(error)") }
                    continue
                default:
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
                    case .vector(var vector):
                        if orderFlow != nil {
                            let before = (orderFlow!.missing, orderFlow!.wrongInterval)
                            let columns = orderFlow!.values(for: vector.bar)
                            vector = FeatureVector(bar: vector.bar, close: vector.close, high: vector.high, low: vector.low,
                                                   names: vector.names + orderFlow!.names, values: vector.values + columns)
                            if orderFlow!.missing > before.0 { node.counters.increment("orderflow_bars_missing") }
                            if orderFlow!.wrongInterval > before.1 { node.counters.increment("orderflow_wrong_interval") }
                            if columns.contains(where: { !$0.isFinite }) { node.counters.increment("orderflow_vectors_incomplete") }
                        }
                        node.publish(.features(Quorum_V1_FeatureVector(vector)),
                                     topic: Topic.features(symbol: vector.bar.symbol, interval: vector.bar.interval.name),
                                     eventTime: vector.bar.closeTime, traceID: envelope.header.traceID,
                                     causationID: envelope.causationID)
                        node.counters.increment("vectors")
                    case .warming:
                        node.counters.increment("warming")
                    case .dropped(let bar, let reason):
                        node.drop(reason: reason, detail: "\(bar)")
                    case .gapFilled(let bar, let synthetic):
                        node.counters.increment("gaps")
                        node.counters.increment("gap_bars_interpolated", by: UInt64(synthetic))
                        node.logger.warning("gap filled by interpolation", metadata: ["bar": "\(bar)", "missing": "\(synthetic)"])
                    case .seriesReset(let bar, let missing):
                        node.counters.increment("gaps")
                        node.counters.increment("gap_bars_missing", by: UInt64(missing))
                        node.counters.increment("series_resets")
                        node.logger.warning("gap: series restarted, no vectors until the indicators warm up again", metadata: ["bar": "\(bar)", "missing": "\(missing)"])
                    }
                }
            }
        }
    }
}

/// Optional warm-up from the collector's history REP socket (HISTORY_ENDPOINT): the last
/// HISTORY_BARS klines of each series go through the core without publishing vectors, so the
/// first live bar already has its indicators. A dead or absent collector costs at most
/// HISTORY_TIMEOUT_MS per series (counted, logged), never a hang.
struct WarmUp: Sendable {
    let endpoint: String
    let series: [(symbol: String, interval: Interval)]
    let bars: Int
    let timeoutMs: Int

    static func read(_ env: inout EnvironmentReader, symbols: [String]) -> WarmUp? {
        let endpoint = env.string("HISTORY_ENDPOINT", default: "", "collector history REP socket, e.g. tcp://127.0.0.1:5557 (empty = no warm-up)")
        let intervalNames = env.list("HISTORY_INTERVALS", default: ["5m"], "intervals to warm up for each of SYMBOLS")
        let bars = env.int("HISTORY_BARS", default: 1000, range: 1...5000, "klines per series to warm up with")
        let timeoutMs = env.int("HISTORY_TIMEOUT_MS", default: 3000, range: 10...600_000, "give up on a history request after this long")
        guard !endpoint.isEmpty else { return nil }
        if symbols.isEmpty { env.fail("HISTORY_ENDPOINT needs SYMBOLS (the series to warm up)") }
        var series: [(String, Interval)] = []
        for name in intervalNames {
            guard let interval = Interval(name) else { env.fail("HISTORY_INTERVALS: \"\(name)\" is not a Binance interval"); continue }
            for symbol in symbols { series.append((symbol, interval)) }
        }
        return WarmUp(endpoint: endpoint, series: series, bars: bars, timeoutMs: timeoutMs)
    }

    func run(core: inout FeatureServiceCore, node: BusNode) async {
        for (symbol, interval) in series {
            let name = "\(symbol).\(interval.name)"
            var request = Quorum_V1_HistoryRequest()
            request.symbol = symbol
            request.interval = interval.name
            request.limit = Int32(bars)
            guard let bytes = try? request.serializedBytes() as [UInt8] else { continue }
            let result = await RequestClient.request([bytes], endpoint: endpoint, timeoutMilliseconds: timeoutMs)
            let klines: [Kline]
            switch result {
            case .failure(let failure):
                node.counters.increment("warmup_failures")
                node.logger.warning("warm-up: no history", metadata: ["series": "\(name)", "endpoint": "\(endpoint)", "error": "\(failure)"])
                continue
            case .success(let frames):
                guard frames.count == 1, let response = try? Quorum_V1_HistoryResponse(serializedBytes: frames[0]) else {
                    node.counters.increment("warmup_failures")
                    node.logger.warning("warm-up: unreadable history answer", metadata: ["series": "\(name)"])
                    continue
                }
                guard response.error.isEmpty else {
                    node.counters.increment("warmup_failures")
                    node.logger.warning("warm-up: the collector refused", metadata: ["series": "\(name)", "error": "\(response.error)"])
                    continue
                }
                do { klines = try response.domainKlines() } catch {
                    node.counters.increment("warmup_failures")
                    node.logger.warning("warm-up: invalid history", metadata: ["series": "\(name)", "error": "\(error)"])
                    continue
                }
            }
            var vectors = 0
            for kline in klines where kline.isClosed {
                for output in core.handle(.kline(kline), now: kline.closeTime) {
                    if case .vector = output { vectors += 1 }
                }
            }
            node.counters.increment("warmup_klines", by: UInt64(klines.count))
            node.counters.increment("warmup_series")
            node.logger.info("warm-up", metadata: [
                "series": "\(name)", "klines": "\(klines.count)", "vectors_not_published": "\(vectors)",
                "from": "\(klines.first.map { "\($0.openTime)" } ?? "-")", "to": "\(klines.last.map { "\($0.openTime)" } ?? "-")",
            ])
        }
    }
}
