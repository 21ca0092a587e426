import AsyncHTTPClient
import Binance
import Domain
@testable import ExchangeSim
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import TestKit
import WSClient

/// An in-process simulator on a free loopback port, with a stepped clock unless told otherwise,
/// and small HTTP helpers (AsyncHTTPClient) for the tests.
final class SimHarness: Sendable {
    static let apiKey = "test-key"
    static let secret = "test-secret"
    /// Every test account's starting balances.
    static let usdt = Decimal8(1_000_000)
    static let btc = Decimal8(10)

    let port: Int
    let server: SimServer
    let task: Task<Void, any Error>

    var simulator: ExchangeSimulator { server.simulator }
    var base: String { "http://127.0.0.1:\(port)" }
    var wsBase: String { "ws://127.0.0.1:\(port)" }

    /// The embedded sample (BTCUSDT 5m, July-August 2024), started at 2024-08-01, stepped clock.
    static func start(_ configure: (inout SimConfiguration) -> Void = { _ in }) async throws -> SimHarness {
        var configuration = SimConfiguration(klineFiles: [.init(path: RepositoryPaths.sampleKlines.path)])
        configuration.port = freeLocalPort()
        configuration.speed = 0
        configuration.start = Timestamp(utcDate: "2024-08-01")
        configuration.apiKeys = [.init(key: apiKey, verifier: .hmac(secret: secret))]
        configuration.initialBalances = ["USDT": usdt, "BTC": btc]
        configure(&configuration)
        let server = try SimServer(configuration: configuration, logger: Logger(label: "sim-test"))
        let harness = SimHarness(port: configuration.port, server: server)
        try await poll("the simulator to answer /api/v3/ping", timeout: 120) {
            (try? await harness.request("GET", "/sim/state"))?.status == 200
        }
        return harness
    }

    init(port: Int, server: SimServer) {
        self.port = port
        self.server = server
        task = Task { try await server.run() }
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    struct Reply: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var text: String
        var json: JSON { (try? JSON.parse(text)) ?? .null }
        var code: Int64? { json["code"]?.intValue }
    }

    func request(_ method: String, _ path: String, query: String = "", body: String = "", headers: [(String, String)] = []) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path + (query.isEmpty ? "" : "?" + query))
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if !body.isEmpty {
            request.headers.add(name: "Content-Type", value: method.hasPrefix("/sim") ? "application/json" : "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, text: String(buffer: bytes))
    }

    func get(_ path: String, _ query: String = "") async throws -> Reply { try await request("GET", path, query: query) }

    /// The replay clock now (ms).
    func serverTime() async throws -> Int64 { try await get("/api/v3/time").json["serverTime"]!.intValue! }

    /// A SIGNED request: `timestamp` from the replay clock, HMAC over the query string.
    func signed(_ method: String, _ path: String, _ params: [(String, String)], key: String = apiKey, secret: String = SimHarness.secret, timestamp: Int64? = nil) async throws -> Reply {
        let ts = if let timestamp { timestamp } else { try await serverTime() }
        let query = (params + [("timestamp", String(ts))]).map { "\($0.0)=\(BinanceSigning.percentEncode($0.1))" }.joined(separator: "&")
        let signature = BinanceSigning.hmacSHA256Hex(payload: query, secretKey: secret)
        return try await request(method, path, query: query + "&signature=" + signature, headers: [("X-MBX-APIKEY", key)])
    }

    /// Moves the replay clock forward.
    @discardableResult
    func advance(milliseconds: Int64) async throws -> Reply {
        try await request("POST", "/sim/clock", body: "{\"advanceMs\":\(milliseconds)}")
    }

    func account() async throws -> [String: (free: Decimal8, locked: Decimal8)] {
        let reply = try await signed("GET", "/api/v3/account", [])
        var balances: [String: (free: Decimal8, locked: Decimal8)] = [:]
        for b in reply.json["balances"]?.arrayValue ?? [] {
            balances[b["asset"]!.stringValue!] = (Decimal8(b["free"]!.stringValue!)!, Decimal8(b["locked"]!.stringValue!)!)
        }
        return balances
    }
}

/// A WebSocket client that collects text messages (and can send), for stream tests.
final class StreamRecorder: Sendable {
    /// What the connection task and the test share.
    final class Store: Sendable {
        let messages = Mutex<[String]>([])
        let closed = Mutex(false)
    }

    let store = Store()
    let outgoing: AsyncStream<String>.Continuation
    let task: Task<Void, any Error>

    init(url: String) {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        outgoing = continuation
        let store = self.store
        task = Task {
            defer { store.closed.withLock { $0 = true } }
            try await WebSocketClient.connect(
                url: url, configuration: .init(maxFrameSize: 1 << 22), logger: Logger(label: "ws-test")
            ) { inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await text in stream { try await outbound.write(.text(text)) }
                    }
                    group.addTask {
                        for try await message in inbound.messages(maxSize: 1 << 24) {
                            if case .text(let text) = message { store.messages.withLock { $0.append(text) } }
                        }
                    }
                    _ = try await group.next()
                    group.cancelAll()
                }
            }
        }
    }

    func send(_ text: String) { outgoing.yield(text) }
    var count: Int { store.messages.withLock { $0.count } }
    var all: [String] { store.messages.withLock { $0 } }
    var isClosed: Bool { store.closed.withLock { $0 } }

    func waitFor(_ what: String, timeout: Double = 20, _ condition: @escaping @Sendable ([String]) -> Bool) async throws {
        try await poll(what, timeout: timeout) { condition(self.all) }
    }

    func stop() {
        outgoing.finish()
        task.cancel()
    }
}

import Synchronization
