/// Every topic string of the system is built here and nowhere else (docs/wire-protocol.md).
///
/// Grammar: dot-separated segments, every topic ends with a dot, so a prefix subscription never
/// matches a longer name (`sig.BTCUSDT.` does not match `sig.BTCUSDTX.`). Symbols are uppercase as
/// Binance writes them; every other segment is lowercase.
public enum Topic {
    public static func kline(symbol: String, interval: String) -> String { "md.kline.\(symbol).\(interval)." }
    public static func depth(symbol: String) -> String { "md.depth.\(symbol)." }
    public static func book(symbol: String) -> String { "md.book.\(symbol)." }
    public static func trade(symbol: String) -> String { "md.trade.\(symbol)." }
    public static func features(symbol: String, interval: String) -> String { "feat.\(symbol).\(interval)." }
    public static func prediction(symbol: String, interval: String, model: String) -> String { "pred.\(symbol).\(interval).\(model)." }
    public static func signal(symbol: String, interval: String) -> String { "sig.\(symbol).\(interval)." }
    public static func intent(symbol: String) -> String { "intent.\(symbol)." }
    public static let intentAck = "exec.ack."
    public static func executionReport(symbol: String) -> String { "exec.report.\(symbol)." }
    public static func executionWatermark(symbol: String) -> String { "exec.mark.\(symbol)." }
    public static func riskDenied(symbol: String) -> String { "risk.denied.\(symbol)." }
    public static let riskState = "risk.state."
    public static func heartbeat(service: String, instance: String) -> String { "hb.\(service).\(instance)." }
    public static func control(service: String) -> String { "ctl.\(service)." }

    /// Prefixes for subscriptions.
    public enum Prefix {
        public static let marketData = "md."
        public static let klines = "md.kline."
        public static let features = "feat."
        public static let predictions = "pred."
        public static let signals = "sig."
        public static let intents = "intent."
        public static let execution = "exec."
        public static let executionReports = "exec.report."
        public static let executionWatermarks = "exec.mark."
        public static let risk = "risk."
        public static let heartbeats = "hb."
        public static let control = "ctl."
        public static let everything = ""
    }

    /// Whether `topic` is well formed: non-empty segments, ends with a dot, printable ASCII, no spaces.
    public static func isValid(_ topic: String) -> Bool {
        let bytes = Array(topic.utf8)
        guard bytes.count >= 2, bytes.last == UInt8(ascii: "."), bytes.first != UInt8(ascii: ".") else { return false }
        var previousDot = false
        for b in bytes {
            if b == UInt8(ascii: ".") {
                if previousDot { return false }
                previousDot = true
            } else {
                guard b > 0x20 && b < 0x7F else { return false }
                previousDot = false
            }
        }
        return true
    }

    /// The symbol segment of a market-data, feature, prediction, signal, intent or report topic.
    public static func symbol(of topic: String) -> String? {
        let parts = topic.split(separator: ".", omittingEmptySubsequences: true)
        switch parts.first {
        case "md", "exec", "risk": return parts.count >= 3 ? String(parts[2]) : nil
        case "feat", "pred", "sig", "intent": return parts.count >= 2 ? String(parts[1]) : nil
        default: return nil
        }
    }
}
