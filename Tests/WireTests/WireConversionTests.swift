import Bus
import Domain
import Foundation
import SwiftProtobuf
import Testing
import Wire

@Suite struct WireConversionTests {
    @Test func moneyTravelsAsBinanceDecimalStrings() throws {
        let kline = Kline(
            symbol: "BTCUSDT", interval: .fiveMinutes, openTime: Timestamp(milliseconds: 1_722_816_000_000),
            closeTime: Timestamp(milliseconds: 1_722_816_299_999), open: Decimal8("61837.63")!, high: Decimal8("61900")!,
            low: Decimal8("61800.01")!, close: Decimal8("61850.5")!, volume: Decimal8("123.45678")!
        )
        let wire = Quorum_V1_Kline(kline)
        #expect(wire.open == "61837.63000000")
        #expect(wire.quoteVolume.isEmpty)
        #expect(wire.trades == -1)
        let json = Payload.kline(wire).jsonString()
        #expect(json.contains("\"open\":\"61837.63000000\""))
        #expect(json.contains("\"open_time_ms\":\"1722816000000\""))
    }

    @Test func invalidPayloadsNameTheField() {
        var kline = Quorum_V1_Kline()
        kline.symbol = "BTCUSDT"; kline.interval = "5m"; kline.open = "1"; kline.high = "1"; kline.low = "1"; kline.close = "abc"; kline.volume = "1"
        #expect(throws: WireConversionError.self) { try kline.domain() }
        do { _ = try kline.domain() } catch { #expect(error.field == "close") }
        kline.close = "1"; kline.interval = "7m"
        do { _ = try kline.domain() } catch { #expect(error.field == "interval") }
        var vector = Quorum_V1_FeatureVector()
        vector.symbol = "BTCUSDT"; vector.interval = "5m"; vector.names = ["a", "b"]; vector.values = [1]
        vector.close = "1"; vector.high = "1"; vector.low = "1"
        do { _ = try vector.domain() } catch { #expect(error.field == "values") }
        var prediction = Quorum_V1_Prediction()
        prediction.symbol = "BTCUSDT"; prediction.interval = "5m"; prediction.model = "m"; prediction.probability = 1.5
        do { _ = try prediction.domain() } catch { #expect(error.field == "probability") }
        var ack = Quorum_V1_IntentAck()
        ack.intentID = "too-short"; ack.status = "accepted"
        do { _ = try ack.domain() } catch { #expect(error.field == "intent_id") }
    }

    /// Field numbers are the compatibility contract: renumbering one breaks every other-language peer.
    @Test func headerFieldNumbersAreStable() throws {
        var header = Quorum_V1_Header()
        header.schemaVersion = 1
        header.seq = 7
        let bytes: [UInt8] = try header.serializedBytes()
        // Field 1 (varint) = 1, field 5 (varint) = 7.
        #expect(bytes == [0x08, 0x01, 0x28, 0x07])
    }
}
