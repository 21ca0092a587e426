import Bus
import Domain
import Foundation
import SwiftProtobuf
import Testing
import Wire

/// Round trips of the order-book, trade and history messages (md.depth, md.book, md.trade, the
/// collector's history socket), through protobuf bytes.
@Suite struct WireMarketDataConversionTests {
    static func level(_ p: String, _ q: String) -> PriceLevel { PriceLevel(price: Decimal8(p)!, quantity: Decimal8(q)!) }

    static func roundTrip<M: SwiftProtobuf.Message>(_ m: M) throws -> M {
        let bytes: [UInt8] = try m.serializedBytes()
        return try M(serializedBytes: bytes)
    }

    @Test func depthUpdateRoundTrips() throws {
        let update = DepthUpdate(symbol: "BTCUSDT", eventTime: Timestamp(milliseconds: 1_722_816_000_123), firstUpdateID: 51_234_567_890,
                                 finalUpdateID: 51_234_567_899, bids: [Self.level("61837.63", "0.5"), Self.level("61837.62", "0")],
                                 asks: [Self.level("61837.64", "1.23456789")])
        let wire = Quorum_V1_BookDelta(update)
        #expect(wire.bids[1].quantity == "0.00000000")
        #expect(wire.asks[0].price == "61837.64000000")
        #expect(try Self.roundTrip(wire).domain() == update)
        #expect(Payload.bookDelta(wire).type == .bookDelta)
    }

    @Test func bookSnapshotRoundTrips() throws {
        for full in [false, true] {
            let book = BookSnapshot(symbol: "ETHUSDT", lastUpdateID: 42, eventTime: Timestamp(milliseconds: 1_722_816_000_000),
                                    bids: [Self.level("2500.1", "3"), Self.level("2500", "1")], asks: [Self.level("2500.2", "0.001")], isFull: full)
            let wire = Quorum_V1_BookSnapshot(book)
            #expect(wire.full == full)
            #expect(try Self.roundTrip(wire).domain() == book)
        }
    }

    @Test func aggTradeRoundTripsWithTradeTimeAsEventTime() throws {
        let time = Timestamp(milliseconds: 1_722_816_000_777)
        let trade = AggTrade(symbol: "BTCUSDT", eventTime: time, aggregateID: 3_100_000_001, price: Decimal8("61837.63")!,
                             quantity: Decimal8("0.00012")!, firstTradeID: 10, lastTradeID: 12, tradeTime: time, buyerIsMaker: true)
        let wire = Quorum_V1_Trade(trade)
        #expect(wire.quantity == "0.00012000")
        #expect(try Self.roundTrip(wire).domain() == trade)
    }

    @Test func invalidMarketDataNamesTheField() {
        var delta = Quorum_V1_BookDelta()
        delta.symbol = "BTCUSDT"; delta.firstUpdateID = 5; delta.lastUpdateID = 6
        var level = Quorum_V1_PriceLevel(); level.price = "1.123456789"; level.quantity = "1"
        delta.asks = [level]
        do { _ = try delta.domain(); Issue.record("accepted 9 fraction digits") } catch { #expect(error.field == "asks.price") }
        delta.asks = []; delta.firstUpdateID = 7
        do { _ = try delta.domain(); Issue.record("accepted U > u") } catch { #expect(error.field == "first_update_id") }
        var trade = Quorum_V1_Trade()
        trade.price = "1"; trade.quantity = "1"
        do { _ = try trade.domain(); Issue.record("accepted an empty symbol") } catch { #expect(error.field == "symbol") }
        var book = Quorum_V1_BookSnapshot()
        book.symbol = "BTCUSDT"; var bad = Quorum_V1_PriceLevel(); bad.price = "1"; bad.quantity = "x"; book.bids = [bad]
        do { _ = try book.domain(); Issue.record("accepted a bad quantity") } catch { #expect(error.field == "bids.quantity") }
    }

    @Test func historyMessagesRoundTripAndCheckTheSeries() throws {
        var request = Quorum_V1_HistoryRequest()
        request.symbol = "BTCUSDT"; request.interval = "5m"; request.limit = 1000; request.endTimeMs = 1_722_816_000_000
        #expect(try Self.roundTrip(request) == request)
        let kline = Kline(symbol: "BTCUSDT", interval: .fiveMinutes, openTime: Timestamp(milliseconds: 1_722_816_000_000),
                          closeTime: Timestamp(milliseconds: 1_722_816_299_999), open: Decimal8("1")!, high: Decimal8("2")!,
                          low: Decimal8("0.5")!, close: Decimal8("1.5")!, volume: Decimal8("10")!, quoteVolume: Decimal8("15")!,
                          trades: 7, takerBuyBase: Decimal8("4")!, takerBuyQuote: Decimal8("6")!)
        var response = Quorum_V1_HistoryResponse()
        response.symbol = "BTCUSDT"; response.interval = "5m"; response.klines = [Quorum_V1_Kline(kline)]
        let back = try Self.roundTrip(response)
        #expect(try back.domainKlines() == [kline])
        var other = kline
        other.symbol = "ETHUSDT"
        response.klines = [Quorum_V1_Kline(other)]
        do { _ = try response.domainKlines(); Issue.record("accepted another series") } catch { #expect(error.field == "klines") }
    }
}
