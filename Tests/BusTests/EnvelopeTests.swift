import Bus
import Domain
import Testing
import TestKit
import Wire

@Suite struct EnvelopeTests {
    static func randomKline(_ rng: inout SeededGenerator) -> Kline {
        let open = Decimal8(units: Int64.random(in: 1...20_000_000_000_000, using: &rng))
        let close = Decimal8(units: Int64.random(in: 1...20_000_000_000_000, using: &rng))
        let high = max(open, close) + Decimal8(units: Int64.random(in: 0...100_000_000_000, using: &rng))
        let low = Decimal8(units: max(1, min(open, close).units - Int64.random(in: 0...100_000_000_000, using: &rng)))
        let t = Int64.random(in: 0...10_000_000, using: &rng) * 300_000
        return Kline(
            symbol: ["BTCUSDT", "ETHUSDT", "SOLUSDT"].randomElement(using: &rng)!, interval: .fiveMinutes,
            openTime: Timestamp(milliseconds: t), closeTime: Timestamp(milliseconds: t + 299_999),
            open: open, high: high, low: low, close: close, volume: Decimal8(units: Int64.random(in: 0...1_000_000_000_000, using: &rng)),
            quoteVolume: Bool.random(using: &rng) ? nil : Decimal8(units: Int64.random(in: 0...Int64.max / 2, using: &rng)),
            trades: Bool.random(using: &rng) ? nil : Int64.random(in: 0...1_000_000, using: &rng)
        )
    }

    /// Property: domain → wire → bytes → wire → domain is the identity, header included.
    @Test func klineRoundTrip() throws {
        var rng = SeededGenerator(seed: 10)
        for i in 0..<2_000 {
            let kline = Self.randomKline(&rng)
            var header = Quorum_V1_Header()
            header.schemaVersion = Envelope.schemaVersion
            header.type = .kline
            header.publisher = "collector/c-1"
            header.sessionID = "00ff00ff00ff00ff"
            header.seq = UInt64(i + 1)
            header.tsEventNs = kline.closeTime.nanoseconds
            header.traceID = "t\(i)"
            let envelope = Envelope(topic: Topic.kline(symbol: kline.symbol, interval: "5m"), header: header, payload: .kline(Quorum_V1_Kline(kline)))
            let decoded = try Envelope.decode(envelope.encode())
            #expect(decoded == envelope)
            guard case .kline(let wire) = decoded.payload else { Issue.record("not a kline"); continue }
            #expect(try wire.domain() == kline)
        }
    }

    @Test func intentAndReportRoundTrip() throws {
        var rng = SeededGenerator(seed: 11)
        for _ in 0..<1_000 {
            let bar = BarKey(symbol: "BTCUSDT", interval: .fiveMinutes, openTime: Timestamp(milliseconds: Int64.random(in: 0...1_000_000, using: &rng) * 300_000))
            let intent = TradeIntent(
                id: IntentID(milliseconds: bar.openTime.milliseconds, random: rng.next()), bar: bar, side: .buy, division: "conservative",
                quantity: Decimal8(units: Int64.random(in: 1...1_000_000_000, using: &rng)), referencePrice: Decimal8(units: Int64.random(in: 1...10_000_000_000_000, using: &rng)),
                takeProfit: Decimal8(units: 2), stopLoss: Decimal8(units: 1), createdAt: bar.closeTime, expiresAt: bar.closeTime.adding(milliseconds: 300_000), shadow: true,
                timeLimitBars: Bool.random(using: &rng) ? nil : Int.random(in: 1...100_000, using: &rng),
                closesIntentID: Bool.random(using: &rng) ? nil : IntentID(milliseconds: bar.openTime.milliseconds - 300_000, random: rng.next())
            )
            #expect(try Quorum_V1_TradeIntent(serializedBytes: Quorum_V1_TradeIntent(intent).serializedBytes() as [UInt8]).domain() == intent)
            let leg = ExecutionReport.Leg.allCases.randomElement(using: &rng)!
            let report = ExecutionReport(
                intentID: intent.id, clientOrderID: intent.id.clientOrderID(leg: leg), symbol: "BTCUSDT", leg: leg, side: .sell,
                price: intent.stopLoss, quantity: intent.quantity, fee: Decimal8(units: 3), realizedPnL: Decimal8(units: -Int64.random(in: 0...1_000_000, using: &rng)),
                eventTime: bar.next.openTime, shadow: true
            )
            #expect(try Quorum_V1_ExecutionReport(serializedBytes: Quorum_V1_ExecutionReport(report).serializedBytes() as [UInt8]).domain() == report)
        }
    }

    @Test func malformedMessagesAreClassified() {
        var goodHeader = Quorum_V1_Header()
        goodHeader.schemaVersion = 1
        goodHeader.type = .heartbeat
        goodHeader.seq = 1
        let good = Envelope(topic: "hb.x.y.", header: goodHeader, payload: .heartbeat(Quorum_V1_Heartbeat())).encode()
        let topicFrame = good.frames[0], headerFrame = good.frames[1], payloadFrame = good.frames[2]
        #expect(throws: Envelope.DecodeError.wrongFrameCount) { try Envelope.decode(RawMessage(frames: [[1, 2, 3]])) }
        #expect(throws: Envelope.DecodeError.badTopic) { try Envelope.decode(RawMessage(frames: [Array("no-dot".utf8), headerFrame, payloadFrame])) }
        #expect(throws: Envelope.DecodeError.badHeader) { try Envelope.decode(RawMessage(frames: [topicFrame, [0xFF, 0xFF, 0xFF], payloadFrame])) }
        var future = Quorum_V1_Header(); future.schemaVersion = 2; future.type = .heartbeat
        let futureBytes: [UInt8] = (try? future.serializedBytes()) ?? []
        #expect(throws: Envelope.DecodeError.unsupportedSchema) { try Envelope.decode(RawMessage(frames: [topicFrame, futureBytes, payloadFrame])) }
        var unknown = Quorum_V1_Header(); unknown.schemaVersion = 1; unknown.type = .UNRECOGNIZED(99)
        let unknownBytes: [UInt8] = (try? unknown.serializedBytes()) ?? []
        #expect(throws: Envelope.DecodeError.unknownType) { try Envelope.decode(RawMessage(frames: [topicFrame, unknownBytes, payloadFrame])) }
        var kline = Quorum_V1_Header(); kline.schemaVersion = 1; kline.type = .kline
        let klineBytes: [UInt8] = (try? kline.serializedBytes()) ?? []
        #expect(throws: Envelope.DecodeError.badPayload) { try Envelope.decode(RawMessage(frames: [topicFrame, klineBytes, [0x0A, 0xFF]])) }
    }

    @Test func topicsFollowTheGrammar() {
        #expect(Topic.kline(symbol: "BTCUSDT", interval: "5m") == "md.kline.BTCUSDT.5m.")
        #expect(Topic.prediction(symbol: "BTCUSDT", interval: "5m", model: "logreg-high_030_4") == "pred.BTCUSDT.5m.logreg-high_030_4.")
        #expect(!Topic.signal(symbol: "BTCUSDTX", interval: "5m").hasPrefix("sig.BTCUSDT."))
        #expect(Topic.isValid("exec.ack."))
        #expect(!Topic.isValid("exec.ack"))
        #expect(!Topic.isValid("exec..ack."))
        #expect(!Topic.isValid(".exec."))
        #expect(Topic.symbol(of: "md.kline.ETHUSDT.1m.") == "ETHUSDT")
        #expect(Topic.symbol(of: "intent.SOLUSDT.") == "SOLUSDT")
    }
}

@Suite struct SequenceTrackerTests {
    @Test func countsGapsRestartsAndDuplicatesPerTopic() {
        var tracker = SequenceTracker()
        #expect(tracker.observe(publisher: "a", topic: "t.", session: "s1", seq: 5) == .first)
        #expect(tracker.observe(publisher: "a", topic: "t.", session: "s1", seq: 6) == .inOrder)
        #expect(tracker.observe(publisher: "a", topic: "u.", session: "s1", seq: 1) == .first)
        #expect(tracker.observe(publisher: "a", topic: "t.", session: "s1", seq: 9) == .gap(missed: 2))
        #expect(tracker.observe(publisher: "a", topic: "t.", session: "s1", seq: 9) == .duplicate)
        #expect(tracker.observe(publisher: "a", topic: "t.", session: "s2", seq: 1) == .restart)
        #expect(tracker.observe(publisher: "a", topic: "t.", session: "s2", seq: 2) == .inOrder)
        #expect(tracker.missedMessages == 2)
        #expect(tracker.gapEvents == 1)
        #expect(tracker.restarts == 1)
        #expect(tracker.duplicates == 1)
    }

    /// Property: for any pattern of losses, missed messages equal the sequence numbers never
    /// delivered between the first and the last delivered one.
    @Test func missedEqualsLostForRandomLoss() {
        var rng = SeededGenerator(seed: 12)
        for _ in 0..<200 {
            var tracker = SequenceTracker()
            var delivered: [UInt64] = []
            for seq in UInt64(1)...500 where Double.random(in: 0..<1, using: &rng) >= 0.1 {
                delivered.append(seq)
                _ = tracker.observe(publisher: "p", topic: "x.", session: "s", seq: seq)
            }
            guard let first = delivered.first, let last = delivered.last else { continue }
            let expected = (last - first + 1) - UInt64(delivered.count)
            #expect(tracker.missedMessages == expected)
        }
    }

    @Test func dropLedgerLogsOncePerReasonPerMinute() {
        var ledger = DropLedger(logIntervalSeconds: 60)
        let t0 = Timestamp(milliseconds: 0)
        let first = ledger.record(reason: "bad_header", now: t0)
        let withinMinute = ledger.record(reason: "bad_header", now: t0.adding(milliseconds: 59_000))
        let otherReason = ledger.record(reason: "bad_payload", now: t0.adding(milliseconds: 59_000))
        let afterMinute = ledger.record(reason: "bad_header", now: t0.adding(milliseconds: 60_000))
        #expect(first)
        #expect(!withinMinute)
        #expect(otherReason)
        #expect(afterMinute)
        #expect(ledger.counts["bad_header"] == 3)
        #expect(ledger.total == 4)
    }
}
