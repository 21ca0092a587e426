import BinanceClient
import Bus
import Domain
import Foundation
import Logging
import Runtime
import SwiftProtobuf
import Wire

/// Live mode: REST backfill, then the combined stream; the history REP socket; timers for books,
/// freshness and reachability.
enum LiveMode {
    static func configure(_ env: inout EnvironmentReader, binance: String) -> ServiceMain.Body {
        let configuration = LiveConfiguration.read(&env, binance: binance)
        return { node in try await run(configuration, node: node) }
    }

    static func run(_ configuration: LiveConfiguration, node: BusNode) async throws {
        let logger = node.logger
        ServiceMain.status.set("starting")
        let store: KlineStore
        do { store = try KlineStore(path: configuration.databasePath) } catch {
            logger.critical("cannot open the market-history database", metadata: ["path": "\(configuration.databasePath)", "error": "\(error)"])
            throw error
        }
        var policy = RetryPolicy()
        policy.maxRetryAfter = .milliseconds(configuration.restMaxRetryAfterMs)
        let rest = BinanceRESTClient(endpoints: configuration.endpoints, policy: policy, logger: Logger(label: "quorum.collector.rest"))
        var streamConfiguration = BinanceStreamClient.Configuration()
        streamConfiguration.silenceTimeout = .milliseconds(configuration.silenceTimeoutMs)
        let stream = BinanceStreamClient(endpoints: configuration.endpoints, streams: configuration.streamNames,
                                         configuration: streamConfiguration, logger: Logger(label: "quorum.collector.stream"))
        let collector = LiveCollector(configuration: configuration, node: node, rest: rest, store: store)

        let history: ReplyServer
        do {
            history = try ReplyServer(bind: configuration.historyBind) { frames in
                let reply = answerHistory(frames, collector: collector, node: node)
                return [(try? reply.serializedBytes() as [UInt8]) ?? []]
            }
        } catch {
            logger.critical("cannot bind the history socket", metadata: ["endpoint": "\(configuration.historyBind)", "error": "\(error)"])
            await rest.shutdown()
            throw error
        }
        logger.info("live mode", metadata: [
            "binance": "\(configuration.endpoints)", "symbols": "\(configuration.symbols)",
            "intervals": "\(configuration.intervals.map(\.name))", "streams": "\(configuration.streamNames.count)",
            "history": "\(history.endpoint)", "db": "\(configuration.databasePath)",
        ])

        // Publish only once the bus carries our messages (our own heartbeat came back): what the
        // start-up backfill publishes would otherwise fall into the slow-joiner window.
        await waitForOwnHeartbeat(node: node, timeoutMs: configuration.busWaitMs)
        await collector.start()
        ServiceMain.status.set("ok")
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await stream.run { event in await collector.handle(event) }
            }
            group.addTask {
                let period = max(10, min(configuration.throttleMs, 100))
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(period))
                    await collector.tick(streamCounters: stream.counters)
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(configuration.pingIntervalMs))
                    if Task.isCancelled { break }
                    await collector.ping()
                }
            }
            await waitForShutdown()
            group.cancelAll()
        }
        await collector.stop()
        history.stop()
        await rest.shutdown()
        logger.info("live mode stopped", metadata: ["klines_published": "\(node.counters["klines_published"])"])
    }

    static func waitForOwnHeartbeat(node: BusNode, timeoutMs: Int) async {
        guard timeoutMs > 0, let inbound = try? node.subscribe([Topic.heartbeat(service: node.identity.service, instance: node.identity.instance)]) else { return }
        let timeout = Task {
            try? await Task.sleep(for: .milliseconds(timeoutMs))
            if !Task.isCancelled {
                node.logger.warning("no heartbeat of our own came back through the bus; publishing anyway", metadata: ["waited_ms": "\(timeoutMs)"])
                inbound.close()
            }
        }
        for await envelope in inbound where envelope.header.sessionID == node.identity.sessionID { break }
        timeout.cancel()
        inbound.close()
    }

    /// One history request: a `HistoryRequest` frame in, a `HistoryResponse` out (errors inside it).
    static func answerHistory(_ frames: [[UInt8]], collector: LiveCollector, node: BusNode) -> Quorum_V1_HistoryResponse {
        node.counters.increment("history_requests")
        guard frames.count == 1, let request = try? Quorum_V1_HistoryRequest(serializedBytes: frames[0]) else {
            node.counters.increment("history_bad_requests")
            var response = Quorum_V1_HistoryResponse()
            response.error = "expected one frame holding a quorum.v1.HistoryRequest"
            return response
        }
        let response = collector.answer(request)
        if !response.error.isEmpty { node.counters.increment("history_errors") }
        node.counters.increment("history_klines_sent", by: UInt64(response.klines.count))
        return response
    }
}
