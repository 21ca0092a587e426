import Binance
import Domain
import ExecutorCore
import TestKit
import Testing
@testable import quorum_executor

/// The mapping of user-data `executionReport` events and REST answers to an order's journal row
/// (``OrderObservation``, ``OrderProgress``): what each event means, and that the stream and the
/// polls can race, repeat and reorder without changing where the row ends.
@Suite struct OrderProgressTests {
    static let symbol = "BTCUSDT"
    static let orderID: Int64 = 4242
    static let clientID = ClientOrderID.make(IntentID(milliseconds: 1_722_556_800_000, random: 7), .takeProfit)

    static func record() -> OrderRecord {
        let spec = OrderSpec(symbol: symbol, side: .sell, kind: .limit, quantity: Decimal8("0.010")!, price: Decimal8(60_000),
                             timeInForce: "GTC", clientOrderID: clientID)
        return OrderRecord(clientOrderID: clientID, intentID: IntentID(milliseconds: 1_722_556_800_000, random: 7), leg: .takeProfit,
                           spec: spec, state: .journaled)
    }

    /// An `executionReport` in the WebSocket API's envelope, decoded by the client's own decoder.
    static func event(type: String, status: String, client: String = clientID, original: String = "", orderID: Int64 = orderID,
                      last: String = "0", cumulative: String = "0", lastPrice: String = "0", quote: String = "0",
                      commission: String = "0", asset: String? = nil, time: Int64, trade: Int64 = -1) throws -> ExecutionReportEvent {
        let text = """
            {"subscriptionId":0,"event":{"e":"executionReport","E":\(time + 1),"s":"\(symbol)","c":"\(client)","S":"SELL","o":"LIMIT",\
            "f":"GTC","q":"0.01000000","p":"60000.00","P":"0.00","F":"0.00","g":-1,"C":"\(original)","x":"\(type)","X":"\(status)",\
            "r":"NONE","i":\(orderID),"l":"\(last)","z":"\(cumulative)","L":"\(lastPrice)","n":"\(commission)",\
            "N":\(asset.map { "\"\($0)\"" } ?? "null"),"T":\(time),"t":\(trade),"I":1,"w":true,"m":true,"M":false,"O":\(time),\
            "Z":"\(quote)","Y":"0","Q":"0","V":"NONE"}}
            """
        guard case .executionReport(let report) = try BinanceDecoder.userDataEvent(Array(text.utf8)) else {
            throw SuiteError("not an execution report")
        }
        return report
    }

    struct SuiteError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static func merge(_ r: OrderRecord, _ o: OrderObservation) -> OrderProgress.Outcome {
        OrderProgress.merge(r, o, baseAsset: "BTC", quoteAsset: "USDT")
    }

    static func updated(_ outcome: OrderProgress.Outcome) -> (OrderRecord, Bool)? {
        if case .updated(let r, let needsTrades) = outcome { return (r, needsTrades) }
        return nil
    }

    // MARK: - Mapping

    @Test func eventsMapToTheOrderTheyName() throws {
        let new = OrderObservation(try Self.event(type: "NEW", status: "NEW", time: 1_000))
        #expect(new.source == .stream && new.clientOrderID == Self.clientID && new.exchangeOrderID == Self.orderID)
        #expect(new.state == .open && new.executedQuantity == .zero && new.trade == nil && new.time == Timestamp(milliseconds: 1_000))

        let trade = OrderObservation(try Self.event(type: "TRADE", status: "PARTIALLY_FILLED", last: "0.004", cumulative: "0.004",
                                                    lastPrice: "60000", quote: "240", commission: "0.24", asset: "USDT", time: 2_000, trade: 77))
        #expect(trade.state == .open && trade.executedQuantity == Decimal8("0.004") && trade.cumulativeQuote == Decimal8(240))
        #expect(trade.trade == OrderObservation.Trade(id: 77, quantity: Decimal8("0.004")!, commission: Decimal8("0.24")!, commissionAsset: "USDT"))

        let filled = OrderObservation(try Self.event(type: "TRADE", status: "FILLED", last: "0.006", cumulative: "0.010", time: 3_000, trade: 78))
        #expect(filled.state == .filled)
        // A cancel names the cancel request in `c` and the cancelled order in `C`.
        let canceled = OrderObservation(try Self.event(type: "CANCELED", status: "CANCELED", client: "web_cancel_123", original: Self.clientID, time: 4_000))
        #expect(canceled.clientOrderID == Self.clientID && canceled.state == .canceled && canceled.trade == nil)
        let expired = OrderObservation(try Self.event(type: "EXPIRED", status: "EXPIRED", time: 5_000))
        #expect(expired.state == .expired)
    }

    @Test func aTradeEventAddsItsCommissionAndARepeatChangesNothing() throws {
        let r0 = Self.record()
        let new = OrderObservation(try Self.event(type: "NEW", status: "NEW", time: 1_000))
        let (r1, trades1) = try #require(Self.updated(Self.merge(r0, new)))
        #expect(r1.state == .open && r1.exchangeOrderID == Self.orderID && !trades1)
        #expect(Self.merge(r1, new) == .unchanged)

        let t1 = OrderObservation(try Self.event(type: "TRADE", status: "PARTIALLY_FILLED", last: "0.004", cumulative: "0.004",
                                                 lastPrice: "60000", quote: "240", commission: "0.24", asset: "USDT", time: 2_000, trade: 77))
        let (r2, trades2) = try #require(Self.updated(Self.merge(r1, t1)))
        #expect(!trades2 && r2.executedQuantity == Decimal8("0.004") && r2.commissionQuote == Decimal8("0.24") && r2.updatedAt == Timestamp(milliseconds: 2_000))
        #expect(Self.merge(r2, t1) == .unchanged, "the same event twice")
        #expect(Self.merge(r2, new) == .stale, "an older event after a newer one")
        // The poll of the same state changes nothing either.
        let poll = OrderObservation(BinanceOrder(symbol: Self.symbol, orderID: Self.orderID, clientOrderID: Self.clientID, updateTime: Timestamp(milliseconds: 2_000),
                                                 executedQuantity: Decimal8("0.004"), cumulativeQuoteQuantity: Decimal8(240), status: "PARTIALLY_FILLED"), source: .query)
        #expect(Self.merge(r2, poll) == .unchanged)

        // Skipping a trade (its event lost): the row must ask for the order's trades.
        let t3 = OrderObservation(try Self.event(type: "TRADE", status: "FILLED", last: "0.003", cumulative: "0.010", lastPrice: "60000",
                                                 quote: "600", commission: "0.18", asset: "USDT", time: 4_000, trade: 79))
        let (r3, trades3) = try #require(Self.updated(Self.merge(r2, t3)))
        #expect(trades3 && r3.state == .filled && r3.executedQuantity == Decimal8("0.010"))
        // An event of another order with our id (impossible at Binance) is not applied.
        let other = OrderObservation(try Self.event(type: "TRADE", status: "FILLED", orderID: 9, last: "0.010", cumulative: "0.010", time: 5_000, trade: 80))
        #expect(Self.merge(r2, other) == .stale)
    }

    @Test func aPartialFillThenACancelKeepsTheFillAndEndsTheOrder() throws {
        var r = Self.record()
        for o in [
            OrderObservation(try Self.event(type: "NEW", status: "NEW", time: 1_000)),
            OrderObservation(try Self.event(type: "TRADE", status: "PARTIALLY_FILLED", last: "0.002", cumulative: "0.002", lastPrice: "60000",
                                            quote: "120", commission: "0.000002", asset: "BTC", time: 2_000, trade: 5)),
            OrderObservation(try Self.event(type: "CANCELED", status: "CANCELED", client: "cxl1", original: Self.clientID, cumulative: "0.002", quote: "120", time: 3_000)),
        ] {
            r = try #require(Self.updated(Self.merge(r, o))).0
        }
        #expect(r.state == .canceled && r.executedQuantity == Decimal8("0.002") && r.commissionBase == Decimal8("0.000002") && r.cumulativeQuote == Decimal8(120))
        // The NEW event arriving last (reordered) is stale.
        #expect(Self.merge(r, OrderObservation(try Self.event(type: "NEW", status: "NEW", time: 1_000))) == .stale)
    }

    @Test func tradesMustAddUpToTheExecutedQuantity() throws {
        var r = Self.record()
        r.exchangeOrderID = Self.orderID
        r.executedQuantity = Decimal8("0.010")!
        let two = try Self.trades([(Self.orderID, "0.004", "0.24", "USDT"), (Self.orderID, "0.006", "0.000006", "BTC")])
        let summed = try #require(OrderProgress.withTrades(r, two, baseAsset: "BTC", quoteAsset: "USDT"))
        #expect(summed.commissionQuote == Decimal8("0.24") && summed.commissionBase == Decimal8("0.000006"))
        #expect(OrderProgress.withTrades(r, Array(two.prefix(1)), baseAsset: "BTC", quoteAsset: "USDT") == nil, "a lagging trade list")
    }

    static func trades(_ rows: [(Int64, String, String, String)], price: String = "60000") throws -> [AccountTrade] {
        let items = rows.enumerated().map { i, row in
            """
            {"symbol":"\(symbol)","id":\(100 + i),"orderId":\(row.0),"orderListId":-1,"price":"\(price)","qty":"\(row.1)","quoteQty":"0",\
            "commission":"\(row.2)","commissionAsset":"\(row.3)","time":\(1_000 + i),"isBuyer":false,"isMaker":true,"isBestMatch":true}
            """
        }
        return try BinanceDecoder.accountTrades(Array("[\(items.joined(separator: ","))]".utf8))
    }

    // MARK: - Property: any interleaving ends in the same row

    /// One order's life at the exchange: NEW, k trades, then FILLED, CANCELED, EXPIRED or still resting.
    struct Life {
        struct Fill { var quantity: Decimal8; var price: Decimal8; var commission: Decimal8; var asset: String; var id: Int64 }
        var fills: [Fill]
        /// CANCELED or EXPIRED after the trades (nil: filled, or still open).
        var ending: String?
        var filled: Bool

        /// Snapshots: 0 = NEW, 1...k after each trade, k+1 = the ending.
        var count: Int { 1 + fills.count + (ending == nil ? 0 : 1) }
        func trades(in j: Int) -> Int { min(j, fills.count) }
        func executed(_ j: Int) -> Decimal8 { fills.prefix(trades(in: j)).reduce(.zero) { $0 + $1.quantity } }
        func quote(_ j: Int) -> Decimal8 { fills.prefix(trades(in: j)).reduce(.zero) { $0 + $1.quantity.multiplied(by: $1.price) } }
        func time(_ j: Int) -> Timestamp { Timestamp(milliseconds: 1_722_556_800_000 + Int64(j) * 1_000) }
        func status(_ j: Int) -> String {
            if j > fills.count { return ending! }
            if j == 0 { return "NEW" }
            return j == fills.count && filled ? "FILLED" : "PARTIALLY_FILLED"
        }
        func commission(_ j: Int, _ asset: String) -> Decimal8 {
            fills.prefix(trades(in: j)).filter { $0.asset == asset }.reduce(.zero) { $0 + $1.commission }
        }

        func event(_ j: Int) throws -> OrderObservation {
            let type = j == 0 ? "NEW" : j > fills.count ? ending! : "TRADE"
            let fill = type == "TRADE" ? fills[j - 1] : nil
            return OrderObservation(try OrderProgressTests.event(
                type: type, status: status(j), last: fill?.quantity.description ?? "0", cumulative: executed(j).description,
                lastPrice: fill?.price.description ?? "0", quote: quote(j).description, commission: fill?.commission.description ?? "0",
                asset: fill?.asset, time: time(j).milliseconds, trade: fill?.id ?? -1))
        }

        func query(_ j: Int) -> OrderObservation {
            OrderObservation(BinanceOrder(symbol: OrderProgressTests.symbol, orderID: OrderProgressTests.orderID, clientOrderID: OrderProgressTests.clientID,
                                          time: time(0), updateTime: time(j), executedQuantity: executed(j), cumulativeQuoteQuantity: quote(j),
                                          status: status(j)), source: .query)
        }

        /// The placement's FULL answer (the fills so far).
        func answer(_ j: Int) -> OrderObservation {
            let given = fills.prefix(trades(in: j)).map { OrderFill(price: $0.price, quantity: $0.quantity, commission: $0.commission, commissionAsset: $0.asset, tradeID: $0.id) }
            return OrderObservation(BinanceOrder(symbol: OrderProgressTests.symbol, orderID: OrderProgressTests.orderID, clientOrderID: OrderProgressTests.clientID,
                                                 transactTime: time(j), executedQuantity: executed(j), cumulativeQuoteQuantity: quote(j),
                                                 status: status(j), fills: Array(given)), source: .answer, fills: Array(given))
        }

        /// `myTrades` of the order asked when the exchange was at snapshot j.
        func accountTrades(_ j: Int) throws -> [AccountTrade] {
            try OrderProgressTests.trades(fills.prefix(trades(in: j)).map { (OrderProgressTests.orderID, $0.quantity.description, $0.commission.description, $0.asset) })
        }

        static func random(_ g: inout SeededGenerator) -> Life {
            let quantity = Int.random(in: 1...12, using: &g)  // thousandths
            var left = quantity
            var fills: [Fill] = []
            while left > 0 && fills.count < 5 && Int.random(in: 0...4, using: &g) > 0 {
                let q = fills.count == 4 ? left : Int.random(in: 1...left, using: &g)
                left -= q
                let asset = ["BTC", "USDT", "BNB"][Int.random(in: 0...2, using: &g)]
                fills.append(Fill(quantity: Decimal8(units: Int64(q) * 100_000), price: Decimal8(60_000 + Int.random(in: -50...50, using: &g)),
                                  commission: Decimal8(units: Int64.random(in: 1...50_000, using: &g)), asset: asset, id: 1_000 + Int64(fills.count)))
            }
            let filled = left == 0
            let ending: String? = filled ? nil : [nil, "CANCELED", "EXPIRED"][Int.random(in: 0...2, using: &g)]
            return Life(fills: fills, ending: ending, filled: filled)
        }
    }

    @Test func anyInterleavingOfEventsAndPollsEndsInTheSameRow() throws {
        var g = SeededGenerator(seed: 0x5EED_0005)
        for case_ in 0..<400 {
            let life = Life.random(&g)
            let last = life.count - 1
            // Every event 0-2 times, polls and answers of random snapshots, in any order; the final
            // state at least once (from the stream or, when its events are lost, a poll).
            var observations: [(snapshot: Int, observation: OrderObservation)] = []
            for j in 0...last {
                for _ in 0..<Int.random(in: 0...2, using: &g) { observations.append((j, try life.event(j))) }
                for _ in 0..<Int.random(in: 0...1, using: &g) { observations.append((j, life.query(j))) }
                if Int.random(in: 0...9, using: &g) == 0 { observations.append((j, life.answer(j))) }
            }
            if !observations.contains(where: { $0.snapshot == last }) { observations.append((last, life.query(last))) }
            observations.shuffle(using: &g)

            var row = Self.record()
            for (snapshot, observation) in observations {
                guard case .updated(var next, let needsTrades) = Self.merge(row, observation) else { continue }
                if needsTrades {
                    // myTrades answers with the exchange's state when it is asked: this one or later.
                    let asked = Int.random(in: snapshot...last, using: &g)
                    guard let summed = OrderProgress.withTrades(next, try life.accountTrades(asked), baseAsset: "BTC", quoteAsset: "USDT") else { continue }
                    next = summed
                }
                row = next
                // Never a row whose commissions disagree with its executed quantity.
                let j = (0...last).first { life.executed($0) == row.executedQuantity }!
                #expect(row.commissionBase == life.commission(j, "BTC") && row.commissionQuote == life.commission(j, "USDT"), "case \(case_)")
            }
            let expected: OrderRecord = {
                var r = Self.record()
                r.exchangeOrderID = Self.orderID
                r.state = LiveTrader.state(life.status(last))!
                r.executedQuantity = life.executed(last)
                r.cumulativeQuote = life.quote(last)
                r.commissionBase = life.commission(last, "BTC")
                r.commissionQuote = life.commission(last, "USDT")
                r.updatedAt = life.time(last)
                return r
            }()
            #expect(row == expected, "case \(case_): \(observations.count) observations of \(life.count) snapshots")
            if row != expected { break }
        }
    }
}
