import Domain
import OrderBook
import TestKit
import Testing

/// A deliberately simple model of one side: a dictionary from price units to quantity units.
struct ReferenceBook {
    var bids: [Int64: Int64] = [:]
    var asks: [Int64: Int64] = [:]

    mutating func set(_ side: BookSide, _ price: Int64, _ quantity: Int64) {
        switch side {
        case .bid: bids[price] = quantity == 0 ? nil : quantity
        case .ask: asks[price] = quantity == 0 ? nil : quantity
        }
    }

    func best(_ side: BookSide) -> PriceLevel? {
        let entry = side == .bid ? bids.max { $0.key < $1.key } : asks.min { $0.key < $1.key }
        return entry.map { PriceLevel(price: Price(units: $0.key), quantity: Quantity(units: $0.value)) }
    }

    func levels(_ side: BookSide) -> [PriceLevel] {
        let entries = side == .bid ? bids.sorted { $0.key > $1.key } : asks.sorted { $0.key < $1.key }
        return entries.map { PriceLevel(price: Price(units: $0.key), quantity: Quantity(units: $0.value)) }
    }
}

func level(_ price: String, _ quantity: String) -> PriceLevel {
    PriceLevel(price: Price(price)!, quantity: Quantity(quantity)!)
}

@Suite struct OrderBookTests {
    @Test func setInsertsReplacesAndDeletes() {
        var book = OrderBook(symbol: "BTCUSDT")
        #expect(book.bestBid == nil && book.bestAsk == nil && !book.isCrossed)
        let inserted1 = book.set(.bid, price: Price("100.5")!, quantity: Quantity("1")!)
        #expect(inserted1)
        let inserted2 = book.set(.bid, price: Price("100.7")!, quantity: Quantity("2")!)
        #expect(inserted2)
        let inserted3 = book.set(.bid, price: Price("100.5")!, quantity: Quantity("3")!)
        #expect(!inserted3)
        let inserted4 = book.set(.ask, price: Price("101")!, quantity: Quantity("4")!)
        #expect(inserted4)
        #expect(book.bestBid == level("100.7", "2"))
        #expect(book.bestAsk == level("101", "4"))
        #expect(book.quantity(.bid, at: Price("100.5")!) == Quantity("3"))
        #expect(book.spread == Price("0.3"))
        // Deleting an absent level is normal.
        let inserted5 = book.set(.ask, price: Price("150")!, quantity: .zero)
        #expect(!inserted5)
        let inserted6 = book.set(.bid, price: Price("100.7")!, quantity: .zero)
        #expect(inserted6)
        #expect(book.bestBid == level("100.5", "3"))
        #expect(book.levels(.bid) == [level("100.5", "3")])
        #expect(!book.isCrossed)
        book.set(.bid, price: Price("101")!, quantity: Quantity("1")!)
        #expect(book.isCrossed)
    }

    @Test func snapshotsInAnyOrderAndTopN() {
        let snapshot = DepthSnapshot(
            symbol: "ETHUSDT", lastUpdateID: 42,
            bids: [level("10", "1"), level("12", "2"), level("11", "0"), level("9", "3"), level("12", "5")],
            asks: [level("13", "1"), level("14", "2"), level("15", "3")]
        )
        let book = OrderBook(snapshot: snapshot)
        #expect(book.lastUpdateID == 42)
        #expect(book.levels(.bid) == [level("12", "5"), level("10", "1"), level("9", "3")])
        let top = book.snapshot(depth: 2)
        #expect(top.bids == [level("12", "5"), level("10", "1")] && top.asks == [level("13", "1"), level("14", "2")] && !top.isFull)
        #expect(top.lastUpdateID == 42 && top.mid == Price("12.5"))
        let full = book.fullSnapshot()
        #expect(full.isFull && full.asks.count == 3 && full.bids.count == 3)
        #expect(OrderBook(snapshot: book.depthSnapshot()) == book)
        #expect(book.isStructurallyValid())
    }

    /// Random changes, clustered near a moving top like real diffs and sometimes far away, checked
    /// against the dictionary model after every step.
    @Test(arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func randomChangesAgreeWithAReferenceModel(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var book = OrderBook(symbol: "TEST")
        var reference = ReferenceBook()
        // Start from a snapshot of a few thousand levels per side.
        var bids: [PriceLevel] = [], asks: [PriceLevel] = []
        let mid: Int64 = 6_000_000_000_000
        let tick: Int64 = 1_000_000
        for i in 0..<Int64.random(in: 0...3000, using: &rng) {
            if Bool.random(using: &rng) { bids.append(PriceLevel(price: Price(units: mid - (i + 1) * tick), quantity: Quantity(units: .random(in: 1...1_000_000, using: &rng)))) }
            if Bool.random(using: &rng) { asks.append(PriceLevel(price: Price(units: mid + i * tick), quantity: Quantity(units: .random(in: 1...1_000_000, using: &rng)))) }
        }
        book.load(DepthSnapshot(symbol: "TEST", lastUpdateID: 1, bids: bids, asks: asks))
        for l in bids { reference.set(.bid, l.price.units, l.quantity.units) }
        for l in asks { reference.set(.ask, l.price.units, l.quantity.units) }
        for step in 0..<4000 {
            let side: BookSide = Bool.random(using: &rng) ? .bid : .ask
            let distance: Int64 = Int.random(in: 0..<10, using: &rng) < 7 ? .random(in: 0..<40, using: &rng) : .random(in: 0..<5000, using: &rng)
            let price = side == .bid ? mid - (distance + 1) * tick : mid + distance * tick
            let quantity: Int64 = Int.random(in: 0..<10, using: &rng) < 4 ? 0 : .random(in: 1...1_000_000, using: &rng)
            book.set(side, price: Price(units: price), quantity: Quantity(units: quantity))
            reference.set(side, price, quantity)
            #expect(book.bestBid == reference.best(.bid))
            #expect(book.bestAsk == reference.best(.ask))
            #expect(book.quantity(side, at: Price(units: price)) == (quantity == 0 ? nil : Quantity(units: quantity)))
            if step % 500 == 0 || step == 3999 {
                #expect(book.levels(.bid) == reference.levels(.bid))
                #expect(book.levels(.ask) == reference.levels(.ask))
                #expect(book.count(.bid) == reference.bids.count && book.count(.ask) == reference.asks.count)
                #expect(book.isStructurallyValid())
            }
        }
        // Empty one side completely, then refill it.
        for l in book.levels(.ask) { book.set(.ask, price: l.price, quantity: .zero) }
        #expect(book.count(.ask) == 0 && book.bestAsk == nil && book.isStructurallyValid())
        for i in 0..<200 as Range<Int64> { book.set(.ask, price: Price(units: mid + (200 - i) * tick), quantity: Quantity(units: 1)) }
        #expect(book.bestAsk?.price == Price(units: mid + tick) && book.count(.ask) == 200 && book.isStructurallyValid())
    }

    @Test func applyMovesTheUpdateID() {
        var book = OrderBook(snapshot: DepthSnapshot(symbol: "X", lastUpdateID: 10, bids: [level("1", "1")], asks: [level("2", "1")]))
        book.apply(DepthUpdate(
            symbol: "X", eventTime: Timestamp(milliseconds: 5), firstUpdateID: 11, finalUpdateID: 14,
            bids: [level("1", "0"), level("1.5", "2")], asks: [level("3", "1")]
        ))
        #expect(book.lastUpdateID == 14 && book.eventTime == Timestamp(milliseconds: 5))
        #expect(book.levels(.bid) == [level("1.5", "2")] && book.levels(.ask) == [level("2", "1"), level("3", "1")])
        #expect(book.top == BookTop(updateID: 14, bid: level("1.5", "2"), ask: level("2", "1")))
    }
}
