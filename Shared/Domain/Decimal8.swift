/// An exact decimal with eight fractional digits, stored as a count of 1e-8 units in an `Int64`.
///
/// Binance writes every price and quantity with at most eight decimals ("61837.63000000"), so this
/// type holds all of them exactly. Arithmetic that can lose digits (multiplication, division,
/// rounding to a step) takes an explicit rounding rule. Overflow is a broken invariant and traps;
/// parsing never traps and throws `Decimal8.ParseError` instead.
public struct Decimal8: Sendable, Hashable, Comparable {
    /// Units per whole: 10^8.
    public static let scale: Int64 = 100_000_000
    public static let fractionDigits = 8
    public static let zero = Decimal8(units: 0)
    public static let one = Decimal8(units: scale)

    /// The value in 1e-8 units.
    public var units: Int64

    public init(units: Int64) { self.units = units }

    public init(_ integer: Int) { self.units = Int64(integer) * Self.scale }

    /// Converts a binary floating-point value (a configuration fraction, a model output) by rounding
    /// it to the nearest 1e-8. Never use this for exchange prices: parse their strings instead.
    public init(_ value: Double, rounding rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero) {
        precondition(value.isFinite, "Decimal8 from a non-finite Double")
        let scaled = (value * Double(Self.scale)).rounded(rule)
        precondition(abs(scaled) < 9.2e18, "Decimal8 overflow from Double \(value)")
        self.units = Int64(scaled)
    }

    public var doubleValue: Double { Double(units) / Double(Self.scale) }

    public var isZero: Bool { units == 0 }
    public var isNegative: Bool { units < 0 }

    public static func < (lhs: Decimal8, rhs: Decimal8) -> Bool { lhs.units < rhs.units }
    public static func + (lhs: Decimal8, rhs: Decimal8) -> Decimal8 { Decimal8(units: lhs.units + rhs.units) }
    public static func - (lhs: Decimal8, rhs: Decimal8) -> Decimal8 { Decimal8(units: lhs.units - rhs.units) }
    public static prefix func - (value: Decimal8) -> Decimal8 { Decimal8(units: -value.units) }
    public static func += (lhs: inout Decimal8, rhs: Decimal8) { lhs.units += rhs.units }
    public static func -= (lhs: inout Decimal8, rhs: Decimal8) { lhs.units -= rhs.units }

    /// `self × other`, rounded to 1e-8 by `rule`.
    public func multiplied(by other: Decimal8, rounding rule: FloatingPointRoundingRule = .toNearestOrEven) -> Decimal8 {
        let product = Int128(units) * Int128(other.units)
        return Decimal8(units: Self.narrow(Self.divide(product, by: Int128(Self.scale), rule)))
    }

    /// `self ÷ other`, rounded to 1e-8 by `rule`. Dividing by zero is a broken invariant.
    public func divided(by other: Decimal8, rounding rule: FloatingPointRoundingRule = .toNearestOrEven) -> Decimal8 {
        precondition(other.units != 0, "Decimal8 division by zero")
        let numerator = Int128(units) * Int128(Self.scale)
        return Decimal8(units: Self.narrow(Self.divide(numerator, by: Int128(other.units), rule)))
    }

    /// The nearest multiple of `step` by `rule` (a tick size for prices, a step size for quantities).
    /// A zero step leaves the value unchanged.
    public func rounded(toMultipleOf step: Decimal8, rule: FloatingPointRoundingRule) -> Decimal8 {
        guard step.units != 0 else { return self }
        let count = Self.divide(Int128(units), by: Int128(abs(step.units)), rule)
        return Decimal8(units: Self.narrow(count * Int128(abs(step.units))))
    }

    public var magnitude: Decimal8 { Decimal8(units: abs(units)) }

    static func narrow(_ value: Int128) -> Int64 {
        precondition(value <= Int128(Int64.max) && value >= Int128(Int64.min), "Decimal8 overflow")
        return Int64(value)
    }

    /// Integer division of `n` by `d` (d ≠ 0) with the given rounding of the exact quotient.
    static func divide(_ n: Int128, by d: Int128, _ rule: FloatingPointRoundingRule) -> Int128 {
        let q = n / d          // truncates toward zero
        let r = n % d          // has the sign of n
        if r == 0 { return q }
        let negative = (n < 0) != (d < 0)
        let twiceR = (r < 0 ? -r : r) * 2
        let absD = d < 0 ? -d : d
        switch rule {
        case .towardZero:
            return q
        case .awayFromZero:
            return negative ? q - 1 : q + 1
        case .down:
            return negative ? q - 1 : q
        case .up:
            return negative ? q : q + 1
        case .toNearestOrAwayFromZero:
            if twiceR >= absD { return negative ? q - 1 : q + 1 }
            return q
        case .toNearestOrEven:
            if twiceR > absD || (twiceR == absD && q % 2 != 0) { return negative ? q - 1 : q + 1 }
            return q
        @unknown default:
            return q
        }
    }
}

extension Decimal8 {
    /// Why a decimal string was refused.
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case empty
        case invalidCharacter(String)
        case tooManyFractionDigits(String)
        case overflow(String)

        public var description: String {
            switch self {
            case .empty: return "empty decimal string"
            case .invalidCharacter(let s): return "not a decimal number: \"\(s)\""
            case .tooManyFractionDigits(let s): return "more than 8 significant fraction digits: \"\(s)\""
            case .overflow(let s): return "decimal out of range: \"\(s)\""
            }
        }
    }

    /// Parses "61837.63000000", "-0.5", "3", "1e-8" is refused (Binance never writes exponents).
    /// More than eight fraction digits are accepted only when the extra digits are zeros.
    public init(parsing text: some StringProtocol) throws(ParseError) {
        var copy = String(text)
        let result: Result<Decimal8, ParseError> = copy.withUTF8 { bytes in
            Result { () throws(ParseError) -> Decimal8 in try Decimal8(utf8: bytes) }
        }
        self = try result.get()
    }

    /// The same parse straight from UTF-8 bytes (the decoders' hot path: no allocation unless it fails).
    public init(utf8 bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) {
        let count = bytes.count
        guard count > 0, let base = bytes.baseAddress else { throw .empty }
        var index = 0
        var negative = false
        if base[0] == UInt8(ascii: "-") || base[0] == UInt8(ascii: "+") {
            negative = base[0] == UInt8(ascii: "-")
            index = 1
        }
        var whole: Int64 = 0
        var fraction: Int64 = 0
        var fractionDigits = 0
        var sawDigit = false
        var sawPoint = false
        while index < count {
            let c = base[index]
            let digit = c &- UInt8(ascii: "0")
            if digit < 10 {
                sawDigit = true
                if sawPoint {
                    if fractionDigits < Self.fractionDigits {
                        fraction = fraction &* 10 &+ Int64(digit)
                        fractionDigits += 1
                    } else if digit != 0 {
                        throw .tooManyFractionDigits(String(decoding: bytes, as: UTF8.self))
                    }
                } else {
                    let (m, o1) = whole.multipliedReportingOverflow(by: 10)
                    let (a, o2) = m.addingReportingOverflow(Int64(digit))
                    if o1 || o2 { throw .overflow(String(decoding: bytes, as: UTF8.self)) }
                    whole = a
                }
            } else if c == UInt8(ascii: ".") && !sawPoint {
                sawPoint = true
            } else {
                throw .invalidCharacter(String(decoding: bytes, as: UTF8.self))
            }
            index += 1
        }
        guard sawDigit else { throw .invalidCharacter(String(decoding: bytes, as: UTF8.self)) }
        while fractionDigits < Self.fractionDigits {
            fraction &*= 10
            fractionDigits += 1
        }
        let (scaled, o1) = whole.multipliedReportingOverflow(by: Self.scale)
        let (total, o2) = scaled.addingReportingOverflow(fraction)
        if o1 || o2 { throw .overflow(String(decoding: bytes, as: UTF8.self)) }
        self.units = negative ? -total : total
    }

    /// Failable parse, for literals in tests and configuration defaults.
    public init?(_ text: some StringProtocol) {
        guard let value = try? Decimal8(parsing: text) else { return nil }
        self = value
    }
}

extension Decimal8: CustomStringConvertible, LosslessStringConvertible {
    /// Eight fraction digits, as Binance writes them: "61837.63000000", "-0.00000001".
    public var description: String {
        let magnitude = units.magnitude
        let whole = magnitude / UInt64(Self.scale)
        let fraction = magnitude % UInt64(Self.scale)
        var fractionText = String(fraction)
        if fractionText.count < Self.fractionDigits {
            fractionText = String(repeating: "0", count: Self.fractionDigits - fractionText.count) + fractionText
        }
        return (units < 0 ? "-" : "") + String(whole) + "." + fractionText
    }

    /// The shortest exact text: "61837.63", "0.001", "5".
    public var compactDescription: String {
        var text = description
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}

extension Decimal8: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            do { self = try Decimal8(parsing: text) } catch {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
            }
        } else {
            let value = try container.decode(Double.self)
            self = Decimal8(value)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

public typealias Price = Decimal8
public typealias Quantity = Decimal8
