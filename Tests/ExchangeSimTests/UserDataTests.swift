import Binance
import BinanceClient
import Crypto
import Domain
@testable import ExchangeSim
import Foundation
import Synchronization
import TestKit
import Testing

extension SimHarness {
    /// A WebSocket API connection (`/ws-api/v3`).
    func apiConnection(query: String = "") -> StreamRecorder {
        StreamRecorder(url: wsBase + "/ws-api/v3" + (query.isEmpty ? "" : "?" + query))
    }

    /// A signed WebSocket API request: the parameters sorted by name, unencoded, HMAC hex.
    func apiRequest(id: String, method: String, params: [String: String], secret: String = SimHarness.secret) -> String {
        var params = params
        params["signature"] = BinanceSigning.hmacSHA256Hex(payload: BinanceSigning.webSocketAPIPayload(params), secretKey: secret)
        let fields = params.keys.sorted().map { key -> (String, JSON) in
            (key, key == "timestamp" ? .int(Int64(params[key]!)!) : .string(params[key]!))
        }
        return JSON.object([("id", .string(id)), ("method", .string(method)), ("params", .object(fields))]).text
    }
}

extension StreamRecorder {
    /// The parsed messages.
    var json: [JSON] { all.compactMap { try? JSON.parse($0) } }
    /// The answer to request `id`.
    func answer(_ id: String) -> JSON? { json.first { $0["id"]?.stringValue == id } }
    /// The user-data events (inside their envelope), of type `type` if given.
    func events(_ type: String? = nil) -> [JSON] {
        json.filter { $0["event"] != nil && (type == nil || $0["event"]?["e"]?.stringValue == type) }
    }
}

/// What a client task and the test share.
final class EventLog<Item: Sendable>: Sendable {
    let items = Mutex<[Item]>([])
}

/// The WebSocket API's user data stream (session.logon, userDataStream.subscribe[.signature],
/// unsubscribe) and its events; the order faults; the client (`BinanceUserDataClient`) over loopback.
@Suite(.serialized)
struct UserDataTests {
    @Test func subscribeBySignatureThenEveryOrderChangeIsAnEvent() async throws {
        let sim = try await SimHarness.start()
        defer { Task { await sim.stop() } }
        let api = sim.apiConnection()
        defer { api.stop() }
        try await poll("the API connection", timeout: 20) { try await sim.get("/sim/state").json["connections"]?.intValue == 1 }
        api.send("{\"id\":\"p\",\"method\":\"ping\"}")
        let ts = String(try await sim.serverTime())
        api.send(sim.apiRequest(id: "bad", method: "userDataStream.subscribe.signature", params: ["apiKey": SimHarness.apiKey, "timestamp": ts], secret: "wrong"))
        api.send(sim.apiRequest(id: "sub", method: "userDataStream.subscribe.signature", params: ["apiKey": SimHarness.apiKey, "timestamp": ts]))
        try await api.waitFor("three answers") { _ in api.answer("sub") != nil }
        #expect(api.answer("p")?["status"]?.intValue == 200 && api.answer("p")?["result"] == .object([]))
        #expect(api.answer("bad")?["status"]?.intValue == 400 && api.answer("bad")?["error"]?["code"]?.intValue == -1022)
        let sub = try #require(api.answer("sub"))
        #expect(sub["status"]?.intValue == 200 && sub["result"]?["subscriptionId"]?.intValue == 0, "\(sub.text)")

        // A resting LIMIT: NEW; a MARKET: NEW then TRADE(s); a cancel: CANCELED with C = the original id.
        let bid = Decimal8(try await sim.get("/api/v3/ticker/bookTicker", "symbol=BTCUSDT").json["bidPrice"]!.stringValue!)!
        _ = try await sim.signed("POST", "/api/v3/order", [
            ("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "LIMIT"), ("timeInForce", "GTC"), ("quantity", "0.01"),
            ("price", (bid - Decimal8(3000)).compactDescription), ("newClientOrderId", "rest-a"),
        ])
        let market = try await sim.signed("POST", "/api/v3/order", [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "MARKET"), ("quantity", "0.02"), ("newClientOrderId", "mkt-a")])
        _ = try await sim.signed("DELETE", "/api/v3/order", [("symbol", "BTCUSDT"), ("origClientOrderId", "rest-a"), ("newClientOrderId", "cxl-a")])
        try await api.waitFor("the cancel's events") { _ in
            api.events("executionReport").contains { $0["event"]?["x"]?.stringValue == "CANCELED" } && api.events("outboundAccountPosition").count >= 3
        }
        let reports = api.events("executionReport").map { $0["event"]! }
        #expect(api.events().allSatisfy { $0["subscriptionId"]?.intValue == 0 && $0.keys == ["subscriptionId", "event"] })
        #expect(reports.first?["c"]?.stringValue == "rest-a" && reports.first?["x"]?.stringValue == "NEW" && reports.first?["w"]?.boolValue == true)
        let marketReports = reports.filter { $0["c"]?.stringValue == "mkt-a" }
        #expect(marketReports.first?["x"]?.stringValue == "NEW")
        let trades = marketReports.filter { $0["x"]?.stringValue == "TRADE" }
        #expect(trades.count == market.json["fills"]?.arrayValue?.count)
        #expect(trades.last?["X"]?.stringValue == "FILLED" && trades.last?["z"]?.stringValue == "0.02000000")
        #expect(trades.last?["Z"]?.stringValue == market.json["cummulativeQuoteQty"]?.stringValue)
        #expect(trades.first?["N"]?.stringValue == "BTC" && trades.first?["t"]?.intValue == market.json["fills"]?[0]?["tradeId"]?.intValue)
        let cancel = try #require(reports.last)
        #expect(cancel["x"]?.stringValue == "CANCELED" && cancel["c"]?.stringValue == "cxl-a" && cancel["C"]?.stringValue == "rest-a")
        // The balances after each operation.
        let positions = api.events("outboundAccountPosition").map { $0["event"]! }
        #expect(positions.count == 3)
        let balances = try await sim.account()
        let lastUSDT = positions.last?["B"]?.arrayValue?.first { $0["a"]?.stringValue == "USDT" }
        #expect(lastUSDT?["f"]?.stringValue == balances["USDT"]?.free.description && lastUSDT?["l"]?.stringValue == "0.00000000")

        // Unsubscribe: eventStreamTerminated, then nothing more; a second unsubscribe is -2036.
        api.send("{\"id\":\"u1\",\"method\":\"userDataStream.unsubscribe\",\"params\":{\"subscriptionId\":0}}")
        api.send("{\"id\":\"u2\",\"method\":\"userDataStream.unsubscribe\"}")
        try await api.waitFor("the unsubscribe answers") { _ in api.answer("u2") != nil }
        #expect(api.answer("u1")?["status"]?.intValue == 200)
        #expect(api.answer("u2")?["error"]?["code"]?.intValue == -2036)
        #expect(api.events("eventStreamTerminated").count == 1)
        let before = api.events().count
        _ = try await sim.signed("POST", "/api/v3/order", [("symbol", "BTCUSDT"), ("side", "SELL"), ("type", "MARKET"), ("quantity", "0.01")])
        api.send("{\"id\":\"p2\",\"method\":\"ping\"}")
        try await api.waitFor("the ping after the order") { _ in api.answer("p2") != nil }
        #expect(api.events().count == before)
    }

    @Test func depositsAreBalanceUpdates() async throws {
        let sim = try await SimHarness.start()
        defer { Task { await sim.stop() } }
        let api = sim.apiConnection()
        defer { api.stop() }
        api.send(sim.apiRequest(id: "sub", method: "userDataStream.subscribe.signature", params: ["apiKey": SimHarness.apiKey, "timestamp": String(try await sim.serverTime())]))
        try await api.waitFor("the subscription") { _ in api.answer("sub") != nil }
        let deposit = try await sim.request("POST", "/sim/balance", body: "{\"apiKey\":\"\(SimHarness.apiKey)\",\"asset\":\"BNB\",\"delta\":\"2.5\"}")
        #expect(deposit.status == 200 && deposit.json["free"]?.stringValue == "2.50000000", "\(deposit.text)")
        let overdraw = try await sim.request("POST", "/sim/balance", body: "{\"apiKey\":\"\(SimHarness.apiKey)\",\"asset\":\"BNB\",\"delta\":\"-3\"}")
        #expect(overdraw.status == 400)
        try await api.waitFor("the balance events") { _ in !api.events("outboundAccountPosition").isEmpty }
        let update = try #require(api.events("balanceUpdate").first?["event"])
        #expect(update["a"]?.stringValue == "BNB" && update["d"]?.stringValue == "2.50000000")
        #expect(try await sim.account()["BNB"]?.free == Decimal8("2.5")!)
        if ShapeTests.fixtures != nil { try ShapeTests.expectShape(api.events("balanceUpdate")[0], "ws_balanceUpdate_event") }
    }

    @Test func logonNeedsAnEd25519KeyAndSubscribeNeedsALogon() async throws {
        let key = Curve25519.Signing.PrivateKey()
        let sim = try await SimHarness.start {
            $0.apiKeys.append(SimConfiguration.APIKey.ed25519(key: "ed-key", publicKey: key.publicKey.rawRepresentation.base64EncodedString())!)
        }
        defer { Task { await sim.stop() } }
        let api = sim.apiConnection(query: "returnRateLimits=false")
        defer { api.stop() }
        try await poll("the API connection", timeout: 20) { try await sim.get("/sim/state").json["connections"]?.intValue == 1 }
        let ts = String(try await sim.serverTime())
        api.send("{\"id\":\"early\",\"method\":\"userDataStream.subscribe\"}")
        api.send(sim.apiRequest(id: "hmac", method: "session.logon", params: ["apiKey": SimHarness.apiKey, "timestamp": ts]))
        let payload = BinanceSigning.webSocketAPIPayload(["apiKey": "ed-key", "timestamp": ts])
        let signature = try key.signature(for: Data(payload.utf8)).base64EncodedString()
        api.send(JSON.object([("id", .string("logon")), ("method", .string("session.logon")), ("params", .object([
            ("apiKey", .string("ed-key")), ("signature", .string(signature)), ("timestamp", .int(Int64(ts)!)),
        ]))]).text)
        api.send("{\"id\":\"sub\",\"method\":\"userDataStream.subscribe\"}")
        api.send("{\"id\":\"again\",\"method\":\"userDataStream.subscribe\"}")
        api.send("{\"id\":\"list\",\"method\":\"session.subscriptions\"}")
        try await api.waitFor("the answers") { _ in api.answer("list") != nil }
        #expect(api.answer("early")?["status"]?.intValue == 401 && api.answer("early")?["error"]?["code"]?.intValue == -1002)
        #expect(api.answer("hmac")?["error"]?["code"]?.intValue == -4056)
        let logon = try #require(api.answer("logon"))
        #expect(logon["result"]?["apiKey"]?.stringValue == "ed-key", "\(logon.text)")
        #expect(api.answer("sub")?["result"]?["subscriptionId"]?.intValue == 0)
        #expect(api.answer("again")?["error"]?["code"]?.intValue == -2035)
        #expect(api.answer("list")?["result"]?.arrayValue?.count == 1)
        if ShapeTests.fixtures != nil {
            try ShapeTests.expectShape(logon, "wsapi_session_logon_response")
            try ShapeTests.expectShape(api.answer("sub")!, "wsapi_userDataStream_subscribe_response")
        }
        // Events of the Ed25519 key's account come through the logon's subscription.
        let query = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&timestamp=\(try await sim.serverTime())"
        let orderSignature = try key.signature(for: Data(query.utf8)).base64EncodedString()
        let order = try await sim.request("POST", "/api/v3/order", query: query + "&signature=" + BinanceSigning.percentEncode(orderSignature),
                                          headers: [("X-MBX-APIKEY", "ed-key")])
        #expect(order.status == 200, "\(order.text)")
        try await api.waitFor("the order's events") { _ in api.events("executionReport").count >= 2 }
        // Logging out ends the logon's subscription.
        api.send("{\"id\":\"out\",\"method\":\"session.logout\"}")
        try await api.waitFor("the logout") { _ in api.answer("out") != nil }
        #expect(api.answer("out")?["result"]?["apiKey"] == .null && api.events("eventStreamTerminated").count == 1)
    }

    @Test(.enabled(if: RepositoryPaths.shared != nil, "\(RepositoryPaths.sharedMissingReason ?? "")"))
    func userDataAndOrderListShapesAreBinances() async throws {
        let sim = try await SimHarness.start()
        defer { Task { await sim.stop() } }
        let api = sim.apiConnection()
        defer { api.stop() }
        try await poll("the API connection", timeout: 20) { try await sim.get("/sim/state").json["connections"]?.intValue == 1 }
        api.send(sim.apiRequest(id: "sub", method: "userDataStream.subscribe.signature", params: ["apiKey": SimHarness.apiKey, "timestamp": String(try await sim.serverTime())]))
        try await api.waitFor("the subscription") { _ in api.answer("sub") != nil }
        let last = try await OrderListTests.lastPrice(sim)
        let oco = try await OrderListTests.sellOCO(sim, quantity: "1", takeProfit: last + Decimal8(3000), stop: last - Decimal8(3000), stopLimit: last - Decimal8(3100), list: "shape")
        try ShapeTests.expectShape(oco.json, "rest_orderList_oco_response", optional: ["stopPrice", "icebergQty"])
        try ShapeTests.expectShape(try await sim.signed("GET", "/api/v3/orderList", [("origClientOrderId", "shape")]).json, "rest_orderList_query_response")
        try ShapeTests.expectShape(try await sim.signed("GET", "/api/v3/openOrderList", []).json, "rest_openOrderList_response")
        try ShapeTests.expectShape(try await sim.signed("GET", "/api/v3/allOrderList", []).json, "rest_openOrderList_response")
        try ShapeTests.expectShape(try await sim.signed("GET", "/api/v3/order", [("symbol", "BTCUSDT"), ("origClientOrderId", "shape-sl")]).json, "rest_order_query_response")
        let canceled = try await sim.signed("DELETE", "/api/v3/orderList", [("symbol", "BTCUSDT"), ("listClientOrderId", "shape")])
        try ShapeTests.expectShape(canceled.json, "rest_orderList_cancel_response", optional: ["stopPrice"])
        // DELETE openOrders: order reports and list reports mixed, each as Binance's.
        _ = try await OrderListTests.sellOCO(sim, quantity: "1", takeProfit: last + Decimal8(3000), stop: last - Decimal8(3000), stopLimit: last - Decimal8(3100), list: "mixed")
        _ = try await sim.signed("POST", "/api/v3/order", [
            ("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "LIMIT"), ("timeInForce", "GTC"), ("quantity", "0.01"), ("price", (last - Decimal8(4000)).compactDescription),
        ])
        let mixed = try await sim.signed("DELETE", "/api/v3/openOrders", [("symbol", "BTCUSDT")]).json
        let reference = try ShapeTests.fixture("rest_openOrders_cancelAll_response")
        #expect(mixed.arrayValue?.count == 2)
        #expect(ShapeTests.mismatches(mixed[0]!, reference[0]!).isEmpty, "\(ShapeTests.mismatches(mixed[0]!, reference[0]!))")
        let listProblems = ShapeTests.mismatches(mixed[1]!, reference[2]!, optional: ["stopPrice", "icebergQty"])
        #expect(listProblems.isEmpty, "\(listProblems)")
        _ = try await sim.signed("POST", "/api/v3/order", [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "MARKET"), ("quantity", "0.01")])
        try await api.waitFor("a trade event") { _ in api.events("executionReport").contains { $0["event"]?["x"]?.stringValue == "TRADE" } }
        for event in api.events("executionReport") {
            // `v` (prevented match id) is conditional; `W` only once the order works.
            try ShapeTests.expectShape(event, "ws_executionReport_event", optional: ["v", "W"], skip: ["N"])
        }
        let trade = try #require(api.events("executionReport").first { $0["event"]?["x"]?.stringValue == "TRADE" })
        #expect(trade["event"]?["N"]?.stringValue == "BTC")
        for event in api.events("listStatus") { try ShapeTests.expectShape(event, "ws_listStatus_event") }
        #expect(api.events("listStatus").map { $0["event"]!["L"]!.stringValue! } == ["EXECUTING", "ALL_DONE", "EXECUTING", "ALL_DONE"])
        for event in api.events("outboundAccountPosition") { try ShapeTests.expectShape(event, "ws_outboundAccountPosition_event") }
        #expect(!api.events("outboundAccountPosition").isEmpty)
    }

    @Test func orderFaultsLeaveTheOrderUnknownToTheClientButNotToTheExchange() async throws {
        let sim = try await SimHarness.start()
        defer { Task { await sim.stop() } }
        let market = [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "MARKET"), ("quantity", "0.01")]
        // Rejected before acting: 503, no order; queries still answer.
        _ = try await sim.request("POST", "/sim/faults", body: "{\"http5xxBeforeExecute\":1}")
        let rejected = try await sim.signed("POST", "/api/v3/order", market + [("newClientOrderId", "f-1")])
        #expect(rejected.status == 503 && rejected.code == -1008)
        #expect(try await sim.signed("GET", "/api/v3/order", [("symbol", "BTCUSDT"), ("origClientOrderId", "f-1")]).code == -2013)
        // Executed, then 503: the order exists.
        _ = try await sim.request("POST", "/sim/faults", body: "{\"http5xxAfterExecute\":1}")
        let last = try await OrderListTests.lastPrice(sim)
        let oco = try await OrderListTests.sellOCO(sim, quantity: "1", takeProfit: last + Decimal8(3000), stop: last - Decimal8(3000), stopLimit: last - Decimal8(3100), list: "f-oco")
        #expect(oco.status == 503)
        #expect(try await sim.signed("GET", "/api/v3/orderList", [("origClientOrderId", "f-oco")]).json["listOrderStatus"]?.stringValue == "EXECUTING")
        // Executed, the answer held: the client waits while the order is already there.
        _ = try await sim.request("POST", "/sim/faults", body: "{\"timeoutAfterExecute\":1,\"timeoutMs\":2000}")
        let started = ContinuousClock.now
        let slow = Task { try await sim.signed("POST", "/api/v3/order", market + [("newClientOrderId", "f-2")]) }
        try await poll("the held order to exist", timeout: 10) {
            try await sim.signed("GET", "/api/v3/order", [("symbol", "BTCUSDT"), ("origClientOrderId", "f-2")]).json["status"]?.stringValue == "FILLED"
        }
        let answer = try await slow.value
        #expect(answer.status == 200 && ContinuousClock.now - started >= .milliseconds(2000))
        let faults = try await sim.get("/sim/state").json["faults"]!
        #expect(faults["http5xxBeforeExecute"]?.intValue == 0 && faults["timeoutAfterExecute"]?.intValue == 0)

        // A lost user-data event.
        let api = sim.apiConnection()
        defer { api.stop() }
        api.send(sim.apiRequest(id: "sub", method: "userDataStream.subscribe.signature", params: ["apiKey": SimHarness.apiKey, "timestamp": String(try await sim.serverTime())]))
        try await api.waitFor("the subscription") { _ in api.answer("sub") != nil }
        _ = try await sim.request("POST", "/sim/faults", body: "{\"dropUserDataEvents\":1}")
        _ = try await sim.signed("POST", "/api/v3/order", market + [("newClientOrderId", "f-3")])
        try await api.waitFor("the remaining events") { _ in !api.events("outboundAccountPosition").isEmpty }
        #expect(api.events("executionReport").first?["event"]?["x"]?.stringValue == "TRADE", "the NEW event was dropped")
    }

    @Test func clientSubscribesDecodesReconnectsAndReportsTheGap() async throws {
        let sim = try await SimHarness.start()
        defer { Task { await sim.stop() } }
        var configuration = BinanceUserDataClient.Configuration(url: BinanceUserDataClient.webSocketAPIURL(for: .simulator(port: sim.port)))
        configuration.reconnectBaseDelay = .milliseconds(50)
        configuration.reconnectMaxDelay = .milliseconds(200)
        let serverClock = Mutex<Int64>(try await sim.serverTime())
        let client = BinanceUserDataClient(
            credentials: BinanceCredentials(apiKey: SimHarness.apiKey, signingKey: .hmac(secret: SimHarness.secret)),
            configuration: configuration, timestamp: { serverClock.withLock { $0 } }
        )
        let log = EventLog<BinanceUserDataClient.Event>()
        let task = Task { await client.run { event in log.items.withLock { $0.append(event) } } }
        defer { task.cancel() }
        func subscriptions() -> Int { log.items.withLock { $0.filter { if case .subscribed = $0 { true } else { false } }.count } }
        func reports() -> [ExecutionReportEvent] {
            log.items.withLock { $0.compactMap { if case .event(.executionReport(let r), _) = $0 { r } else { nil } } }
        }
        try await poll("the subscription", timeout: 20) { subscriptions() == 1 }
        _ = try await sim.signed("POST", "/api/v3/order", [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "MARKET"), ("quantity", "0.01"), ("newClientOrderId", "c-1")])
        try await poll("the order's events", timeout: 20) { reports().contains { $0.clientOrderID == "c-1" && $0.orderStatus == "FILLED" } }
        // The account update follows the execution report (as on Binance): wait for it too.
        try await poll("the account position event", timeout: 20) {
            log.items.withLock { $0.contains { if case .event(.accountPosition, _) = $0 { true } else { false } } }
        }

        // The server drops the connection: the client reconnects, resubscribes and reports the gap.
        _ = try await sim.request("POST", "/sim/faults", body: "{\"dropStreams\":true}")
        try await poll("the resubscription", timeout: 20) { subscriptions() == 2 }
        let gaps = log.items.withLock { $0.compactMap { if case .gap(let since, let until) = $0 { (since, until) } else { nil } } }
        #expect(gaps.count == 1 && gaps[0].0 <= gaps[0].1)
        #expect(log.items.withLock { $0.contains { if case .disconnected = $0 { true } else { false } } })
        _ = try await sim.signed("POST", "/api/v3/order", [("symbol", "BTCUSDT"), ("side", "SELL"), ("type", "MARKET"), ("quantity", "0.01"), ("newClientOrderId", "c-2")])
        try await poll("events after the reconnect", timeout: 20) { reports().contains { $0.clientOrderID == "c-2" && $0.executionType == "TRADE" } }
        #expect(client.counters["gaps"] == 1 && client.counters["subscriptions"] == 2)
    }

    @Test func clientReportsARefusedSubscription() async throws {
        let sim = try await SimHarness.start()
        defer { Task { await sim.stop() } }
        var configuration = BinanceUserDataClient.Configuration(url: BinanceUserDataClient.webSocketAPIURL(for: .simulator(port: sim.port)))
        configuration.reconnectBaseDelay = .milliseconds(50)
        let client = BinanceUserDataClient(
            credentials: BinanceCredentials(apiKey: SimHarness.apiKey, signingKey: .hmac(secret: "not-the-secret")),
            configuration: configuration, timestamp: { 0 }
        )
        let log = EventLog<BinanceAPIError>()
        // Through the AsyncStream interface: leaving the loop stops the client.
        let task = Task {
            for await event in client.events() {
                if case .refused(let e) = event {
                    log.items.withLock { $0.append(e) }
                    break
                }
            }
        }
        defer { task.cancel() }
        try await poll("a refusal", timeout: 20) { !log.items.withLock { $0.isEmpty } }
        #expect(log.items.withLock { $0[0].code } == -1022)
    }
}
