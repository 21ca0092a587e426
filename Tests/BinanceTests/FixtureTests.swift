import Binance
import Domain
import Foundation
import TestKit
import Testing

/// Every payload in ../shared/fixtures/binance goes through the decoder that production uses for it.
@Suite struct FixtureTests {
    static let directory: URL? = RepositoryPaths.shared?.appendingPathComponent("fixtures/binance")

    static func bytes(_ name: String) throws -> [UInt8] {
        guard let directory else { throw SkipReason.sharedMissing }
        return [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    enum SkipReason: Error { case sharedMissing }

    typealias Decoder = @Sendable ([UInt8]) throws -> Void

    /// How each fixture is decoded. A new fixture without an entry fails `everyFixtureHasADecoder`.
    static let decoders: [String: Decoder] = {
        var d: [String: Decoder] = [:]
        register0(&d)
        register1(&d)
        register2(&d)
        register3(&d)
        register4(&d)
        register5(&d)
        register6(&d)
        register7(&d)
        register8(&d)
        register9(&d)
        registerUserData(&d)
        return d
    }()

    static func registerUserData(_ d: inout [String: Decoder]) {
        d["ws_executionReport_event.json"] = { bytes in
            let e = try BinanceDecoder.userDataEvent(bytes)
            guard case .executionReport(let r) = e else { Issue.record("got \(e)"); return }
            #expect(r.orderID == 4_293_153 && r.commissionAsset == nil && r.tradeID == -1)
        }
        d["ws_executionReport_event_unwrapped.json"] = d["ws_executionReport_event.json"]
        d["ws_outboundAccountPosition_event.json"] = { bytes in
            let e = try BinanceDecoder.userDataEvent(bytes)
            guard case .accountPosition(_, let balances) = e else { Issue.record("got \(e)"); return }
            #expect(balances.first?.free == Decimal8(10000))
        }
        for name in ["ws_balanceUpdate_event.json", "ws_externalLockUpdate_event.json", "ws_listStatus_event.json", "ws_eventStreamTerminated_event.json"] {
            d[name] = { bytes in
                let e = try BinanceDecoder.userDataEvent(bytes)
                if case .unknown = e { Issue.record("not recognised: \(e)") }
            }
        }
        for name in ["wsapi_order_place_ack_response.json", "wsapi_order_place_full_response.json", "wsapi_order_place_result_response.json",
                     "wsapi_order_place_success_response.json", "wsapi_session_logon_response.json", "wsapi_userDataStream_subscribe_response.json"] {
            d[name] = { bytes in
                let r = try BinanceDecoder.webSocketAPIResponse(bytes)
                #expect(r.status == 200 && r.error == nil)
                if name.hasPrefix("wsapi_order_place"), let result = r.result {
                    _ = try BinanceDecoder.order(JSONFields(result, payload: "order"))
                }
            }
        }
        d["wsapi_error_insufficient_balance_response.json"] = { bytes in
            let r = try BinanceDecoder.webSocketAPIResponse(bytes)
            #expect(r.error?.code == -2010)
        }
        d["wsapi_error_ip_banned_418_response.json"] = { bytes in
            let r = try BinanceDecoder.webSocketAPIResponse(bytes)
            #expect(r.status == 418 && r.error?.code == -1003 && r.retryAfter == Timestamp(milliseconds: 1_659_146_400_000))
        }
        for name in ["wsapi_order_place_request_example.json", "wsapi_session_logon_request.json", "wsapi_userDataStream_subscribe_request.json",
                     "wsapi_userDataStream_subscribe_signature_request.json"] {
            d[name] = { bytes in
                let r = try BinanceDecoder.webSocketAPIRequest(bytes)
                #expect(!r.method.isEmpty)
            }
        }
        // The signed WS-API examples: re-signing the sorted, unencoded params gives the documented signature.
        for name in ["wsapi_order_place_hmac_signed_request.json", "wsapi_order_place_hmac_signed_request_nonascii.json"] {
            d[name] = { bytes in
                let r = try BinanceDecoder.webSocketAPIRequest(bytes)
                let payload = BinanceSigning.webSocketAPIPayload(r.params)
                #expect(BinanceSigning.hmacSHA256Hex(payload: payload, secretKey: SigningTests.secret) == r.params["signature"])
            }
        }
        d["rest_trades_response.json"] = { bytes in
            let t = try BinanceDecoder.trades(bytes, symbol: "BNBBTC")
            #expect(t.first?.aggregateID == 28457)
        }
        d["rest_avgPrice_response.json"] = { bytes in
            let a = try BinanceDecoder.averagePrice(bytes)
            #expect(a.minutes == 5 && a.price == Decimal8("9.35751834")!)
        }
        d["rec_ccxt_rest_ticker24hr_BTCUSDT.json"] = { bytes in
            let t = try BinanceDecoder.ticker24h(bytes)
            #expect(t.symbol == "BTCUSDT")
        }
        d["rest_order_test_response.json"] = { bytes in
            let r = try BinanceDecoder.orderTest(bytes)
            #expect(r == nil)
        }
        d["rest_order_test_commission_response.json"] = { bytes in
            let r = try BinanceDecoder.orderTest(bytes)
            #expect(r?.taker == Decimal8("0.00000114")!)
        }
        d["rest_rateLimit_order_response.json"] = { bytes in
            let r = try BinanceDecoder.orderRateLimits(bytes)
            #expect(r.count == 2)
        }
    }

    static func register0(_ d: inout [String: Decoder]) {
        d["rest_time_response.json"] = { let ok = try (BinanceDecoder.serverTime($0) == Timestamp(milliseconds: 1_499_827_319_559)); #expect(ok) }
        d["rest_ping_response.json"] = { let ok = try (JSONValue.parse($0) == .object([])); #expect(ok) }
        d["rest_depth_response.json"] = {
            let s = try BinanceDecoder.depthSnapshot($0, symbol: "LTCBTC")
            #expect(s.lastUpdateID == 1_027_024)
            #expect(s.bids == [PriceLevel(price: Decimal8("4")!, quantity: Decimal8("431")!)])
            #expect(s.asks == [PriceLevel(price: Decimal8("4.000002")!, quantity: Decimal8("12")!)])
        }
        d["rec_ccxt_rest_depth_BTCUSDT_limit2.json"] = { let ok = try (BinanceDecoder.depthSnapshot($0, symbol: "BTCUSDT").bids.count == 2); #expect(ok) }
    }

    static func register1(_ d: inout [String: Decoder]) {
        d["ws_partialDepth_event.json"] = { let ok = try (BinanceDecoder.depthSnapshot($0, symbol: "BNBBTC").lastUpdateID == 160); #expect(ok) }
        d["rest_klines_response.json"] = {
            let k = try BinanceDecoder.klines($0, symbol: "BNBBTC", interval: .oneMinute, serverTime: nil)
            #expect(k.count == 1)
            #expect(k[0].open == Decimal8("0.01634790")!)
            #expect(k[0].trades == 308)
            #expect(k[0].takerBuyQuote == Decimal8("28.46694368")!)
        }
        d["rec_ccxt_rest_klines_BTCUSDT_1h.json"] = {
            let k = try BinanceDecoder.klines($0, symbol: "BTCUSDT", interval: Interval("1h")!, serverTime: nil)
            #expect(k.count == 3)
            #expect(k.allSatisfy { $0.closeTime.milliseconds == $0.openTime.milliseconds + 3_600_000 - 1 })
        }
        d["rest_aggTrades_response.json"] = { let ok = try (BinanceDecoder.aggTrades($0, symbol: "BNBBTC").first?.aggregateID == 26129); #expect(ok) }
    }

    static func register2(_ d: inout [String: Decoder]) {
        d["rec_ccxt_rest_aggTrades_BTCUSDT.json"] = { let ok = try (!BinanceDecoder.aggTrades($0, symbol: "BTCUSDT").isEmpty); #expect(ok) }
        d["rest_ticker_bookTicker_single_response.json"] = { let ok = try (BinanceDecoder.bookTickers($0).map(\.symbol) == ["LTCBTC"]); #expect(ok) }
        d["rest_ticker_bookTicker_multi_response.json"] = { let ok = try (BinanceDecoder.bookTickers($0).count == 2); #expect(ok) }
        d["rest_exchangeInfo_response.json"] = {
            let info = try BinanceDecoder.exchangeInfo($0)
            #expect(info.rateLimits.contains(RateLimit(type: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 6000)))
            let bnb = try #require(info.symbol("BNBBTC"))
            #expect(bnb.tickSize == Decimal8("0.000001")!)
            #expect(bnb.stepSize > .zero)
        }
    }

    static func register3(_ d: inout [String: Decoder]) {
        d["rest_exchangeInfo_response_skeleton.json"] = { _ = try BinanceDecoder.exchangeInfo($0) }
        d["rec_ccxt_rest_exchangeInfo_symbol_BTCUSDT.json"] = {
            let f = try BinanceDecoder.symbolFilters(JSONFields(JSONValue.parse($0), payload: "symbol"))
            #expect(f.symbol == "BTCUSDT")
            #expect(f.tickSize == Decimal8("0.01")!)
        }
        d["rest_exchangeInfo_symbol_filters_all_doc_examples.json"] = { bytes in
            // The documented filter examples, wrapped as one symbol's filter list.
            let filters = try JSONValue.parse(bytes)
            let symbol = JSONValue.object([
                ("symbol", .string("X")), ("status", .string("TRADING")), ("baseAsset", .string("A")), ("quoteAsset", .string("B")),
                ("filters", filters),
            ])
            let f = try BinanceDecoder.symbolFilters(JSONFields(symbol, payload: "symbol"))
            #expect(f.tickSize == Decimal8("0.000001")!)
            #expect(f.minNotional > .zero)
        }
        d["rest_exchangeInfo_rateLimits_doc_examples.json"] = { bytes in
            let wrapped = JSONValue.object([("serverTime", .number("1")), ("rateLimits", try JSONValue.parse(bytes)), ("symbols", .array([]))])
            let ok = try (BinanceDecoder.exchangeInfo(Array(wrapped.jsonText.utf8)).rateLimits.count >= 3)
            #expect(ok)
        }
    }

    static func register4(_ d: inout [String: Decoder]) {
        d["rest_exchangeInfo_exchange_filters_doc_examples.json"] = { bytes in
            guard case .array(let filters) = try JSONValue.parse(bytes) else { Issue.record("not an array"); return }
            for (i, f) in filters.enumerated() { _ = try JSONFields(f, payload: "exchangeFilters", path: "[\(i)]").string("filterType") }
        }
        for name in ["rest_order_ack_response.json", "rest_order_result_response.json", "rest_order_full_response.json",
                     "rest_order_query_response.json", "rest_order_cancel_response.json",
                     "rec_ccxt_rest_order_full_ETHUSDT_trailing_take_profit.json", "rec_ccxt_rest_order_full_SOLUSDT_limit_iceberg_new.json",
                     "rec_ccxt_rest_order_query_LTCUSDT_market_filled.json"] {
            d[name] = { _ = try BinanceDecoder.order($0) }
        }
        d["rest_order_full_response.json"] = {
            let o = try BinanceDecoder.order($0)
            #expect(o.fills.count == 5)
            #expect(o.fills[1].commission == Decimal8("19.995")!)
        }
        d["rec_ccxt_rest_order_query_LTCUSDT_market_filled.json"] = {
            let o = try BinanceDecoder.order($0)
            #expect(o.price == .zero)
            #expect(o.averagePrice != nil)
        }
    }

    static func register5(_ d: inout [String: Decoder]) {
        for name in ["rest_openOrders_response.json", "rest_allOrders_response.json", "rec_ccxt_rest_openOrders_LTCUSDT.json",
                     "rec_ccxt_rest_allOrders_LTCUSDT_canceled.json"] {
            d[name] = { _ = try BinanceDecoder.orders($0) }
        }
        d["rest_openOrders_cancelAll_response.json"] = {
            let (orders, lists) = try BinanceDecoder.cancelAll($0)
            #expect(!orders.isEmpty)
            #expect(!lists.isEmpty)
        }
        for name in ["rest_orderList_oco_response.json", "rest_orderList_cancel_response.json", "rest_orderList_query_response.json"] {
            d[name] = { _ = try BinanceDecoder.orderList($0) }
        }
        d["rest_openOrderList_response.json"] = { bytes in
            guard case .array(let lists) = try JSONValue.parse(bytes) else { Issue.record("not an array"); return }
            for (i, l) in lists.enumerated() { _ = try BinanceDecoder.orderList(JSONFields(l, payload: "openOrderList", path: "[\(i)]")) }
        }
    }

    static func register6(_ d: inout [String: Decoder]) {
        d["rest_account_response.json"] = {
            let a = try BinanceDecoder.account($0)
            #expect(a.balance("BTC")?.free == Decimal8("4723846.89208129")!)
            #expect(a.takerCommission == Decimal8("0.0015")!)
        }
        d["rec_ccxt_rest_account_spot.json"] = { _ = try BinanceDecoder.account($0) }
        d["rest_myTrades_response.json"] = { let ok = try (BinanceDecoder.accountTrades($0).first?.quoteQuantity == Decimal8("48.000012")!); #expect(ok) }
        d["rec_ccxt_rest_myTrades_LTCUSDT.json"] = { _ = try BinanceDecoder.accountTrades($0) }
    }

    static func register7(_ d: inout [String: Decoder]) {
        // Streams (raw payloads; the combined wrapper is tested separately).
        d["ws_depthUpdate_event.json"] = {
            let e = try decodeRaw($0, stream: "bnbbtc@depth")
            guard case .depthUpdate(let u) = e else { Issue.record("got \(e)"); return }
            #expect(u.firstUpdateID == 157 && u.finalUpdateID == 160 && u.symbol == "BNBBTC")
        }
        d["ws_bookTicker_event.json"] = {
            let e = try decodeRaw($0, stream: nil)
            guard case .bookTicker(let t) = e else { Issue.record("got \(e)"); return }
            #expect(t.updateID == 400_900_217 && t.askQuantity == Decimal8("40.66")!)
        }
        d["ws_aggTrade_event.json"] = {
            let e = try decodeRaw($0, stream: nil)
            guard case .aggTrade(let t) = e else { Issue.record("got \(e)"); return }
            #expect(t.firstTradeID == 100 && t.lastTradeID == 105 && t.buyerIsMaker)
        }
        d["ws_trade_event.json"] = {
            let e = try decodeRaw($0, stream: nil)
            guard case .trade(let t) = e else { Issue.record("got \(e)"); return }
            #expect(t.aggregateID == 12345)
        }
    }

    static func register8(_ d: inout [String: Decoder]) {
        d["ws_kline_event.json"] = {
            let e = try decodeRaw($0, stream: nil)
            guard case .kline(let k) = e else { Issue.record("got \(e)"); return }
            #expect(k.symbol == "BNBBTC" && k.interval == .oneMinute && !k.isClosed && k.trades == 100)
        }
        d["ws_serverShutdown_event_raw.json"] = {
            let ok = try (decodeRaw($0, stream: nil) == .serverShutdown(eventTime: Timestamp(milliseconds: 1_770_123_456_789)))
            #expect(ok)
        }
        d["ws_serverShutdown_event_combined.json"] = { bytes in
            let m = try BinanceDecoder.combined(bytes)
            #expect(m.event == .serverShutdown(eventTime: Timestamp(milliseconds: 1_770_123_456_789)))
        }
        for name in ["ws_avgPrice_event.json", "ws_miniTicker_event.json", "ws_ticker_event.json"] {
            // Streams Quorum does not consume: recognised by type and kept as `.unknown`, never an error.
            d[name] = {
                let e = try decodeRaw($0, stream: nil)
                guard case .unknown = e else { Issue.record("got \(e)"); return }
            }
        }
    }

    static func register9(_ d: inout [String: Decoder]) {
        // Control messages of the stream connection.
        for name in ["ws_subscribe_request.json", "ws_unsubscribe_request.json", "ws_list_subscriptions_request.json", "ws_set_property_request.json"] {
            d[name] = { let ok = try (StreamControl.request($0).method.isEmpty == false); #expect(ok) }
        }
        for name in ["ws_subscribe_response.json", "ws_unsubscribe_response.json", "ws_list_subscriptions_response.json", "ws_get_property_response.json"] {
            d[name] = { let ok = try (StreamControl.response($0).id != nil); #expect(ok) }
        }
        // Error bodies decode as the documented errors.
        let errors: [String: Int] = [
            "rest_error_-1003_too_much_weight.json": -1003, "rest_error_-1013_filter_lot_size.json": -1013,
            "rest_error_-1013_filter_notional.json": -1013, "rest_error_-1021_outside_recvWindow.json": -1021,
            "rest_error_-1021_timestamp_ahead.json": -1021, "rest_error_-1022_invalid_signature.json": -1022,
            "rest_error_-1100_illegal_chars_price.json": -1100, "rest_error_-2010_insufficient_balance.json": -2010,
            "rest_error_-2011_unknown_order.json": -2011, "rest_error_-2013_no_such_order.json": -2013,
            "rest_error_cancel_rejected_restrictions.json": -2011, "rest_error_invalid_cancel_restrictions.json": -1145,
            "rest_error_invalid_symbol.json": -1121,
        ]
        for (name, code) in errors {
            d[name] = { #expect(BinanceDecoder.apiError($0, httpStatus: 400)?.code == code) }
        }
        d["rest_error_-2011_unknown_order_headers.json"] = { bytes in
            let f = try JSONFields(JSONValue.parse(bytes), payload: "recorded")
            let body = Array(try f.object("body").value.jsonText.utf8)
            #expect(BinanceDecoder.apiError(body, httpStatus: Int(try f.int64("status")))?.code == -2011)
            let headers = try f.object("headers")
            #expect(WeightHeaders.usedWeights(headers.value.objectPairs)["1M"] == 1)
        }
    }

    static func decodeRaw(_ bytes: [UInt8], stream: String?) throws -> StreamEvent {
        try BinanceDecoder.event(bytes, stream: stream)
    }

    @Test func everyFixtureHasADecoder() throws {
        guard let directory = Self.directory else {
            print("skipped: \(RepositoryPaths.sharedMissingReason ?? "../shared is absent")")
            return
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(names.count > 80)
        let missing = names.filter { Self.decoders[$0] == nil && $0 != "signing_hmac_test_vectors.json" }
        #expect(missing.isEmpty, "fixtures without a decoder: \(missing)")
    }

    @Test(arguments: decoders.keys.sorted())
    func fixtureDecodes(_ name: String) throws {
        guard Self.directory != nil else {
            print("skipped: \(RepositoryPaths.sharedMissingReason ?? "../shared is absent")")
            return
        }
        let bytes = try Self.bytes(name)
        let decoder = Self.decoders[name]
        #expect(decoder != nil)
        try decoder?(bytes)
    }
}
