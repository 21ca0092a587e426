import ArgumentParser
import Domain
import ExchangeSim
import Foundation
import Logging

/// `quorum-exchange-sim`: a Binance-compatible exchange (REST under /api/v3, WebSocket market
/// streams at /ws and /stream, WebSocket API user data stream at /ws-api/v3) replaying recorded klines. See Tools/ExchangeSim/README.md.
@main
struct ExchangeSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quorum-exchange-sim",
        abstract: "A Binance-compatible spot exchange that replays recorded klines (REST /api/v3, streams /ws and /stream, WebSocket API user data /ws-api/v3, admin /sim).",
        discussion: """
        Symbol and interval come from each file name (SYMBOL-INTERVAL[-...].csv) unless --symbol and \
        --interval are given (they then apply to every file). The L2 book is synthetic, drawn around \
        the kline price path. Exit status 2 on a configuration problem (every problem is listed). \
        For compose files, every option's default can also come from the environment: SIM_KLINES \
        (comma-separated), SIM_HOST, SIM_PORT, SIM_SPEED, SIM_START, SIM_SEED, SIM_BOOK_STEP_MS, \
        SIM_BOOK_LEVELS, SIM_LOG_LEVEL; a flag given on the command line wins.
        """
    )

    @Option(name: .customLong("klines"), help: "A kline CSV (repeatable).")
    var klines: [String] = SimEnvironment.list("SIM_KLINES")
    @Option(help: "Symbol of every --klines file (default: from the file name).")
    var symbol: String?
    @Option(help: "Interval of every --klines file (default: from the file name).")
    var interval: String?
    @Option(help: "Address to listen on.")
    var host: String = SimEnvironment.string("SIM_HOST") ?? "127.0.0.1"
    @Option(help: "TCP port.")
    var port: Int = SimEnvironment.string("SIM_PORT").flatMap { Int($0) } ?? 8090
    @Option(help: "Seconds of market time per wall second; 0 = the clock moves only through POST /sim/clock.")
    var speed: Double = SimEnvironment.string("SIM_SPEED").flatMap { Double($0) } ?? 60
    @Option(help: "Replay start: YYYY-MM-DD (UTC midnight) or milliseconds since the epoch (default: the first bar).")
    var start: String? = SimEnvironment.string("SIM_START")
    @Option(help: "Seed of the synthetic book and trades.")
    var seed: UInt64 = SimEnvironment.string("SIM_SEED").flatMap { UInt64($0) } ?? 1
    @Option(name: .customLong("api-key"), help: "An HMAC API key (repeatable; pair each with --api-secret in order).")
    var apiKeys: [String] = []
    @Option(name: .customLong("api-secret"), help: "The secret of the --api-key at the same position.")
    var apiSecrets: [String] = []
    @Option(name: .customLong("ed25519-key"), help: "An Ed25519 API key: KEY=PUBLIC_KEY, the public key as a PEM file path, PEM text or base64 (repeatable).")
    var ed25519Keys: [String] = []
    @Option(name: .customLong("balance"), help: "Initial balance of every account: ASSET=AMOUNT (repeatable; default USDT=10000).")
    var balances: [String] = []
    @Option(help: "Maker and taker fee rate (0.001 = 0.1 %).")
    var fee: String = "0.001"
    @Option(name: .customLong("weight-limit"), help: "REQUEST_WEIGHT per minute; above it, 429 with Retry-After and -1003.")
    var weightLimit: Int = 6000
    @Option(name: .customLong("timestamp-clock"), help: "Clock that timestamp/recvWindow are checked against: replay (Binance's) or wall.")
    var timestampClock: String = "replay"
    @Option(name: .customLong("ping-seconds"), help: "WebSocket ping period.")
    var pingSeconds: Int = 20
    @Option(name: .customLong("book-step-ms"), help: "Market time between synthetic book steps (multiple of 100; default interval/60).")
    var bookStepMilliseconds: Int64? = SimEnvironment.string("SIM_BOOK_STEP_MS").flatMap { Int64($0) }
    @Option(name: .customLong("book-levels"), help: "Levels per side of the synthetic book.")
    var bookLevels: Int = SimEnvironment.string("SIM_BOOK_LEVELS").flatMap { Int($0) } ?? 500
    @Option(name: .customLong("level-spacing-bps"), help: "Spacing of the synthetic book's deeper levels, basis points of the first price.")
    var levelSpacingBasisPoints: Int = 1
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = SimEnvironment.string("SIM_LOG_LEVEL") ?? "info"

    /// Builds the configuration, collecting every problem.
    func makeConfiguration() -> (SimConfiguration, [String]) {
        var problems: [String] = []
        let parsedInterval = interval.flatMap(Interval.init)
        if let interval, parsedInterval == nil { problems.append("--interval \(interval) is not a Binance interval (1m, 5m, 1h, ...)") }
        var configuration = SimConfiguration(klineFiles: klines.map { .init(path: $0, symbol: symbol, interval: parsedInterval) })
        configuration.host = host
        configuration.port = port
        configuration.speed = speed
        configuration.seed = seed
        if let start {
            if let date = Timestamp(utcDate: start) { configuration.start = date }
            else if let ms = Int64(start) { configuration.start = Timestamp(milliseconds: ms) }
            else { problems.append("--start \(start) is neither YYYY-MM-DD nor milliseconds since the epoch") }
        }
        if apiKeys.count != apiSecrets.count {
            problems.append("\(apiKeys.count) --api-key but \(apiSecrets.count) --api-secret: give one secret per key, in order")
        }
        configuration.apiKeys = zip(apiKeys, apiSecrets).map { SimConfiguration.APIKey(key: $0, verifier: .hmac(secret: $1)) }
        for entry in ed25519Keys {
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { problems.append("--ed25519-key \(entry): expected KEY=PUBLIC_KEY"); continue }
            var text = String(parts[1])
            if FileManager.default.fileExists(atPath: text), let file = try? String(contentsOfFile: text, encoding: .utf8) { text = file }
            guard let key = SimConfiguration.APIKey.ed25519(key: String(parts[0]), publicKey: text) else {
                problems.append("--ed25519-key \(parts[0]): the public key is neither PEM, base64 DER nor 32 bytes of base64")
                continue
            }
            configuration.apiKeys.append(key)
        }
        if !balances.isEmpty {
            configuration.initialBalances = [:]
            for entry in balances {
                let parts = entry.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, let amount = Decimal8(parts[1]) else { problems.append("--balance \(entry): expected ASSET=AMOUNT"); continue }
                configuration.initialBalances[String(parts[0]), default: .zero] += amount
            }
        }
        if let rate = Decimal8(fee) { configuration.feeRate = rate } else { problems.append("--fee \(fee) is not a decimal") }
        configuration.weightLimitPerMinute = weightLimit
        if let clock = SimConfiguration.TimestampClock(rawValue: timestampClock) { configuration.timestampClock = clock }
        else { problems.append("--timestamp-clock \(timestampClock) must be replay or wall") }
        if pingSeconds < 1 { problems.append("--ping-seconds \(pingSeconds) must be >= 1") }
        configuration.pingInterval = .seconds(max(pingSeconds, 1))
        configuration.bookStepMilliseconds = bookStepMilliseconds
        configuration.bookLevels = bookLevels
        configuration.levelSpacingBasisPoints = levelSpacingBasisPoints
        if Logger.Level(rawValue: logLevel) == nil { problems.append("--log-level \(logLevel) is not a log level") }
        return (configuration, problems)
    }

    @Flag(help: "Check that a simulator answers GET /api/v3/ping on --host/--port (exit 0) or not (exit 1), then exit: the compose healthcheck.")
    var health = false

    func run() async throws {
        if health {
            let host = self.host == "0.0.0.0" ? "127.0.0.1" : self.host
            throw ExitCode(Self.ping(host: host, port: port) ? 0 : 1)
        }
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let (configuration, problems) = makeConfiguration()
        var logger = Logger(label: "quorum-exchange-sim")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        // Load the data even when the options are wrong, so that every problem is listed at once.
        var server: SimServer?
        var allProblems = problems
        do throws(SimStartupError) {
            server = try SimServer(configuration: configuration, logger: logger)
        } catch {
            allProblems += error.problems
        }
        guard allProblems.isEmpty, let server else {
            FileHandle.standardError.write(Data((SimStartupError(problems: allProblems).description + "\n").utf8))
            throw ExitCode(2)
        }
        let time = server.simulator.serverTime
        let startLogger = logger
        try await server.run(handleSignals: true) { port in
            startLogger.info("quorum-exchange-sim listening on http://\(configuration.host):\(port) (REST /api/v3, streams /ws and /stream, WebSocket API /ws-api/v3, admin /sim); replay clock \(time), speed \(configuration.speed)")
        }
        logger.info("quorum-exchange-sim stopped")
    }
}


extension ExchangeSimCommand {
    /// One HTTP/1.1 GET /api/v3/ping over a plain socket (no HTTP stack needed for a healthcheck).
    static func ping(host: String, port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return false }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return false }
        let request = "GET /api/v3/ping HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n"
        guard request.withCString({ send(fd, $0, strlen($0), 0) }) > 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = recv(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return false }
        return String(decoding: buffer[..<n], as: UTF8.self).hasPrefix("HTTP/1.1 200")
    }
}

/// Option defaults from the environment (compose files set variables, not flags).
enum SimEnvironment {
    static func string(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    static func list(_ name: String) -> [String] {
        string(name)?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? []
    }
}
