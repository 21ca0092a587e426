import Domain
@testable import ExchangeSim
import Foundation
import TestKit
import Testing

/// Every response's keys and JSON types against Binance's own payloads
/// (../shared/fixtures/binance), so the simulator cannot drift into a dialect.
@Suite(.serialized)
struct ShapeTests {
    static var fixtures: URL? { RepositoryPaths.shared?.appendingPathComponent("fixtures/binance") }

    static func fixture(_ name: String) throws -> JSON {
        let url = fixtures!.appendingPathComponent(name + ".json")
        return try JSON.parse(String(contentsOf: url, encoding: .utf8))
    }

    /// Differences of keys and types between `ours` and `reference`, recursively. Arrays: every
    /// element of ours against the reference's first element. `optional` keys of the reference may
    /// be absent from ours (documented conditional fields).
    static func mismatches(_ ours: JSON, _ reference: JSON, path: String = "$", optional: Set<String> = [], skip: Set<String> = []) -> [String] {
        guard ours.typeName == reference.typeName else { return ["\(path): \(ours.typeName) instead of \(reference.typeName)"] }
        switch (ours, reference) {
        case (.object(let a), .object(let b)):
            var problems: [String] = []
            let ourKeys = Set(a.map(\.0)), theirKeys = Set(b.map(\.0))
            for key in ourKeys.subtracting(theirKeys).sorted() { problems.append("\(path).\(key): not in Binance's payload") }
            for key in theirKeys.subtracting(ourKeys).subtracting(optional).sorted() { problems.append("\(path).\(key): missing") }
            for (key, value) in a where !skip.contains(key) {
                if let other = reference[key] { problems += mismatches(value, other, path: "\(path).\(key)", optional: optional, skip: skip) }
            }
            return problems
        case (.array(let a), .array(let b)):
            guard let first = b.first else { return [] }
            // A tuple (a kline, a [price, qty] pair with mixed types) compares position by position.
            if Set(b.map(\.typeName)).count > 1 {
                guard a.count == b.count else { return ["\(path): \(a.count) elements instead of \(b.count)"] }
                return zip(a, b).enumerated().flatMap { mismatches($1.0, $1.1, path: "\(path)[\($0)]", optional: optional, skip: skip) }
            }
            return a.enumerated().flatMap { mismatches($1, first, path: "\(path)[\($0)]", optional: optional, skip: skip) }
        default:
            return []
        }
    }

    static func expectShape(_ ours: JSON, _ fixtureName: String, optional: Set<String> = [], skip: Set<String> = [], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let problems = mismatches(ours, try fixture(fixtureName), optional: optional, skip: skip)
        #expect(problems.isEmpty, "\(fixtureName): \(problems.joined(separator: "; "))", sourceLocation: sourceLocation)
    }

    @Test(.enabled(if: RepositoryPaths.shared != nil, "\(RepositoryPaths.sharedMissingReason ?? "")"))
    func marketDataShapes() async throws {
        let sim = try await SimHarness.start()
        defer { Task { await sim.stop() } }
        try await sim.advance(milliseconds: 60_000)
        try Self.expectShape(try await sim.get("/api/v3/ping").json, "rest_ping_response")
        try Self.expectShape(try await sim.get("/api/v3/time").json, "rest_time_response")
        try Self.expectShape(try await sim.get("/api/v3/depth", "symbol=BTCUSDT&limit=10").json, "rest_depth_response")
        try Self.expectShape(try await sim.get("/api/v3/klines", "symbol=BTCUSDT&interval=5m&limit=5").json, "rest_klines_response")
        try Self.expectShape(try await sim.get("/api/v3/klines", "symbol=BTCUSDT&interval=5m&limit=5").json, "rec_ccxt_rest_klines_BTCUSDT_1h")
        try Self.expectShape(try await sim.get("/api/v3/aggTrades", "symbol=BTCUSDT&limit=5").json, "rest_aggTrades_response")
        try Self.expectShape(try await sim.get("/api/v3/ticker/bookTicker", "symbol=BTCUSDT").json, "rest_ticker_bookTicker_single_response")
        try Self.expectShape(try await sim.get("/api/v3/ticker/bookTicker", "symbols=%5B%22BTCUSDT%22%5D").json, "rest_ticker_bookTicker_multi_response")
        let info = try await sim.get("/api/v3/exchangeInfo").json
        // Filters differ by type: each is compared with the documented example of its type below.
        try Self.expectShape(info, "rest_exchangeInfo_response", optional: ["sors"], skip: ["filters"])
        let filterExamples = try Self.fixture("rest_exchangeInfo_symbol_filters_all_doc_examples").arrayValue!
        for filter in info["symbols"]![0]!["filters"]!.arrayValue! {
            let type = filter["filterType"]!.stringValue!
            let example = try #require(filterExamples.first { $0["filterType"]?.stringValue == type }, "no documented example of \(type)")
            let problems = Self.mismatches(filter, example)
            #expect(problems.isEmpty, "\(type): \(problems)")
        }
        for limit in info["rateLimits"]!.arrayValue! {
            #expect(Self.mismatches(limit, try Self.fixture("rest_exchangeInfo_rateLimits_doc_examples")[0]!).isEmpty)
        }
        // Decimals carry eight fraction digits, as Binance writes them.
        let depth = try await sim.get("/api/v3/depth", "symbol=BTCUSDT&limit=5").json
        for level in depth["bids"]!.arrayValue! + depth["asks"]!.arrayValue! {
            for value in level.arrayValue! { #expect(value.stringValue!.split(separator: ".").last?.count == 8) }
        }
        for name in ["rest_error_invalid_symbol"] {
            let reply = try await sim.get("/api/v3/depth", "symbol=NOPE")
            #expect(reply.status == 400)
            try Self.expectShape(reply.json, name)
        }
    }

    @Test(.enabled(if: RepositoryPaths.shared != nil, "\(RepositoryPaths.sharedMissingReason ?? "")"))
    func tradingShapes() async throws {
        let sim = try await SimHarness.start()
        defer { Task { await sim.stop() } }
        let ack = try await sim.signed("POST", "/api/v3/order", [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "MARKET"), ("quantity", "0.001"), ("newOrderRespType", "ACK")])
        try Self.expectShape(ack.json, "rest_order_ack_response")
        let result = try await sim.signed("POST", "/api/v3/order", [("symbol", "BTCUSDT"), ("side", "SELL"), ("type", "MARKET"), ("quantity", "0.001"), ("newOrderRespType", "RESULT")])
        try Self.expectShape(result.json, "rest_order_result_response")
        let full = try await sim.signed("POST", "/api/v3/order", [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "MARKET"), ("quantity", "0.002")])
        try Self.expectShape(full.json, "rest_order_full_response")
        let resting = try await sim.signed("POST", "/api/v3/order", [
            ("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "LIMIT"), ("timeInForce", "GTC"), ("quantity", "0.001"),
            ("price", "30000"), ("newClientOrderId", "myOrder1"),
        ])
        #expect(resting.json["status"]?.stringValue == "NEW")
        try Self.expectShape(resting.json, "rest_order_full_response")
        try Self.expectShape(try await sim.signed("GET", "/api/v3/order", [("symbol", "BTCUSDT"), ("origClientOrderId", "myOrder1")]).json, "rest_order_query_response")
        try Self.expectShape(try await sim.signed("GET", "/api/v3/openOrders", [("symbol", "BTCUSDT")]).json, "rest_openOrders_response")
        try Self.expectShape(try await sim.signed("GET", "/api/v3/allOrders", [("symbol", "BTCUSDT")]).json, "rest_allOrders_response")
        try Self.expectShape(try await sim.signed("GET", "/api/v3/account", []).json, "rest_account_response")
        try Self.expectShape(try await sim.signed("GET", "/api/v3/myTrades", [("symbol", "BTCUSDT")]).json, "rest_myTrades_response")
        try Self.expectShape(try await sim.signed("POST", "/api/v3/order/test", [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "MARKET"), ("quantity", "0.001")]).json, "rest_order_test_response")
        try Self.expectShape(try await sim.signed("POST", "/api/v3/order/test", [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "MARKET"), ("quantity", "0.001"), ("computeCommissionRates", "true")]).json, "rest_order_test_commission_response")
        let cancel = try await sim.signed("DELETE", "/api/v3/order", [("symbol", "BTCUSDT"), ("origClientOrderId", "myOrder1"), ("newClientOrderId", "cancelMyOrder1")])
        try Self.expectShape(cancel.json, "rest_order_cancel_response")
        #expect(cancel.json["status"]?.stringValue == "CANCELED")
    }

    @Test(.enabled(if: RepositoryPaths.shared != nil, "\(RepositoryPaths.sharedMissingReason ?? "")"))
    func streamShapes() async throws {
        let sim = try await SimHarness.start()
        defer { Task { await sim.stop() } }
        let streams = ["btcusdt@kline_5m", "btcusdt@depth@100ms", "btcusdt@depth", "btcusdt@bookTicker", "btcusdt@aggTrade"]
        let recorder = StreamRecorder(url: sim.wsBase + "/stream?streams=" + streams.joined(separator: "/"))
        defer { recorder.stop() }
        try await poll("the stream connection", timeout: 20) { try await sim.get("/sim/state").json["connections"]?.intValue == 1 }
        try await sim.advance(milliseconds: 600_000)  // two bar closes
        try await recorder.waitFor("a closed kline") { $0.contains { $0.contains("\"x\":true") } }
        var seen: [String: JSON] = [:]
        var closedKline: JSON?
        for text in recorder.all {
            let frame = try JSON.parse(text)
            let name = try #require(frame["stream"]?.stringValue)
            seen[name] = frame["data"]
            if name.contains("kline"), frame["data"]?["k"]?["x"]?.boolValue == true { closedKline = frame["data"] }
            #expect(frame.keys == ["stream", "data"])
        }
        try Self.expectShape(try #require(seen["btcusdt@kline_5m"]), "ws_kline_event")
        try Self.expectShape(try #require(closedKline), "ws_kline_event")
        try Self.expectShape(try #require(seen["btcusdt@depth@100ms"]), "ws_depthUpdate_event")
        try Self.expectShape(try #require(seen["btcusdt@depth"]), "ws_depthUpdate_event")
        try Self.expectShape(try #require(seen["btcusdt@bookTicker"]), "ws_bookTicker_event")
        try Self.expectShape(try #require(seen["btcusdt@aggTrade"]), "ws_aggTrade_event")

        // Control messages.
        let before = recorder.count
        recorder.send(try Self.fixture("ws_subscribe_request").text.replacingOccurrences(of: "btcusdt@depth\"", with: "btcusdt@depth@1000ms\""))
        recorder.send("{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":3}")
        recorder.send("{\"method\":\"UNSUBSCRIBE\",\"params\":[\"btcusdt@aggTrade\"],\"id\":312}")
        try await recorder.waitFor("three control replies") { $0.dropFirst(before).filter { $0.contains("\"result\"") }.count == 3 }
        let replies = recorder.all.dropFirst(before).filter { $0.contains("\"result\"") }.map { try! JSON.parse($0) }
        try Self.expectShape(replies[0], "ws_subscribe_response")
        #expect(replies[0] == JSON.object([("result", .null), ("id", .int(1))]))
        try Self.expectShape(replies[1], "ws_list_subscriptions_response")
        #expect(replies[1]["result"]?.arrayValue?.compactMap(\.stringValue).contains("btcusdt@depth@1000ms") == true)
        try Self.expectShape(replies[2], "ws_unsubscribe_response")
    }
}
