import Domain
import Foundation

/// Number and text formatting shared by the HTML and terminal renderings.
enum ReportFormat {
    static let none = "—"

    /// A fraction as a percentage: 0.5312 → "53.12 %".
    static func percent(_ value: Double?, digits: Int = 2) -> String {
        guard let value, value.isFinite else { return none }
        return String(format: "%.\(digits)f %%", value * 100)
    }

    static func number(_ value: Double?, digits: Int = 2) -> String {
        guard let value else { return none }
        if value == .infinity { return "∞" }
        guard value.isFinite else { return none }
        return String(format: "%.\(digits)f", value)
    }

    static func profitFactor(_ value: PerformanceMetrics.ProfitFactor) -> String {
        switch value {
        case .undefined: return none
        case .infinite: return "∞"
        case .finite(let v): return number(v)
        }
    }

    /// Money with two decimals (the exact value is in the JSON).
    static func money(_ value: Decimal8?) -> String {
        guard let value else { return none }
        return String(format: "%.2f", value.doubleValue)
    }

    /// "3d 04h", "5h 12m", "42m", "17s".
    static func duration(seconds: Double?) -> String {
        guard let seconds, seconds.isFinite else { return none }
        let s = Int(seconds.rounded())
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }
        if s >= 86_400 { return "\(s / 86_400)d \(two((s % 86_400) / 3_600))h" }
        if s >= 3_600 { return "\(s / 3_600)h \(two((s % 3_600) / 60))m" }
        if s >= 60 { return "\(s / 60)m" }
        return "\(s)s"
    }

    /// "2024-07-15 13:05" (UTC).
    static func time(_ value: Timestamp) -> String {
        let text = value.description
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5))
    }

    static func date(_ value: Timestamp) -> String { String(value.description.prefix(10)) }

    /// Escapes text for HTML and XML (element content and quoted attributes).
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters other than tab/newline are not allowed in XML 1.0.
                if scalar.value < 0x20 && scalar != "\n" && scalar != "\t" && scalar != "\r" { out += "\u{FFFD}" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let count = text.count
        if count >= width { return String(text.prefix(width)) }
        let fill = String(repeating: " ", count: width - count)
        return right ? fill + text : text + fill
    }
}
