/// A fill (paper or real) of one leg of an intent.
public struct ExecutionReport: Sendable, Hashable {
    /// Which order filled; for an exit leg, also why the position was closed (``exitReason``).
    public enum Leg: String, Sendable, Hashable, Codable, CaseIterable {
        case entry = "e"
        case takeProfit = "t"
        case stop = "s"
        /// A market sell after the intent's time limit (``TradeIntent/timeLimitBars``). ("l" is
        /// taken: it names an OCO order list in client order ids.) On the wire it travels as a
        /// stop-like market exit, leg `s`, with `exit_reason` `time_limit` (docs/wire-protocol.md).
        case timeLimit = "x"
        /// A market sell ordered by the RiskGate on an exit signal (a close intent,
        /// ``TradeIntent/closesIntentID``). On the wire: leg `s` with `exit_reason` `signal`.
        case signal = "g"

        /// Why an exit leg closed the position: `take_profit`, `stop`, `time_limit` or `signal`; nil for the entry.
        public var exitReason: String? {
            switch self {
            case .entry: nil
            case .takeProfit: "take_profit"
            case .stop: "stop"
            case .timeLimit: "time_limit"
            case .signal: "signal"
            }
        }
    }

    public var intentID: IntentID
    public var clientOrderID: String
    public var symbol: String
    public var leg: Leg
    public var side: Side
    public var price: Price
    public var quantity: Quantity
    /// Fee in the quote asset.
    public var fee: Decimal8
    /// Realized profit and loss of the round trip (exit legs only; zero on entry), fees of both legs included.
    public var realizedPnL: Decimal8
    /// Event time of the fill: the open time of the kline it happened in (paper), or the exchange's time.
    public var eventTime: Timestamp
    public var shadow: Bool

    public init(
        intentID: IntentID, clientOrderID: String, symbol: String, leg: Leg, side: Side, price: Price,
        quantity: Quantity, fee: Decimal8, realizedPnL: Decimal8, eventTime: Timestamp, shadow: Bool
    ) {
        self.intentID = intentID
        self.clientOrderID = clientOrderID
        self.symbol = symbol
        self.leg = leg
        self.side = side
        self.price = price
        self.quantity = quantity
        self.fee = fee
        self.realizedPnL = realizedPnL
        self.eventTime = eventTime
        self.shadow = shadow
    }

    public var isExit: Bool { leg != .entry }
}

/// The Executor's progress for one symbol: of the `intentsSeen` distinct intents it has received,
/// no report (fill) or ack with an event time at or before `through` will follow this mark; every
/// such report was published before it. With no live intent `through` is the newest kline's close;
/// with one it is the earliest time that intent could still report, minus 1 ms, so `through` can go
/// back when a new intent arrives. The RiskGate decides a bar only when the marks cover it, so its
/// decisions depend on event time only (in-process backtests and bus replays decide identically).
public struct ExecutionWatermark: Sendable, Hashable {
    public var symbol: String
    public var through: Timestamp
    public var intentsSeen: Int

    public init(symbol: String, through: Timestamp, intentsSeen: Int) {
        self.symbol = symbol
        self.through = through
        self.intentsSeen = intentsSeen
    }
}
