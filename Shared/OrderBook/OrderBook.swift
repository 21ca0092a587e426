import Domain

/// A side of the book.
public enum BookSide: String, Sendable, Hashable, CaseIterable {
    case bid
    case ask
}

/// A level-2 order book of one symbol with exact prices and quantities (`Decimal8` units).
///
/// Each side is a `BookLadder`: sorted blocks of at most 64 `Int64` keys (price units) and
/// quantities with a directory of blocks, so a change anywhere in a 5,000-level book costs a short
/// search from the best end and a move of at most one block's tail. `apply(_:)` does no sequence
/// checking: `BookSynchronizer` decides which events reach the book.
public struct OrderBook: Sendable, Hashable {
    /// Books are equal when they have the same symbol, update id, event time and levels.
    public static func == (lhs: OrderBook, rhs: OrderBook) -> Bool {
        lhs.symbol == rhs.symbol && lhs.lastUpdateID == rhs.lastUpdateID && lhs.eventTime == rhs.eventTime
            && lhs.levels(.bid) == rhs.levels(.bid) && lhs.levels(.ask) == rhs.levels(.ask)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(symbol)
        hasher.combine(lastUpdateID)
        hasher.combine(bestBid)
        hasher.combine(bestAsk)
    }

    public let symbol: String
    /// The update id the book is at: the snapshot's `lastUpdateId`, then each applied event's `u`.
    public var lastUpdateID: Int64
    /// The event time of the last applied diff (zero after a snapshot).
    public var eventTime: Timestamp
    private var bids = BookLadder()
    private var asks = BookLadder()

    public init(symbol: String) {
        self.symbol = symbol
        self.lastUpdateID = 0
        self.eventTime = .zero
    }

    public init(snapshot: DepthSnapshot) {
        self.init(symbol: snapshot.symbol)
        load(snapshot)
    }

    @inline(__always)
    static func key(_ side: BookSide, _ price: Int64) -> Int64 { side == .bid ? -price : price }

    // MARK: - Changing the book

    /// Replaces the whole book with a snapshot (levels in any order; zero quantities skipped).
    public mutating func load(_ snapshot: DepthSnapshot) {
        bids.load(snapshot.bids.map { (key: -$0.price.units, quantity: $0.quantity.units) })
        asks.load(snapshot.asks.map { (key: $0.price.units, quantity: $0.quantity.units) })
        lastUpdateID = snapshot.lastUpdateID
        eventTime = .zero
    }

    /// Empties both sides (the update id is left as it was).
    public mutating func removeAll() {
        bids.removeAll()
        asks.removeAll()
    }

    /// Sets one level: a zero quantity removes it (removing an absent level is normal and does
    /// nothing). Returns true when a level was inserted or removed.
    @discardableResult
    public mutating func set(_ side: BookSide, price: Price, quantity: Quantity) -> Bool {
        switch side {
        case .bid: return bids.set(key: -price.units, quantity: quantity.units)
        case .ask: return asks.set(key: price.units, quantity: quantity.units)
        }
    }

    /// Applies every level of a diff event and moves the book to its final update id `u`.
    public mutating func apply(_ update: DepthUpdate) {
        for level in update.bids { bids.set(key: -level.price.units, quantity: level.quantity.units) }
        for level in update.asks { asks.set(key: level.price.units, quantity: level.quantity.units) }
        lastUpdateID = update.finalUpdateID
        eventTime = update.eventTime
    }

    // MARK: - Reading the book

    public var bestBid: PriceLevel? {
        guard let (k, q) = bids.best else { return nil }
        return PriceLevel(price: Price(units: -k), quantity: Quantity(units: q))
    }

    public var bestAsk: PriceLevel? {
        guard let (k, q) = asks.best else { return nil }
        return PriceLevel(price: Price(units: k), quantity: Quantity(units: q))
    }

    /// The best bid and ask with the update id they belong to.
    public var top: BookTop { BookTop(updateID: lastUpdateID, bid: bestBid, ask: bestAsk) }

    /// The best level of a side.
    public func best(_ side: BookSide) -> PriceLevel? { side == .bid ? bestBid : bestAsk }

    /// True when both sides exist and the best bid is at or above the best ask.
    public var isCrossed: Bool {
        guard let b = bids.best, let a = asks.best else { return false }
        return -b.key >= a.key
    }

    public var isEmpty: Bool { bids.isEmpty && asks.isEmpty }

    /// Number of levels on a side.
    public func count(_ side: BookSide) -> Int { side == .bid ? bids.count : asks.count }

    /// The quantity at `price`, or nil when the level is absent.
    public func quantity(_ side: BookSide, at price: Price) -> Quantity? {
        let q = side == .bid ? bids.quantity(at: -price.units) : asks.quantity(at: price.units)
        return q.map { Quantity(units: $0) }
    }

    /// Best ask − best bid.
    public var spread: Price? {
        guard let b = bestBid, let a = bestAsk else { return nil }
        return a.price - b.price
    }

    /// The best `limit` levels of a side, best first.
    public func levels(_ side: BookSide, limit: Int = .max) -> [PriceLevel] {
        let ladder = side == .bid ? bids : asks
        let n = Swift.min(Swift.max(limit, 0), ladder.count)
        var out: [PriceLevel] = []
        out.reserveCapacity(n)
        guard n > 0 else { return out }
        ladder.forEach { key, quantity in
            out.append(PriceLevel(price: Price(units: side == .bid ? -key : key), quantity: Quantity(units: quantity)))
            return out.count < n
        }
        return out
    }

    /// Visits the levels of a side best first, in raw `Decimal8` units (price, quantity), without
    /// allocating; `body` returns false to stop. For readers that walk an unknown number of levels
    /// (order-flow depth within a price band).
    public func forEachLevel(_ side: BookSide, _ body: (_ priceUnits: Int64, _ quantityUnits: Int64) -> Bool) {
        switch side {
        case .bid: bids.forEach { key, quantity in body(-key, quantity) }
        case .ask: asks.forEach { key, quantity in body(key, quantity) }
        }
    }

    /// Checks the internal structure (tests).
    public func isStructurallyValid() -> Bool { bids.isValid() && asks.isValid() }

    /// The top `depth` levels of each side as published on md.book.
    public func snapshot(depth: Int) -> BookSnapshot {
        BookSnapshot(
            symbol: symbol, lastUpdateID: lastUpdateID, eventTime: eventTime,
            bids: levels(.bid, limit: depth), asks: levels(.ask, limit: depth), isFull: false
        )
    }

    /// Every level of both sides (`isFull`).
    public func fullSnapshot() -> BookSnapshot {
        BookSnapshot(
            symbol: symbol, lastUpdateID: lastUpdateID, eventTime: eventTime,
            bids: levels(.bid), asks: levels(.ask), isFull: true
        )
    }

    /// The book in the shape of a REST depth snapshot, `limit` levels per side (the exchange
    /// simulator's `GET /api/v3/depth`).
    public func depthSnapshot(limit: Int = .max) -> DepthSnapshot {
        DepthSnapshot(symbol: symbol, lastUpdateID: lastUpdateID, bids: levels(.bid, limit: limit), asks: levels(.ask, limit: limit))
    }
}

/// The best bid and ask of a book at one update id (what a `bookTicker` reports).
public struct BookTop: Sendable, Hashable, CustomStringConvertible {
    public var updateID: Int64
    public var bid: PriceLevel?
    public var ask: PriceLevel?

    public init(updateID: Int64, bid: PriceLevel?, ask: PriceLevel?) {
        self.updateID = updateID
        self.bid = bid
        self.ask = ask
    }

    /// True when `ticker` reports exactly this bid and ask (prices and quantities).
    public func matches(_ ticker: BookTicker) -> Bool {
        bid == PriceLevel(price: ticker.bidPrice, quantity: ticker.bidQuantity)
            && ask == PriceLevel(price: ticker.askPrice, quantity: ticker.askQuantity)
    }

    public var description: String {
        "@\(updateID) bid \(bid?.description ?? "none") ask \(ask?.description ?? "none")"
    }
}
