import Domain

/// Why a Binance payload was refused: which payload, which field, and what was wrong with it.
public struct BinanceDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// The bytes are not JSON (or end too early) at this byte offset.
        case malformedJSON(offset: Int, expected: String)
        /// A required field is absent.
        case missing
        /// The field holds another JSON type.
        case wrongType(expected: String)
        /// A decimal string that is not a plain decimal with at most 8 significant fraction digits.
        case invalidDecimal(String)
        /// A value outside the field's domain (an unknown interval, a negative id...).
        case invalidValue(String)
    }

    public var payload: String
    public var field: String
    public var reason: Reason

    public init(payload: String, field: String, reason: Reason) {
        self.payload = payload
        self.field = field
        self.reason = reason
    }

    public var description: String {
        let place = field.isEmpty ? payload : "\(payload).\(field)"
        switch reason {
        case .malformedJSON(let offset, let expected): return "\(place): malformed JSON at byte \(offset) (expected \(expected))"
        case .missing: return "\(place): missing"
        case .wrongType(let expected): return "\(place): expected \(expected)"
        case .invalidDecimal(let text): return "\(place): not a decimal: \(text)"
        case .invalidValue(let text): return "\(place): invalid value: \(text)"
        }
    }
}

/// A forward-only reader over JSON bytes, for the hot decoders (depth diffs, klines, trades): no
/// allocation but for the values it returns. It validates what it reads and skips what it does not
/// need; every error names the payload and field being read.
struct JSONCursor {
    let base: UnsafePointer<UInt8>
    let end: Int
    var index: Int
    let payload: StaticString

    init(_ bytes: UnsafeRawBufferPointer, payload: StaticString) {
        self.base = bytes.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) } ?? UnsafePointer(bitPattern: 1)!
        self.end = bytes.count
        self.index = 0
        self.payload = payload
    }

    init(base: UnsafePointer<UInt8>, start: Int, end: Int, payload: StaticString) {
        self.base = base
        self.end = end
        self.index = start
        self.payload = payload
    }

    // MARK: errors

    func error(_ field: String, _ reason: BinanceDecodeError.Reason) -> BinanceDecodeError {
        BinanceDecodeError(payload: "\(payload)", field: field, reason: reason)
    }

    func malformed(_ field: String, expected: String) -> BinanceDecodeError {
        error(field, .malformedJSON(offset: index, expected: expected))
    }

    // MARK: structure

    @inline(__always)
    mutating func skipWhitespace() {
        while index < end {
            let c = base[index]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { index += 1 } else { return }
        }
    }

    @inline(__always)
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return index < end ? base[index] : nil
    }

    @inline(__always)
    mutating func consume(_ c: UInt8, field: String, expected: String) throws(BinanceDecodeError) {
        skipWhitespace()
        guard index < end, base[index] == c else { throw malformed(field, expected: expected) }
        index += 1
    }

    /// Consumes `{` (the field names the object for the error).
    mutating func beginObject(_ field: String = "") throws(BinanceDecodeError) {
        skipWhitespace()
        guard index < end else { throw malformed(field, expected: "an object") }
        guard base[index] == UInt8(ascii: "{") else { throw error(field, .wrongType(expected: "an object")) }
        index += 1
    }

    /// Consumes `[`.
    mutating func beginArray(_ field: String) throws(BinanceDecodeError) {
        skipWhitespace()
        guard index < end else { throw malformed(field, expected: "an array") }
        guard base[index] == UInt8(ascii: "[") else { throw error(field, .wrongType(expected: "an array")) }
        index += 1
    }

    /// Inside an object: the next key (as a byte range), or nil at the closing `}`. Handles commas.
    /// `first` is true before the first key.
    mutating func nextKey(first: inout Bool) throws(BinanceDecodeError) -> Range<Int>? {
        skipWhitespace()
        guard index < end else { throw malformed("", expected: "a key or }") }
        if base[index] == UInt8(ascii: "}") { index += 1; return nil }
        if !first {
            guard base[index] == UInt8(ascii: ",") else { throw malformed("", expected: ", or }") }
            index += 1
            skipWhitespace()
        }
        first = false
        guard index < end, base[index] == UInt8(ascii: "\"") else { throw malformed("", expected: "a key") }
        let range = try rawString("key")
        skipWhitespace()
        guard index < end, base[index] == UInt8(ascii: ":") else { throw malformed(keyText(range), expected: ":") }
        index += 1
        return range
    }

    /// Inside an array: true when another element follows (consuming the comma), false at `]`.
    mutating func nextElement(first: inout Bool, field: String) throws(BinanceDecodeError) -> Bool {
        skipWhitespace()
        guard index < end else { throw malformed(field, expected: "an element or ]") }
        if base[index] == UInt8(ascii: "]") { index += 1; return false }
        if !first {
            guard base[index] == UInt8(ascii: ",") else { throw malformed(field, expected: ", or ]") }
            index += 1
        }
        first = false
        return true
    }

    func keyText(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(start: base + range.lowerBound, count: range.count), as: UTF8.self)
    }

    /// Whether the key range equals `name` (ASCII).
    @inline(__always)
    func key(_ range: Range<Int>, is name: StaticString) -> Bool {
        guard range.count == name.utf8CodeUnitCount else { return false }
        let p = name.utf8Start
        for i in 0..<range.count where base[range.lowerBound + i] != p[i] { return false }
        return true
    }

    /// A one-character key's byte, or 0.
    @inline(__always)
    func singleByteKey(_ range: Range<Int>) -> UInt8 {
        range.count == 1 ? base[range.lowerBound] : 0
    }

    // MARK: scalars

    /// The bytes inside a string (escapes left in place; the caller unescapes when needed).
    mutating func rawString(_ field: String) throws(BinanceDecodeError) -> Range<Int> {
        skipWhitespace()
        guard index < end else { throw malformed(field, expected: "a string") }
        guard base[index] == UInt8(ascii: "\"") else { throw error(field, .wrongType(expected: "a string")) }
        index += 1
        let start = index
        while index < end {
            let c = base[index]
            if c == UInt8(ascii: "\"") {
                let range = start..<index
                index += 1
                return range
            }
            if c == UInt8(ascii: "\\") { index += 2; continue }
            if c < 0x20 { throw malformed(field, expected: "a closing quote") }
            index += 1
        }
        throw malformed(field, expected: "a closing quote")
    }

    /// A string value, unescaped.
    mutating func string(_ field: String) throws(BinanceDecodeError) -> String {
        let range = try rawString(field)
        let bytes = UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
        if !bytes.contains(UInt8(ascii: "\\")) { return String(decoding: bytes, as: UTF8.self) }
        guard let text = JSONCursor.unescape(bytes) else { throw error(field, .invalidValue("bad escape")) }
        return text
    }

    /// The unescaped text of a string range with escapes in it.
    func unescaped(_ range: Range<Int>, field: String) throws(BinanceDecodeError) -> String {
        guard let text = JSONCursor.unescape(UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)) else {
            throw error(field, .invalidValue("bad escape"))
        }
        return text
    }

    /// A decimal written as a JSON string ("61837.63000000"), as Binance writes prices and quantities.
    /// One pass over the bytes for the common shape (optional "-", digits, optional fraction);
    /// anything else (escapes, "+", too many digits, bad characters) takes the general path, which
    /// also produces the precise error.
    @inline(__always)
    mutating func decimal(_ field: String) throws(BinanceDecodeError) -> Decimal8 {
        skipWhitespace()
        if index < end, base[index] == UInt8(ascii: "\"") {
            var i = index + 1
            var negative = false
            if i < end, base[i] == UInt8(ascii: "-") { negative = true; i += 1 }
            var whole: Int64 = 0
            var wholeDigits = 0
            while i < end {
                let d = base[i] &- UInt8(ascii: "0")
                guard d < 10 else { break }
                whole = whole &* 10 &+ Int64(d)
                wholeDigits += 1
                i += 1
            }
            var fraction: Int64 = 0
            var fractionDigits = 0
            var fastPath = wholeDigits > 0 && wholeDigits <= 11
            if fastPath, i < end, base[i] == UInt8(ascii: ".") {
                i += 1
                while i < end {
                    let d = base[i] &- UInt8(ascii: "0")
                    guard d < 10 else { break }
                    if fractionDigits < 8 {
                        fraction = fraction &* 10 &+ Int64(d)
                        fractionDigits += 1
                    } else if d != 0 {
                        fastPath = false
                        break
                    }
                    i += 1
                }
            }
            if fastPath, i < end, base[i] == UInt8(ascii: "\"") {
                let units = whole &* 100_000_000 &+ fraction &* JSONCursor.fractionScale(fractionDigits)
                // 11 whole digits can exceed Int64 units only above 92,233,720,368.
                if whole <= 92_233_720_368 && units >= 0 {
                    index = i + 1
                    return Decimal8(units: negative ? -units : units)
                }
            }
        }
        return try generalDecimal(field)
    }

    /// 10^(8 − digits): what a fraction with `digits` digits is multiplied by to become units.
    @inline(__always)
    static func fractionScale(_ digits: Int) -> Int64 {
        switch digits {
        case 0: return 100_000_000
        case 1: return 10_000_000
        case 2: return 1_000_000
        case 3: return 100_000
        case 4: return 10_000
        case 5: return 1_000
        case 6: return 100
        case 7: return 10
        default: return 1
        }
    }

    mutating func generalDecimal(_ field: String) throws(BinanceDecodeError) -> Decimal8 {
        let range = try rawString(field)
        do {
            return try Decimal8(utf8: UnsafeBufferPointer(start: base + range.lowerBound, count: range.count))
        } catch {
            throw self.error(field, .invalidDecimal(keyText(range)))
        }
    }

    /// A decimal written as a JSON string or, leniently, as a plain JSON number.
    mutating func lenientDecimal(_ field: String) throws(BinanceDecodeError) -> Decimal8 {
        skipWhitespace()
        if index < end, base[index] == UInt8(ascii: "\"") { return try decimal(field) }
        let range = try numberRange(field)
        do {
            return try Decimal8(utf8: UnsafeBufferPointer(start: base + range.lowerBound, count: range.count))
        } catch {
            throw self.error(field, .invalidDecimal(keyText(range)))
        }
    }

    /// An integer JSON number (ids, millisecond times, counts).
    @inline(__always)
    mutating func int64(_ field: String) throws(BinanceDecodeError) -> Int64 {
        skipWhitespace()
        guard index < end else { throw malformed(field, expected: "an integer") }
        var negative = false
        if base[index] == UInt8(ascii: "-") { negative = true; index += 1 }
        let start = index
        var value: Int64 = 0
        while index < end {
            let d = base[index] &- UInt8(ascii: "0")
            if d >= 10 { break }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(d))
            if o1 || o2 { throw error(field, .invalidValue("integer overflow")) }
            value = a
            index += 1
        }
        if index == start {
            if index < end, base[index] == UInt8(ascii: "\"") || base[index] == UInt8(ascii: "n") || base[index] == UInt8(ascii: "t") || base[index] == UInt8(ascii: "f") || base[index] == UInt8(ascii: "{") || base[index] == UInt8(ascii: "[") {
                throw error(field, .wrongType(expected: "an integer"))
            }
            throw malformed(field, expected: "an integer")
        }
        if index < end, base[index] == UInt8(ascii: ".") || base[index] == UInt8(ascii: "e") || base[index] == UInt8(ascii: "E") {
            throw error(field, .wrongType(expected: "an integer"))
        }
        return negative ? -value : value
    }

    /// Milliseconds since the epoch, checked to fit a nanosecond `Timestamp` (years 1678...2262).
    @inline(__always)
    mutating func milliseconds(_ field: String) throws(BinanceDecodeError) -> Int64 {
        let value = try int64(field)
        guard abs(value) <= JSONCursor.maxMilliseconds else { throw error(field, .invalidValue("time \(value) ms is out of range")) }
        return value
    }

    static let maxMilliseconds: Int64 = Int64.max / 1_000_000

    /// An integer written as a number or, leniently, as a string of digits (ccxt's recordings).
    mutating func lenientInt64(_ field: String) throws(BinanceDecodeError) -> Int64 {
        skipWhitespace()
        if index < end, base[index] == UInt8(ascii: "\"") {
            let range = try rawString(field)
            var inner = JSONCursor(base: base, start: range.lowerBound, end: range.upperBound, payload: payload)
            let value = try inner.int64(field)
            guard inner.index == range.upperBound else { throw error(field, .wrongType(expected: "an integer")) }
            return value
        }
        return try int64(field)
    }

    mutating func bool(_ field: String) throws(BinanceDecodeError) -> Bool {
        skipWhitespace()
        if matchLiteral("true") { return true }
        if matchLiteral("false") { return false }
        throw error(field, .wrongType(expected: "a boolean"))
    }

    /// Consumes `null` if it is next.
    mutating func null() -> Bool {
        skipWhitespace()
        return matchLiteral("null")
    }

    @inline(__always)
    mutating func matchLiteral(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard index + n <= end else { return false }
        let p = literal.utf8Start
        for i in 0..<n where base[index + i] != p[i] { return false }
        index += n
        return true
    }

    mutating func numberRange(_ field: String) throws(BinanceDecodeError) -> Range<Int> {
        skipWhitespace()
        let start = index
        while index < end {
            let c = base[index]
            if (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
                || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                index += 1
            } else {
                break
            }
        }
        guard index > start else { throw error(field, .wrongType(expected: "a number")) }
        return start..<index
    }

    /// Skips any value (validating its structure). The field name is built only for an error.
    mutating func skipValue(_ field: @autoclosure () -> String) throws(BinanceDecodeError) {
        skipWhitespace()
        guard index < end else { throw malformed(field(), expected: "a value") }
        switch base[index] {
        case UInt8(ascii: "\""):
            _ = try rawString(field())
        case UInt8(ascii: "{"):
            index += 1
            var first = true
            while try nextKey(first: &first) != nil { try skipValue(field()) }
        case UInt8(ascii: "["):
            index += 1
            var first = true
            while try nextElement(first: &first, field: field()) { try skipValue(field()) }
        case UInt8(ascii: "t"):
            guard matchLiteral("true") else { throw malformed(field(), expected: "true") }
        case UInt8(ascii: "f"):
            guard matchLiteral("false") else { throw malformed(field(), expected: "false") }
        case UInt8(ascii: "n"):
            guard matchLiteral("null") else { throw malformed(field(), expected: "null") }
        default:
            let start = index
            while index < end {
                let c = base[index]
                if (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
                    || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                    index += 1
                } else {
                    break
                }
            }
            guard index > start else { throw error(field(), .wrongType(expected: "a number")) }
        }
    }

    /// Skips the value of an unneeded key; the key's name is built only for an error.
    mutating func skip(key: Range<Int>, prefix: String = "") throws(BinanceDecodeError) {
        let base = self.base
        try skipValue(prefix + String(decoding: UnsafeBufferPointer(start: base + key.lowerBound, count: key.count), as: UTF8.self))
    }

    /// After the top-level value: only whitespace may follow.
    mutating func finish() throws(BinanceDecodeError) {
        skipWhitespace()
        guard index == end else { throw malformed("", expected: "the end of the payload") }
    }

    /// `[[price, qty], ...]` with decimal strings.
    mutating func levels(_ field: String, into levels: inout [PriceLevel]) throws(BinanceDecodeError) {
        try beginArray(field)
        if levels.capacity < 32 { levels.reserveCapacity(32) }
        var first = true
        while try nextElement(first: &first, field: field) {
            try beginArray(field)
            let price = try decimal(field)
            try consume(UInt8(ascii: ","), field: field, expected: ",")
            let quantity = try decimal(field)
            // Tolerate extra elements (some venues append fields); Binance sends pairs.
            var more = false
            while try nextElement(first: &more, field: field) { try skipValue(field) }
            levels.append(PriceLevel(price: price, quantity: quantity))
        }
    }

    static func unescape(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            guard c == UInt8(ascii: "\\") else { out.append(c); i += 1; continue }
            guard i + 1 < bytes.count else { return nil }
            let e = bytes[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard i + 4 <= bytes.count, var scalar = hex4(bytes, i) else { return nil }
                i += 4
                if (0xD800..<0xDC00).contains(scalar) {
                    guard i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u"),
                          let low = hex4(bytes, i + 2), (0xDC00..<0xE000).contains(low) else { return nil }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                guard let u = Unicode.Scalar(scalar) else { return nil }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                return nil
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    static func hex4(_ bytes: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32? {
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = bytes[at + k]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: return nil
            }
            v = v << 4 | d
        }
        return v
    }
}
