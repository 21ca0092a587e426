import Binance
import Crypto
import Foundation
import TestKit
import Testing

@Suite struct SigningTests {
    static let secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"

    /// The documented vectors (BINANCE.md §4 and §7), also in ../shared/fixtures/binance/signing_hmac_test_vectors.json.
    @Test func documentedHMACVectors() {
        #expect(BinanceSigning.hmacSHA256Hex(
            payload: "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
            secretKey: Self.secret) == "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71")
        let params: [(String, String)] = [("symbol", "１２３４５６"), ("side", "BUY"), ("type", "LIMIT"), ("timeInForce", "GTC"),
                                          ("quantity", "1"), ("price", "0.1"), ("recvWindow", "5000"), ("timestamp", "1499827319559")]
        let encoded = BinanceSigning.encodedQuery(params)
        #expect(encoded == "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559")
        #expect(BinanceSigning.hmacSHA256Hex(payload: encoded, secretKey: Self.secret) == "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3")
        let ws = BinanceSigning.webSocketAPIPayload([
            "symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01000000", "price": "52000.00",
            "recvWindow": "100", "timestamp": "1645423376532", "apiKey": "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
        ])
        #expect(BinanceSigning.hmacSHA256Hex(payload: ws, secretKey: Self.secret) == "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24")
    }

    @Test func fixtureVectorsSignExactlyAndOneChangedByteFails() throws {
        guard let shared = RepositoryPaths.shared else {
            print("skipped: \(RepositoryPaths.sharedMissingReason ?? "../shared is absent")")
            return
        }
        let data = try Data(contentsOf: shared.appendingPathComponent("fixtures/binance/signing_hmac_test_vectors.json"))
        let root = try JSONFields(JSONValue.parse([UInt8](data)), payload: "vectors")
        let secret = try root.string("secretKey")
        var count = 0
        for group in ["rest", "wsapi"] {
            for v in try root.objects(group) {
                let payload = try v.string("payload")
                let signature = try v.string("signature")
                #expect(BinanceSigning.hmacSHA256Hex(payload: payload, secretKey: secret) == signature)
                #expect(BinanceSigning.verifyHMAC(signatureHex: signature.uppercased(), payload: Data(payload.utf8), secretKey: secret))
                var changed = Array(payload.utf8)
                changed[changed.count / 2] ^= 0x01
                #expect(!BinanceSigning.verifyHMAC(signatureHex: signature, payload: Data(changed), secretKey: secret))
                count += 1
            }
        }
        #expect(count == 4)
    }

    @Test func ed25519RoundTripThroughPEM() throws {
        let key = Ed25519PrivateKey.generate()
        let reread = try Ed25519PrivateKey(pem: key.pem)
        let payload = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&timestamp=1700000000000"
        let encoded = try BinanceSigning.signature(payload: payload, key: .ed25519(reread))
        let base64 = try #require(BinanceSigning.percentDecode(encoded))
        #expect(base64.count == 88)
        let publicKey = try Curve25519.Signing.PublicKey.binance(pem: key.publicKeyPEM)
        #expect(BinanceSigning.verifyEd25519(signatureBase64: base64, payload: Data(payload.utf8), publicKey: publicKey))
        #expect(!BinanceSigning.verifyEd25519(signatureBase64: base64, payload: Data((payload + "1").utf8), publicKey: publicKey))
        #expect("\(SigningKey.ed25519(key))".contains("redacted"))
        #expect(!"\(SigningKey.hmac(secret: Self.secret))".contains(Self.secret))
    }

    /// Property: percent-encoding round-trips any string and leaves unreserved ASCII alone.
    @Test func percentEncodingRoundTrips() {
        var rng = SeededGenerator(seed: 7)
        let alphabet = Array("abcXYZ019-_.~ &=+/%?#１２é€😀\"")
        for _ in 0..<2000 {
            let text = String((0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            let encoded = BinanceSigning.percentEncode(text)
            #expect(BinanceSigning.percentDecode(encoded) == text)
            #expect(encoded.utf8.allSatisfy { $0 < 0x80 && $0 != UInt8(ascii: "&") && $0 != UInt8(ascii: "=") })
        }
        #expect(BinanceSigning.percentEncode("0.00100000") == "0.00100000")
    }

    @Test func splitsTheSignatureOffTheReceivedPayload() {
        let split = BinanceSigning.splitSignature("symbol=LTCBTC&timestamp=1&signature=abc")
        #expect(split?.signed == "symbol=LTCBTC&timestamp=1")
        #expect(split?.signature == "abc")
        #expect(BinanceSigning.splitSignature("symbol=LTCBTC") == nil)
    }
}
