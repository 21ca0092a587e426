import Domain

/// Collects the violations and notes of one load, so that every problem is reported at once.
final class Diagnostics {
    let file: String?
    private(set) var violations: [Violation] = []
    private(set) var notes: [String] = []

    init(file: String?) {
        self.file = file
    }

    func fail(_ path: String, at position: SourcePosition?, _ message: String) {
        violations.append(Violation(file: file, path: path, position: position, message: message))
    }

    func append(_ violations: [Violation]) {
        self.violations.append(contentsOf: violations)
    }

    func note(_ text: String) {
        if !notes.contains(text) { notes.append(text) }
    }

    func append(notes: [String]) {
        for note in notes { self.note(note) }
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }
}

extension JSONC.Value {
    /// How a value is named in messages ("a string", "an array").
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// An object being read: typed accessors that record a violation (with the key's path and the
/// value's position) instead of throwing, and an unknown-key check that suggests the nearest key.
struct Fields {
    let path: String
    let node: JSONC.Node
    let members: [JSONC.Member]
    let diagnostics: Diagnostics

    /// Nil (and a violation) when the node is not an object.
    init?(_ node: JSONC.Node, path: String, diagnostics: Diagnostics) {
        guard case .object(let members) = node.value else {
            diagnostics.fail(path, at: node.position, "expected an object, found \(node.value.kindName)")
            return nil
        }
        self.path = path
        self.node = node
        self.members = members
        self.diagnostics = diagnostics
    }

    var keys: [String] { members.map(\.key) }

    func path(_ key: String) -> String { Diagnostics.join(path, key) }

    func member(_ key: String) -> JSONC.Member? { members.first { $0.key == key } }

    /// The value, or nil when absent. `null` counts as absent (ITB writes `null` for "default").
    func value(_ key: String) -> JSONC.Node? {
        guard let member = member(key) else { return nil }
        if case .null = member.value.value { return nil }
        return member.value
    }

    func has(_ key: String) -> Bool { member(key) != nil }

    func fail(_ key: String, _ message: String) {
        diagnostics.fail(path(key), at: member(key)?.value.position ?? node.position, message)
    }

    /// Records every key not in `allowed`, with a suggestion.
    func rejectUnknownKeys(allowed: [String]) {
        for member in members where !allowed.contains(member.key) {
            diagnostics.fail(path(member.key), at: member.keyPosition, KeySuggestion.unknownKeyMessage(member.key, valid: allowed))
        }
    }

    func missing(_ key: String, _ what: String) {
        diagnostics.fail(path(key), at: node.position, "required key \"\(key)\" is missing (\(what))")
    }

    func string(_ key: String, required: String? = nil) -> String? {
        guard let node = value(key) else {
            if let required { missing(key, required) }
            return nil
        }
        guard case .string(let text) = node.value else {
            fail(key, "expected a string, found \(node.value.kindName)")
            return nil
        }
        return text
    }

    func bool(_ key: String) -> Bool? {
        guard let node = value(key) else { return nil }
        guard case .bool(let flag) = node.value else {
            fail(key, "expected true or false, found \(node.value.kindName)")
            return nil
        }
        return flag
    }

    func number(_ key: String, required: String? = nil) -> String? {
        guard let node = value(key) else {
            if let required { missing(key, required) }
            return nil
        }
        guard case .number(let text) = node.value else {
            fail(key, "expected a number, found \(node.value.kindName)")
            return nil
        }
        return text
    }

    func double(_ key: String, required: String? = nil) -> Double? {
        guard let text = number(key, required: required) else { return nil }
        guard let value = Double(text), value.isFinite else {
            fail(key, "\(text) is not a finite number")
            return nil
        }
        return value
    }

    /// A whole number (`300`, also `300.0`), within `range` when given.
    func int(_ key: String, required: String? = nil, range: ClosedRange<Int>? = nil) -> Int? {
        guard let text = number(key, required: required) else { return nil }
        guard let value = Self.wholeNumber(text) else {
            fail(key, "\(text) is not a whole number")
            return nil
        }
        if let range, !range.contains(value) {
            fail(key, "\(value) is outside \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return value
    }

    /// A fraction as an exact decimal (`0.005`), within `range` when given.
    func decimal(_ key: String, required: String? = nil, range: ClosedRange<Decimal8>? = nil, what: String = "") -> Decimal8? {
        guard let text = number(key, required: required) else { return nil }
        guard let value = Decimal8(text) else {
            fail(key, "\(text) is not a decimal with at most 8 fraction digits")
            return nil
        }
        if let range, !range.contains(value) {
            let lower = range.lowerBound == Decimal8(units: 1) ? "(0" : "[\(range.lowerBound.compactDescription)"
            fail(key, "\(text) must be in \(lower), \(range.upperBound.compactDescription)]\(what)")
            return nil
        }
        return value
    }

    static func wholeNumber(_ text: String) -> Int? {
        if let value = Int(text) { return value }
        guard let value = Double(text), value.isFinite, value == value.rounded(), abs(value) < 1e15 else { return nil }
        return Int(value)
    }

    /// An array of strings; a single string is accepted as a one-element list when `allowSingle`.
    func strings(_ key: String, required: String? = nil, allowSingle: Bool = false) -> [String]? {
        guard let node = value(key) else {
            if let required { missing(key, required) }
            return nil
        }
        if allowSingle, case .string(let text) = node.value { return [text] }
        guard case .array(let items) = node.value else {
            fail(key, "expected an array of strings, found \(node.value.kindName)")
            return nil
        }
        var result: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let text) = item.value else {
                diagnostics.fail(path(key) + "[\(i)]", at: item.position, "expected a string, found \(item.value.kindName)")
                continue
            }
            result.append(text)
        }
        return result
    }

    /// The elements of an array with their paths.
    func array(_ key: String, required: String? = nil) -> [(path: String, node: JSONC.Node)]? {
        guard let node = value(key) else {
            if let required { missing(key, required) }
            return nil
        }
        guard case .array(let items) = node.value else {
            fail(key, "expected an array, found \(node.value.kindName)")
            return nil
        }
        return items.enumerated().map { (path(key) + "[\($0.offset)]", $0.element) }
    }

    func object(_ key: String, required: String? = nil) -> Fields? {
        guard let node = value(key) else {
            if let required { missing(key, required) }
            return nil
        }
        return Fields(node, path: path(key), diagnostics: diagnostics)
    }
}

extension JSONC.Node {
    /// Compact JSON text of the value (for metadata kept verbatim and parameters passed through).
    public var jsonText: String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let text): return text
        case .string(let text): return JSONC.quote(text)
        case .array(let items): return "[" + items.map(\.jsonText).joined(separator: ",") + "]"
        case .object(let members): return "{" + members.map { JSONC.quote($0.key) + ":" + $0.value.jsonText }.joined(separator: ",") + "}"
        }
    }

    /// The value as plain text: a string's contents, a number's literal, otherwise its JSON text.
    public var plainText: String {
        switch value {
        case .string(let text): return text
        default: return jsonText
        }
    }
}

extension JSONC {
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
