/// One problem in a config: where (file, key path, line:column) and what.
///
/// `path` names the key as a reader would write it: `algorithms[1].train.n_estimators`
/// (indexes from 0, as in the file's arrays); empty for the document as a whole.
public struct Violation: Sendable, Hashable, CustomStringConvertible {
    public var file: String?
    public var path: String
    public var position: SourcePosition?
    public var message: String

    public init(file: String? = nil, path: String, position: SourcePosition? = nil, message: String) {
        self.file = file
        self.path = path
        self.position = position
        self.message = message
    }

    public var line: Int? { position?.line }
    public var column: Int? { position?.column }

    /// `file:line:column: path: message`, omitting what is unknown (the compiler's layout, so editors jump to it).
    public var description: String {
        var location = file ?? ""
        if let position { location += (location.isEmpty ? "" : ":") + "\(position.line):\(position.column)" }
        var text = location.isEmpty ? "" : location + ": "
        if !path.isEmpty { text += path + ": " }
        return text + message
    }
}

/// Every violation found while loading a config, listed together (one per line when printed).
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public var violations: [Violation]

    public init(violations: [Violation]) {
        self.violations = violations
    }

    /// The same violations in document order: files in order of first appearance, then by line and
    /// column (violations without a position keep their place at the end of their file's).
    public var sorted: ConfigError {
        var fileRank: [String: Int] = [:]
        for v in violations where fileRank[v.file ?? ""] == nil { fileRank[v.file ?? ""] = fileRank.count }
        let ordered = violations.enumerated().sorted { a, b in
            let fa = fileRank[a.element.file ?? ""]!, fb = fileRank[b.element.file ?? ""]!
            if fa != fb { return fa < fb }
            switch (a.element.position, b.element.position) {
            case let (pa?, pb?): return pa != pb ? pa < pb : a.offset < b.offset
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a.offset < b.offset
            }
        }
        return ConfigError(violations: ordered.map(\.element))
    }

    public init(_ violation: Violation) {
        self.violations = [violation]
    }

    public var description: String {
        "invalid config (\(violations.count) problem\(violations.count == 1 ? "" : "s")):\n"
            + violations.map { "  " + $0.description }.joined(separator: "\n")
    }
}
