/// The reconnect delay of the WebSocket clients (market streams and the user-data stream): the cap
/// doubles per consecutive failure from `base` up to `max`; half of it is fixed and half jitter,
/// so a delay is never zero and reconnecting clients never move as one herd.
enum ReconnectBackoff {
    /// The delay after `failures` consecutive failures (≥ 1), with `unit` in [0, 1) drawn by ``jitterUnit(_:)``.
    static func delay(failures: Int, base: Duration, max: Duration, unit: Double) -> Duration {
        let cap = min(max, base * (1 << min(failures - 1, 16)))
        return cap / 2 + (cap / 2) * unit
    }

    /// Advances a xorshift64 state and returns a uniform value in [0, 1).
    static func jitterUnit(_ state: inout UInt64) -> Double {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Double(state >> 11) / Double(1 << 53)
    }
}
