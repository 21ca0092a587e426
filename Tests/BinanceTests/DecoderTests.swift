import Binance
import Domain
import Foundation
import TestKit
import Testing

@Suite struct DecoderTests {
    static func decode(_ text: String) throws(BinanceDecodeError) -> CombinedStreamMessage {
        try BinanceDecoder.combined(Array(text.utf8))
    }

    static func error(_ text: String) -> BinanceDecodeError? {
        do { _ = try decode(text); return nil } catch { return error }
    }

    @Test func combinedDepthUpdateWithUnknownFieldsAndDataFirst() throws {
        let m = try Self.decode(#"{"data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":5,"u":7,"b":[["100.10","0.5"]],"a":[],"new":{"x":[1,2]}},"stream":"btcusdt@depth@100ms"}"#)
        guard case .depthUpdate(let u) = m.event else { Issue.record("got \(m.event)"); return }
        #expect(u.bids == [PriceLevel(price: Decimal8("100.1")!, quantity: Decimal8("0.5")!)])
        #expect(u.asks.isEmpty && u.firstUpdateID == 5 && u.finalUpdateID == 7)
    }

    @Test func partialDepthAndBookTickerTakeTheSymbolFromTheStream() throws {
        let m = try Self.decode(#"{"stream":"ethusdt@depth5@100ms","data":{"lastUpdateId":9,"bids":[["1.0","2.0"]],"asks":[["1.1","3"]]}}"#)
        #expect(m.event == .partialDepth(DepthSnapshot(symbol: "ETHUSDT", lastUpdateID: 9, bids: [PriceLevel(price: Decimal8(1), quantity: Decimal8(2))], asks: [PriceLevel(price: Decimal8("1.1")!, quantity: Decimal8(3))])))
        let t = try Self.decode(#"{"stream":"ethusdt@bookTicker","data":{"u":3,"b":"1.0","B":"2","a":"1.1","A":"3"}}"#)
        guard case .bookTicker(let ticker) = t.event else { Issue.record("got \(t.event)"); return }
        #expect(ticker.symbol == "ETHUSDT")
    }

    /// Malformed input: a typed error that names the field, never a crash.
    @Test func malformedInputNamesTheField() {
        #expect(Self.error(#"{"stream":"btcusdt@depth","data":{"e":"depthUpdate","E":1,"s":"X","U":5,"b":[],"a":[]}}"#)?.field == "u")
        #expect(Self.error(#"{"stream":"btcusdt@depth","data":{"e":"depthUpdate","E":1,"s":"X","U":"5","u":6,"b":[],"a":[]}}"#)?.reason == .wrongType(expected: "an integer"))
        #expect(Self.error(#"{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1,"s":"X","a":1,"p":"1e-5","q":"1","f":1,"l":1,"T":1,"m":true}}"#)?.reason == .invalidDecimal("1e-5"))
        #expect(Self.error(#"{"stream":"btcusdt@kline_5m","data":{"e":"kline","E":1,"s":"X","k":{"t":1,"T":2,"s":"X","i":"7q","o":"1","c":"1","h":"1","l":"1","v":"1","x":true}}}"#)?.field == "k.i")
        #expect(Self.error(#"{"stream":"btcusdt@depth","data":{"e":"depthUpdate","E":1,"#) != nil)
        #expect(Self.error("") != nil)
        #expect(Self.error(#"{"data":{}}"#)?.field == "stream")
        #expect(Self.error(#"{"stream":"btcusdt@trade","data":{"e":"trade"}} trailing"#) != nil)
    }

    /// Property: random truncations and byte flips of real payloads never crash the decoder.
    @Test func fuzzedPayloadsNeverCrash() {
        let samples = [
            #"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161253013,"s":"BTCUSDT","U":50093239219,"u":50093239240,"b":[["61000.01000000","0.10000000"],["60999.99000000","0.00000000"]],"a":[["61000.02000000","1.20000000"]]}}"#,
            #"{"stream":"btcusdt@kline_1m","data":{"e":"kline","E":1,"s":"BTCUSDT","k":{"t":1,"T":2,"s":"BTCUSDT","i":"1m","f":1,"L":2,"o":"1.0","c":"2.0","h":"3.0","l":"0.5","v":"10","n":3,"x":true,"q":"20","V":"5","Q":"10","B":"0"}}}"#,
        ]
        var rng = SeededGenerator(seed: 11)
        var errors = 0
        for _ in 0..<3000 {
            var bytes = Array(samples.randomElement(using: &rng)!.utf8)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
            case 1: bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            default: bytes.insert(UInt8.random(in: 0x20...0x7E, using: &rng), at: Int.random(in: 0..<bytes.count, using: &rng))
            }
            if (try? BinanceDecoder.combined(bytes)) == nil { errors += 1 }
        }
        #expect(errors > 1000)
    }

    @Test func restKlinesAreClosedOnlyBeforeTheServerTime() throws {
        let body = #"[[1000,"1","2","0.5","1.5","10",1999,"15",7,"5","7.5","0"],[2000,"1","2","0.5","1.5","10",2999,"15",7,"5","7.5","0"]]"#
        let k = try BinanceDecoder.klines(Array(body.utf8), symbol: "BTCUSDT", interval: Interval("1s")!, serverTime: Timestamp(milliseconds: 2500))
        #expect(k.map(\.isClosed) == [true, false])
        #expect(k[0].quoteVolume == Decimal8(15))
    }

    /// Property: Decimal8 from bytes equals the String parse and prints back exactly.
    @Test func decimalBytesParseMatchesStringParse() throws {
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<5000 {
            let units = Int64.random(in: -9_000_000_000_000_000...9_000_000_000_000_000, using: &rng)
            let text = Decimal8(units: units).description
            let parsed = try Array(text.utf8).withUnsafeBufferPointer { try Decimal8(utf8: $0) }
            #expect(parsed.units == units)
        }
    }

    /// Property: the cursor's one-pass decimal path equals `Decimal8(parsing:)` on Binance-shaped
    /// and awkward texts (many digits, trailing zeros, "+", too many fraction digits, overflow).
    @Test func cursorDecimalsMatchTheReferenceParser() throws {
        var rng = SeededGenerator(seed: 5)
        var texts = ["0", "0.00000000", "61837.63000000", "-1.5", "+2", "92233720368.54775807", "92233720368.54775808",
                     "123456789012.0", "0.000000001", "0.000000010", "1.", ".5", "1e-5", "", "-", "00012.3400"]
        for _ in 0..<3000 {
            let whole = String(Int64.random(in: 0...99_999_999_999, using: &rng))
            let digits = Int.random(in: 0...10, using: &rng)
            let fraction = String((0..<digits).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) })
            texts.append((Bool.random(using: &rng) ? "-" : "") + whole + (digits > 0 ? "." + fraction : ""))
        }
        for text in texts {
            let body = #"{"stream":"x@depth","data":{"e":"depthUpdate","E":1,"s":"X","U":1,"u":1,"b":[[""# + text + #"","1"]],"a":[]}}"#
            let reference = try? Decimal8(parsing: text)
            let decoded = try? BinanceDecoder.combined(Array(body.utf8))
            if case .depthUpdate(let u)? = decoded?.event {
                #expect(u.bids.first?.price == reference, "\(text)")
            } else {
                #expect(reference == nil, "\(text) decodes as \(String(describing: reference)) but the payload was refused")
            }
        }
    }

    @Test func controlMessagesAndWeightHeaders() throws {
        let request = StreamControl.Request.subscribe(["btcusdt@depth@100ms", "btcusdt@bookTicker"], id: 4)
        let back = try StreamControl.request(Array(request.jsonText.utf8))
        #expect(back.streamNames == ["btcusdt@depth@100ms", "btcusdt@bookTicker"])
        #expect(WeightHeaders.usedWeights([("X-MBX-USED-WEIGHT-1M", "42"), ("x-mbx-used-weight-1s", "3"), ("Content-Type", "x")]) == ["1M": 42, "1S": 3])
        let text = Array(#"{"result":null,"id":4}"#.utf8)
        #expect(text.withUnsafeBytes { StreamControl.isResponse($0) })
    }
}
