import Domain

/// A JSON document built by hand, so that reports are byte-stable: object keys are written sorted,
/// an absent value is an explicit `null` (never a missing key), and a non-finite Double (NaN, ±∞)
/// becomes `null` (JSON has no such numbers; where ∞ is meaningful, e.g. a profit factor without
/// losses, the owning type adds a flag beside it). Money (Decimal8) is a string with eight
/// decimals, as Decimal8's own Codable writes it; times are ISO-8601 UTC strings.
public indirect enum ReportJSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([ReportJSON])
    case object([String: ReportJSON])

    public static func number(_ value: Double?) -> ReportJSON {
        guard let value, value.isFinite else { return .null }
        return .double(value)
    }

    public static func decimal(_ value: Decimal8?) -> ReportJSON {
        guard let value else { return .null }
        return .string(value.description)
    }

    public static func time(_ value: Timestamp?) -> ReportJSON {
        guard let value else { return .null }
        return .string(value.description)
    }

    /// The text: two-space indentation, keys sorted by their UTF-8 bytes, a final newline.
    public func serialized() -> String {
        var out = ""
        write(into: &out, indent: 0)
        out += "\n"
        return out
    }

    private func write(into out: inout String, indent: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if !d.isFinite { out += "null" } else if d == d.rounded(), abs(d) < 1e15 { out += String(Int64(d)) } else { out += "\(d)" }
        case .string(let s): Self.writeString(s, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += String(repeating: " ", count: indent + 2)
                item.write(into: &out, indent: indent + 2)
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{\n"
            let keys = members.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            for (i, key) in keys.enumerated() {
                out += String(repeating: " ", count: indent + 2)
                Self.writeString(key, into: &out)
                out += ": "
                members[key]!.write(into: &out, indent: indent + 2)
                out += i == keys.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        }
    }

    private static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
