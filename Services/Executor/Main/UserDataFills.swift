import Binance
import BinanceClient
import Domain
import Foundation
import Logging
import Runtime
import Synchronization

/// The user-data stream as the live Executor's primary fill source (env `USER_DATA=ws`, the default
/// in live mode): Binance's WebSocket API subscription (``BinanceUserDataClient``) delivers every
/// `executionReport` and `listStatus` of the account, and ``LiveTrader`` applies them through the
/// same idempotent ``OrderProgress`` as its REST answers and queries.
///
/// REST polling stays, as a fallback:
/// - **stream down** (not subscribed yet, disconnected, refused): every open order is polled every
///   `POLL_MS`, as with `USER_DATA=poll`;
/// - **gap** (a resubscription; events in between are lost for good): one full poll at once;
/// - **no event for an order** for `POLL_FALLBACK_MS` after the Executor placed or cancelled it
///   (or after its list ended without it): that order is queried, and again every
///   `POLL_FALLBACK_MS` until an event about it arrives (a subscription that is up but silent);
/// - a slow **safety poll** of every open order every `SAFETY_POLL_MS`.
///
/// This class is the bookkeeping the stream's task, the consumer and the schedule share: the link
/// state, which orders await an event, and the counters. It never sees a key.
final class UserDataFills: Sendable {
    enum Link: Sendable, Equatable {
        case connecting
        case up
        case down(String)
    }

    private struct State {
        var link: Link = .connecting
        /// Orders we changed (placed, cancelled) that no event has confirmed yet: since when.
        var expecting: [String: ContinuousClock.Instant] = [:]
        /// A (re)subscription happened: events before it may be lost, one full poll is due.
        var resyncDue = false
        var refusals = 0
    }

    private let state = Mutex(State())
    let counters: Counters
    let logger: Logger
    let events: AsyncStream<BinanceUserDataClient.Event>
    private let continuation: AsyncStream<BinanceUserDataClient.Event>.Continuation

    init(counters: Counters, logger: Logger) {
        self.counters = counters
        self.logger = logger
        (events, continuation) = AsyncStream.makeStream(of: BinanceUserDataClient.Event.self)
        counters.set("user_data_up", to: 0)
    }

    var link: Link { state.withLock { $0.link } }
    var isUp: Bool { link == .up }
    /// Subscription refusals so far (Binance refused the key, the signature or the timestamp).
    var refusals: Int { state.withLock { $0.refusals } }

    // MARK: - Events (on the stream's task, in frame order)

    /// Notes what an event means for the link and the awaited orders, counts it, and queues it for
    /// the trader (which applies events in arrival order).
    func receive(_ event: BinanceUserDataClient.Event) {
        switch event {
        case .subscribed(let connection, _):
            counters.increment("user_data_subscriptions")
            counters.set("user_data_up", to: 1)
            state.withLock {
                $0.link = .up
                $0.resyncDue = true
            }
            logger.notice("user data stream subscribed: fills from the stream", metadata: ["connection": "\(connection)"])
        case .gap(let since, let until):
            counters.increment("user_data_gaps")
            state.withLock { $0.resyncDue = true }
            logger.warning("user data stream gap: polling every open order", metadata: ["gap.since": "\(since)", "gap.until": "\(until)"])
        case .disconnected(_, let reason, let retryIn):
            counters.increment("user_data_reconnects")
            counters.set("user_data_up", to: 0)
            state.withLock { $0.link = .down("user data stream disconnected (\(reason)); polling") }
            logger.warning("user data stream down: polling REST until it is back", metadata: ["reason": "\(reason)", "retry_in": "\(retryIn)"])
        case .refused(let error):
            counters.increment("user_data_refused")
            counters.set("user_data_up", to: 0)
            state.withLock {
                $0.link = .down("user data subscription refused (\(error.code)); polling")
                $0.refusals += 1
            }
        case .undecodable(let error, _):
            counters.increment("user_data_undecodable")
            logger.warning("undecodable user data frame", metadata: ["error": "\(error)"])
        case .event(let payload, _):
            counters.increment("user_data_events")
            switch payload {
            case .executionReport(let report):
                counters.increment("user_data_execution_reports")
                heard(report.originalClientOrderID.isEmpty ? report.clientOrderID : report.originalClientOrderID)
            case .listStatus:
                counters.increment("user_data_list_status")
            case .accountPosition, .balanceUpdate, .externalLockUpdate:
                counters.increment("user_data_account_events")
            case .eventStreamTerminated:
                counters.set("user_data_up", to: 0)
                state.withLock { $0.link = .down("user data stream terminated by the exchange; polling") }
            case .unknown:
                break
            }
        }
        continuation.yield(event)
    }

    /// Ends the event queue (the consumer's loop ends).
    func finish() { continuation.finish() }

    // MARK: - Awaited orders

    /// The Executor is about to change this order (place, cancel): an event about it should follow.
    func expect(_ clientOrderID: String, now: ContinuousClock.Instant = .now) {
        state.withLock { $0.expecting[clientOrderID] = now }
    }

    /// Like ``expect(_:now:)``, without moving an expectation that is already running.
    func expectIfIdle(_ clientOrderID: String, now: ContinuousClock.Instant = .now) {
        state.withLock { s in
            if s.expecting[clientOrderID] == nil { s.expecting[clientOrderID] = now }
        }
    }

    /// An event about the order arrived.
    func heard(_ clientOrderID: String) {
        _ = state.withLock { $0.expecting.removeValue(forKey: clientOrderID) }
    }

    /// The order has ended: nothing more to await.
    func forget(_ clientOrderID: String) {
        _ = state.withLock { $0.expecting.removeValue(forKey: clientOrderID) }
    }

    /// Orders that have waited longer than `after` for an event; their clocks restart (the next
    /// query of each comes `after` later, unless an event arrives first).
    func overdue(after: Duration, now: ContinuousClock.Instant = .now) -> Set<String> {
        state.withLock { s in
            var due: Set<String> = []
            for (id, since) in s.expecting where now - since >= after {
                due.insert(id)
                s.expecting[id] = now
            }
            return due
        }
    }

    var awaited: Set<String> { state.withLock { Set($0.expecting.keys) } }

    /// Whether a full poll is due after a (re)subscription; clears the flag.
    func takeResync() -> Bool {
        state.withLock { s in
            defer { s.resyncDue = false }
            return s.resyncDue
        }
    }

    // MARK: - Running

    /// The stream's client, signing with the REST client's estimate of Binance's clock (made here,
    /// not in `main.swift`, whose closures are bound to the main actor).
    static func client(credentials: BinanceCredentials, url: String, rest: BinanceRESTClient, logger: Logger) -> BinanceUserDataClient {
        BinanceUserDataClient(credentials: credentials, configuration: .init(url: url),
                              timestamp: { rest.estimatedServerTime().milliseconds }, logger: logger)
    }

    /// Connects the stream (``BinanceUserDataClient/run(onEvent:)``) and returns its task.
    func connect(_ client: BinanceUserDataClient) -> Task<Void, Never> {
        Task { [self] in
            await client.run { event in self.receive(event) }
            self.finish()
        }
    }

    /// Waits until the first connection has subscribed or failed, at most `timeout`; true when the
    /// subscription is active (otherwise the Executor starts on polling).
    func waitUntilUp(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while link == .connecting && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return isUp
    }

    /// Applies the queued events to the trader, in order, until the queue ends.
    func consume(into trader: LiveTrader) -> Task<Void, Never> {
        Task { [events] in
            for await event in events {
                guard case .event(let payload, _) = event else { continue }
                switch payload {
                case .executionReport(let report):
                    await trader.streamed(report)
                case .listStatus(_, _, _, _, let listOrderStatus, let listClientOrderID, _):
                    await trader.streamedList(listClientOrderID: listClientOrderID, listOrderStatus: listOrderStatus)
                default:
                    break
                }
            }
        }
    }
}
