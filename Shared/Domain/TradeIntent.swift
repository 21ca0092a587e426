/// An approved trade: the RiskGate's order to the Executor. It must be neither lost nor doubled:
/// it has a unique id and an expiry, the Executor journals it before acting, and the RiskGate
/// re-publishes it until acknowledged or expired.
public struct TradeIntent: Sendable, Hashable {
    public var id: IntentID
    public var bar: BarKey
    public var side: Side
    public var division: String
    public var quantity: Quantity
    /// The price the size was computed at (the signal bar's close).
    public var referencePrice: Price
    public var takeProfit: Price
    public var stopLoss: Price
    public var createdAt: Timestamp
    /// The latest event time at which the entry may still be filled.
    public var expiresAt: Timestamp
    /// A shadow intent is paper-filled, never sent to the exchange.
    public var shadow: Bool
    /// Time-limit exit: a position still open after this many bars of the intent's interval
    /// (counted from the entry kline, which is bar 1) is sold at the open of the next bar, at market.
    /// nil: no time limit (the position waits for its take-profit or stop). At least 1 when set.
    public var timeLimitBars: Int?
    /// A close intent: sell the position of this (earlier) intent at market at the open of the
    /// kline after this intent's bar (an exit signal). Side SELL; it reserves nothing and has no
    /// position of its own: the exit is reported under the closed intent's id (leg ``ExecutionReport/Leg/signal``).
    /// nil: an entry intent.
    public var closesIntentID: IntentID?

    public init(
        id: IntentID, bar: BarKey, side: Side, division: String, quantity: Quantity, referencePrice: Price,
        takeProfit: Price, stopLoss: Price, createdAt: Timestamp, expiresAt: Timestamp, shadow: Bool,
        timeLimitBars: Int? = nil, closesIntentID: IntentID? = nil
    ) {
        self.id = id
        self.bar = bar
        self.side = side
        self.division = division
        self.quantity = quantity
        self.referencePrice = referencePrice
        self.takeProfit = takeProfit
        self.stopLoss = stopLoss
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.shadow = shadow
        self.timeLimitBars = timeLimitBars
        self.closesIntentID = closesIntentID
    }

    /// True for a close intent (``closesIntentID`` set).
    public var isClose: Bool { closesIntentID != nil }

    public var notional: Decimal8 { quantity.multiplied(by: referencePrice, rounding: .up) }
}
