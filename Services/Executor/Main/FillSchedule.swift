import BinanceClient
import Foundation
import Logging
import Runtime

/// When the live Executor asks Binance's REST API about its orders, and what its heartbeat says
/// (env keys in the README): with `USER_DATA=poll`, or while the user-data stream is down, every
/// open order every `POLL_MS`; with the stream up, only what the stream cannot tell (see
/// ``UserDataFills``), plus a full poll after each (re)subscription and every `SAFETY_POLL_MS`.
struct FillSchedule: Sendable {
    var pollInterval: Duration
    /// With the stream up: how long an order we changed may go without an event before it is queried.
    var fallbackAfter: Duration
    /// With the stream up: a full poll this often anyway.
    var safetyInterval: Duration
    var apiErrorThreshold: Int

    /// Runs until the task is cancelled. The first round comes one period after start
    /// (reconciliation has just polled everything).
    func run(trader: LiveTrader, userData: UserDataFills?, rest: BinanceRESTClient, node: BusNode) async {
        var health = ExecutorHealth(apiErrorThreshold: apiErrorThreshold)
        var lastFull = ContinuousClock.now
        var reported: [ExecutorHealth.Reason] = []
        health.record(apiErrorTotal: Self.apiErrors(rest, userData), at: .now)
        // The health is judged every tick; the rounds come every poll interval (a resync at once).
        let tick = min(pollInterval, .milliseconds(200))
        var lastRound = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: tick)
            if Task.isCancelled { break }
            let now = ContinuousClock.now
            if let userData, userData.isUp {
                if userData.takeResync() {
                    node.counters.increment("resync_polls")
                    lastFull = now
                    lastRound = now
                    await trader.poll()
                } else if now - lastRound >= pollInterval {
                    lastRound = now
                    if now - lastFull >= safetyInterval {
                        node.counters.increment("safety_polls")
                        lastFull = now
                        await trader.poll()
                    } else {
                        await trader.pollStreaming(overdue: userData.overdue(after: fallbackAfter))
                    }
                }
            } else if now - lastRound >= pollInterval {
                // Polling only: by configuration, or because the stream is down.
                node.counters.increment(userData == nil ? "polls" : "fallback_polls")
                lastRound = now
                lastFull = now
                await trader.poll()
            }

            health.record(apiErrorTotal: Self.apiErrors(rest, userData), at: .now)
            var streamDown: String?
            if let userData {
                switch userData.link {
                case .up: streamDown = nil
                case .connecting: streamDown = "user data stream not subscribed yet; polling"
                case .down(let why): streamDown = why
                }
            }
            let reasons = health.reasons(streamDown: streamDown)
            node.counters.set("api_errors_1m", to: UInt64(health.recentAPIErrors))
            node.counters.set("degraded", to: reasons.isEmpty ? 0 : 1)
            for reason in ExecutorHealth.Reason.allCases {
                node.counters.set("degraded_\(reason.rawValue)", to: reasons.contains { $0.0 == reason } ? 1 : 0)
            }
            ServiceMain.status.set(reasons.isEmpty ? "ok" : "degraded")
            let current = reasons.map(\.0)
            if current != reported {
                if reasons.isEmpty {
                    node.logger.notice("healthy again: heartbeat ok")
                } else {
                    node.logger.warning("degraded", metadata: ["reasons": "\(reasons.map(\.1).joined(separator: "; "))"])
                }
                reported = current
            }
        }
    }

    /// The running total of API errors: the REST client's transport errors, 5xx, 429 and 418, and
    /// the stream's refused subscriptions.
    static func apiErrors(_ rest: BinanceRESTClient, _ userData: UserDataFills?) -> Int {
        let c = rest.counters
        return ["transport_errors", "http_5xx", "http_429", "http_418"].reduce(0) { $0 + (c[$1] ?? 0) } + (userData?.refusals ?? 0)
    }
}

extension FillSchedule {
    /// ``run(trader:userData:rest:node:)`` in its own task.
    func start(trader: LiveTrader, userData: UserDataFills?, rest: BinanceRESTClient, node: BusNode) -> Task<Void, Never> {
        Task { await run(trader: trader, userData: userData, rest: rest, node: node) }
    }
}
