/// One Binance candlestick. Prices and volumes are exact decimals; the four optional fields are
/// absent in sources that keep OHLCV only.
public struct Kline: Sendable, Hashable {
    public var symbol: String
    public var interval: Interval
    public var openTime: Timestamp
    public var closeTime: Timestamp
    public var open: Price
    public var high: Price
    public var low: Price
    public var close: Price
    public var volume: Quantity
    public var quoteVolume: Decimal8?
    public var trades: Int64?
    public var takerBuyBase: Decimal8?
    public var takerBuyQuote: Decimal8?
    public var isClosed: Bool

    public init(
        symbol: String, interval: Interval, openTime: Timestamp, closeTime: Timestamp,
        open: Price, high: Price, low: Price, close: Price, volume: Quantity,
        quoteVolume: Decimal8? = nil, trades: Int64? = nil, takerBuyBase: Decimal8? = nil,
        takerBuyQuote: Decimal8? = nil, isClosed: Bool = true
    ) {
        self.symbol = symbol
        self.interval = interval
        self.openTime = openTime
        self.closeTime = closeTime
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.quoteVolume = quoteVolume
        self.trades = trades
        self.takerBuyBase = takerBuyBase
        self.takerBuyQuote = takerBuyQuote
        self.isClosed = isClosed
    }

    /// The key of the bar this kline is: (symbol, interval, open time).
    public var bar: BarKey { BarKey(symbol: symbol, interval: interval, openTime: openTime) }
}

/// Identifies one bar of one symbol and interval. Decisions are made per bar, in event time.
public struct BarKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var symbol: String
    public var interval: Interval
    public var openTime: Timestamp

    public init(symbol: String, interval: Interval, openTime: Timestamp) {
        self.symbol = symbol
        self.interval = interval
        self.openTime = openTime
    }

    /// Binance's close time: open + interval − 1 ms.
    public var closeTime: Timestamp { openTime.adding(milliseconds: interval.milliseconds - 1) }
    /// The next bar of the same series.
    public var next: BarKey { BarKey(symbol: symbol, interval: interval, openTime: openTime.adding(milliseconds: interval.milliseconds)) }

    public static func < (lhs: BarKey, rhs: BarKey) -> Bool {
        (lhs.symbol, lhs.interval.milliseconds, lhs.openTime) < (rhs.symbol, rhs.interval.milliseconds, rhs.openTime)
    }

    public var description: String { "\(symbol) \(interval) \(openTime)" }
}
