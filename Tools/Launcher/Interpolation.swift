/// Compose-style variable substitution: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
/// `${VAR:?message}`, `${VAR?message}`, `${VAR:+replacement}`, `${VAR+replacement}`, and `$$` for a literal `$`.
///
/// With `:` the empty string counts as unset. Defaults and replacements may themselves hold substitutions.
/// A `$` followed by anything else (`$1`, `$ `) is kept as written. An unset variable without a default
/// becomes the empty string and is reported in ``warnings``, as docker-compose does.
public struct Interpolation: Sendable {
    /// The variables that `$NAME` reads.
    public var variables: [String: String]
    /// Names of variables that were read but unset, in first-use order.
    public private(set) var warnings: [String] = []

    public init(variables: [String: String]) {
        self.variables = variables
    }

    /// Substitutes every reference in `value`; `field` names the place in errors (e.g. `services.bus.environment.X`).
    public mutating func interpolate(_ value: String, field: String) throws(ComposeError) -> String {
        guard value.contains("$") else { return value }
        let chars = Array(value)
        var index = 0
        return try expand(chars, &index, field: field, original: value)
    }

    private mutating func expand(
        _ chars: [Character], _ index: inout Int, field: String, original: String
    ) throws(ComposeError) -> String {
        var out = ""
        while index < chars.count {
            let c = chars[index]
            guard c == "$", index + 1 < chars.count else {
                out.append(c)
                index += 1
                continue
            }
            let next = chars[index + 1]
            if next == "$" {
                out.append("$")
                index += 2
            } else if next == "{" {
                index += 2
                out += try braced(chars, &index, field: field, original: original)
            } else if Self.isNameStart(next) {
                index += 1
                var name = ""
                while index < chars.count, Self.isNameChar(chars[index]) {
                    name.append(chars[index])
                    index += 1
                }
                out += lookup(name) ?? ""
            } else {
                out.append(c)
                index += 1
            }
        }
        return out
    }

    /// Reads `NAME[op word]}` after `${`.
    private mutating func braced(
        _ chars: [Character], _ index: inout Int, field: String, original: String
    ) throws(ComposeError) -> String {
        var name = ""
        while index < chars.count, Self.isNameChar(chars[index]) {
            name.append(chars[index])
            index += 1
        }
        guard let first = name.first, Self.isNameStart(first) else {
            throw .invalidInterpolation(field: field, value: original, message: "expected a variable name after ${")
        }
        guard index < chars.count else {
            throw .invalidInterpolation(field: field, value: original, message: "missing closing brace")
        }
        if chars[index] == "}" {
            index += 1
            return lookup(name) ?? ""
        }
        var colon = false
        if chars[index] == ":" {
            colon = true
            index += 1
        }
        guard index < chars.count, "-?+".contains(chars[index]) else {
            throw .invalidInterpolation(
                field: field, value: original, message: "unsupported substitution after ${\(name)")
        }
        let op = chars[index]
        index += 1
        // Find the end of the word (nested `${...}` allowed); expand it only when it is used.
        let wordStart = index
        var depth = 0
        while index < chars.count {
            let c = chars[index]
            if c == "$", index + 1 < chars.count, chars[index + 1] == "$" {
                index += 2
                continue
            }
            if c == "$", index + 1 < chars.count, chars[index + 1] == "{" {
                depth += 1
                index += 2
                continue
            }
            if c == "}" {
                if depth == 0 { break }
                depth -= 1
            }
            index += 1
        }
        guard index < chars.count else {
            throw .invalidInterpolation(field: field, value: original, message: "missing closing brace")
        }
        let word = String(chars[wordStart..<index])
        index += 1  // the closing brace
        let raw = variables[name]
        let isSet = colon ? !(raw ?? "").isEmpty : raw != nil
        switch op {
        case "-":
            return isSet ? raw ?? "" : try interpolate(word, field: field)
        case "+":
            return isSet ? try interpolate(word, field: field) : ""
        default:  // "?"
            if isSet { return raw ?? "" }
            throw .requiredVariableMissing(field: field, variable: name, message: try interpolate(word, field: field))
        }
    }

    private mutating func lookup(_ name: String) -> String? {
        if let value = variables[name] { return value }
        if !warnings.contains(name) { warnings.append(name) }
        return nil
    }

    static func isNameStart(_ c: Character) -> Bool {
        c == "_" || (c.isASCII && c.isLetter)
    }

    static func isNameChar(_ c: Character) -> Bool {
        c == "_" || (c.isASCII && (c.isLetter || c.isNumber))
    }
}

extension Interpolation {
    /// Records `name` as read-but-unset (used when merging warnings from a scoped copy).
    mutating func noteUnset(_ name: String) -> String? {
        lookup(name)
    }
}
