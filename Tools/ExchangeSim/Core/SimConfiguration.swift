import Domain

/// Everything the simulator needs to start, validated at once so a bad start lists every problem.
public struct SimConfiguration: Sendable {
    /// One kline file and the series it holds.
    public struct KlineFile: Sendable, Hashable {
        public var path: String
        /// nil: from the file name (`SYMBOL-INTERVAL[-...].csv`).
        public var symbol: String?
        public var interval: Interval?

        public init(path: String, symbol: String? = nil, interval: Interval? = nil) {
            self.path = path
            self.symbol = symbol
            self.interval = interval
        }
    }

    /// An API key and how its requests are verified.
    public struct APIKey: Sendable {
        public enum Verifier: Sendable {
            /// HMAC-SHA256 with this secret (hex signature).
            case hmac(secret: String)
            /// Ed25519 with this 32-byte public key (base64 signature).
            case ed25519(publicKey: [UInt8])
        }
        public var key: String
        public var verifier: Verifier

        public init(key: String, verifier: Verifier) {
            self.key = key
            self.verifier = verifier
        }
    }

    public var klineFiles: [KlineFile]
    public var host: String = "127.0.0.1"
    public var port: Int = 8090
    /// Seconds of market time per wall second; 0 = the clock moves only through `POST /sim/clock`.
    public var speed: Double = 60
    /// Replay start; nil = the first open time in the data.
    public var start: Timestamp?
    public var seed: UInt64 = 1
    public var apiKeys: [APIKey] = []
    /// Every account starts with these balances.
    public var initialBalances: [String: Decimal8] = ["USDT": Decimal8(10_000)]
    /// Maker and taker fee rate (0.001 = 0.1 %).
    public var feeRate: Decimal8 = Decimal8("0.001")!
    /// REQUEST_WEIGHT limit per minute (wall clock); above it requests get 429 and -1003.
    public var weightLimitPerMinute: Int = 6000
    /// Server ping period on WebSocket connections (Binance: 20 s).
    public var pingInterval: Duration = .seconds(20)
    /// Market time between two synthetic book steps; nil = interval / 60, at least 100 ms.
    public var bookStepMilliseconds: Int64?
    /// Levels per side of the synthetic book.
    public var bookLevels: Int = 500
    /// Spacing of the synthetic book's deeper levels, in basis points of the first price.
    public var levelSpacingBasisPoints: Int = 1
    /// Which clock `timestamp`/`recvWindow` are checked against: the replay clock (Binance's
    /// behaviour: serverTime is the replay clock) or the wall clock (convenient for clients that
    /// stamp requests with their own clock while the replay runs fast).
    public enum TimestampClock: String, Sendable, CaseIterable { case replay, wall }
    public var timestampClock: TimestampClock = .replay
    /// Wall-clock period of the replay driver.
    public var driverPeriod: Duration = .milliseconds(10)

    public init(klineFiles: [KlineFile]) { self.klineFiles = klineFiles }

    /// Every problem of the configuration itself (files are checked when loaded).
    public func problems() -> [String] {
        var problems: [String] = []
        if klineFiles.isEmpty { problems.append("no kline file: pass --klines FILE.csv (SYMBOL-INTERVAL.csv) at least once") }
        if !(1...65535).contains(port) { problems.append("--port \(port) is not a TCP port (1-65535)") }
        if !(speed >= 0) || !speed.isFinite { problems.append("--speed \(speed) must be a finite number >= 0 (0 = stepped clock)") }
        if feeRate.isNegative || feeRate >= Decimal8.one { problems.append("--fee \(feeRate.compactDescription) must be in [0, 1)") }
        if weightLimitPerMinute < 1 { problems.append("--weight-limit \(weightLimitPerMinute) must be >= 1") }
        if bookLevels < 5 || bookLevels > 5000 { problems.append("--book-levels \(bookLevels) must be in 5...5000") }
        if levelSpacingBasisPoints < 1 || levelSpacingBasisPoints > 1000 { problems.append("--level-spacing-bps \(levelSpacingBasisPoints) must be in 1...1000") }
        if let step = bookStepMilliseconds, step < 100 || step % 100 != 0 {
            problems.append("--book-step-ms \(step) must be a multiple of 100 and >= 100")
        }
        var seen = Set<String>()
        for key in apiKeys {
            if key.key.isEmpty { problems.append("an API key is empty") }
            if !seen.insert(key.key).inserted { problems.append("API key \(key.key) is configured twice") }
            if case .hmac(let secret) = key.verifier, secret.isEmpty { problems.append("the secret of API key \(key.key) is empty") }
        }
        for (asset, amount) in initialBalances where amount.isNegative {
            problems.append("--balance \(asset)=\(amount.compactDescription) is negative")
        }
        return problems
    }
}

/// A configuration or data problem found at start; `problems` lists all of them.
public struct SimStartupError: Error, CustomStringConvertible {
    public var problems: [String]
    public init(problems: [String]) { self.problems = problems }
    public var description: String { "cannot start the exchange simulator:\n" + problems.map { "  - \($0)" }.joined(separator: "\n") }
}
