import Domain

/// One Binance order, rounded and checked against its symbol's filters before anything is sent
/// (``OrderConstruction``): the parameters of `POST /api/v3/order` (or `/order/test`) without
/// `timestamp`, `recvWindow` and `signature`, which the client adds when it signs.
///
/// Decimals are written with Binance's eight fraction digits ("0.00100000"): plain digits, no
/// exponent, never more precision than Binance's assets allow (BINANCE.md §5, -1100 / -1111).
public struct OrderSpec: Sendable, Hashable, CustomStringConvertible {
    /// The order types the Executor sends.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case market = "MARKET"
        case limit = "LIMIT"
        case limitMaker = "LIMIT_MAKER"
        case stopLossLimit = "STOP_LOSS_LIMIT"

        /// Whether the order has a limit price.
        public var hasPrice: Bool { self != .market }
    }

    public var symbol: String
    public var side: Side
    public var kind: Kind
    public var quantity: Quantity
    /// The limit price (nil for MARKET).
    public var price: Price?
    /// The trigger (STOP_LOSS_LIMIT only).
    public var stopPrice: Price?
    /// GTC for LIMIT and STOP_LOSS_LIMIT; nil otherwise (Binance rejects it on MARKET / LIMIT_MAKER).
    public var timeInForce: String?
    /// The idempotency key: derived from the intent id (``ClientOrderID``), never random.
    public var clientOrderID: String

    public init(symbol: String, side: Side, kind: Kind, quantity: Quantity, price: Price? = nil, stopPrice: Price? = nil,
                timeInForce: String? = nil, clientOrderID: String) {
        self.symbol = symbol
        self.side = side
        self.kind = kind
        self.quantity = quantity
        self.price = price
        self.stopPrice = stopPrice
        self.timeInForce = timeInForce
        self.clientOrderID = clientOrderID
    }

    /// `POST /api/v3/order` parameters in Binance's order. MARKET and LIMIT ask for the FULL
    /// response (the fills with their commissions), so a filled entry needs no second request.
    public var parameters: [(String, String)] {
        var out: [(String, String)] = [("symbol", symbol), ("side", side.rawValue), ("type", kind.rawValue)]
        if let timeInForce { out.append(("timeInForce", timeInForce)) }
        out.append(("quantity", quantity.description))
        if let price { out.append(("price", price.description)) }
        if let stopPrice { out.append(("stopPrice", stopPrice.description)) }
        out.append(("newClientOrderId", clientOrderID))
        out.append(("newOrderRespType", kind == .market || kind == .limit ? "FULL" : "RESULT"))
        return out
    }

    public var description: String {
        var text = "\(side.rawValue) \(kind.rawValue) \(quantity.compactDescription) \(symbol)"
        if let price { text += " @ \(price.compactDescription)" }
        if let stopPrice { text += " stop \(stopPrice.compactDescription)" }
        if let timeInForce { text += " \(timeInForce)" }
        return text + " [\(clientOrderID)]"
    }
}

/// Binance's PERCENT_PRICE_BY_SIDE filter: a BUY's price must lie within [avg × bidMultiplierDown,
/// avg × bidMultiplierUp], a SELL's within [avg × askMultiplierDown, avg × askMultiplierUp], where
/// avg is the symbol's reference (or average) price. (PERCENT_PRICE is the same with one pair for
/// both sides: pass it as both.)
public struct PercentPriceBand: Sendable, Hashable {
    public var bidMultiplierUp: Decimal8
    public var bidMultiplierDown: Decimal8
    public var askMultiplierUp: Decimal8
    public var askMultiplierDown: Decimal8

    public init(bidMultiplierUp: Decimal8, bidMultiplierDown: Decimal8, askMultiplierUp: Decimal8, askMultiplierDown: Decimal8) {
        self.bidMultiplierUp = bidMultiplierUp
        self.bidMultiplierDown = bidMultiplierDown
        self.askMultiplierUp = askMultiplierUp
        self.askMultiplierDown = askMultiplierDown
    }

    /// The same multipliers for both sides (PERCENT_PRICE).
    public init(multiplierUp: Decimal8, multiplierDown: Decimal8) {
        self.init(bidMultiplierUp: multiplierUp, bidMultiplierDown: multiplierDown, askMultiplierUp: multiplierUp, askMultiplierDown: multiplierDown)
    }

    /// The allowed prices for a side around `average` (the bounds rounded inward to 1e-8).
    public func bounds(side: Side, average: Price) -> ClosedRange<Price> {
        let (up, down) = side == .buy ? (bidMultiplierUp, bidMultiplierDown) : (askMultiplierUp, askMultiplierDown)
        let low = average.multiplied(by: down, rounding: .up)
        let high = max(low, average.multiplied(by: up, rounding: .down))
        return low...high
    }
}

/// Binance client order ids derived from the intent id: `q` + the 20-character intent id + `-` +
/// the leg (`e` entry, `t` take-profit, `s` stop, `l` the OCO list, `g` a close on an exit signal,
/// `x` a close on the time limit: the same letters as ``ExecutionReport/Leg``). At most 23 characters of
/// `[A-Za-z0-9-]`, inside Binance's safe set `[A-Za-z0-9_-]{1,36}` (BINANCE.md §5). The same intent
/// always gives the same ids, so a resend after a crash or an unknown status is recognised by
/// Binance (an open duplicate is refused with -2010) and found by `origClientOrderId`.
public enum ClientOrderID {
    public enum Leg: String, Sendable, Hashable, CaseIterable {
        case entry = "e"
        case takeProfit = "t"
        case stop = "s"
        case list = "l"
        /// The MARKET SELL that closes a position on an exit signal (a close intent).
        case signal = "g"
        /// The MARKET SELL that closes a position at its time limit.
        case timeLimit = "x"

        /// Whether this leg is a close order (``signal`` or ``timeLimit``).
        public var isClose: Bool { self == .signal || self == .timeLimit }
    }

    public static func make(_ intent: IntentID, _ leg: Leg) -> String { "q" + intent.rawValue + "-" + leg.rawValue }

    /// The intent and leg of an id made by ``make(_:_:)``, nil for any other id.
    public static func parse(_ text: String) -> (IntentID, Leg)? {
        guard text.utf8.count == 23, text.hasPrefix("q") else { return nil }
        let body = text.dropFirst()
        guard let dash = body.lastIndex(of: "-"), let intent = IntentID(String(body[..<dash])),
              let leg = Leg(rawValue: String(body[body.index(after: dash)...])) else { return nil }
        return (intent, leg)
    }

    /// Binance's safe character set and length (BINANCE.md §5).
    public static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return (1...36).contains(bytes.count) && bytes.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
        }
    }
}
