import Binance
import Crypto
import Domain
@testable import ExchangeSim
import Foundation
import TestKit
import Testing

@Suite(.serialized)
struct TradingTests {
    static let fee = Decimal8("0.001")!

    @Test func marketOrdersWalkTheBookWithFeesAndBalancesMoveExactly() async throws {
        let sim = try await SimHarness.start()
        defer { Task { await sim.stop() } }
        let book = try await sim.get("/api/v3/depth", "symbol=BTCUSDT&limit=5").json
        let buy = try await sim.signed("POST", "/api/v3/order", [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "MARKET"), ("quantity", "12")])
        #expect(buy.status == 200, "\(buy.text)")
        #expect(buy.json["status"]?.stringValue == "FILLED")
        let fills = try #require(buy.json["fills"]?.arrayValue)
        #expect(fills.count > 1, "12 BTC walks several levels")
        // Fills are the asks of the book, best first.
        #expect(fills[0]["price"]?.stringValue == book["asks"]?[0]?[0]?.stringValue)
        var quote = Decimal8.zero, quantity = Decimal8.zero, commission = Decimal8.zero
        for fill in fills {
            let p = Decimal8(fill["price"]!.stringValue!)!, q = Decimal8(fill["qty"]!.stringValue!)!
            quote += p.multiplied(by: q)
            quantity += q
            let c = Decimal8(fill["commission"]!.stringValue!)!
            #expect(c == q.multiplied(by: Self.fee, rounding: .up))
            #expect(fill["commissionAsset"]?.stringValue == "BTC")
            commission += c
        }
        #expect(quantity == Decimal8(12))
        #expect(buy.json["cummulativeQuoteQty"]?.stringValue == quote.description)
        var balances = try await sim.account()
        #expect(balances["USDT"]?.free == SimHarness.usdt - quote)
        #expect(balances["BTC"]?.free == SimHarness.btc + Decimal8(12) - commission)
        // The levels taken left the book.
        let after = try await sim.get("/api/v3/depth", "symbol=BTCUSDT&limit=5").json
        #expect(after["asks"]?[0]?[0]?.stringValue != book["asks"]?[0]?[0]?.stringValue)

        let sell = try await sim.signed("POST", "/api/v3/order", [("symbol", "BTCUSDT"), ("side", "SELL"), ("type", "MARKET"), ("quantity", "0.5")])
        #expect(sell.json["status"]?.stringValue == "FILLED")
        var received = Decimal8.zero, sellFee = Decimal8.zero
        for fill in sell.json["fills"]!.arrayValue! {
            let value = Decimal8(fill["price"]!.stringValue!)!.multiplied(by: Decimal8(fill["qty"]!.stringValue!)!)
            received += value
            #expect(fill["commissionAsset"]?.stringValue == "USDT")
            #expect(Decimal8(fill["commission"]!.stringValue!)! == value.multiplied(by: Self.fee, rounding: .up))
            sellFee += Decimal8(fill["commission"]!.stringValue!)!
        }
        balances = try await sim.account()
        #expect(balances["USDT"]?.free == SimHarness.usdt - quote + received - sellFee)
        #expect(balances["BTC"]?.free == SimHarness.btc + Decimal8(12) - commission - Decimal8("0.5")!)
        let trades = try await sim.signed("GET", "/api/v3/myTrades", [("symbol", "BTCUSDT")]).json.arrayValue!
        #expect(trades.count == fills.count + sell.json["fills"]!.arrayValue!.count)
    }

    @Test func limitOrdersRestLockAndFillWhenThePriceCrossesThem() async throws {
        let sim = try await SimHarness.start()
        defer { Task { await sim.stop() } }
        // The lowest low of the next two hours of the sample, from the data itself.
        let klines = try await sim.get("/api/v3/klines", "symbol=BTCUSDT&interval=5m&limit=1").json
        #expect(klines.arrayValue?.count == 1)
        let series = sim.simulator.state.withLock { $0.markets["BTCUSDT"]!.series["5m"]! }
        let now = try await sim.serverTime()
        let from = series.lastIndex(openAtOrBefore: now)!
        let low = series.klines[(from + 1)...(from + 24)].map(\.low).min()!
        let bestAsk = Decimal8(try await sim.get("/api/v3/ticker/bookTicker", "symbol=BTCUSDT").json["askPrice"]!.stringValue!)!
        let price = low + Decimal8(1)
        try #require(price < bestAsk, "the sample must fall below the current ask within two hours")
        let quantity = Decimal8("0.1")!
        let placed = try await sim.signed("POST", "/api/v3/order", [
            ("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "LIMIT"), ("timeInForce", "GTC"),
            ("quantity", quantity.compactDescription), ("price", price.compactDescription), ("newClientOrderId", "rest-1"),
        ])
        #expect(placed.json["status"]?.stringValue == "NEW", "\(placed.text)")
        #expect(placed.json["fills"]?.arrayValue?.isEmpty == true)
        let cost = price.multiplied(by: quantity)
        var balances = try await sim.account()
        #expect(balances["USDT"]?.locked == cost)
        #expect(balances["USDT"]?.free == SimHarness.usdt - cost)
        // A second open order with the same client id is a duplicate.
        let duplicate = try await sim.signed("POST", "/api/v3/order", [
            ("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "LIMIT"), ("timeInForce", "GTC"),
            ("quantity", "0.1"), ("price", price.compactDescription), ("newClientOrderId", "rest-1"),
        ])
        #expect(duplicate.status == 400 && duplicate.code == -2010 && duplicate.json["msg"]?.stringValue == "Duplicate order sent.")
        try await sim.advance(milliseconds: 3 * 3_600_000)
        let order = try await sim.signed("GET", "/api/v3/order", [("symbol", "BTCUSDT"), ("origClientOrderId", "rest-1")]).json
        #expect(order["status"]?.stringValue == "FILLED")
        #expect(order["executedQty"]?.stringValue == quantity.description)
        #expect(order["cummulativeQuoteQty"]?.stringValue == cost.description)
        balances = try await sim.account()
        #expect(balances["USDT"]?.locked == .zero)
        #expect(balances["USDT"]?.free == SimHarness.usdt - cost)
        #expect(balances["BTC"]?.free == SimHarness.btc + quantity - quantity.multiplied(by: Self.fee, rounding: .up))
        let trade = try #require(try await sim.signed("GET", "/api/v3/myTrades", [("symbol", "BTCUSDT")]).json[0])
        #expect(trade["isMaker"]?.boolValue == true && trade["price"]?.stringValue == price.description)

        // A marketable LIMIT fills its marketable part as a taker at the book's prices.
        let ask = Decimal8(try await sim.get("/api/v3/ticker/bookTicker", "symbol=BTCUSDT").json["askPrice"]!.stringValue!)!
        let taker = try await sim.signed("POST", "/api/v3/order", [
            ("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "LIMIT"), ("timeInForce", "IOC"), ("quantity", "0.01"),
            ("price", (ask + Decimal8(100)).compactDescription),
        ])
        #expect(taker.json["status"]?.stringValue == "FILLED")
        #expect(taker.json["fills"]?[0]?["price"]?.stringValue == ask.description)
        // LIMIT_MAKER that would cross is rejected.
        let maker = try await sim.signed("POST", "/api/v3/order", [
            ("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "LIMIT_MAKER"), ("quantity", "0.01"), ("price", (ask + Decimal8(100)).compactDescription),
        ])
        #expect(maker.code == -2010)
    }

    @Test func errorsAreBinances() async throws {
        let sim = try await SimHarness.start()
        defer { Task { await sim.stop() } }
        let now = try await sim.serverTime()
        let base = [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "LIMIT"), ("timeInForce", "GTC")]
        func expectError(_ reply: SimHarness.Reply, _ status: Int, _ code: Int64, _ message: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(reply.status == status, "\(reply.text)", sourceLocation: sourceLocation)
            #expect(reply.code == code, "\(reply.text)", sourceLocation: sourceLocation)
            if let message { #expect(reply.json["msg"]?.stringValue == message, sourceLocation: sourceLocation) }
            #expect(reply.json.keys == ["code", "msg"], sourceLocation: sourceLocation)
        }
        expectError(try await sim.signed("POST", "/api/v3/order", base + [("quantity", "0.01"), ("price", "60000")], timestamp: now - 6000),
                    400, -1021, "Timestamp for this request is outside of the recvWindow.")
        expectError(try await sim.signed("POST", "/api/v3/order", base + [("quantity", "0.01"), ("price", "60000")], timestamp: now + 1500),
                    400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.")
        expectError(try await sim.signed("POST", "/api/v3/order", base + [("quantity", "0.000001"), ("price", "60000")]), 400, -1013, "Filter failure: LOT_SIZE")
        expectError(try await sim.signed("POST", "/api/v3/order", base + [("quantity", "0.01"), ("price", "60000.000000001")]), 400, -1111)
        expectError(try await sim.signed("POST", "/api/v3/order", base + [("quantity", "0.01"), ("price", "60000.005")]), 400, -1013, "Filter failure: PRICE_FILTER")
        expectError(try await sim.signed("POST", "/api/v3/order", base + [("quantity", "0.0001"), ("price", "1000")]), 400, -1013, "Filter failure: NOTIONAL")
        expectError(try await sim.signed("POST", "/api/v3/order", base + [("quantity", "0.01"), ("price", "6e4")]), 400, -1100,
                    "Illegal characters found in parameter 'price'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.")
        expectError(try await sim.signed("POST", "/api/v3/order", base + [("quantity", "1e-5"), ("price", "60000")]), 400, -1100)
        expectError(try await sim.signed("POST", "/api/v3/order", base + [("quantity", "100"), ("price", "60000")]), 400, -2010,
                    "Account has insufficient balance for requested action.")
        expectError(try await sim.signed("POST", "/api/v3/order", [("symbol", "BTCUSDT"), ("side", "SELL"), ("type", "MARKET"), ("quantity", "20")]), 400, -2010,
                    "Account has insufficient balance for requested action.")
        expectError(try await sim.signed("DELETE", "/api/v3/order", [("symbol", "BTCUSDT"), ("orderId", "424242")]), 400, -2011, "Unknown order sent.")
        expectError(try await sim.signed("GET", "/api/v3/order", [("symbol", "BTCUSDT"), ("orderId", "424242")]), 400, -2013, "Order does not exist.")
        expectError(try await sim.signed("GET", "/api/v3/order", [("symbol", "NOPEUSDT"), ("orderId", "1")]), 400, -1121, "Invalid symbol.")
        expectError(try await sim.signed("GET", "/api/v3/account", [], secret: "wrong"), 400, -1022, "Signature for this request is not valid.")
        expectError(try await sim.signed("GET", "/api/v3/account", [], key: "unknown"), 401, -2015)
        expectError(try await sim.request("GET", "/api/v3/account", query: "timestamp=\(now)&signature=00"), 401, -2014)
        // A filled MARKET order cannot be cancelled.
        let filled = try await sim.signed("POST", "/api/v3/order", [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "MARKET"), ("quantity", "0.001")])
        expectError(try await sim.signed("DELETE", "/api/v3/order", [("symbol", "BTCUSDT"), ("orderId", String(filled.json["orderId"]!.intValue!))]), 400, -2011)
    }

    @Test func weightLimitAnswers429WithRetryAfter() async throws {
        let sim = try await SimHarness.start { $0.weightLimitPerMinute = 50 }
        defer { Task { await sim.stop() } }
        let first = try await sim.get("/api/v3/exchangeInfo")
        #expect(first.status == 200)
        #expect(first.headers.first(name: "x-mbx-used-weight-1m") == "20")
        _ = try await sim.get("/api/v3/exchangeInfo")
        let limited = try await sim.get("/api/v3/exchangeInfo")
        #expect(limited.status == 429)
        #expect(limited.code == -1003)
        let retry = try #require(limited.headers.first(name: "Retry-After").flatMap(Int.init))
        #expect((1...60).contains(retry))
    }

    @Test func ed25519KeysSignRequests() async throws {
        let key = Curve25519.Signing.PrivateKey()
        let sim = try await SimHarness.start {
            $0.apiKeys.append(SimConfiguration.APIKey.ed25519(key: "ed-key", publicKey: key.publicKey.rawRepresentation.base64EncodedString())!)
        }
        defer { Task { await sim.stop() } }
        let ts = try await sim.serverTime()
        let query = "timestamp=\(ts)"
        let signature = try key.signature(for: Data(query.utf8)).base64EncodedString()
        let ok = try await sim.request("GET", "/api/v3/account", query: query + "&signature=" + BinanceSigning.percentEncode(signature), headers: [("X-MBX-APIKEY", "ed-key")])
        #expect(ok.status == 200, "\(ok.text)")
        let other = try Curve25519.Signing.PrivateKey().signature(for: Data(query.utf8)).base64EncodedString()
        let bad = try await sim.request("GET", "/api/v3/account", query: query + "&signature=" + BinanceSigning.percentEncode(other), headers: [("X-MBX-APIKEY", "ed-key")])
        #expect(bad.code == -1022)
    }

    @Test(.enabled(if: RepositoryPaths.shared != nil, "\(RepositoryPaths.sharedMissingReason ?? "")"))
    func documentedHMACVectorIsAcceptedAndOneChangedByteIsNot() async throws {
        let url = RepositoryPaths.shared!.appendingPathComponent("fixtures/binance/signing_hmac_test_vectors.json")
        let vectors = try JSON.parse(String(contentsOf: url, encoding: .utf8))
        let apiKey = vectors["apiKey"]!.stringValue!, secret = vectors["secretKey"]!.stringValue!
        let sim = try await SimHarness.start { $0.apiKeys = [.init(key: apiKey, verifier: .hmac(secret: secret))] }
        defer { Task { await sim.stop() } }
        for vector in vectors["rest"]!.arrayValue! {
            let payload = vector["payload"]!.stringValue!, signature = vector["signature"]!.stringValue!
            // The signature is verified first: the request then fails on its 2017 timestamp, not on the signature.
            let accepted = try await sim.request("POST", "/api/v3/order", query: payload + "&signature=" + signature, headers: [("X-MBX-APIKEY", apiKey)])
            #expect(accepted.code == -1021, "\(accepted.text)")
            // The same payload in the body, the signature in the query: still the same payload.
            let inBody = try await sim.request("POST", "/api/v3/order", query: "signature=" + signature.uppercased(), body: payload, headers: [("X-MBX-APIKEY", apiKey)])
            #expect(inBody.code == -1021, "\(inBody.text)")
            #expect(RequestSignature.verify(signature, payload: payload, verifier: .hmac(secret: secret)))
            var bytes = Array(payload.utf8)
            bytes[bytes.count - 1] ^= 0x01
            let changed = String(decoding: bytes, as: UTF8.self)
            let rejected = try await sim.request("POST", "/api/v3/order", query: changed + "&signature=" + signature, headers: [("X-MBX-APIKEY", apiKey)])
            #expect(rejected.status == 400 && rejected.code == -1022, "\(rejected.text)")
        }
    }
}
