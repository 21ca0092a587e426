import Domain

/// The replay clock: market time that runs at `speed` market seconds per wall second from an
/// anchor, or stands still (speed 0) until stepped. It never goes backwards.
public struct ReplayClock: Sendable {
    /// Market time at `anchorWall`.
    var anchor: Timestamp
    var anchorWall: ContinuousClock.Instant
    public private(set) var speed: Double

    public init(start: Timestamp, speed: Double, wall: ContinuousClock.Instant) {
        anchor = start
        anchorWall = wall
        self.speed = speed
    }

    /// Market time at wall instant `wall`.
    public func now(wall: ContinuousClock.Instant) -> Timestamp {
        guard speed > 0 else { return anchor }
        let elapsed = wall - anchorWall
        let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        return anchor.adding(nanoseconds: Int64(ns * speed))
    }

    /// Re-anchors at `wall` with a new speed (the market time does not jump).
    public mutating func setSpeed(_ newSpeed: Double, wall: ContinuousClock.Instant) {
        anchor = now(wall: wall)
        anchorWall = wall
        speed = newSpeed
    }

    /// Moves market time forward to `target` (ignored when it is not ahead).
    public mutating func advance(to target: Timestamp, wall: ContinuousClock.Instant) {
        let current = now(wall: wall)
        anchor = max(current, target)
        anchorWall = wall
    }
}
