import Binance
import Domain
import Foundation
import Logging
import Synchronization
import WSClient

/// Binance's market streams on one combined-stream connection (BINANCE.md §6): many symbols and
/// streams, SUBSCRIBE/UNSUBSCRIBE at run time, pongs to the server's pings (WSClient answers them),
/// reconnects with backoff after any drop, after a silence, on `serverShutdown`, and before the
/// 24-hour cut; control messages are spaced to stay under the 5 messages/s limit.
public final class BinanceStreamClient: Sendable {
    public struct Configuration: Sendable {
        /// Reconnect before Binance's 24-hour cut.
        public var maxConnectionAge: Duration = .seconds(23 * 3600 + 50 * 60)
        /// No frame for this long: the connection is considered dead and replaced.
        public var silenceTimeout: Duration = .seconds(30)
        public var reconnectBaseDelay: Duration = .milliseconds(250)
        public var reconnectMaxDelay: Duration = .seconds(30)
        /// Spacing of our own control messages (SUBSCRIBE...): Binance allows 5 incoming messages/s
        /// per connection, pongs included.
        public var controlMessageSpacing: Duration = .milliseconds(250)
        public var maxFrameSize: Int = 1 << 20
        public var maxMessageSize: Int = 16 << 20

        public init() {}
    }

    public enum Event: Sendable {
        /// A connection is open and subscribed to `streams` (`connection` counts from 1).
        case connected(connection: Int, streams: [String])
        /// A decoded frame with its wall-clock receive time and its raw text (for captures).
        case message(CombinedStreamMessage, receivedAt: Timestamp, raw: String)
        /// A frame that does not decode: counted and passed on, never fatal.
        case undecodable(BinanceDecodeError, receivedAt: Timestamp, raw: String)
        /// A response to one of our control messages.
        case controlResponse(StreamControl.Response)
        /// The connection ended; the client reconnects after `retryIn`.
        case disconnected(connection: Int, reason: String, retryIn: Duration)
    }

    public let endpoints: BinanceEndpoints
    public let configuration: Configuration
    let logger: Logger
    let state: Mutex<State>

    struct State {
        var streams: [String]
        var pending: [StreamControl.Request] = []
        var nextID = 1
        var connections = 0
        var counters: [String: Int] = [:]
        var lastFrame: [String: Timestamp] = [:]
        var jitter: UInt64 = 0x2545_F491_4F6C_DD1D
    }

    public init(endpoints: BinanceEndpoints, streams: [String], configuration: Configuration = Configuration(), logger: Logger = Logger(label: "binance.streams")) {
        self.endpoints = endpoints
        self.configuration = configuration
        self.logger = logger
        self.state = Mutex(State(streams: streams))
    }

    /// The streams the client is (or will be, after reconnecting) subscribed to.
    public var streams: [String] { state.withLock { $0.streams } }
    /// Frames, reconnects, decode errors, control messages... by name.
    public var counters: [String: Int] { state.withLock { $0.counters } }
    /// Wall-clock time of the last frame per stream name.
    public var lastFrameTimes: [String: Timestamp] { state.withLock { $0.lastFrame } }

    /// Adds streams: sent as SUBSCRIBE on the live connection, and part of every later connection.
    public func subscribe(_ names: [String]) {
        state.withLock { s in
            let new = names.filter { !s.streams.contains($0) }
            guard !new.isEmpty else { return }
            s.streams += new
            s.pending.append(.subscribe(new, id: s.nextID))
            s.nextID += 1
        }
    }

    public func unsubscribe(_ names: [String]) {
        state.withLock { s in
            let gone = names.filter { s.streams.contains($0) }
            guard !gone.isEmpty else { return }
            s.streams.removeAll { gone.contains($0) }
            s.pending.append(.unsubscribe(gone, id: s.nextID))
            s.nextID += 1
        }
    }

    func count(_ name: String, _ n: Int = 1) { state.withLock { $0.counters[name, default: 0] += n } }

    /// Connects and reconnects until the task is cancelled, passing every event to `onEvent`
    /// (called on the connection's task, in frame order).
    public func run(onEvent: @escaping @Sendable (Event) async -> Void) async {
        var failures = 0
        while !Task.isCancelled {
            let (connection, streams) = state.withLock { s -> (Int, [String]) in
                s.connections += 1
                s.pending.removeAll()
                return (s.connections, s.streams)
            }
            let started = ContinuousClock.now
            var reason = "closed by server"
            if streams.isEmpty {
                reason = "no streams"
            } else {
                do {
                    let frame = try await runConnection(connection, streams: streams, onEvent: onEvent)
                    if let frame { reason = "closed: \(frame.closeCode)\(frame.reason.map { " \($0)" } ?? "")" }
                } catch let stop as ReconnectReason {
                    reason = stop.text
                } catch {
                    reason = "\(error)"
                }
            }
            if Task.isCancelled { break }
            count("disconnects")
            // A connection that lived a while resets the backoff.
            if ContinuousClock.now - started > .seconds(60) { failures = 0 }
            failures += 1
            let delay = reconnectDelay(failures: failures)
            logger.warning("stream connection ended; reconnecting", metadata: ["connection": "\(connection)", "reason": "\(reason)", "retry_in": "\(delay)"])
            await onEvent(.disconnected(connection: connection, reason: reason, retryIn: delay))
            do { try await Task.sleep(for: delay) } catch { break }
        }
    }

    struct ReconnectReason: Error { let text: String }

    func reconnectDelay(failures: Int) -> Duration {
        let unit = state.withLock { ReconnectBackoff.jitterUnit(&$0.jitter) }
        return ReconnectBackoff.delay(failures: failures, base: configuration.reconnectBaseDelay, max: configuration.reconnectMaxDelay, unit: unit)
    }

    func runConnection(_ connection: Int, streams: [String], onEvent: @escaping @Sendable (Event) async -> Void) async throws -> WebSocketCloseFrame? {
        let url = endpoints.combinedStreamURL(streams)
        var wsConfiguration = WebSocketClientConfiguration(maxFrameSize: configuration.maxFrameSize)
        wsConfiguration.closeTimeout = .seconds(2)
        let config = configuration
        let lastFrame = InstantBox(ContinuousClock.now)
        return try await WebSocketClient.connect(url: url, configuration: wsConfiguration, logger: logger) { inbound, outbound, _ in
            self.count("connections")
            self.logger.info("stream connection open", metadata: ["connection": "\(connection)", "streams": "\(streams.count)"])
            await onEvent(.connected(connection: connection, streams: streams))
            let opened = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await message in inbound.messages(maxSize: config.maxMessageSize) {
                        let now = ContinuousClock.now
                        lastFrame.value.withLock { $0 = now }
                        guard case .text(let text) = message else {
                            self.count("binary_frames_ignored")
                            continue
                        }
                        if let stop = await self.handle(text, onEvent: onEvent) { throw stop }
                    }
                    throw ReconnectReason(text: "server closed the stream")
                }
                group.addTask {
                    // Watchdog: silence, age, and our queued control messages.
                    while true {
                        try await Task.sleep(for: config.controlMessageSpacing)
                        let now = ContinuousClock.now
                        if now - lastFrame.value.withLock({ $0 }) > config.silenceTimeout {
                            self.count("silence_reconnects")
                            throw ReconnectReason(text: "no frame for \(config.silenceTimeout)")
                        }
                        if now - opened > config.maxConnectionAge {
                            self.count("age_reconnects")
                            throw ReconnectReason(text: "connection older than \(config.maxConnectionAge): planned reconnect")
                        }
                        let request = self.state.withLock { $0.pending.isEmpty ? nil : $0.pending.removeFirst() }
                        if let request {
                            self.count("control_messages_sent")
                            try await outbound.write(.text(request.jsonText))
                        }
                    }
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        }
    }

    /// Decodes one text frame; returns a reason to reconnect (serverShutdown) or nil.
    func handle(_ text: String, onEvent: @Sendable (Event) async -> Void) async -> ReconnectReason? {
        let receivedAt = Timestamp(nanoseconds: Int64((Date().timeIntervalSince1970 * 1e9).rounded()))
        var copy = text
        let decoded: Result<CombinedStreamMessage, BinanceDecodeError>? = copy.withUTF8 { buffer in
            let raw = UnsafeRawBufferPointer(buffer)
            if StreamControl.isResponse(raw) { return nil }
            return Result { () throws(BinanceDecodeError) in try BinanceDecoder.combined(raw) }
        }
        switch decoded {
        case nil:
            count("control_responses")
            if let response = try? StreamControl.response(Array(text.utf8)) {
                if let code = response.errorCode {
                    logger.error("stream control message refused", metadata: ["code": "\(code)", "msg": "\(response.errorMessage ?? "")"])
                }
                await onEvent(.controlResponse(response))
            }
            return nil
        case .failure(let error)?:
            count("undecodable_frames")
            logger.warning("undecodable stream frame", metadata: ["error": "\(error)", "bytes": "\(text.utf8.count)"])
            await onEvent(.undecodable(error, receivedAt: receivedAt, raw: text))
            return nil
        case .success(let message)?:
            state.withLock {
                $0.counters["frames", default: 0] += 1
                $0.lastFrame[message.stream] = receivedAt
            }
            await onEvent(.message(message, receivedAt: receivedAt, raw: text))
            if case .serverShutdown = message.event {
                count("server_shutdowns")
                return ReconnectReason(text: "serverShutdown event")
            }
            return nil
        }
    }
}

/// A lock-protected instant shared by a connection's reader and watchdog.
final class InstantBox: Sendable {
    let value: Mutex<ContinuousClock.Instant>
    init(_ instant: ContinuousClock.Instant) { value = Mutex(instant) }
}
