/// A point in time as nanoseconds since the Unix epoch (UTC). Cores receive it; they never read a clock.
public struct Timestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    public init(milliseconds: Int64) { self.nanoseconds = milliseconds * 1_000_000 }

    public static let zero = Timestamp(nanoseconds: 0)

    public var milliseconds: Int64 { nanoseconds / 1_000_000 }
    public var microseconds: Int64 { nanoseconds / 1_000 }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public func adding(milliseconds: Int64) -> Timestamp { Timestamp(nanoseconds: nanoseconds + milliseconds * 1_000_000) }
    public func adding(nanoseconds delta: Int64) -> Timestamp { Timestamp(nanoseconds: nanoseconds + delta) }

    /// The UTC day number (days since 1970-01-01), for daily limits.
    public var utcDay: Int64 {
        let ms = milliseconds
        return ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
    }

    /// ISO-8601 UTC with milliseconds, computed without Foundation: "2024-08-05T00:00:00.000Z".
    public var description: String {
        let ms = milliseconds
        let day = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
        let msOfDay = ms - day * 86_400_000
        let (y, m, d) = Timestamp.civil(fromDays: day)
        let h = msOfDay / 3_600_000, mi = (msOfDay / 60_000) % 60, s = (msOfDay / 1000) % 60, f = msOfDay % 1000
        func pad(_ v: Int64, _ n: Int) -> String { let t = String(v); return String(repeating: "0", count: max(0, n - t.count)) + t }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(h, 2)):\(pad(mi, 2)):\(pad(s, 2)).\(pad(f, 3))Z"
    }

    /// Howard Hinnant's days-to-civil algorithm.
    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}

extension Timestamp {
    /// Midnight UTC of a "YYYY-MM-DD" date, or nil when the text is not a valid date.
    public init?(utcDate text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int64(parts[0]), let m = Int64(parts[1]), let d = Int64(parts[2]),
              (1...12).contains(m), (1...31).contains(d) else { return nil }
        let days = Timestamp.days(fromCivil: y, m, d)
        // Reject dates like 2024-02-31 by a round trip.
        let back = Timestamp.civil(fromDays: days)
        guard back == (y, m, d) else { return nil }
        self.init(milliseconds: days * 86_400_000)
    }

    /// Howard Hinnant's days-from-civil algorithm.
    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = m > 2 ? m - 3 : m + 9
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
