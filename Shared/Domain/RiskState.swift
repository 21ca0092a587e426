/// The RiskGate's view of one division's capital, published on every change.
public struct RiskState: Sendable, Hashable {
    public var division: String
    public var asOf: Timestamp
    public var equity: Decimal8
    public var freeCapital: Decimal8
    public var realizedPnLToday: Decimal8
    public var openPositions: Int
    public var breakerTripped: Bool

    public init(division: String, asOf: Timestamp, equity: Decimal8, freeCapital: Decimal8, realizedPnLToday: Decimal8, openPositions: Int, breakerTripped: Bool) {
        self.division = division
        self.asOf = asOf
        self.equity = equity
        self.freeCapital = freeCapital
        self.realizedPnLToday = realizedPnLToday
        self.openPositions = openPositions
        self.breakerTripped = breakerTripped
    }
}
