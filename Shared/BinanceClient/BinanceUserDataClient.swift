import Binance
import Domain
import Foundation
import Logging
import Synchronization
import WSClient

/// The user data stream over Binance's WebSocket API (BINANCE.md §7): one connection to
/// `/ws-api/v3`, `userDataStream.subscribe.signature` (works with HMAC and Ed25519 keys, needs no
/// `session.logon`), then every `executionReport`, `listStatus`, `outboundAccountPosition`,
/// `balanceUpdate`... decoded by ``BinanceDecoder/userDataEvent(_:)``.
///
/// It reconnects with backoff after any drop, after a silence (a `ping` request goes out every
/// `heartbeatInterval`; no frame for `heartbeatInterval + responseTimeout` means the connection is
/// dead), on `eventStreamTerminated`, and before the 24-hour cut. Events sent while no subscription
/// was active are lost for good (Binance does not replay them), so after every resubscription the
/// client reports a ``Event/gap(since:until:)``: the caller then reconciles by REST (open orders,
/// orders by client id, myTrades, account). The first ``Event/subscribed(connection:subscriptionID:)``
/// is the point from which events are complete; anything earlier must come from REST too.
public final class BinanceUserDataClient: Sendable {
    public struct Configuration: Sendable {
        /// The WebSocket API URL (``BinanceUserDataClient/webSocketAPIURL(for:)``).
        public var url: String
        public var recvWindow: Int = 5000
        public var reconnectBaseDelay: Duration = .milliseconds(250)
        public var reconnectMaxDelay: Duration = .seconds(30)
        /// A `ping` request this often keeps a frame coming on a quiet account.
        public var heartbeatInterval: Duration = .seconds(30)
        /// How long an answer (to the subscription or a ping) may take.
        public var responseTimeout: Duration = .seconds(10)
        /// Reconnect before Binance's 24-hour cut.
        public var maxConnectionAge: Duration = .seconds(23 * 3600 + 50 * 60)
        public var maxFrameSize: Int = 1 << 20

        public init(url: String) { self.url = url }
    }

    public enum Event: Sendable {
        /// The subscription is active on connection `connection` (counts from 1): events from now on arrive.
        case subscribed(connection: Int, subscriptionID: Int64)
        /// A decoded user-data event with its raw text.
        case event(UserDataEvent, raw: String)
        /// A frame that does not decode: counted and passed on, never fatal.
        case undecodable(BinanceDecodeError, raw: String)
        /// After a resubscription: events between `since` (the last frame of the previous
        /// connection) and `until` (the new subscription) may be lost. Reconcile by REST.
        case gap(since: Timestamp, until: Timestamp)
        /// Binance refused the subscription (key, signature, timestamp...); the client retries with backoff.
        case refused(BinanceAPIError)
        /// The connection ended; the client reconnects after `retryIn`.
        case disconnected(connection: Int, reason: String, retryIn: Duration)
    }

    public let credentials: BinanceCredentials
    public let configuration: Configuration
    /// Milliseconds since the epoch on Binance's clock, for the `timestamp` parameter (e.g. a REST
    /// client's ``BinanceRESTClient/estimatedServerTime()``).
    let timestamp: @Sendable () -> Int64
    let logger: Logger
    let state = Mutex(State())

    struct State {
        var connections = 0
        var counters: [String: Int] = [:]
        var nextRequestID = 1
        /// The last frame of the last connection that had an active subscription.
        var lastFrameWhileSubscribed: Timestamp?
        var everSubscribed = false
        var jitter: UInt64 = 0x9E37_79B9_7F4A_7C15
    }

    public init(
        credentials: BinanceCredentials, configuration: Configuration,
        timestamp: @escaping @Sendable () -> Int64 = { BinanceUserDataClient.wallMilliseconds() },
        logger: Logger = Logger(label: "binance.userdata")
    ) {
        self.credentials = credentials
        self.configuration = configuration
        self.timestamp = timestamp
        self.logger = logger
    }

    /// The WebSocket API URL of production, the testnet, or (any other endpoints, e.g. the
    /// simulator) the stream host's `/ws-api/v3`.
    public static func webSocketAPIURL(for endpoints: BinanceEndpoints) -> String {
        if endpoints == .production { return "wss://ws-api.binance.com:443/ws-api/v3" }
        if endpoints == .testnet { return "wss://ws-api.testnet.binance.vision/ws-api/v3" }
        return endpoints.streams + "/ws-api/v3"
    }

    public static func wallMilliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    static func now() -> Timestamp { Timestamp(nanoseconds: Int64((Date().timeIntervalSince1970 * 1e9).rounded())) }

    /// Connections, subscriptions, events, reconnects, gaps... by name.
    public var counters: [String: Int] { state.withLock { $0.counters } }

    func count(_ name: String, _ n: Int = 1) { state.withLock { $0.counters[name, default: 0] += n } }

    /// The signed `userDataStream.subscribe.signature` request (BINANCE.md §7: parameters sorted by
    /// name, signed unencoded; HMAC hex or Ed25519 base64).
    public func subscribeRequest(id: String) throws -> String {
        var params: [String: String] = ["apiKey": credentials.apiKey, "timestamp": String(timestamp())]
        if configuration.recvWindow != 5000 { params["recvWindow"] = String(configuration.recvWindow) }
        let payload = BinanceSigning.webSocketAPIPayload(params)
        let signature: String
        switch credentials.signingKey {
        case .hmac(let secret): signature = BinanceSigning.hmacSHA256Hex(payload: payload, secretKey: secret)
        case .ed25519(let key): signature = try BinanceSigning.ed25519Base64(payload: Data(payload.utf8), key: key.privateKey)
        }
        params["signature"] = signature
        let fields = params.keys.sorted().map { key -> (key: String, value: JSONValue) in
            (key, key == "timestamp" || key == "recvWindow" ? .number(params[key]!) : .string(params[key]!))
        }
        return JSONValue.object([
            ("id", .string(id)), ("method", .string("userDataStream.subscribe.signature")), ("params", .object(fields)),
        ]).jsonText
    }

    /// Connects, subscribes and reconnects until the task is cancelled, passing every event to
    /// `onEvent` (called on the connection's task, in frame order).
    public func run(onEvent: @escaping @Sendable (Event) async -> Void) async {
        var failures = 0
        while !Task.isCancelled {
            let connection = state.withLock { s -> Int in
                s.connections += 1
                return s.connections
            }
            let started = ContinuousClock.now
            var reason = "closed by server"
            do {
                try await runConnection(connection, onEvent: onEvent)
            } catch let stop as ReconnectReason {
                reason = stop.text
            } catch {
                reason = "\(error)"
            }
            if Task.isCancelled { break }
            count("disconnects")
            if ContinuousClock.now - started > .seconds(60) { failures = 0 }
            failures += 1
            let delay = reconnectDelay(failures: failures)
            logger.warning("user data connection ended; reconnecting", metadata: ["connection": "\(connection)", "reason": "\(reason)", "retry_in": "\(delay)"])
            await onEvent(.disconnected(connection: connection, reason: reason, retryIn: delay))
            do { try await Task.sleep(for: delay) } catch { break }
        }
    }

    /// The events as an async stream (the client runs until the consumer stops iterating).
    public func events() -> AsyncStream<Event> {
        AsyncStream { continuation in
            let task = Task { await self.run { continuation.yield($0) } }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    struct ReconnectReason: Error { let text: String }

    func reconnectDelay(failures: Int) -> Duration {
        let unit = state.withLock { ReconnectBackoff.jitterUnit(&$0.jitter) }
        return ReconnectBackoff.delay(failures: failures, base: configuration.reconnectBaseDelay, max: configuration.reconnectMaxDelay, unit: unit)
    }

    /// What one connection's reader and watchdog share.
    final class ConnectionState: Sendable {
        let lastFrame = Mutex(ContinuousClock.now)
        let subscribed = Mutex(false)
    }

    func runConnection(_ connection: Int, onEvent: @escaping @Sendable (Event) async -> Void) async throws {
        var wsConfiguration = WebSocketClientConfiguration(maxFrameSize: configuration.maxFrameSize)
        wsConfiguration.closeTimeout = .seconds(2)
        let config = configuration
        let shared = ConnectionState()
        let subscribeID = state.withLock { s -> String in
            s.nextRequestID += 1
            return "uds-\(s.nextRequestID)"
        }
        let request = try subscribeRequest(id: subscribeID)
        _ = try await WebSocketClient.connect(url: config.url, configuration: wsConfiguration, logger: logger) { inbound, outbound, _ in
            self.count("connections")
            try await outbound.write(.text(request))
            let opened = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await message in inbound.messages(maxSize: config.maxFrameSize) {
                        shared.lastFrame.withLock { $0 = ContinuousClock.now }
                        guard case .text(let text) = message else { continue }
                        try await self.handle(text, connection: connection, subscribeID: subscribeID, shared: shared, onEvent: onEvent)
                    }
                    throw ReconnectReason(text: "server closed the connection")
                }
                group.addTask {
                    var lastPing = ContinuousClock.now
                    var pings = 0
                    while true {
                        try await Task.sleep(for: min(config.responseTimeout, config.heartbeatInterval) / 4)
                        let now = ContinuousClock.now
                        if !shared.subscribed.withLock({ $0 }), now - opened > config.responseTimeout {
                            throw ReconnectReason(text: "no answer to the subscription within \(config.responseTimeout)")
                        }
                        if now - shared.lastFrame.withLock({ $0 }) > config.heartbeatInterval + config.responseTimeout {
                            self.count("silence_reconnects")
                            throw ReconnectReason(text: "no frame for \(config.heartbeatInterval + config.responseTimeout)")
                        }
                        if now - opened > config.maxConnectionAge {
                            self.count("age_reconnects")
                            throw ReconnectReason(text: "connection older than \(config.maxConnectionAge): planned reconnect")
                        }
                        if now - lastPing >= config.heartbeatInterval {
                            lastPing = now
                            pings += 1
                            try await outbound.write(.text("{\"id\":\"ping-\(pings)\",\"method\":\"ping\"}"))
                        }
                    }
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        }
    }

    /// One text frame: an event (when subscribed), or an answer to one of our requests.
    func handle(_ text: String, connection: Int, subscribeID: String, shared: ConnectionState, onEvent: @Sendable (Event) async -> Void) async throws {
        let bytes = Array(text.utf8)
        // Any frame (an event or a ping's answer) proves the subscription was alive until now.
        if shared.subscribed.withLock({ $0 }) {
            state.withLock { $0.lastFrameWhileSubscribed = Self.now() }
        }
        let value: JSONValue
        do { value = try JSONValue.parse(bytes, payload: "userData") } catch {
            count("undecodable_frames")
            await onEvent(.undecodable(error, raw: text))
            return
        }
        if value["event"] != nil {
            do {
                let event = try BinanceDecoder.userDataEvent(bytes)
                count("events")
                await onEvent(.event(event, raw: text))
                if case .eventStreamTerminated = event {
                    shared.subscribed.withLock { $0 = false }
                    throw ReconnectReason(text: "eventStreamTerminated")
                }
            } catch let error as BinanceDecodeError {
                count("undecodable_frames")
                await onEvent(.undecodable(error, raw: text))
            }
            return
        }
        guard case .string(let id)? = value["id"], id == subscribeID else { return }  // pings' answers
        let response: WebSocketAPIResponse
        do { response = try BinanceDecoder.webSocketAPIResponse(bytes) } catch {
            count("undecodable_frames")
            await onEvent(.undecodable(error, raw: text))
            throw ReconnectReason(text: "undecodable answer to the subscription")
        }
        if let error = response.error {
            count("refused")
            logger.error("user data subscription refused", metadata: ["code": "\(error.code)", "msg": "\(error.message)"])
            await onEvent(.refused(error))
            throw ReconnectReason(text: "subscription refused: \(error.code) \(error.message)")
        }
        guard case .number(let number)? = response.result?["subscriptionId"], let subscriptionID = Int64(number) else {
            throw ReconnectReason(text: "the subscription's answer has no subscriptionId")
        }
        let now = Self.now()
        let previous = state.withLock { s -> Timestamp? in
            defer {
                s.everSubscribed = true
                s.lastFrameWhileSubscribed = now
            }
            return s.everSubscribed ? (s.lastFrameWhileSubscribed ?? now) : nil
        }
        shared.subscribed.withLock { $0 = true }
        count("subscriptions")
        logger.info("user data subscription active", metadata: ["connection": "\(connection)", "subscription": "\(subscriptionID)"])
        await onEvent(.subscribed(connection: connection, subscriptionID: subscriptionID))
        if let previous {
            count("gaps")
            await onEvent(.gap(since: previous, until: now))
        }
    }
}
