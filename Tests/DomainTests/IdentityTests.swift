import Domain
import Testing
import TestKit

@Suite struct IdentityTests {
    @Test func intentIDsAreTimeOrderedAndWellFormed() {
        var rng = SeededGenerator(seed: 4)
        var previous: IntentID? = nil
        var ms: Int64 = 1_722_816_000_000
        for _ in 0..<5_000 {
            ms += Int64.random(in: 1...100_000, using: &rng)
            let id = IntentID(milliseconds: ms, random: rng.next())
            #expect(id.rawValue.count == 20)
            #expect(id.rawValue.utf8.allSatisfy { (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) })
            #expect(id.milliseconds == ms)
            #expect(IntentID(id.rawValue) == id)
            if let previous { #expect(previous < id) }
            previous = id
        }
        #expect(IntentID("short") == nil)
        #expect(IntentID("abcdefghij-klmnopqrs") == nil)
    }

    @Test func clientOrderIDsFitBinanceRules() {
        let id = IntentID(milliseconds: 1_722_816_000_000, random: 42)
        for leg in [ExecutionReport.Leg.entry, .takeProfit, .stop] {
            let plain = id.clientOrderID(leg: leg)
            let retried = id.clientOrderID(leg: leg, retry: 9)
            #expect(plain == "q\(id.rawValue)-\(leg.rawValue)")
            #expect(retried.count == 24)
            #expect(retried.count <= 25)
            #expect(plain.count <= 25)
        }
    }

    @Test func timestampsFormatAndParseUTCDates() {
        #expect(Timestamp(milliseconds: 1_722_816_000_000).description == "2024-08-05T00:00:00.000Z")
        #expect(Timestamp(utcDate: "2024-08-05") == Timestamp(milliseconds: 1_722_816_000_000))
        #expect(Timestamp(utcDate: "1970-01-01") == Timestamp.zero)
        #expect(Timestamp(utcDate: "2024-02-30") == nil)
        #expect(Timestamp(utcDate: "2024-8-5") == nil)
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<2_000 {
            let day = Int64.random(in: 0...40_000, using: &rng)
            let t = Timestamp(milliseconds: day * 86_400_000)
            let text = String(t.description.prefix(10))
            #expect(Timestamp(utcDate: text) == t)
            #expect(t.utcDay == day)
        }
    }

    @Test func intervalsKnowTheirLength() {
        #expect(Interval("5m")?.milliseconds == 300_000)
        #expect(Interval("1M") == nil)
        let bar = BarKey(symbol: "BTCUSDT", interval: .fiveMinutes, openTime: Timestamp(milliseconds: 1_722_816_000_000))
        #expect(bar.closeTime.milliseconds == 1_722_816_299_999)
        #expect(bar.next.openTime.milliseconds == 1_722_816_300_000)
    }
}
