import Binance
import Domain
@testable import ExchangeSim
import Foundation
import TestKit
import Testing

/// STOP_LOSS_LIMIT orders and OCO order lists, driven by the sample's own prices: the levels are
/// taken from the bars ahead of the clock, so each test knows which leg the market reaches first.
@Suite(.serialized)
struct OrderListTests {
    static let fee = Decimal8("0.001")!

    /// The 5m bars after the clock's bar (`count` of them).
    static func barsAhead(_ sim: SimHarness, count: Int) async throws -> ArraySlice<Kline> {
        let series = sim.simulator.state.withLock { $0.markets["BTCUSDT"]!.series["5m"]! }
        let from = series.lastIndex(openAtOrBefore: try await sim.serverTime())!
        return series.klines[(from + 1)...(from + count)]
    }

    static func lastPrice(_ sim: SimHarness) async throws -> Decimal8 {
        Decimal8(try await sim.get("/api/v3/ticker/price", "symbol=BTCUSDT").json["price"]!.stringValue!)!
    }

    static func order(_ sim: SimHarness, clientID: String) async throws -> JSON {
        try await sim.signed("GET", "/api/v3/order", [("symbol", "BTCUSDT"), ("origClientOrderId", clientID)]).json
    }

    @Test func stopLossLimitWaitsLockedThenTriggersWhenTheMarketTradesThroughItsStop() async throws {
        let sim = try await SimHarness.start()
        defer { Task { await sim.stop() } }
        let last = try await Self.lastPrice(sim)
        let low = try await Self.barsAhead(sim, count: 24).map(\.low).min()!
        try #require(low < last - Decimal8(50), "the sample must fall within two hours")
        let stop = (low + Decimal8(20)).rounded(toMultipleOf: Decimal8("0.01")!, rule: .down)
        let limit = stop - Decimal8(200)
        let quantity = Decimal8("0.5")!
        // A stop already reached is refused.
        let immediate = try await sim.signed("POST", "/api/v3/order", [
            ("symbol", "BTCUSDT"), ("side", "SELL"), ("type", "STOP_LOSS_LIMIT"), ("timeInForce", "GTC"), ("quantity", "0.5"),
            ("price", limit.compactDescription), ("stopPrice", (last + Decimal8(10)).compactDescription),
        ])
        #expect(immediate.code == -2010 && immediate.json["msg"]?.stringValue == "Order would trigger immediately.", "\(immediate.text)")
        let missingStop = try await sim.signed("POST", "/api/v3/order", [
            ("symbol", "BTCUSDT"), ("side", "SELL"), ("type", "STOP_LOSS_LIMIT"), ("timeInForce", "GTC"), ("quantity", "0.5"), ("price", limit.compactDescription),
        ])
        #expect(missingStop.code == -1102, "\(missingStop.text)")

        let placed = try await sim.signed("POST", "/api/v3/order", [
            ("symbol", "BTCUSDT"), ("side", "SELL"), ("type", "STOP_LOSS_LIMIT"), ("timeInForce", "GTC"), ("quantity", quantity.compactDescription),
            ("price", limit.compactDescription), ("stopPrice", stop.compactDescription), ("newClientOrderId", "stop-1"),
        ])
        #expect(placed.status == 200, "\(placed.text)")
        // Not MARKET or LIMIT: ACK by default, as Binance.
        #expect(placed.json.keys == ["symbol", "orderId", "orderListId", "clientOrderId", "transactTime"])
        var query = try await Self.order(sim, clientID: "stop-1")
        #expect(query["status"]?.stringValue == "NEW" && query["isWorking"]?.boolValue == false && query["workingTime"]?.intValue == -1)
        #expect(query["stopPrice"]?.stringValue == stop.description && query["type"]?.stringValue == "STOP_LOSS_LIMIT")
        var balances = try await sim.account()
        #expect(balances["BTC"]?.locked == quantity && balances["BTC"]?.free == SimHarness.btc - quantity)

        try await sim.advance(milliseconds: 3 * 3_600_000)
        query = try await Self.order(sim, clientID: "stop-1")
        #expect(query["status"]?.stringValue == "FILLED", "\(query.text)")
        #expect(query["isWorking"]?.boolValue == true && (query["workingTime"]?.intValue ?? -1) > query["time"]!.intValue!)
        let trades = try await sim.signed("GET", "/api/v3/myTrades", [("symbol", "BTCUSDT"), ("orderId", String(query["orderId"]!.intValue!))]).json.arrayValue!
        #expect(!trades.isEmpty)
        var received = Decimal8.zero, fees = Decimal8.zero, sold = Decimal8.zero
        for trade in trades {
            let price = Decimal8(trade["price"]!.stringValue!)!
            // Triggered at or below the stop, then sold at the book: never below the limit price.
            #expect(price >= limit && price <= stop)
            #expect(trade["isMaker"]?.boolValue == false)
            sold += Decimal8(trade["qty"]!.stringValue!)!
            received += Decimal8(trade["quoteQty"]!.stringValue!)!
            fees += Decimal8(trade["commission"]!.stringValue!)!
        }
        #expect(sold == quantity)
        #expect(query["cummulativeQuoteQty"]?.stringValue == received.description)
        balances = try await sim.account()
        #expect(balances["BTC"]?.locked == .zero && balances["BTC"]?.free == SimHarness.btc - quantity)
        #expect(balances["USDT"]?.free == SimHarness.usdt + received - fees && balances["USDT"]?.locked == .zero)
    }

    @Test func ourOwnMarketSellTradesThroughAStopAndTriggersIt() async throws {
        let sim = try await SimHarness.start { $0.initialBalances = ["USDT": SimHarness.usdt, "BTC": Decimal8(1000)] }
        defer { Task { await sim.stop() } }
        let book = try await sim.get("/api/v3/depth", "symbol=BTCUSDT&limit=20").json
        let bids = book["bids"]!.arrayValue!.map { Decimal8($0[0]!.stringValue!)! }
        // A stop a few levels down; a MARKET SELL big enough to take every level above it.
        let stop = bids[5]
        let placed = try await sim.signed("POST", "/api/v3/order", [
            ("symbol", "BTCUSDT"), ("side", "SELL"), ("type", "STOP_LOSS_LIMIT"), ("timeInForce", "GTC"), ("quantity", "0.01"),
            ("price", (stop - Decimal8(500)).compactDescription), ("stopPrice", stop.compactDescription), ("newClientOrderId", "own-stop"),
        ])
        #expect(placed.status == 200, "\(placed.text)")
        let levels = book["bids"]!.arrayValue!.prefix(7).map { Decimal8($0[1]!.stringValue!)! }
        let sell = try await sim.signed("POST", "/api/v3/order", [
            ("symbol", "BTCUSDT"), ("side", "SELL"), ("type", "MARKET"), ("quantity", levels.reduce(Decimal8.zero, +).compactDescription),
        ])
        #expect(sell.json["status"]?.stringValue == "FILLED", "\(sell.text)")
        // No market step in between: our own trades reached the stop.
        let query = try await Self.order(sim, clientID: "own-stop")
        #expect(query["status"]?.stringValue == "FILLED" && query["isWorking"]?.boolValue == true, "\(query.text)")
    }

    @Test func takeProfitLimitBuyTriggersBelowAndCancelReleasesTheLock() async throws {
        let sim = try await SimHarness.start()
        defer { Task { await sim.stop() } }
        let last = try await Self.lastPrice(sim)
        let stop = last - Decimal8(5000)
        let placed = try await sim.signed("POST", "/api/v3/order", [
            ("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "TAKE_PROFIT_LIMIT"), ("timeInForce", "GTC"), ("quantity", "0.1"),
            ("price", stop.compactDescription), ("stopPrice", stop.compactDescription), ("newOrderRespType", "RESULT"), ("newClientOrderId", "tp-1"),
        ])
        #expect(placed.json["status"]?.stringValue == "NEW" && placed.json["stopPrice"]?.stringValue == stop.description, "\(placed.text)")
        #expect(placed.json["workingTime"]?.intValue == -1)
        let cost = stop.multiplied(by: Decimal8("0.1")!)
        #expect(try await sim.account()["USDT"]?.locked == cost)
        let cancel = try await sim.signed("DELETE", "/api/v3/order", [("symbol", "BTCUSDT"), ("origClientOrderId", "tp-1")])
        #expect(cancel.json["status"]?.stringValue == "CANCELED" && cancel.json["stopPrice"]?.stringValue == stop.description)
        let balances = try await sim.account()
        #expect(balances["USDT"]?.locked == .zero && balances["USDT"]?.free == SimHarness.usdt)
    }

    /// Places a SELL OCO for `quantity` BTC (above: LIMIT_MAKER take profit; below: STOP_LOSS_LIMIT).
    static func sellOCO(_ sim: SimHarness, quantity: String, takeProfit: Decimal8, stop: Decimal8, stopLimit: Decimal8, list: String) async throws -> SimHarness.Reply {
        try await sim.signed("POST", "/api/v3/orderList/oco", [
            ("symbol", "BTCUSDT"), ("side", "SELL"), ("quantity", quantity), ("listClientOrderId", list),
            ("aboveType", "LIMIT_MAKER"), ("abovePrice", takeProfit.compactDescription), ("aboveClientOrderId", "\(list)-tp"),
            ("belowType", "STOP_LOSS_LIMIT"), ("belowPrice", stopLimit.compactDescription), ("belowStopPrice", stop.compactDescription),
            ("belowTimeInForce", "GTC"), ("belowClientOrderId", "\(list)-sl"),
        ])
    }

    @Test func ocoTakeProfitFillsAndTheStopLegExpiresWithOneLock() async throws {
        let sim = try await SimHarness.start()
        defer { Task { await sim.stop() } }
        let ahead = try await Self.barsAhead(sim, count: 24)
        let last = try await Self.lastPrice(sim)
        let high = ahead.prefix(6).map(\.high).max()!
        try #require(high > last + Decimal8(2), "the sample must rise within half an hour")
        let takeProfit = high - Decimal8(1)
        let stop = ahead.map(\.low).min()! - Decimal8(500)
        let quantity = Decimal8(1)
        let placed = try await Self.sellOCO(sim, quantity: "1", takeProfit: takeProfit, stop: stop, stopLimit: stop - Decimal8(10), list: "oco1")
        #expect(placed.status == 200, "\(placed.text)")
        let reports = try #require(placed.json["orderReports"]?.arrayValue)
        #expect(reports.map { $0["type"]?.stringValue } == ["STOP_LOSS_LIMIT", "LIMIT_MAKER"])
        #expect(reports.map { $0["clientOrderId"]?.stringValue } == ["oco1-sl", "oco1-tp"])
        #expect(placed.json["listOrderStatus"]?.stringValue == "EXECUTING" && placed.json["listClientOrderId"]?.stringValue == "oco1")
        // One lock for both legs.
        var balances = try await sim.account()
        #expect(balances["BTC"]?.locked == quantity && balances["BTC"]?.free == SimHarness.btc - quantity)
        #expect(try await sim.signed("GET", "/api/v3/openOrderList", []).json.arrayValue?.count == 1)
        #expect(try await sim.signed("GET", "/api/v3/openOrders", [("symbol", "BTCUSDT")]).json.arrayValue?.count == 2)
        // A second list with the same leg ids is a duplicate; not enough BTC for another 10.
        #expect(try await Self.sellOCO(sim, quantity: "1", takeProfit: takeProfit, stop: stop, stopLimit: stop, list: "oco1").code == -2010)
        #expect(try await Self.sellOCO(sim, quantity: "10", takeProfit: takeProfit, stop: stop, stopLimit: stop, list: "oco2").json["msg"]?.stringValue
                == "Account has insufficient balance for requested action.")

        try await sim.advance(milliseconds: 40 * 60_000)
        let list = try await sim.signed("GET", "/api/v3/orderList", [("origClientOrderId", "oco1")]).json
        #expect(list["listStatusType"]?.stringValue == "ALL_DONE" && list["listOrderStatus"]?.stringValue == "ALL_DONE", "\(list.text)")
        let tp = try await Self.order(sim, clientID: "oco1-tp"), sl = try await Self.order(sim, clientID: "oco1-sl")
        #expect(tp["status"]?.stringValue == "FILLED" && sl["status"]?.stringValue == "EXPIRED")
        #expect(tp["orderListId"]?.intValue == list["orderListId"]?.intValue)
        let proceeds = takeProfit.multiplied(by: quantity)
        balances = try await sim.account()
        #expect(balances["BTC"]?.locked == .zero && balances["BTC"]?.free == SimHarness.btc - quantity)
        #expect(balances["USDT"]?.free == SimHarness.usdt + proceeds - proceeds.multiplied(by: Self.fee, rounding: .up))
        #expect(try await sim.signed("GET", "/api/v3/openOrderList", []).json.arrayValue?.isEmpty == true)
        let trade = try #require(try await sim.signed("GET", "/api/v3/myTrades", [("symbol", "BTCUSDT")]).json[0])
        #expect(trade["isMaker"]?.boolValue == true && trade["orderListId"]?.intValue == list["orderListId"]?.intValue)
    }

    @Test func ocoStopLegTriggersAndTheTakeProfitExpires() async throws {
        let sim = try await SimHarness.start()
        defer { Task { await sim.stop() } }
        let ahead = try await Self.barsAhead(sim, count: 24)
        let last = try await Self.lastPrice(sim)
        let low = ahead.map(\.low).min()!
        try #require(low < last - Decimal8(50))
        let stop = (low + Decimal8(20)).rounded(toMultipleOf: Decimal8("0.01")!, rule: .down)
        let takeProfit = ahead.map(\.high).max()! + Decimal8(1000)
        // Wrong price relation: the stop above the last price.
        let bad = try await Self.sellOCO(sim, quantity: "0.3", takeProfit: takeProfit, stop: last + Decimal8(10), stopLimit: last, list: "bad")
        #expect(bad.code == -2010 && bad.json["msg"]?.stringValue == "The relationship of the prices for the orders is not correct.", "\(bad.text)")
        let wrongType = try await sim.signed("POST", "/api/v3/orderList/oco", [
            ("symbol", "BTCUSDT"), ("side", "SELL"), ("quantity", "0.3"), ("aboveType", "STOP_LOSS_LIMIT"), ("abovePrice", takeProfit.compactDescription),
            ("aboveStopPrice", takeProfit.compactDescription), ("aboveTimeInForce", "GTC"), ("belowType", "LIMIT_MAKER"), ("belowPrice", stop.compactDescription),
        ])
        #expect(wrongType.code == -1013, "\(wrongType.text)")

        let placed = try await Self.sellOCO(sim, quantity: "0.3", takeProfit: takeProfit, stop: stop, stopLimit: stop - Decimal8(300), list: "oco-sl")
        #expect(placed.status == 200, "\(placed.text)")
        try await sim.advance(milliseconds: 3 * 3_600_000)
        let sl = try await Self.order(sim, clientID: "oco-sl-sl"), tp = try await Self.order(sim, clientID: "oco-sl-tp")
        #expect(sl["status"]?.stringValue == "FILLED" && tp["status"]?.stringValue == "EXPIRED", "\(sl.text) \(tp.text)")
        let received = Decimal8(sl["cummulativeQuoteQty"]!.stringValue!)!
        let trades = try await sim.signed("GET", "/api/v3/myTrades", [("symbol", "BTCUSDT")]).json.arrayValue!
        let fees = trades.reduce(Decimal8.zero) { $0 + Decimal8($1["commission"]!.stringValue!)! }
        let balances = try await sim.account()
        #expect(balances["BTC"]?.locked == .zero && balances["BTC"]?.free == SimHarness.btc - Decimal8("0.3")!)
        #expect(balances["USDT"]?.free == SimHarness.usdt + received - fees)
    }

    @Test func cancellingTheListOrOneLegCancelsBothAndLegacyOCOWorks() async throws {
        let sim = try await SimHarness.start()
        defer { Task { await sim.stop() } }
        let last = try await Self.lastPrice(sim)
        let placed = try await Self.sellOCO(sim, quantity: "2", takeProfit: last + Decimal8(3000), stop: last - Decimal8(3000), stopLimit: last - Decimal8(3100), list: "c1")
        #expect(placed.status == 200, "\(placed.text)")
        let canceled = try await sim.signed("DELETE", "/api/v3/orderList", [("symbol", "BTCUSDT"), ("listClientOrderId", "c1")])
        #expect(canceled.json["listOrderStatus"]?.stringValue == "ALL_DONE", "\(canceled.text)")
        #expect(canceled.json["orderReports"]?.arrayValue?.allSatisfy { $0["status"]?.stringValue == "CANCELED" } == true)
        var balances = try await sim.account()
        #expect(balances["BTC"]?.locked == .zero && balances["BTC"]?.free == SimHarness.btc)
        #expect(try await sim.signed("DELETE", "/api/v3/orderList", [("symbol", "BTCUSDT"), ("listClientOrderId", "c1")]).code == -2011)
        #expect(try await sim.signed("GET", "/api/v3/orderList", [("orderListId", "999")]).code == -2013)
        let legID = String(placed.json["orders"]![0]!["orderId"]!.intValue!)
        #expect(try await sim.signed("GET", "/api/v3/order", [("symbol", "BTCUSDT"), ("orderId", legID), ("origClientOrderId", "c1-tp")]).code == -2039)

        // The deprecated endpoint: price = the limit leg, stopPrice/stopLimitPrice = the stop leg.
        let legacy = try await sim.signed("POST", "/api/v3/order/oco", [
            ("symbol", "BTCUSDT"), ("side", "SELL"), ("quantity", "1"), ("price", (last + Decimal8(3000)).compactDescription),
            ("stopPrice", (last - Decimal8(3000)).compactDescription), ("stopLimitPrice", (last - Decimal8(3100)).compactDescription),
            ("stopLimitTimeInForce", "GTC"), ("limitClientOrderId", "legacy-tp"), ("stopClientOrderId", "legacy-sl"),
        ])
        #expect(legacy.status == 200, "\(legacy.text)")
        // Cancelling one leg cancels the list.
        let leg = try await sim.signed("DELETE", "/api/v3/order", [("symbol", "BTCUSDT"), ("origClientOrderId", "legacy-tp")])
        #expect(leg.json["status"]?.stringValue == "CANCELED" && leg.json["orderListId"]?.intValue == legacy.json["orderListId"]?.intValue)
        #expect(try await Self.order(sim, clientID: "legacy-sl")["status"]?.stringValue == "CANCELED")
        balances = try await sim.account()
        #expect(balances["BTC"]?.locked == .zero && balances["BTC"]?.free == SimHarness.btc)

        // DELETE openOrders cancels plain orders and lists alike.
        _ = try await Self.sellOCO(sim, quantity: "1", takeProfit: last + Decimal8(3000), stop: last - Decimal8(3000), stopLimit: last - Decimal8(3100), list: "c2")
        _ = try await sim.signed("POST", "/api/v3/order", [
            ("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "LIMIT"), ("timeInForce", "GTC"), ("quantity", "0.01"), ("price", (last - Decimal8(4000)).compactDescription),
        ])
        let all = try await sim.signed("DELETE", "/api/v3/openOrders", [("symbol", "BTCUSDT")]).json.arrayValue ?? []
        #expect(all.count == 2 && all[0]["orderId"] != nil && all[1]["orderListId"] != nil && all[1]["orderReports"]?.arrayValue?.count == 2)
        balances = try await sim.account()
        #expect(balances["BTC"]?.locked == .zero && balances["USDT"]?.locked == .zero)
    }

    @Test func buyOCOLocksTheLargerNotionalAndReleasesTheRest() async throws {
        let sim = try await SimHarness.start()
        defer { Task { await sim.stop() } }
        let last = try await Self.lastPrice(sim)
        let ahead = try await Self.barsAhead(sim, count: 24)
        let low = ahead.prefix(6).map(\.low).min()!
        try #require(low < last - Decimal8(2))
        // BUY: above = stop (entry on a breakout, never reached here), below = LIMIT_MAKER at the dip.
        let buyAt = low + Decimal8(1)
        let stop = ahead.map(\.high).max()! + Decimal8(500)
        let placed = try await sim.signed("POST", "/api/v3/orderList/oco", [
            ("symbol", "BTCUSDT"), ("side", "BUY"), ("quantity", "0.5"),
            ("aboveType", "STOP_LOSS_LIMIT"), ("abovePrice", (stop + Decimal8(100)).compactDescription), ("aboveStopPrice", stop.compactDescription),
            ("aboveTimeInForce", "GTC"), ("belowType", "LIMIT_MAKER"), ("belowPrice", buyAt.compactDescription), ("belowClientOrderId", "dip"),
        ])
        #expect(placed.status == 200, "\(placed.text)")
        let half = Decimal8("0.5")!
        #expect(try await sim.account()["USDT"]?.locked == (stop + Decimal8(100)).multiplied(by: half))
        try await sim.advance(milliseconds: 40 * 60_000)
        #expect(try await Self.order(sim, clientID: "dip")["status"]?.stringValue == "FILLED")
        let cost = buyAt.multiplied(by: half)
        let balances = try await sim.account()
        #expect(balances["USDT"]?.locked == .zero && balances["USDT"]?.free == SimHarness.usdt - cost)
        #expect(balances["BTC"]?.free == SimHarness.btc + half - half.multiplied(by: Self.fee, rounding: .up))
    }
}
