/// REQUEST_WEIGHT accounting per wall-clock minute (Binance counts per IP; every client of the
/// simulator is on loopback, so there is one counter).
public struct WeightLimiter: Sendable {
    public let limit: Int
    var minute: Int64 = -1
    public private(set) var used = 0

    public init(limit: Int) { self.limit = limit }

    /// Adds `weight` at wall time `milliseconds`; returns whether the request is within the limit.
    public mutating func consume(_ weight: Int, atWallMilliseconds milliseconds: Int64) -> Bool {
        let current = milliseconds / 60_000
        if current != minute {
            minute = current
            used = 0
        }
        used += weight
        return used <= limit
    }

    /// Seconds until the current minute ends (Retry-After).
    public func retryAfter(atWallMilliseconds milliseconds: Int64) -> Int {
        Int((60_000 - milliseconds % 60_000 + 999) / 1000)
    }
}
