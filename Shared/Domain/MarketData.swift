/// Market-data values shared by the Binance decoders, the order book, the Collector, the exchange
/// simulator and the research pipeline. Prices and quantities are exact decimals; ids are Binance's.

/// One price level: a quantity of zero in a diff removes the level.
public struct PriceLevel: Sendable, Hashable, CustomStringConvertible {
    public var price: Price
    public var quantity: Quantity

    public init(price: Price, quantity: Quantity) {
        self.price = price
        self.quantity = quantity
    }

    public var description: String { "\(price.compactDescription)×\(quantity.compactDescription)" }
}

/// A diff-depth event (`depthUpdate`): levels changed between update ids `firstUpdateID` (U) and
/// `finalUpdateID` (u), quantities absolute. `previousFinalUpdateID` is USD-M futures' `pu`.
public struct DepthUpdate: Sendable, Hashable {
    public var symbol: String
    public var eventTime: Timestamp
    public var firstUpdateID: Int64
    public var finalUpdateID: Int64
    public var previousFinalUpdateID: Int64?
    public var bids: [PriceLevel]
    public var asks: [PriceLevel]

    public init(
        symbol: String, eventTime: Timestamp, firstUpdateID: Int64, finalUpdateID: Int64,
        previousFinalUpdateID: Int64? = nil, bids: [PriceLevel], asks: [PriceLevel]
    ) {
        self.symbol = symbol
        self.eventTime = eventTime
        self.firstUpdateID = firstUpdateID
        self.finalUpdateID = finalUpdateID
        self.previousFinalUpdateID = previousFinalUpdateID
        self.bids = bids
        self.asks = asks
    }
}

/// A depth snapshot (REST `GET /api/v3/depth` or a partial-depth stream): best level first on each side.
public struct DepthSnapshot: Sendable, Hashable {
    public var symbol: String
    public var lastUpdateID: Int64
    public var bids: [PriceLevel]
    public var asks: [PriceLevel]

    public init(symbol: String, lastUpdateID: Int64, bids: [PriceLevel], asks: [PriceLevel]) {
        self.symbol = symbol
        self.lastUpdateID = lastUpdateID
        self.bids = bids
        self.asks = asks
    }
}

/// The best bid and ask with the order-book update id they belong to (`bookTicker`).
public struct BookTicker: Sendable, Hashable {
    public var symbol: String
    public var updateID: Int64
    public var bidPrice: Price
    public var bidQuantity: Quantity
    public var askPrice: Price
    public var askQuantity: Quantity

    public init(symbol: String, updateID: Int64, bidPrice: Price, bidQuantity: Quantity, askPrice: Price, askQuantity: Quantity) {
        self.symbol = symbol
        self.updateID = updateID
        self.bidPrice = bidPrice
        self.bidQuantity = bidQuantity
        self.askPrice = askPrice
        self.askQuantity = askQuantity
    }
}

/// An aggregated trade (`aggTrade`, REST `aggTrades`). `buyerIsMaker` true means the taker sold.
public struct AggTrade: Sendable, Hashable {
    public var symbol: String
    public var eventTime: Timestamp
    public var aggregateID: Int64
    public var price: Price
    public var quantity: Quantity
    public var firstTradeID: Int64
    public var lastTradeID: Int64
    public var tradeTime: Timestamp
    public var buyerIsMaker: Bool

    public init(
        symbol: String, eventTime: Timestamp, aggregateID: Int64, price: Price, quantity: Quantity,
        firstTradeID: Int64, lastTradeID: Int64, tradeTime: Timestamp, buyerIsMaker: Bool
    ) {
        self.symbol = symbol
        self.eventTime = eventTime
        self.aggregateID = aggregateID
        self.price = price
        self.quantity = quantity
        self.firstTradeID = firstTradeID
        self.lastTradeID = lastTradeID
        self.tradeTime = tradeTime
        self.buyerIsMaker = buyerIsMaker
    }
}

/// A book as published on md.book.<SYM>.: the top levels (or every level when `isFull`), best first,
/// as of update id `lastUpdateID`.
public struct BookSnapshot: Sendable, Hashable {
    public var symbol: String
    public var lastUpdateID: Int64
    public var eventTime: Timestamp
    public var bids: [PriceLevel]
    public var asks: [PriceLevel]
    public var isFull: Bool

    public init(symbol: String, lastUpdateID: Int64, eventTime: Timestamp, bids: [PriceLevel], asks: [PriceLevel], isFull: Bool) {
        self.symbol = symbol
        self.lastUpdateID = lastUpdateID
        self.eventTime = eventTime
        self.bids = bids
        self.asks = asks
        self.isFull = isFull
    }

    public var bestBid: PriceLevel? { bids.first }
    public var bestAsk: PriceLevel? { asks.first }

    /// (best bid + best ask) / 2, when both sides exist.
    public var mid: Price? {
        guard let b = bids.first, let a = asks.first else { return nil }
        return Decimal8(units: (b.price.units + a.price.units) / 2)
    }
}
