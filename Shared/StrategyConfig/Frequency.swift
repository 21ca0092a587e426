import Domain
import Foundation

/// A config's `freq`: Binance's interval names (`1m`, `5m`, `15m`, `1h`, `1d`, `1w`) or pandas'
/// frequency strings as ITB writes them (`1min`, `5T`, `5min`, `1h`, `1H`, `1D`, `1W`, `30s`).
public enum Frequency {
    /// The interval, or why the text is refused.
    public static func parse(_ text: String) -> Result<Interval, FrequencyError> {
        if let interval = Interval(text) { return .success(interval) }
        let trimmed = text.trimmingCharacters(in: [" "])
        var digits = Substring(trimmed).prefix { $0.isASCII && $0.isNumber }
        var unit = Substring(trimmed).dropFirst(digits.count)
        if digits.isEmpty { digits = "1" }
        unit = Substring(unit.replacingOccurrences(of: "-", with: ""))
        guard let count = Int(digits), count > 0 else { return .failure(FrequencyError(text: text, reason: "needs a positive count")) }
        let binanceUnit: String
        switch unit {
        case "min", "Min", "T", "m": binanceUnit = "m"
        case "h", "H": binanceUnit = "h"
        case "D", "d": binanceUnit = "d"
        case "W", "w", "W-SUN", "WSUN": binanceUnit = "w"
        case "s", "S": binanceUnit = "s"
        case "M", "MS", "ME":
            return .failure(FrequencyError(text: text, reason: "a calendar month has no fixed length; Quorum needs fixed intervals"))
        default:
            return .failure(FrequencyError(text: text, reason: "unknown unit \"\(unit)\"; expected a Binance interval (1m, 5m, 15m, 1h) or a pandas frequency (5min, 5T, 1h, 1D)"))
        }
        guard let interval = Interval("\(count)\(binanceUnit)") else {
            let names = Interval.all.map(\.name).joined(separator: ", ")
            return .failure(FrequencyError(text: text, reason: "\(count)\(binanceUnit) is not a Binance kline interval (\(names))"))
        }
        return .success(interval)
    }

    public struct FrequencyError: Error, Sendable, Hashable, CustomStringConvertible {
        public var text: String
        public var reason: String
        public var description: String { "freq \"\(text)\": \(reason)" }
    }
}
