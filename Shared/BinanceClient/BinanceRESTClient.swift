import AsyncHTTPClient
import Binance
import Domain
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// What went wrong talking to Binance, after the client's own retries.
public enum BinanceClientError: Error, Sendable, CustomStringConvertible {
    /// Binance answered with an error body (`code`, `msg`).
    case api(BinanceAPIError)
    /// HTTP 418: the IP is banned until the given time (Retry-After). The client stops; never retry.
    case banned(until: Timestamp?, BinanceAPIError?)
    /// HTTP 429 on a request that is not retried (a write), or reads still limited after the retries.
    case rateLimited(retryAfterSeconds: Int?, BinanceAPIError?)
    /// A write got a 5xx or timed out: Binance may or may not have executed it (BINANCE.md §2).
    /// Reconcile by querying (origClientOrderId) before resending.
    case unknownExecutionStatus(String)
    /// A status with a body that is not Binance's error shape.
    case http(status: Int, body: String)
    /// A 2xx body that does not decode.
    case decode(BinanceDecodeError)
    /// Connection refused, reset, DNS, TLS, timeout... after the retries.
    case transport(String)
    /// A signed request without credentials, or an argument outside Binance's domain.
    case invalidRequest(String)

    public var description: String {
        switch self {
        case .api(let e): return e.description
        case .banned(let until, let e): return "IP banned by Binance (HTTP 418) until \(until.map { "\($0)" } ?? "unknown")\(e.map { ": \($0.message)" } ?? "")"
        case .rateLimited(let after, let e): return "rate limited (HTTP 429), retry after \(after.map(String.init) ?? "?") s\(e.map { ": \($0.message)" } ?? "")"
        case .unknownExecutionStatus(let what): return "execution status unknown: \(what)"
        case .http(let status, let body): return "HTTP \(status): \(body.prefix(200))"
        case .decode(let e): return "undecodable response: \(e)"
        case .transport(let what): return "transport error: \(what)"
        case .invalidRequest(let what): return "invalid request: \(what)"
        }
    }
}

/// An API key and the key that signs with it. Neither is ever logged (descriptions redact them).
public struct BinanceCredentials: Sendable, CustomStringConvertible {
    public var apiKey: String
    public var signingKey: SigningKey

    public init(apiKey: String, signingKey: SigningKey) {
        self.apiKey = apiKey
        self.signingKey = signingKey
    }

    public var description: String { "API key \(apiKey.prefix(4))… (\(signingKey))" }
}

/// How reads are retried: exponential backoff with full jitter on timeouts, transport errors and
/// 5xx; 429 waits for Retry-After (capped); 418 never retries.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// The longest Retry-After the client will wait on a read before giving up with `.rateLimited`.
    public var maxRetryAfter: Duration
    public var requestTimeout: Duration

    public init(maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(200), maxDelay: Duration = .seconds(10),
                maxRetryAfter: Duration = .seconds(60), requestTimeout: Duration = .seconds(10)) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
        self.requestTimeout = requestTimeout
    }

    /// The delay before retry number `attempt` (1-based): uniform in [0, min(max, base·2^(attempt−1))].
    public func backoff(attempt: Int, unit: Double) -> Duration {
        let cap = min(maxDelay, baseDelay * (1 << min(attempt - 1, 20)))
        return cap * max(0, min(1, unit))
    }
}

/// Binance's REST API (BINANCE.md §2–5): market data, server-time offset, signed requests, weight
/// accounting. Thread-safe; one instance per process is enough.
public final class BinanceRESTClient: Sendable {
    public let endpoints: BinanceEndpoints
    public let credentials: BinanceCredentials?
    public let policy: RetryPolicy
    let http: HTTPClient
    let ownsHTTPClient: Bool
    let logger: Logger
    let state = Mutex(State())

    struct State {
        var clockOffsetMilliseconds: Int64 = 0
        var usedWeight: [String: Int] = [:]
        var orderCount: [String: Int] = [:]
        var bannedUntil: Timestamp?
        /// After a 429: no request is sent before this time (local clock).
        var rateLimitedUntil: Timestamp?
        var counters: [String: Int] = [:]
        var jitter = SplitMix(seed: UInt64(UInt(bitPattern: ObjectIdentifier(State.self).hashValue)))
    }

    /// A tiny deterministic generator for backoff jitter.
    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func unit() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
    }

    public init(endpoints: BinanceEndpoints, credentials: BinanceCredentials? = nil, policy: RetryPolicy = RetryPolicy(),
                httpClient: HTTPClient? = nil, logger: Logger = Logger(label: "binance.rest")) {
        self.endpoints = endpoints
        self.credentials = credentials
        self.policy = policy
        if let httpClient {
            self.http = httpClient
            self.ownsHTTPClient = false
        } else {
            var configuration = HTTPClient.Configuration()
            configuration.timeout = .init(connect: .seconds(5), read: .seconds(Int64(policy.requestTimeout.components.seconds)))
            self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            self.ownsHTTPClient = true
        }
        self.logger = logger
    }

    /// Shuts the HTTP client down (required before the last reference goes away when the client owns it).
    public func shutdown() async {
        if ownsHTTPClient { try? await http.shutdown() }
    }

    // MARK: observability

    /// The last X-MBX-USED-WEIGHT-* values by interval ("1M" → 42).
    public var usedWeight: [String: Int] { state.withLock { $0.usedWeight } }
    /// serverTime − local time, in ms, from the last `synchronizeClock()`.
    public var clockOffsetMilliseconds: Int64 { state.withLock { $0.clockOffsetMilliseconds } }
    /// Retries, 429s, 5xx, transport errors... by name.
    public var counters: [String: Int] { state.withLock { $0.counters } }

    func count(_ name: String) { state.withLock { $0.counters[name, default: 0] += 1 } }

    // MARK: market data

    public func ping() async throws(BinanceClientError) {
        _ = try await get("/api/v3/ping")
    }

    public func serverTime() async throws(BinanceClientError) -> Timestamp {
        let body = try await get("/api/v3/time")
        do { return try BinanceDecoder.serverTime(body) } catch { throw .decode(error) }
    }

    /// Measures serverTime − local time (taking the midpoint of the round trip) and applies it to
    /// every later signed timestamp. Returns the offset in ms.
    @discardableResult
    public func synchronizeClock() async throws(BinanceClientError) -> Int64 {
        let before = Self.localMilliseconds()
        let server = try await serverTime()
        let after = Self.localMilliseconds()
        let offset = server.milliseconds - (before + after) / 2
        state.withLock { $0.clockOffsetMilliseconds = offset }
        logger.info("server clock offset measured", metadata: ["offset_ms": "\(offset)", "rtt_ms": "\(after - before)"])
        return offset
    }

    /// The local clock corrected by the measured offset: what Binance's clock reads now.
    public func estimatedServerTime() -> Timestamp {
        Timestamp(milliseconds: Self.localMilliseconds() + clockOffsetMilliseconds)
    }

    public func exchangeInfo(symbols: [String] = []) async throws(BinanceClientError) -> ExchangeInfo {
        var query: [(String, String)] = []
        if symbols.count == 1 { query.append(("symbol", symbols[0])) }
        if symbols.count > 1 { query.append(("symbols", "[" + symbols.map { "\"\($0)\"" }.joined(separator: ",") + "]")) }
        let body = try await get("/api/v3/exchangeInfo", query: query)
        do { return try BinanceDecoder.exchangeInfo(body) } catch { throw .decode(error) }
    }

    /// One page of klines (at most 1000). `closed` is decided against the estimated server time.
    public func klines(symbol: String, interval: Interval, startTime: Timestamp? = nil, endTime: Timestamp? = nil, limit: Int = 1000) async throws(BinanceClientError) -> [Kline] {
        guard (1...1000).contains(limit) else { throw .invalidRequest("klines limit must be 1...1000, got \(limit)") }
        var query: [(String, String)] = [("symbol", symbol), ("interval", interval.name), ("limit", String(limit))]
        if let startTime { query.append(("startTime", String(startTime.milliseconds))) }
        if let endTime { query.append(("endTime", String(endTime.milliseconds))) }
        let body = try await get("/api/v3/klines", query: query)
        do {
            return try BinanceDecoder.klines(body, symbol: symbol, interval: interval, serverTime: estimatedServerTime())
        } catch {
            throw .decode(error)
        }
    }

    /// Every closed kline with open time in [from, to), paged 1000 per call, oldest first; `page`
    /// receives each page as it arrives (for progress and resumable writes). Returns the count.
    @discardableResult
    public func allKlines(symbol: String, interval: Interval, from: Timestamp, to: Timestamp? = nil,
                          isolation: isolated (any Actor)? = #isolation,
                          page: (_ klines: [Kline]) async throws -> Void) async throws -> Int {
        var start = from
        var total = 0
        while true {
            let end = to.map { $0.adding(milliseconds: -1) }
            if let end, end < start { break }
            let batch = try await klines(symbol: symbol, interval: interval, startTime: start, endTime: end, limit: 1000)
            let closed = batch.filter { $0.isClosed && (to == nil || $0.openTime < to!) }
            if !closed.isEmpty {
                try await page(closed)
                total += closed.count
            }
            guard let last = batch.last, batch.count == 1000, last.isClosed else { break }
            start = last.openTime.adding(milliseconds: interval.milliseconds)
        }
        return total
    }

    /// `GET /api/v3/depth`: limit 5...5000 (Binance caps larger values; weight 5 to 250).
    public func depth(symbol: String, limit: Int = 5000) async throws(BinanceClientError) -> DepthSnapshot {
        guard (5...5000).contains(limit) else { throw .invalidRequest("depth limit must be 5...5000, got \(limit)") }
        let body = try await depthBody(symbol: symbol, limit: limit)
        do { return try BinanceDecoder.depthSnapshot(body, symbol: symbol) } catch { throw .decode(error) }
    }

    /// The raw body of `GET /api/v3/depth` (for captures, which keep Binance's bytes verbatim).
    public func depthBody(symbol: String, limit: Int = 5000) async throws(BinanceClientError) -> [UInt8] {
        guard (5...5000).contains(limit) else { throw .invalidRequest("depth limit must be 5...5000, got \(limit)") }
        return try await get("/api/v3/depth", query: [("symbol", symbol), ("limit", String(limit))])
    }

    public func bookTicker(symbol: String) async throws(BinanceClientError) -> BookTicker {
        let body = try await get("/api/v3/ticker/bookTicker", query: [("symbol", symbol)])
        let tickers: [BookTicker]
        do { tickers = try BinanceDecoder.bookTickers(body) } catch { throw .decode(error) }
        guard let ticker = tickers.first else { throw .decode(BinanceDecodeError(payload: "bookTicker", field: "", reason: .missing)) }
        return ticker
    }

    public func aggTrades(symbol: String, fromID: Int64? = nil, startTime: Timestamp? = nil, endTime: Timestamp? = nil, limit: Int = 1000) async throws(BinanceClientError) -> [AggTrade] {
        guard (1...1000).contains(limit) else { throw .invalidRequest("aggTrades limit must be 1...1000, got \(limit)") }
        var query: [(String, String)] = [("symbol", symbol), ("limit", String(limit))]
        if let fromID { query.append(("fromId", String(fromID))) }
        if let startTime { query.append(("startTime", String(startTime.milliseconds))) }
        if let endTime { query.append(("endTime", String(endTime.milliseconds))) }
        let body = try await get("/api/v3/aggTrades", query: query)
        do { return try BinanceDecoder.aggTrades(body, symbol: symbol) } catch { throw .decode(error) }
    }

    // MARK: requests

    /// An unsigned GET, retried as a read. (Weight is accounted from the response headers.)
    public func get(_ path: String, query: [(String, String)] = []) async throws(BinanceClientError) -> [UInt8] {
        try await send(method: .GET, path: path, query: BinanceSigning.encodedQuery(query), body: nil, apiKey: nil, isRead: true)
    }

    /// A SIGNED request (BINANCE.md §4): `timestamp` (server-corrected) and `recvWindow` added, the
    /// percent-encoded query signed and the signature appended last. GETs are retried as reads;
    /// writes are never retried blindly (5xx and timeouts become `.unknownExecutionStatus`).
    public func signed(_ method: HTTPMethod, _ path: String, parameters: [(String, String)], recvWindow: Int = 5000) async throws(BinanceClientError) -> [UInt8] {
        guard let credentials else { throw .invalidRequest("\(path) needs an API key") }
        var params = parameters
        params.append(("recvWindow", String(recvWindow)))
        params.append(("timestamp", String(estimatedServerTime().milliseconds)))
        let payload = BinanceSigning.encodedQuery(params)
        let signature: String
        do { signature = try BinanceSigning.signature(payload: payload, key: credentials.signingKey) } catch {
            throw .invalidRequest("signing failed: \(error)")
        }
        let query = payload + "&signature=" + signature
        return try await send(method: method, path: path, query: query, body: nil, apiKey: credentials.apiKey, isRead: method == .GET)
    }

    func send(method: HTTPMethod, path: String, query: String, body: [UInt8]?, apiKey: String?, isRead: Bool) async throws(BinanceClientError) -> [UInt8] {
        if let until = state.withLock({ $0.bannedUntil }), until > Timestamp(milliseconds: Self.localMilliseconds()) {
            throw .banned(until: until, nil)
        }
        if let until = state.withLock({ $0.rateLimitedUntil }) {
            let remaining = until.milliseconds - Self.localMilliseconds()
            if remaining > 0 {
                // Back off until the window Binance named has passed: reads wait when it is short enough.
                guard isRead, Duration.milliseconds(remaining) <= policy.maxRetryAfter else {
                    count("requests_held_by_429")
                    throw .rateLimited(retryAfterSeconds: Int((remaining + 999) / 1000), nil)
                }
                do { try await Task.sleep(for: .milliseconds(remaining)) } catch { throw .transport("cancelled") }
            }
        }
        let url = endpoints.rest + path + (query.isEmpty ? "" : "?" + query)
        var attempt = 0
        while true {
            attempt += 1
            var request = HTTPClientRequest(url: url)
            request.method = method
            if let apiKey { request.headers.add(name: "X-MBX-APIKEY", value: apiKey) }
            if let body { request.body = .bytes(body) }
            let outcome: Result<(status: Int, headers: HTTPHeaders, body: [UInt8]), any Error>
            do {
                let response = try await http.execute(request, timeout: .seconds(Int64(policy.requestTimeout.components.seconds)))
                let buffer = try await response.body.collect(upTo: 64 << 20)
                outcome = .success((Int(response.status.code), response.headers, Array(buffer.readableBytesView)))
            } catch {
                outcome = .failure(error)
            }
            switch outcome {
            case .failure(let error):
                count("transport_errors")
                guard isRead else { throw .unknownExecutionStatus("\(method) \(path): \(error)") }
                guard attempt < policy.maxAttempts else { throw .transport("\(method) \(path): \(error)") }
                try await backoff(attempt, reason: "\(error)", path: path)
            case .success(let response):
                recordWeights(response.headers)
                switch response.status {
                case 200..<300:
                    return response.body
                case 418:
                    count("http_418")
                    let retryAfter = response.headers.first(name: "Retry-After").flatMap(Int.init)
                    let until = retryAfter.map { Timestamp(milliseconds: Self.localMilliseconds() + Int64($0) * 1000) }
                    state.withLock { $0.bannedUntil = until }
                    logger.error("Binance banned this IP (HTTP 418): stopping requests", metadata: ["retry_after_s": "\(retryAfter ?? -1)"])
                    throw .banned(until: until, BinanceDecoder.apiError(response.body, httpStatus: 418))
                case 429:
                    count("http_429")
                    let retryAfter = response.headers.first(name: "Retry-After").flatMap(Int.init)
                    let apiError = BinanceDecoder.apiError(response.body, httpStatus: 429)
                    let wait = Duration.seconds(retryAfter ?? 1)
                    state.withLock { $0.rateLimitedUntil = Timestamp(milliseconds: Self.localMilliseconds() + Int64(retryAfter ?? 1) * 1000) }
                    guard isRead, attempt < policy.maxAttempts, wait <= policy.maxRetryAfter else {
                        throw .rateLimited(retryAfterSeconds: retryAfter, apiError)
                    }
                    logger.warning("rate limited (HTTP 429): backing off", metadata: ["retry_after_s": "\(retryAfter ?? 1)", "path": "\(path)"])
                    do { try await Task.sleep(for: wait) } catch { throw .transport("cancelled") }
                case 500..<600:
                    count("http_5xx")
                    guard isRead else {
                        throw .unknownExecutionStatus("\(method) \(path): HTTP \(response.status)")
                    }
                    guard attempt < policy.maxAttempts else {
                        if let e = BinanceDecoder.apiError(response.body, httpStatus: response.status) { throw .api(e) }
                        throw .http(status: response.status, body: String(decoding: response.body, as: UTF8.self))
                    }
                    try await backoff(attempt, reason: "HTTP \(response.status)", path: path)
                default:
                    count("http_4xx")
                    if let e = BinanceDecoder.apiError(response.body, httpStatus: response.status) { throw .api(e) }
                    throw .http(status: response.status, body: String(decoding: response.body, as: UTF8.self))
                }
            }
        }
    }

    func backoff(_ attempt: Int, reason: String, path: String) async throws(BinanceClientError) {
        count("retries")
        let unit = state.withLock { $0.jitter.unit() }
        let delay = policy.backoff(attempt: attempt, unit: unit)
        logger.warning("retrying read", metadata: ["path": "\(path)", "attempt": "\(attempt)", "reason": "\(reason)", "delay": "\(delay)"])
        do { try await Task.sleep(for: delay) } catch { throw .transport("cancelled") }
    }

    func recordWeights(_ headers: HTTPHeaders) {
        let pairs = headers.map { ($0.name, $0.value) }
        let weights = WeightHeaders.usedWeights(pairs)
        let orders = WeightHeaders.orderCounts(pairs)
        guard !weights.isEmpty || !orders.isEmpty else { return }
        state.withLock {
            for (k, v) in weights { $0.usedWeight[k] = v }
            for (k, v) in orders { $0.orderCount[k] = v }
        }
    }

    static func localMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}
