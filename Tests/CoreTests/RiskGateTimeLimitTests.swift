import Domain
import EnsembleCore
import Foundation
import RiskGateCore
import Testing

/// The division's time limit reaches the Executor on every intent, and survives a restart.
@Suite("RiskGate time limits")
struct RiskGateTimeLimitTests {
    static let dayStart: Int64 = 1_722_816_000_000

    static func bar(_ minute: Int64) -> BarKey {
        BarKey(symbol: "BTCUSDT", interval: .oneMinute, openTime: Timestamp(milliseconds: dayStart + minute * 60_000))
    }

    static func issue(_ division: RiskGateCore.Division) -> (gate: RiskGateCore, intent: TradeIntent?) {
        var gate = RiskGateCore(configuration: .init(division: division))
        let now = Timestamp(milliseconds: dayStart)
        let signal = EnsembleSignal(bar: bar(0), side: .buy, probability: 0.7, threshold: 0.6, models: ["a"], referencePrice: Decimal8(100))
        _ = gate.handle(.signal(signal, newIntentID: IntentID(milliseconds: dayStart, random: 1)), now: now)
        let outputs = gate.handle(.watermark(ExecutionWatermark(symbol: "BTCUSDT", through: bar(0).closeTime, intentsSeen: 0)), now: now)
        let intent = outputs.compactMap { if case .intent(let i) = $0 { i } else { nil } }.first
        return (gate, intent)
    }

    @Test("Intents carry the division's time limit; none by default")
    func intentsCarryTheLimit() throws {
        var division = RiskGateCore.Division(riskPerTrade: Decimal8("0.005")!, stopDistance: Decimal8("0.02")!)
        #expect(try #require(Self.issue(division).intent).timeLimitBars == nil)
        division.timeLimitBars = 4
        let (gate, intent) = Self.issue(division)
        #expect(try #require(intent).timeLimitBars == 4)
        // A restart restores the intent with its limit (it is re-published as it was).
        let snapshot = try JSONDecoder().decode(RiskGateCore.Snapshot.self, from: JSONEncoder().encode(gate.snapshot))
        let restored = try RiskGateCore(configuration: .init(division: division), restoring: snapshot)
        #expect(restored.unacknowledgedIntents.map(\.timeLimitBars) == [4])
    }

    @Test("A time limit below one bar and a bad taker fee are violations")
    func validation() {
        var division = RiskGateCore.Division()
        division.timeLimitBars = 0
        division.takerFeeRate = Decimal8(-1)
        let violations = division.violations(prefix: "divisions[0]")
        #expect(violations.contains("divisions[0].timeLimitBars: must be ≥ 1 (nil for none), got 0"))
        #expect(violations.contains("divisions[0].takerFeeRate: must be in [0, 1), got -1"))
    }
}
