import Binance
import BinanceClient
import Domain
import Foundation
import TestKit
import Testing

/// The user-data client's request and the decoding of every user-data fixture it receives.
@Suite struct UserDataClientTests {
    static func fixture(_ name: String) throws -> [UInt8]? {
        guard let directory = RepositoryPaths.shared?.appendingPathComponent("fixtures/binance") else { return nil }
        return [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    @Test func subscribeRequestIsSignedOverTheSortedUnencodedParameters() throws {
        let secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
        var configuration = BinanceUserDataClient.Configuration(url: "ws://127.0.0.1:1/ws-api/v3")
        configuration.recvWindow = 6000
        let client = BinanceUserDataClient(
            credentials: BinanceCredentials(apiKey: "key-1", signingKey: .hmac(secret: secret)), configuration: configuration,
            timestamp: { 1_747_385_641_636 }
        )
        let request = try client.subscribeRequest(id: "r1")
        let parsed = try BinanceDecoder.webSocketAPIRequest(Array(request.utf8))
        #expect(parsed.method == "userDataStream.subscribe.signature" && parsed.id == .string("r1"))
        #expect(parsed.params["apiKey"] == "key-1" && parsed.params["timestamp"] == "1747385641636" && parsed.params["recvWindow"] == "6000")
        let payload = "apiKey=key-1&recvWindow=6000&timestamp=1747385641636"
        #expect(BinanceSigning.webSocketAPIPayload(parsed.params) == payload)
        #expect(parsed.params["signature"] == BinanceSigning.hmacSHA256Hex(payload: payload, secretKey: secret))
        // The timestamp is a JSON number, as in Binance's example.
        #expect(request.contains("\"timestamp\":1747385641636"))
    }

    @Test func ed25519SubscribeRequestVerifiesWithThePublicKey() throws {
        let key = Ed25519PrivateKey.generate()
        let client = BinanceUserDataClient(
            credentials: BinanceCredentials(apiKey: "ed", signingKey: .ed25519(key)),
            configuration: .init(url: "ws://127.0.0.1:1/ws-api/v3"), timestamp: { 42 }
        )
        let parsed = try BinanceDecoder.webSocketAPIRequest(Array(try client.subscribeRequest(id: "x").utf8))
        let signature = try #require(parsed.params["signature"])
        #expect(signature.count == 88, "raw base64, not percent-encoded")
        #expect(BinanceSigning.verifyEd25519(signatureBase64: signature, payload: Data("apiKey=ed&timestamp=42".utf8), publicKey: key.publicKey))
    }

    @Test func webSocketAPIURLs() {
        #expect(BinanceUserDataClient.webSocketAPIURL(for: .production) == "wss://ws-api.binance.com:443/ws-api/v3")
        #expect(BinanceUserDataClient.webSocketAPIURL(for: .testnet) == "wss://ws-api.testnet.binance.vision/ws-api/v3")
        #expect(BinanceUserDataClient.webSocketAPIURL(for: .simulator(port: 8090)) == "ws://127.0.0.1:8090/ws-api/v3")
    }

    @Test(.enabled(if: RepositoryPaths.shared != nil, "\(RepositoryPaths.sharedMissingReason ?? "")"))
    func userDataFixturesDecodeFieldByField() throws {
        let report = try BinanceDecoder.userDataEvent(try #require(try Self.fixture("ws_executionReport_event.json")))
        guard case .executionReport(let r) = report else { Issue.record("got \(report)"); return }
        #expect(r.symbol == "ETHBTC" && r.clientOrderID == "mUvoqJxFIILMdfAW5iGSOW" && r.side == "BUY" && r.orderType == "LIMIT")
        #expect(r.executionType == "NEW" && r.orderStatus == "NEW" && r.orderListID == -1 && r.orderID == 4_293_153)
        #expect(r.price == Decimal8("0.10264410")! && r.quantity == Decimal8(1) && r.cumulativeFilledQuantity == .zero)
        #expect(r.transactionTime == Timestamp(milliseconds: 1_499_405_658_657) && r.averagePrice == nil)

        let list = try BinanceDecoder.userDataEvent(try #require(try Self.fixture("ws_listStatus_event.json")))
        guard case .listStatus(let time, let symbol, let id, let type, let status, let client, let orders) = list else { Issue.record("got \(list)"); return }
        #expect(time == Timestamp(milliseconds: 1_564_035_303_637) && symbol == "ETHBTC" && id == 2)
        #expect(type == "EXEC_STARTED" && status == "EXECUTING" && client == "F4QN4G8DlFATFlIUQ0cjdD" && orders == [17, 18])

        let position = try BinanceDecoder.userDataEvent(try #require(try Self.fixture("ws_outboundAccountPosition_event.json")))
        #expect(position == .accountPosition(eventTime: Timestamp(milliseconds: 1_564_034_571_105),
                                             balances: [AssetBalance(asset: "ETH", free: Decimal8(10000), locked: .zero)]))
        let balance = try BinanceDecoder.userDataEvent(try #require(try Self.fixture("ws_balanceUpdate_event.json")))
        #expect(balance == .balanceUpdate(eventTime: Timestamp(milliseconds: 1_573_200_697_110), asset: "BTC", delta: Decimal8(100)))
        let subscribed = try BinanceDecoder.webSocketAPIResponse(try #require(try Self.fixture("wsapi_userDataStream_subscribe_response.json")))
        #expect(subscribed.status == 200 && subscribed.result?["subscriptionId"] == .number("0"))
    }
}
