/// A JSONC document: JSON with `//` and `/* */` comments and trailing commas, parsed by hand so that
/// every value keeps its line and column and duplicate keys are caught (Foundation's
/// JSONSerialization keeps neither).
///
/// Comments are recognised only outside strings, so `"https://api.binance.com"` survives intact
/// (ITB's loader strips from `//` to the end of the line, breaking such values). A comma before a
/// closing `]` or `}` is tolerated, as many editors write it. Everything else is strict JSON:
/// the text must be UTF-8 (a byte-order mark is skipped), numbers use JSON's grammar, strings
/// JSON's escapes, and control characters inside strings are refused.
public enum JSONC {
    /// One value with the position of its first character.
    public struct Node: Sendable, Hashable {
        public var value: Value
        public var position: SourcePosition

        public init(_ value: Value, at position: SourcePosition) {
            self.value = value
            self.position = position
        }
    }

    /// A member of an object, in document order.
    public struct Member: Sendable, Hashable {
        public var key: String
        public var keyPosition: SourcePosition
        public var value: Node
    }

    public enum Value: Sendable, Hashable {
        case null
        case bool(Bool)
        /// The number's literal text (exactly as written, so `1.0` stays `1.0` and decimals stay exact).
        case number(String)
        case string(String)
        case array([Node])
        case object([Member])
    }

    /// A parse failure: the first syntax error, or every duplicate key.
    public struct ParseError: Error, Sendable, Hashable {
        public struct Problem: Sendable, Hashable {
            public var position: SourcePosition
            public var message: String
        }

        public var problems: [Problem]

        init(positions: [SourcePosition], messages: [String]) {
            problems = zip(positions, messages).map { Problem(position: $0, message: $1) }
        }
    }

    /// Parses a whole document. Throws every duplicate key at once, or the first syntax error.
    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> Node {
        if let bad = firstInvalidUTF8(bytes) {
            let position = SourcePosition.of(offset: bad, in: bytes)
            throw ParseError(positions: [position], messages: ["the file is not valid UTF-8 (byte 0x\(String(bytes[bad], radix: 16, uppercase: true)) at offset \(bad))"])
        }
        var parser = Parser(bytes: bytes)
        let node: Node
        do throws(Parser.Failure) {
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.index = 3; parser.lineStart = 3 }
            try parser.skipTrivia()
            guard parser.index < bytes.count else { throw parser.fail("the document is empty (expected a JSON object)") }
            node = try parser.value(depth: 0)
            try parser.skipTrivia()
            if parser.index < bytes.count { throw parser.fail("unexpected \(parser.describeCurrent()) after the end of the document") }
        } catch {
            throw ParseError(positions: [error.position], messages: [error.message])
        }
        if !parser.duplicates.isEmpty {
            throw ParseError(positions: parser.duplicates.map(\.0), messages: parser.duplicates.map(\.1))
        }
        return node
    }

    public static func parse(_ text: String) throws(ParseError) -> Node {
        try parse(Array(text.utf8))
    }

    /// The offset of the first byte that does not start a valid UTF-8 sequence, or nil.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var offset = 0
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    struct Parser {
        struct Failure: Error {
            var position: SourcePosition
            var message: String
        }

        let bytes: [UInt8]
        var index = 0
        var line = 1
        var lineStart = 0
        var duplicates: [(SourcePosition, String)] = []
        static let maximumDepth = 200

        init(bytes: [UInt8]) { self.bytes = bytes }

        var position: SourcePosition { position(at: index) }

        /// Line and column (1-based; columns count Unicode scalars, so an accented letter is one).
        func position(at offset: Int) -> SourcePosition {
            var column = 1
            var i = lineStart
            while i < offset && i < bytes.count {
                if bytes[i] & 0xC0 != 0x80 { column += 1 }
                i += 1
            }
            if i < bytes.count, offset < bytes.count, bytes[offset] & 0xC0 == 0x80 { column -= 1 }
            return SourcePosition(line: line, column: max(1, column))
        }

        func fail(_ message: String) -> Failure { Failure(position: position, message: message) }

        func describeCurrent() -> String {
            guard index < bytes.count else { return "end of file" }
            let b = bytes[index]
            if b >= 0x20 && b < 0x7F { return "'\(Character(UnicodeScalar(b)))'" }
            return "byte 0x\(String(b, radix: 16, uppercase: true))"
        }

        mutating func advance() {
            if bytes[index] == UInt8(ascii: "\n") {
                line += 1
                lineStart = index + 1
            }
            index += 1
        }

        /// Skips whitespace, `// …` and `/* … */`.
        mutating func skipTrivia() throws(Failure) {
            while index < bytes.count {
                let b = bytes[index]
                if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D {
                    advance()
                } else if b == UInt8(ascii: "/"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "/") {
                    while index < bytes.count && bytes[index] != UInt8(ascii: "\n") { advance() }
                } else if b == UInt8(ascii: "/"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "*") {
                    let start = position
                    advance(); advance()
                    var closed = false
                    while index < bytes.count {
                        if bytes[index] == UInt8(ascii: "*"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "/") {
                            advance(); advance()
                            closed = true
                            break
                        }
                        advance()
                    }
                    if !closed { throw Failure(position: start, message: "a /* comment is never closed with */") }
                } else if b == UInt8(ascii: "/") {
                    throw fail("a lone '/' (comments are // … or /* … */)")
                } else {
                    return
                }
            }
        }

        mutating func value(depth: Int) throws(Failure) -> Node {
            guard depth < Self.maximumDepth else { throw fail("nesting deeper than \(Self.maximumDepth) levels") }
            guard index < bytes.count else { throw fail("unexpected end of file (expected a value)") }
            let start = position
            switch bytes[index] {
            case UInt8(ascii: "{"): return Node(.object(try object(depth: depth)), at: start)
            case UInt8(ascii: "["): return Node(.array(try array(depth: depth)), at: start)
            case UInt8(ascii: "\""): return Node(.string(try string()), at: start)
            case UInt8(ascii: "t"): try literal("true"); return Node(.bool(true), at: start)
            case UInt8(ascii: "f"): try literal("false"); return Node(.bool(false), at: start)
            case UInt8(ascii: "n"): try literal("null"); return Node(.null, at: start)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return Node(.number(try number()), at: start)
            case UInt8(ascii: "'"): throw fail("strings use double quotes (\"…\"), not single quotes")
            default: throw fail("unexpected \(describeCurrent()) (expected a value: object, array, string, number, true, false or null)")
            }
        }

        mutating func literal(_ word: String) throws(Failure) {
            let utf8 = Array(word.utf8)
            guard index + utf8.count <= bytes.count, Array(bytes[index..<(index + utf8.count)]) == utf8 else {
                throw fail("unexpected \(describeCurrent()) (expected \(word); strings need double quotes)")
            }
            for _ in utf8 { advance() }
            if index < bytes.count, isIdentifierByte(bytes[index]) { throw fail("unexpected \(describeCurrent()) after \(word)") }
        }

        func isIdentifierByte(_ b: UInt8) -> Bool {
            (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
                || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "_")
        }

        mutating func number() throws(Failure) -> String {
            let start = index
            func isDigit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9") }
            if bytes[index] == UInt8(ascii: "-") { advance() }
            guard isDigit(index) else { throw fail("a number needs digits after '-'") }
            if bytes[index] == UInt8(ascii: "0") {
                advance()
                if isDigit(index) { throw fail("numbers must not have leading zeros") }
            } else {
                while isDigit(index) { advance() }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                advance()
                guard isDigit(index) else { throw fail("a number needs digits after '.'") }
                while isDigit(index) { advance() }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                advance()
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { advance() }
                guard isDigit(index) else { throw fail("a number needs digits in its exponent") }
                while isDigit(index) { advance() }
            }
            if index < bytes.count, isIdentifierByte(bytes[index]) { throw fail("unexpected \(describeCurrent()) in a number") }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func hex4() throws(Failure) -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard index < bytes.count else { throw fail("unexpected end of file in a \\u escape") }
                let b = bytes[index]
                let digit: UInt32
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
                default: throw fail("a \\u escape needs 4 hexadecimal digits")
                }
                value = value * 16 + digit
                advance()
            }
            return value
        }

        mutating func string() throws(Failure) -> String {
            let open = position
            advance() // opening quote
            var out: [UInt8] = []
            while true {
                guard index < bytes.count else { throw Failure(position: open, message: "a string is never closed (missing \")") }
                let b = bytes[index]
                if b == UInt8(ascii: "\"") {
                    advance()
                    return String(decoding: out, as: UTF8.self)
                }
                if b == UInt8(ascii: "\n") { throw Failure(position: open, message: "a string is never closed on its line (missing \")") }
                if b < 0x20 { throw fail("a control character (0x\(String(b, radix: 16, uppercase: true))) inside a string must be escaped") }
                if b != UInt8(ascii: "\\") {
                    out.append(b)
                    advance()
                    continue
                }
                advance()
                guard index < bytes.count else { throw fail("unexpected end of file in an escape") }
                let e = bytes[index]
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e); advance()
                case UInt8(ascii: "b"): out.append(0x08); advance()
                case UInt8(ascii: "f"): out.append(0x0C); advance()
                case UInt8(ascii: "n"): out.append(0x0A); advance()
                case UInt8(ascii: "r"): out.append(0x0D); advance()
                case UInt8(ascii: "t"): out.append(0x09); advance()
                case UInt8(ascii: "u"):
                    advance()
                    var code = try hex4()
                    if (0xD800...0xDBFF).contains(code) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw fail("a \\u high surrogate must be followed by a \\u low surrogate")
                        }
                        advance(); advance()
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("a \\u high surrogate must be followed by a low surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(code) {
                        throw fail("a lone \\u low surrogate")
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw fail("\\u escape is not a Unicode scalar") }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    throw fail("unknown escape \\\(Character(UnicodeScalar(e))) (JSON allows \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
                }
            }
        }

        mutating func array(depth: Int) throws(Failure) -> [Node] {
            advance() // [
            var items: [Node] = []
            try skipTrivia()
            while true {
                guard index < bytes.count else { throw fail("unexpected end of file in an array (missing ])") }
                if bytes[index] == UInt8(ascii: "]") { advance(); return items }
                items.append(try value(depth: depth + 1))
                try skipTrivia()
                guard index < bytes.count else { throw fail("unexpected end of file in an array (missing ])") }
                if bytes[index] == UInt8(ascii: ",") {
                    advance()
                    try skipTrivia()
                    if index < bytes.count, bytes[index] == UInt8(ascii: ",") { throw fail("two commas in a row") }
                } else if bytes[index] != UInt8(ascii: "]") {
                    throw fail("unexpected \(describeCurrent()) in an array (expected ',' or ']')")
                }
            }
        }

        mutating func object(depth: Int) throws(Failure) -> [Member] {
            advance() // {
            var members: [Member] = []
            var seen: [String: SourcePosition] = [:]
            try skipTrivia()
            while true {
                guard index < bytes.count else { throw fail("unexpected end of file in an object (missing })") }
                if bytes[index] == UInt8(ascii: "}") { advance(); return members }
                guard bytes[index] == UInt8(ascii: "\"") else {
                    throw fail("unexpected \(describeCurrent()) in an object (expected a \"key\" or '}')")
                }
                let keyPosition = position
                let key = try string()
                if let first = seen[key] {
                    duplicates.append((keyPosition, "duplicate key \"\(key)\" (first at line \(first.line), column \(first.column))"))
                } else {
                    seen[key] = keyPosition
                }
                try skipTrivia()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                    throw fail("expected ':' after the key \"\(key)\", found \(describeCurrent())")
                }
                advance()
                try skipTrivia()
                let node = try value(depth: depth + 1)
                members.append(Member(key: key, keyPosition: keyPosition, value: node))
                try skipTrivia()
                guard index < bytes.count else { throw fail("unexpected end of file in an object (missing })") }
                if bytes[index] == UInt8(ascii: ",") {
                    advance()
                    try skipTrivia()
                    if index < bytes.count, bytes[index] == UInt8(ascii: ",") { throw fail("two commas in a row") }
                } else if bytes[index] != UInt8(ascii: "}") {
                    throw fail("unexpected \(describeCurrent()) in an object (expected ',' or '}'; is a comma missing?)")
                }
            }
        }
    }
}

extension JSONC.ParseError: CustomStringConvertible {
    public var description: String {
        problems.map { "\($0.position): \($0.message)" }.joined(separator: "\n")
    }
}

/// A 1-based line and column in a config file (columns count Unicode scalars).
public struct SourcePosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }

    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.line, lhs.column) < (rhs.line, rhs.column) }

    static func of(offset: Int, in bytes: [UInt8]) -> SourcePosition {
        var line = 1
        var column = 1
        for i in 0..<min(offset, bytes.count) {
            if bytes[i] == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if bytes[i] & 0xC0 != 0x80 {
                column += 1
            }
        }
        return SourcePosition(line: line, column: column)
    }
}
