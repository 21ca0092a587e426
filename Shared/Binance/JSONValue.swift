import Domain

/// A parsed JSON document, for the payloads that are not on a hot path (exchangeInfo, account,
/// orders, errors). Numbers keep their text so that integers and decimals stay exact.
public indirect enum JSONValue: Sendable, Hashable {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.object(let a), .object(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.array(let a), .array(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.null, .null): return true
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .object(let members):
            hasher.combine(0)
            for m in members { hasher.combine(m.key); hasher.combine(m.value) }
        case .array(let a): hasher.combine(1); hasher.combine(a)
        case .string(let s): hasher.combine(2); hasher.combine(s)
        case .number(let n): hasher.combine(3); hasher.combine(n)
        case .bool(let b): hasher.combine(4); hasher.combine(b)
        case .null: hasher.combine(5)
        }
    }

    /// Parses a whole document.
    public static func parse(_ bytes: UnsafeRawBufferPointer, payload: StaticString = "json") throws(BinanceDecodeError) -> JSONValue {
        var c = JSONCursor(bytes, payload: payload)
        let value = try parse(&c, field: "")
        try c.finish()
        return value
    }

    public static func parse(_ text: String, payload: StaticString = "json") throws(BinanceDecodeError) -> JSONValue {
        var copy = text
        let result: Result<_, BinanceDecodeError> = copy.withUTF8 { buffer in Result { () throws(BinanceDecodeError) in try parse(UnsafeRawBufferPointer(buffer), payload: payload) } }
        return try result.get()
    }

    public static func parse(_ bytes: [UInt8], payload: StaticString = "json") throws(BinanceDecodeError) -> JSONValue {
        let result: Result<JSONValue, BinanceDecodeError> = bytes.withUnsafeBytes { raw in
            Result { () throws(BinanceDecodeError) in try parse(raw, payload: payload) }
        }
        return try result.get()
    }

    static func parse(_ c: inout JSONCursor, field: String) throws(BinanceDecodeError) -> JSONValue {
        guard let next = c.peek() else { throw c.malformed(field, expected: "a value") }
        switch next {
        case UInt8(ascii: "{"):
            c.index += 1
            var members: [(key: String, value: JSONValue)] = []
            var first = true
            while let key = try c.nextKey(first: &first) {
                let bytes = UnsafeBufferPointer(start: c.base + key.lowerBound, count: key.count)
                let name = bytes.contains(UInt8(ascii: "\\")) ? (JSONCursor.unescape(bytes) ?? c.keyText(key)) : c.keyText(key)
                members.append((name, try parse(&c, field: field.isEmpty ? name : field + "." + name)))
            }
            return .object(members)
        case UInt8(ascii: "["):
            c.index += 1
            var elements: [JSONValue] = []
            var first = true
            while try c.nextElement(first: &first, field: field) {
                elements.append(try parse(&c, field: "\(field)[\(elements.count)]"))
            }
            return .array(elements)
        case UInt8(ascii: "\""):
            return .string(try c.string(field))
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            return .bool(try c.bool(field))
        case UInt8(ascii: "n"):
            guard c.null() else { throw c.malformed(field, expected: "null") }
            return .null
        default:
            let range = try c.numberRange(field)
            return .number(c.keyText(range))
        }
    }

    /// The JSON type's name, for error messages and shape comparisons.
    public var typeName: String {
        switch self {
        case .object: return "object"
        case .array: return "array"
        case .string: return "string"
        case .number: return "number"
        case .bool: return "boolean"
        case .null: return "null"
        }
    }

    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// Compact JSON text (keys in their order; numbers as received).
    public var jsonText: String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .object(let members):
            out += "{"
            for (i, m) in members.enumerated() {
                if i > 0 { out += "," }
                JSONValue.string(m.key).write(to: &out)
                out += ":"
                m.value.write(to: &out)
            }
            out += "}"
        case .array(let elements):
            out += "["
            for (i, e) in elements.enumerated() {
                if i > 0 { out += "," }
                e.write(to: &out)
            }
            out += "]"
        case .string(let s):
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
        case .number(let n): out += n
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        }
    }
}

/// Field access on a parsed object with errors that name the payload and the full field path.
public struct JSONFields: Sendable {
    public let value: JSONValue
    public let payload: String
    public let path: String

    public init(_ value: JSONValue, payload: String, path: String = "") throws(BinanceDecodeError) {
        guard case .object = value else {
            throw BinanceDecodeError(payload: payload, field: path, reason: .wrongType(expected: "an object"))
        }
        self.value = value
        self.payload = payload
        self.path = path
    }

    func name(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func error(_ key: String, _ reason: BinanceDecodeError.Reason) -> BinanceDecodeError {
        BinanceDecodeError(payload: payload, field: name(key), reason: reason)
    }

    public func has(_ key: String) -> Bool { value[key] != nil }

    func required(_ key: String) throws(BinanceDecodeError) -> JSONValue {
        guard let v = value[key] else { throw error(key, .missing) }
        return v
    }

    public func string(_ key: String) throws(BinanceDecodeError) -> String {
        guard case .string(let s) = try required(key) else { throw error(key, .wrongType(expected: "a string")) }
        return s
    }

    public func optionalString(_ key: String) throws(BinanceDecodeError) -> String? {
        switch value[key] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        default: throw error(key, .wrongType(expected: "a string"))
        }
    }

    /// A decimal string (Binance's money and quantities); a plain number is accepted too.
    public func decimal(_ key: String) throws(BinanceDecodeError) -> Decimal8 {
        let text: String
        switch try required(key) {
        case .string(let s): text = s
        case .number(let n): text = n
        default: throw error(key, .wrongType(expected: "a decimal string"))
        }
        guard let d = try? Decimal8(parsing: text) else { throw error(key, .invalidDecimal(text)) }
        return d
    }

    public func optionalDecimal(_ key: String) throws(BinanceDecodeError) -> Decimal8? {
        switch value[key] {
        case nil, .null?: return nil
        default: return try decimal(key)
        }
    }

    /// An integer number; digit strings are accepted too (ccxt's recordings stringify ids).
    public func int64(_ key: String) throws(BinanceDecodeError) -> Int64 {
        switch try required(key) {
        case .number(let n), .string(let n):
            guard let v = Int64(n) else { throw error(key, .wrongType(expected: "an integer")) }
            return v
        default:
            throw error(key, .wrongType(expected: "an integer"))
        }
    }

    public func optionalInt64(_ key: String) throws(BinanceDecodeError) -> Int64? {
        switch value[key] {
        case nil, .null?: return nil
        default: return try int64(key)
        }
    }

    /// Milliseconds since the epoch as a `Timestamp`, range-checked.
    public func timestamp(_ key: String) throws(BinanceDecodeError) -> Timestamp {
        let ms = try int64(key)
        guard abs(ms) <= JSONCursor.maxMilliseconds else { throw error(key, .invalidValue("time \(ms) ms is out of range")) }
        return Timestamp(milliseconds: ms)
    }

    public func optionalTimestamp(_ key: String) throws(BinanceDecodeError) -> Timestamp? {
        switch value[key] {
        case nil, .null?: return nil
        default: return try timestamp(key)
        }
    }

    public func bool(_ key: String) throws(BinanceDecodeError) -> Bool {
        guard case .bool(let b) = try required(key) else { throw error(key, .wrongType(expected: "a boolean")) }
        return b
    }

    public func optionalBool(_ key: String) throws(BinanceDecodeError) -> Bool? {
        switch value[key] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        default: throw error(key, .wrongType(expected: "a boolean"))
        }
    }

    public func array(_ key: String) throws(BinanceDecodeError) -> [JSONValue] {
        guard case .array(let a) = try required(key) else { throw error(key, .wrongType(expected: "an array")) }
        return a
    }

    public func optionalArray(_ key: String) throws(BinanceDecodeError) -> [JSONValue] {
        switch value[key] {
        case nil, .null?: return []
        case .array(let a)?: return a
        default: throw error(key, .wrongType(expected: "an array"))
        }
    }

    public func object(_ key: String) throws(BinanceDecodeError) -> JSONFields {
        try JSONFields(try required(key), payload: payload, path: name(key))
    }

    public func objects(_ key: String) throws(BinanceDecodeError) -> [JSONFields] {
        var out: [JSONFields] = []
        for (i, element) in try array(key).enumerated() {
            out.append(try JSONFields(element, payload: payload, path: "\(name(key))[\(i)]"))
        }
        return out
    }

    public func optionalObjects(_ key: String) throws(BinanceDecodeError) -> [JSONFields] {
        guard has(key) else { return [] }
        if case .null? = value[key] { return [] }
        return try objects(key)
    }

    public func strings(_ key: String) throws(BinanceDecodeError) -> [String] {
        var out: [String] = []
        for (i, element) in try optionalArray(key).enumerated() {
            guard case .string(let s) = element else { throw error("\(key)[\(i)]", .wrongType(expected: "a string")) }
            out.append(s)
        }
        return out
    }
}

extension JSONValue {
    /// An object's members (empty for other values).
    public var objectPairs: [(key: String, value: JSONValue)] {
        if case .object(let members) = self { return members }
        return []
    }
}
