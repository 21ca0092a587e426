/// The RiskGate's view of one division's capital (or of the whole portfolio, division
/// ``RiskState/portfolio``), published on every change.
public struct RiskState: Sendable, Hashable {
    /// The division name used for the portfolio-wide state.
    public static let portfolio = "portfolio"

    public var division: String
    public var asOf: Timestamp
    public var equity: Decimal8
    public var freeCapital: Decimal8
    public var realizedPnLToday: Decimal8
    public var openPositions: Int
    /// The daily-loss breaker of this division is tripped (kept for the spine's consumers; see `causes`).
    public var breakerTripped: Bool
    /// ACTIVE, REDUCING (exits only) or HALTED.
    public var tradingState: TradingState
    /// The division's share of the portfolio's capital (1 for a single division).
    public var capitalShare: Decimal8
    /// Why the state is not ACTIVE, and other active breakers: stable codes (`daily_loss_breaker`,
    /// `drawdown_halt`, …), most severe first.
    public var causes: [String]
    /// Three (configurable) consecutive losing days: the models should be retrained.
    public var retrainRequested: Bool
    /// The recovery step after a halt: "" (none), "shadow" or "reduced".
    public var recovery: String
    /// New intents of this division are shadow (paper) intents.
    public var shadow: Bool
    /// Events since the previous publication (alerts, trips, shifts, control results).
    public var events: [RiskEvent]
    /// Equity marked to market: `equity` plus the open filled positions valued at the latest book
    /// mid prices (nil before any mid is known). Shown, not decided on: decisions use realized
    /// equity, which depends on event time only.
    public var markedEquity: Decimal8?

    public init(
        division: String, asOf: Timestamp, equity: Decimal8, freeCapital: Decimal8, realizedPnLToday: Decimal8, openPositions: Int,
        breakerTripped: Bool, tradingState: TradingState = .active, capitalShare: Decimal8 = .one, causes: [String] = [],
        retrainRequested: Bool = false, recovery: String = "", shadow: Bool = false, events: [RiskEvent] = [], markedEquity: Decimal8? = nil
    ) {
        self.division = division
        self.asOf = asOf
        self.equity = equity
        self.freeCapital = freeCapital
        self.realizedPnLToday = realizedPnLToday
        self.openPositions = openPositions
        self.breakerTripped = breakerTripped
        self.tradingState = tradingState
        self.capitalShare = capitalShare
        self.causes = causes
        self.retrainRequested = retrainRequested
        self.recovery = recovery
        self.shadow = shadow
        self.events = events
        self.markedEquity = markedEquity
    }
}
