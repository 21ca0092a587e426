/// A Binance kline interval ("1m", "5m", "1h", ...) and its length.
public struct Interval: Sendable, Hashable, Codable, CustomStringConvertible {
    public let name: String
    public let milliseconds: Int64

    static let known: [String: Int64] = [
        "1s": 1_000, "1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000,
        "1h": 3_600_000, "2h": 7_200_000, "4h": 14_400_000, "6h": 21_600_000, "8h": 28_800_000,
        "12h": 43_200_000, "1d": 86_400_000, "3d": 259_200_000, "1w": 604_800_000,
    ]

    /// Every interval with a fixed length, shortest first.
    public static let all: [Interval] = known.sorted { $0.value < $1.value }.map { Interval(name: $0.key, milliseconds: $0.value) }

    init(name: String, milliseconds: Int64) {
        self.name = name
        self.milliseconds = milliseconds
    }

    /// The interval named by these UTF-8 bytes, sharing the stored name (no allocation).
    public static func named(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Interval? {
        for interval in all where interval.name.utf8.count == bytes.count && interval.name.utf8.elementsEqual(bytes) {
            return interval
        }
        return nil
    }

    /// Accepts Binance's names; `1M` (calendar month) has no fixed length and is refused.
    public init?(_ name: String) {
        guard let ms = Interval.known[name] else { return nil }
        self.name = name
        self.milliseconds = ms
    }

    public static let oneMinute = Interval("1m")!
    public static let fiveMinutes = Interval("5m")!

    public var description: String { name }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Interval(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown interval \"\(text)\"")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
