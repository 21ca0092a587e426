import Domain

/// Where Binance is: production, the Spot testnet, or the exchange simulator (BINANCE.md §1).
/// Every client takes its base URLs from here, so the same code runs against all three.
public struct BinanceEndpoints: Sendable, Hashable, CustomStringConvertible {
    /// REST base, without a trailing slash ("https://api.binance.com").
    public var rest: String
    /// Market-stream base ("wss://stream.binance.com:9443"); combined streams live under /stream.
    public var streams: String

    public init(rest: String, streams: String) {
        self.rest = rest.hasSuffix("/") ? String(rest.dropLast()) : rest
        self.streams = streams.hasSuffix("/") ? String(streams.dropLast()) : streams
    }

    public static let production = BinanceEndpoints(rest: "https://api.binance.com", streams: "wss://stream.binance.com:9443")
    public static let testnet = BinanceEndpoints(rest: "https://testnet.binance.vision", streams: "wss://stream.testnet.binance.vision")
    /// The exchange simulator (`quorum-exchange-sim`) on a host and port.
    public static func simulator(host: String = "127.0.0.1", port: Int) -> BinanceEndpoints {
        BinanceEndpoints(rest: "http://\(host):\(port)", streams: "ws://\(host):\(port)")
    }

    /// Reads `production`, `testnet`, `sim:<port>` / `sim:<host>:<port>`, or `<rest-url>|<stream-url>`.
    public init?(named name: String) {
        switch name {
        case "production", "binance": self = .production
        case "testnet": self = .testnet
        default:
            if name.hasPrefix("sim:") {
                let parts = name.dropFirst(4).split(separator: ":")
                if parts.count == 1, let port = Int(parts[0]) { self = .simulator(port: port); return }
                if parts.count == 2, let port = Int(parts[1]) { self = .simulator(host: String(parts[0]), port: port); return }
                return nil
            }
            let parts = name.split(separator: "|")
            guard parts.count == 2, parts[0].hasPrefix("http"), parts[1].hasPrefix("ws") else { return nil }
            self.init(rest: String(parts[0]), streams: String(parts[1]))
        }
    }

    /// The combined-stream URL for these stream names (lowercase symbols, BINANCE.md §6).
    public func combinedStreamURL(_ streams: [String]) -> String {
        self.streams + "/stream?streams=" + streams.joined(separator: "/")
    }

    public var description: String { "REST \(rest), streams \(streams)" }
}

/// Stream names as Binance spells them.
public enum StreamNames {
    public static func kline(_ symbol: String, _ interval: Interval) -> String { "\(symbol.lowercased())@kline_\(interval.name)" }
    public static func depth(_ symbol: String, fast: Bool = true) -> String { "\(symbol.lowercased())@depth" + (fast ? "@100ms" : "") }
    public static func bookTicker(_ symbol: String) -> String { "\(symbol.lowercased())@bookTicker" }
    public static func aggTrade(_ symbol: String) -> String { "\(symbol.lowercased())@aggTrade" }
}
