import Foundation

/// Parses compose durations, which follow Go's `time.ParseDuration`: `10s`, `1m30s`, `500ms`, `1.5h`,
/// `250us`; a bare number (`10`, as YAML may write it) is seconds.
public enum DurationParser {
    /// Returns nil when `text` is not a duration.
    public static func parse(_ text: String) -> Duration? {
        let s = Array(text.trimmingCharacters(in: .whitespaces))
        guard !s.isEmpty else { return nil }
        if let seconds = Double(String(s)), seconds >= 0, seconds.isFinite {
            return .nanoseconds(Int64((seconds * 1e9).rounded()))
        }
        var total: Int64 = 0
        var i = 0
        while i < s.count {
            var whole: Int64 = 0
            var fraction = 0.0
            var scale = 0.1
            var digits = 0
            while i < s.count, let d = s[i].wholeNumberValue, s[i].isASCII {
                let (product, overflow) = whole.multipliedReportingOverflow(by: 10)
                guard !overflow else { return nil }
                whole = product + Int64(d)
                digits += 1
                i += 1
            }
            if i < s.count, s[i] == "." {
                i += 1
                while i < s.count, let d = s[i].wholeNumberValue, s[i].isASCII {
                    fraction += Double(d) * scale
                    scale /= 10
                    digits += 1
                    i += 1
                }
            }
            guard digits > 0 else { return nil }
            var unit = ""
            while i < s.count, !(s[i].isASCII && (s[i].isNumber || s[i] == ".")) {
                unit.append(s[i])
                i += 1
            }
            let nanosPerUnit: Int64
            switch unit {
            case "ns": nanosPerUnit = 1
            case "us", "µs", "μs": nanosPerUnit = 1_000
            case "ms": nanosPerUnit = 1_000_000
            case "s": nanosPerUnit = 1_000_000_000
            case "m": nanosPerUnit = 60_000_000_000
            case "h": nanosPerUnit = 3_600_000_000_000
            default: return nil
            }
            let (wholeNanos, overflow) = whole.multipliedReportingOverflow(by: nanosPerUnit)
            guard !overflow else { return nil }
            total += wholeNanos + Int64((fraction * Double(nanosPerUnit)).rounded())
        }
        return .nanoseconds(total)
    }
}

extension Duration {
    /// `1.5s`, `300ms`, `2m`: short text for log lines.
    var shortDescription: String {
        let (seconds, attoseconds) = components
        let millis = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if millis % 1000 != 0 { return seconds == 0 ? "\(millis)ms" : "\(Double(millis) / 1000)s" }
        if seconds % 60 == 0, seconds >= 60 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}
