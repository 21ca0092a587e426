import Domain
import Foundation
import Synchronization

/// The simulator's shell around ``ExchangeState``: one mutex, the wall clock, and the replay
/// driver. Every request, control message and replay step runs under the mutex, so depth events
/// and REST snapshots are always numbered consistently and frames leave in order.
public final class ExchangeSimulator: Sendable {
    let state: Mutex<ExchangeState>
    public let configuration: SimConfiguration

    public init(configuration: SimConfiguration) throws(SimStartupError) {
        self.configuration = configuration
        state = Mutex(try ExchangeState(configuration: configuration))
    }

    static var wallMilliseconds: Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// Answers one HTTP request.
    public func handle(_ request: SimRequest) -> SimResponse {
        let wall = ContinuousClock.now
        let ms = Self.wallMilliseconds
        return state.withLock { $0.handle(request, wall: wall, wallMilliseconds: ms) }
    }

    /// The replay clock now.
    public var serverTime: Timestamp {
        let wall = ContinuousClock.now
        return state.withLock { $0.now(wall: wall) }
    }

    /// Processes every replay step up to the clock (the driver calls this periodically).
    public func advance() {
        let wall = ContinuousClock.now
        state.withLock { $0.advance(wall: wall) }
    }

    /// Whether a WebSocket request path names streams this exchange serves: `/ws`, `/ws/<stream>`
    /// (raw frames) or `/stream?streams=a/b` (combined frames). Nil when it does not.
    public func webSocketPlan(path fullPath: String) -> (streams: [String], combined: Bool)? {
        let parts = fullPath.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0])
        let query = parts.count > 1 ? String(parts[1]) : ""
        let streams: [String]
        let combined: Bool
        if path == "/ws" || path == "/ws/" {
            streams = []
            combined = false
        } else if path.hasPrefix("/ws/") {
            streams = path.dropFirst(4).split(separator: "/").map(String.init)
            combined = false
        } else if path == "/stream" {
            let params = Params(rawQuery: query, body: "")
            streams = (params["streams"] ?? "").split(separator: "/").map(String.init)
            combined = true
        } else {
            return nil
        }
        guard streams.count <= 1024 else { return nil }
        let valid = state.withLock { s in streams.allSatisfy { s.isValidStream($0) } }
        return valid ? (streams, combined) : nil
    }

    public func openConnection(streams: [String], combined: Bool) -> (id: Int, frames: AsyncStream<OutboundFrame>) {
        let wall = ContinuousClock.now
        return state.withLock {
            $0.advance(wall: wall)
            return $0.openConnection(streams: streams, combined: combined)
        }
    }

    /// Whether a WebSocket request path is the WebSocket API (`/ws-api/v3`).
    public func isWebSocketAPI(path fullPath: String) -> Bool {
        let path = fullPath.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return path == "/ws-api/v3" || path == "/ws-api/v3/"
    }

    /// Opens a WebSocket API connection (``ExchangeState/openAPIConnection(now:returnRateLimits:)``);
    /// the path's query may say `returnRateLimits=false`.
    public func openAPIConnection(path: String = "/ws-api/v3") -> (id: Int, frames: AsyncStream<OutboundFrame>) {
        let wall = ContinuousClock.now
        let parts = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let params = Params(rawQuery: parts.count > 1 ? String(parts[1]) : "", body: "")
        let rateLimits = params["returnRateLimits"] != "false"
        return state.withLock {
            $0.advance(wall: wall)
            return $0.openAPIConnection(now: $0.now(wall: wall), returnRateLimits: rateLimits)
        }
    }

    /// Answers a WebSocket API request on the connection, in order with its events.
    public func handleAPIRequest(connection id: Int, text: String) {
        let wall = ContinuousClock.now
        let ms = Self.wallMilliseconds
        state.withLock { $0.handleAPIRequest(id, text: text, wall: wall, wallMilliseconds: ms) }
    }

    public func handleControl(connection id: Int, text: String) {
        state.withLock { $0.handleControl(id, text: text) }
    }

    public func closeConnection(_ id: Int) {
        state.withLock { $0.closeConnection(id) }
    }

    /// Closes every stream connection after a `serverShutdown` event (used at shutdown).
    public func shutdownStreams() {
        let wall = ContinuousClock.now
        state.withLock { $0.dropAllConnections(serverShutdown: true, eventTime: $0.now(wall: wall)) }
    }
}
