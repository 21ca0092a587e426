/// An intent id: 20 characters of [A-Za-z0-9], time-ordered (milliseconds first) and random after.
/// The shell makes ids (it owns the clock and the randomness) and passes them to cores.
public struct IntentID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: String

    static let alphabet: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    /// 8 base-62 digits hold milliseconds until the year 8888; the other 12 are random.
    static let timeDigits = 8
    public static let length = 20

    public init?(_ rawValue: String) {
        let bytes = Array(rawValue.utf8)
        guard bytes.count == Self.length, bytes.allSatisfy({ Self.alphabet.contains($0) }) else { return nil }
        self.rawValue = rawValue
    }

    /// Makes an id from a time and random bits.
    public init(milliseconds: Int64, random: UInt64) {
        precondition(milliseconds >= 0, "negative time for an intent id")
        var bytes = [UInt8](repeating: 0, count: Self.length)
        var t = UInt64(milliseconds)
        for i in stride(from: Self.timeDigits - 1, through: 0, by: -1) {
            bytes[i] = Self.alphabet[Int(t % 62)]
            t /= 62
        }
        var state = random
        for i in Self.timeDigits..<Self.length {
            // SplitMix64 step: each digit comes from fresh, well-mixed bits of the seed.
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            bytes[i] = Self.alphabet[Int(z % 62)]
        }
        self.rawValue = String(decoding: bytes, as: UTF8.self)
    }

    /// The milliseconds encoded in the first eight characters.
    public var milliseconds: Int64 {
        var t: Int64 = 0
        for byte in rawValue.utf8.prefix(Self.timeDigits) {
            t = t * 62 + Int64(Self.alphabet.firstIndex(of: byte)!)
        }
        return t
    }

    public var description: String { rawValue }
    public static func < (lhs: IntentID, rhs: IntentID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Binance client order id for one leg: "q" + id + "-" + leg + optional retry digit (≤ 25 chars).
    public func clientOrderID(leg: ExecutionReport.Leg, retry: Int? = nil) -> String {
        var text = "q" + rawValue + "-" + leg.rawValue
        if let retry {
            precondition((0...9).contains(retry), "retry digit out of range")
            text += String(retry)
        }
        return text
    }
}
