/// The bar length of the order-flow aggregation, parsed from the config's `freq`: Binance's
/// interval names ("10s", "1m", "5m", "1h", "1d") and pandas' offset aliases ("5T", "5min",
/// "10S", "30s", "1H", "500ms", "500L"). Bars are aligned to the Unix epoch: a bar is
/// [open, open + length) with open a multiple of the length (UTC).
public struct BarFrequency: Sendable, Hashable, CustomStringConvertible {
    public let milliseconds: Int64
    /// The text it was parsed from (or built as "<n>ms").
    public let name: String

    public init(milliseconds: Int64) throws(OrderFlowConfigurationError) {
        guard milliseconds > 0 else {
            throw OrderFlowConfigurationError(problems: ["freq: \(milliseconds) ms is not a positive bar length"])
        }
        self.milliseconds = milliseconds
        self.name = "\(milliseconds)ms"
    }

    /// Parses `<count><unit>` (count 1...999999, no sign; a bare unit means 1). Units: ms / L
    /// (milliseconds), s / S / sec (seconds), m / T / min (minutes), h / H (hours), d / D (days).
    public init(_ text: String) throws(OrderFlowConfigurationError) {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let unit = String(text.dropFirst(digits.count))
        let unitMs: Int64? = switch unit {
        case "ms", "L": 1
        case "s", "S", "sec": 1_000
        case "m", "T", "min": 60_000
        case "h", "H": 3_600_000
        case "d", "D": 86_400_000
        default: nil
        }
        let count: Int64? = digits.isEmpty ? 1 : (digits.count <= 6 ? Int64(digits) : nil)
        guard let unitMs, let count, count > 0 else {
            throw OrderFlowConfigurationError(problems: [
                "freq: \"\(text)\" is not a bar length (expected e.g. \"10s\", \"1m\", \"5m\", \"5T\", \"5min\", \"1h\")",
            ])
        }
        self.milliseconds = count * unitMs
        self.name = text
    }

    /// The open time of the bar containing `milliseconds` (floor to a multiple of the length).
    public func open(containing ms: Int64) -> Int64 {
        let r = ms % milliseconds
        return r >= 0 ? ms - r : ms - r - milliseconds
    }

    public var description: String { name }
}
