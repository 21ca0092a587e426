import Domain
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging

/// The simulator as a server: Hummingbird serves the REST and admin APIs and upgrades `/ws...`
/// and `/stream...` to WebSocket market streams; a driver task moves the replay forward.
public struct SimServer: Sendable {
    public let simulator: ExchangeSimulator
    let logger: Logger

    public init(configuration: SimConfiguration, logger: Logger = Logger(label: "quorum-exchange-sim")) throws(SimStartupError) {
        simulator = try ExchangeSimulator(configuration: configuration)
        self.logger = logger
    }

    /// Serves until cancelled, or (with `handleSignals`) until SIGINT/SIGTERM, then shuts down:
    /// stream clients get a `serverShutdown` event and a close frame.
    public func run(handleSignals: Bool = false, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let simulator = self.simulator
        let configuration = simulator.configuration
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let simRequest = SimRequest(
                method: request.method.rawValue, path: request.uri.path, rawQuery: request.uri.query ?? "",
                body: String(buffer: body), headers: headers
            )
            let response = simulator.handle(simRequest)
            if let delay = response.delay { try await Task.sleep(for: delay) }
            var fields = HTTPFields()
            for (name, value) in response.headers {
                if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
            }
            return Response(
                status: .init(code: response.status), headers: fields,
                body: .init(byteBuffer: ByteBuffer(string: response.body))
            )
        }
        let wsConfiguration = WebSocketServerConfiguration(
            maxFrameSize: 1 << 20, autoPing: .enabled(timePeriod: configuration.pingInterval)
        )
        let app = Application(
            responder: responder,
            server: .http1WebSocketUpgrade(configuration: .init(http1: .init(), ws: wsConfiguration)) { head, _, _ in
                if simulator.isWebSocketAPI(path: head.path ?? "") {
                    return .upgrade([:]) { inbound, outbound, _ in
                        try await Self.serveAPI(simulator, path: head.path ?? "", inbound: inbound, outbound: outbound)
                    }
                }
                guard let plan = simulator.webSocketPlan(path: head.path ?? "") else { return .dontUpgrade }
                return .upgrade([:]) { inbound, outbound, _ in
                    try await Self.serveStreams(simulator, streams: plan.streams, combined: plan.combined, inbound: inbound, outbound: outbound)
                }
            },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                if handleSignals { try await app.runService() } else { try await app.run() }
            }
            group.addTask {
                while !Task.isCancelled {
                    simulator.advance()
                    try await Task.sleep(for: configuration.driverPeriod)
                }
            }
            defer { simulator.shutdownStreams() }
            _ = try await group.next()
            group.cancelAll()
        }
    }

    /// One WebSocket API connection: requests in, answers and user-data events out, in order.
    static func serveAPI(_ simulator: ExchangeSimulator, path: String, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let (id, frames) = simulator.openAPIConnection(path: path)
        defer { simulator.closeConnection(id) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await frame in frames {
                    switch frame {
                    case .text(let text): try await outbound.writeTextMessage(text)
                    case .close: return
                    }
                }
            }
            group.addTask {
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message { simulator.handleAPIRequest(connection: id, text: text) }
                }
            }
            _ = try await group.next()
            group.cancelAll()
        }
    }

    /// One WebSocket connection: frames from the exchange go out in order; text messages coming in
    /// are control messages (SUBSCRIBE, ...). Ends when either side closes.
    static func serveStreams(
        _ simulator: ExchangeSimulator, streams: [String], combined: Bool,
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter
    ) async throws {
        let (id, frames) = simulator.openConnection(streams: streams, combined: combined)
        defer { simulator.closeConnection(id) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await frame in frames {
                    switch frame {
                    case .text(let text): try await outbound.writeTextMessage(text)
                    case .close: return
                    }
                }
            }
            group.addTask {
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message { simulator.handleControl(connection: id, text: text) }
                }
            }
            _ = try await group.next()
            group.cancelAll()
        }
    }
}
