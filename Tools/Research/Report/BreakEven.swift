import Domain

/// The economics of a fixed take-profit / stop bracket: what one win and one loss return after
/// costs, and the win rate at which they cancel.
///
/// A long entered at P with take-profit P(1 + t) and stop P(1 − s), paying a cost c per side as a
/// fraction of each leg's notional (fee + slippage), returns per unit of committed capital
/// w = t − c(2 + t) on a win and −ℓ = −s − c(2 − s) on a loss. The break-even win rate is
/// p* = ℓ ÷ (w + ℓ); with w ≤ 0 no win rate breaks even (p* = 1, ``isAttainable`` false).
///
/// Example: t = 0.3 %, s = 0.5 %, fee 0.1 % per side: w = +0.0997 %, ℓ = 0.6995 %, p* ≈ 87.5 %.
public struct BreakEven: Sendable, Hashable {
    public var target: Double
    public var stop: Double
    public var feePerSide: Double
    public var slippagePerSide: Double

    public init(target: Double, stop: Double, feePerSide: Double, slippagePerSide: Double = 0) {
        self.target = target
        self.stop = stop
        self.feePerSide = feePerSide
        self.slippagePerSide = slippagePerSide
    }

    /// From a RiskGate division's target and stop distance and the Executor's fee rate.
    public init(target: Decimal8, stop: Decimal8, feeRate: Decimal8, slippagePerSide: Double = 0) {
        self.init(target: target.doubleValue, stop: stop.doubleValue, feePerSide: feeRate.doubleValue, slippagePerSide: slippagePerSide)
    }

    var costPerSide: Double { feePerSide + slippagePerSide }

    /// Net return of a win, as a fraction of the committed capital.
    public var winReturn: Double { target - costPerSide * (2 + target) }
    /// Net return of a loss (negative).
    public var lossReturn: Double { -stop - costPerSide * (2 - stop) }
    /// Whether a win makes money at all after costs.
    public var isAttainable: Bool { winReturn > 0 }

    /// The win rate at which the expected return per trade is zero, in [0, 1].
    public var winRate: Double {
        guard isAttainable else { return 1 }
        let loss = -lossReturn
        guard loss > 0 else { return 0 }
        return loss / (winReturn + loss)
    }

    /// Expected net return per trade at a win rate.
    public func expectedReturn(winRate p: Double) -> Double { p * winReturn + (1 - p) * lossReturn }

    public var json: ReportJSON {
        .object([
            "target": .number(target), "stop": .number(stop), "feePerSide": .number(feePerSide),
            "slippagePerSide": .number(slippagePerSide), "winReturn": .number(winReturn), "lossReturn": .number(lossReturn),
            "breakEvenWinRate": .number(winRate), "attainable": .bool(isAttainable),
        ])
    }
}
