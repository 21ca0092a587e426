import Domain
import Testing
import Wire

// The RiskGate's additive wire fields survive a round trip, and old publishers' states read as ACTIVE.

@Suite("Risk wire conversions")
struct RiskWireConversionTests {
    private let bar = BarKey(symbol: "SOLUSDT", interval: .oneMinute, openTime: Timestamp(milliseconds: 1_722_816_000_000))

    @Test("RiskState with its trading state, causes and events round-trips through protobuf bytes")
    func stateRoundTrip() throws {
        let event = RiskEvent(kind: .capitalShifted, division: "aggressive", code: "rebalance_win_rate", time: Timestamp(milliseconds: 5),
                              detail: "0.1 moved", figures: ["share": Decimal8("0.1")!, "amount": Decimal8("1000.5")!])
        let state = RiskState(
            division: "aggressive", asOf: Timestamp(milliseconds: 7), equity: Decimal8("2999.5")!, freeCapital: Decimal8(100),
            realizedPnLToday: Decimal8("-0.5")!, openPositions: 2, breakerTripped: false, tradingState: .reducing, capitalShare: Decimal8("0.3")!,
            causes: ["manual_pause"], retrainRequested: true, recovery: "shadow", shadow: true, events: [event]
        )
        let bytes = try Quorum_V1_RiskState(state).serializedBytes() as [UInt8]
        #expect(try Quorum_V1_RiskState(serializedBytes: bytes).domain() == state)
        // A state from an older publisher (no new fields) is ACTIVE with the whole capital.
        var old = Quorum_V1_RiskState()
        old.division = "default"
        old.equity = "1000"
        old.freeCapital = "1000"
        old.realizedPnlToday = "0"
        let converted = try old.domain()
        #expect(converted.tradingState == .active && converted.capitalShare == .one && converted.events.isEmpty)
        var bad = old
        bad.tradingState = "SLEEPING"
        #expect(throws: WireConversionError.self) { try bad.domain() }
    }

    @Test("RiskDenied carries its division and figures; EnsembleSignal its division")
    func deniedAndSignal() throws {
        let denied = RiskDenied(bar: bar, reason: .maxPositionsSymbol, detail: "1 open", division: "aggressive", figures: ["open": Decimal8(1), "limit": Decimal8(1)])
        #expect(try Quorum_V1_RiskDenied(denied).domain() == denied)
        let signal = EnsembleSignal(bar: bar, side: .buy, probability: 0.7, threshold: 0.6, models: ["m"], referencePrice: Decimal8(10), division: "aggressive")
        #expect(try Quorum_V1_EnsembleSignal(signal).domain() == signal)
        var badFigure = Quorum_V1_RiskDenied(denied)
        badFigure.figures["open"] = "one"
        #expect(throws: WireConversionError.self) { try badFigure.domain() }
    }
}
