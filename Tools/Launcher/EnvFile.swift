import Foundation

/// Reads an `env_file`: `KEY=VALUE` lines; blank lines and `#` comments skipped; an optional `export `;
/// `'single'` quotes literal; `"double"` quotes with `\n`, `\t`, `\"`, `\\` escapes; an unquoted value
/// is trimmed and loses a ` #comment`. Values other than single-quoted ones are interpolated (variables
/// from the launcher's environment, then earlier lines of the same file). A line holding only `KEY`
/// takes the launcher's value, or is skipped when the launcher has none.
public enum EnvFile {
    public static func parse(
        _ text: String, field: String, interpolation: inout Interpolation
    ) throws(ComposeError) -> [(key: String, value: String)] {
        var result: [(key: String, value: String)] = []
        var local = interpolation
        for (number, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            let lineField = "\(field) line \(number + 1)"
            guard let eq = line.firstIndex(of: "=") else {
                if let value = interpolation.variables[line] { result.append((line, value)) }
                continue
            }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else {
                throw .invalidField(field: lineField, message: "missing variable name before '='")
            }
            var rest = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            let value: String
            if rest.hasPrefix("'") {
                guard let close = rest.dropFirst().firstIndex(of: "'") else {
                    throw .invalidField(field: lineField, message: "unterminated single quote")
                }
                value = String(rest[rest.index(after: rest.startIndex)..<close])
            } else if rest.hasPrefix("\"") {
                var unescaped = ""
                var closed = false
                var it = rest.dropFirst().makeIterator()
                while let c = it.next() {
                    if c == "\"" { closed = true; break }
                    if c == "\\", let e = it.next() {
                        switch e {
                        case "n": unescaped.append("\n")
                        case "t": unescaped.append("\t")
                        case "r": unescaped.append("\r")
                        case "\"", "\\": unescaped.append(e)
                        default: unescaped += "\\\(e)"
                        }
                        continue
                    }
                    unescaped.append(c)
                }
                guard closed else { throw .invalidField(field: lineField, message: "unterminated double quote") }
                value = try local.interpolate(unescaped, field: lineField)
            } else {
                if let hash = rest.range(of: " #") { rest = String(rest[..<hash.lowerBound]) }
                value = try local.interpolate(rest.trimmingCharacters(in: .whitespaces), field: lineField)
            }
            result.append((key, value))
            if interpolation.variables[key] == nil { local.variables[key] = value }
        }
        for name in local.warnings where !interpolation.warnings.contains(name) {
            _ = interpolation.noteUnset(name)
        }
        return result
    }
}
