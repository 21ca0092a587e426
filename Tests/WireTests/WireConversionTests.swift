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

    @Test func ensembleSignalsCarryTheirAttribution() throws {
        let bar = BarKey(symbol: "ETHUSDT", interval: .fiveMinutes, openTime: Timestamp(milliseconds: 1_722_816_000_000))
        let routed = EnsembleSignal(
            bar: bar, side: .buy, probability: 0.7, threshold: 0.6, models: ["lgbm-high_030_4", "logreg-high_030_4"],
            referencePrice: Decimal8("2500.5")!, action: .enter, division: "conservative", mode: "route_then_vote", sigma: 0.0,
            regime: 0, votes: [.init(model: "lgbm-high_030_4", probability: 0.75, weight: 2.0 / 3, role: .entry),
                               .init(model: "logreg-low_030_4", probability: 0.2, weight: 1, role: .veto)],
            vetoProbability: 0.2
        )
        // σ = 0 and regime 0 are values, not absence: they survive the trip.
        #expect(try Quorum_V1_EnsembleSignal(routed).domain() == routed)
        let exit = EnsembleSignal(bar: bar, side: .sell, probability: 0.9, threshold: 0.6, models: ["logreg-low_030_4"],
                                  referencePrice: Decimal8(1), action: .exit)
        let decoded = try Quorum_V1_EnsembleSignal(exit).domain()
        #expect(decoded == exit && decoded.sigma == nil && decoded.regime == nil && decoded.division.isEmpty)
        // A peer from before attribution (no action, no mode) means an entry by vote.
        var old = Quorum_V1_EnsembleSignal(exit)
        old.action = ""; old.mode = ""
        #expect(try old.domain().action == .enter)
        old.action = "flip"
        do { _ = try old.domain(); Issue.record("accepted an unknown action") } catch { #expect(error.field == "action") }
    }

    /// Field numbers are the compatibility contract: renumbering one breaks every other-language peer.
    @Test func intentsCarryTheirTimeLimitAsFieldFourteen() throws {
        let bar = BarKey(symbol: "BTCUSDT", interval: .fiveMinutes, openTime: Timestamp(milliseconds: 1_722_816_000_000))
        var intent = TradeIntent(
            id: IntentID(milliseconds: bar.openTime.milliseconds, random: 9), bar: bar, side: .buy, division: "conservative",
            quantity: Decimal8("0.001")!, referencePrice: Decimal8("60000")!, takeProfit: Decimal8("60180")!, stopLoss: Decimal8("59700")!,
            createdAt: bar.closeTime, expiresAt: bar.closeTime.adding(milliseconds: 300_000), shadow: true, timeLimitBars: 4
        )
        let wire = Quorum_V1_TradeIntent(intent)
        #expect(wire.timeLimitBars == 4)
        let bytes: [UInt8] = try wire.serializedBytes()
        // Field 14, varint: tag (14 << 3) | 0 = 0x70, then 4.
        #expect(bytes.suffix(2) == [0x70, 0x04])
        #expect(try Quorum_V1_TradeIntent(serializedBytes: bytes).domain().timeLimitBars == 4)
        // No limit travels as 0 (the field is absent) and comes back as nil: older senders mean "none".
        intent.timeLimitBars = nil
        let none = Quorum_V1_TradeIntent(intent)
        #expect(none.timeLimitBars == 0)
        #expect(try none.domain().timeLimitBars == nil)
        var negative = none
        negative.timeLimitBars = -3
        do { _ = try negative.domain(); Issue.record("a negative time limit must be refused") } catch { #expect(error.field == "time_limit_bars") }
    }

    @Test func exitReportsSayWhyTheyExited() throws {
        #expect(ExecutionReport.Leg.allCases.map(\.exitReason) == [nil, "take_profit", "stop", "time_limit", "signal"])
        let report = ExecutionReport(
            intentID: IntentID(milliseconds: 1_722_816_000_000, random: 1), clientOrderID: "c", symbol: "BTCUSDT", leg: .timeLimit, side: .sell,
            price: Decimal8(1), quantity: Decimal8(1), fee: .zero, realizedPnL: .zero, eventTime: Timestamp(milliseconds: 1_722_816_000_000), shadow: true
        )
        let wire = Quorum_V1_ExecutionReport(report)
        // Readers that know only e/t/s see a market exit like a stop; the reason says which.
        #expect(wire.leg == "s" && wire.exitReason == "time_limit")
        #expect(try wire.domain() == report)
        var stop = wire
        stop.exitReason = "stop"
        #expect(try stop.domain().leg == .stop)
        // Before the field existed: no reason, the leg says it.
        stop.exitReason = ""
        #expect(try stop.domain().leg == .stop)
        var entry = Quorum_V1_ExecutionReport(report)
        entry.leg = "e"; entry.exitReason = ""
        #expect(try entry.domain().leg == .entry)
        for (leg, reason) in [("x", ""), ("g", "signal"), ("t", "time_limit"), ("e", "stop"), ("s", "target"), ("t", "signal")] {
            var bad = wire
            bad.leg = leg; bad.exitReason = reason
            do { _ = try bad.domain(); Issue.record("\(leg)/\(reason) must be refused") } catch {
                #expect(error.field == (leg == "x" || leg == "g" ? "leg" : "exit_reason"))
            }
        }
        // An exit by signal (a close intent) travels as a market exit, leg s, reason signal.
        var signal = report
        signal.leg = .signal
        let signalWire = Quorum_V1_ExecutionReport(signal)
        #expect(signalWire.leg == "s" && signalWire.exitReason == "signal")
        #expect(try signalWire.domain() == signal)
    }

    /// A close intent names the position it closes in field 15; entries leave it empty.
    @Test func closeIntentsNameTheirPositionAsFieldFifteen() throws {
        let bar = BarKey(symbol: "BTCUSDT", interval: .fiveMinutes, openTime: Timestamp(milliseconds: 1_722_816_000_000))
        let target = IntentID(milliseconds: bar.openTime.milliseconds - 600_000, random: 3)
        var intent = TradeIntent(
            id: IntentID(milliseconds: bar.openTime.milliseconds, random: 9), bar: bar, side: .sell, division: "conservative",
            quantity: Decimal8("0.001")!, referencePrice: Decimal8("60000")!, takeProfit: Decimal8("60180")!, stopLoss: Decimal8("59700")!,
            createdAt: bar.closeTime, expiresAt: bar.next.openTime, shadow: true, closesIntentID: target
        )
        let wire = Quorum_V1_TradeIntent(intent)
        #expect(wire.closesIntentID == target.rawValue)
        let bytes: [UInt8] = try wire.serializedBytes()
        // Field 15, length-delimited: tag (15 << 3) | 2 = 0x7A, length 20, then the id.
        #expect(Array(bytes.suffix(22)) == [0x7A, 20] + Array(target.rawValue.utf8))
        #expect(try Quorum_V1_TradeIntent(serializedBytes: bytes).domain() == intent)
        // An entry: absent (empty), nil in the domain; older senders send entries only.
        intent.closesIntentID = nil
        let entry = Quorum_V1_TradeIntent(intent)
        #expect(entry.closesIntentID.isEmpty)
        #expect(try entry.domain().closesIntentID == nil)
        var malformed = wire
        malformed.closesIntentID = "not-an-id"
        do { _ = try malformed.domain(); Issue.record("a malformed closed intent id must be refused") } catch { #expect(error.field == "closes_intent_id") }
    }

    @Test func headerFieldNumbersAreStable() throws {
        var header = Quorum_V1_Header()
        header.schemaVersion = 1
        header.seq = 7
        let bytes: [UInt8] = try header.serializedBytes()
        // Field 1 (varint) = 1, field 5 (varint) = 7.
        #expect(bytes == [0x08, 0x01, 0x28, 0x07])
    }
}
