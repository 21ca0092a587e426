import Domain

/// The economics of a fixed take-profit / stop bracket: what one win and one loss return after
/// costs, and the win rate at which they cancel.
///
/// A long entered at P with take-profit P(1 + t) and stop P(1 − s) pays, as fractions of each
/// leg's notional, c = taker fee + slippage on the market entry and on the stop exit (taker fills
/// that slip) and m = maker fee on the take-profit LIMIT (which fills at its level: no slippage).
/// Per unit of committed capital it returns w = t − c − m(1 + t) on a win and
/// −ℓ = −s − c(2 − s) on a loss. The break-even win rate is p* = ℓ ÷ (w + ℓ); with w ≤ 0 no win
/// rate breaks even (p* = 1, ``isAttainable`` false). With m = taker fee and no slippage this is
/// the single-rate form w = t − c(2 + t).
///
/// Example: t = 0.3 %, s = 0.5 %, fee 0.1 % per side: w = +0.0997 %, ℓ = 0.6995 %, p* ≈ 87.5 %.
public struct BreakEven: Sendable, Hashable {
    public var target: Double
    public var stop: Double
    /// The taker fee (entry, stop exit).
    public var feePerSide: Double
    /// Slippage of each taker fill, as a fraction of the price.
    public var slippagePerSide: Double
    /// The maker fee of the take-profit LIMIT.
    public var makerFee: Double

    public init(target: Double, stop: Double, feePerSide: Double, slippagePerSide: Double = 0, makerFee: Double? = nil) {
        self.target = target
        self.stop = stop
        self.feePerSide = feePerSide
        self.slippagePerSide = slippagePerSide
        self.makerFee = makerFee ?? feePerSide
    }

    /// From a RiskGate division's target and stop distance and the Executor's fee rate (taker;
    /// `makerFeeRate` defaults to it).
    public init(target: Decimal8, stop: Decimal8, feeRate: Decimal8, slippagePerSide: Double = 0, makerFeeRate: Decimal8? = nil) {
        self.init(
            target: target.doubleValue, stop: stop.doubleValue, feePerSide: feeRate.doubleValue, slippagePerSide: slippagePerSide,
            makerFee: makerFeeRate?.doubleValue
        )
    }

    /// Cost of a taker fill: fee and slippage.
    var costPerSide: Double { feePerSide + slippagePerSide }

    /// Net return of a win, as a fraction of the committed capital.
    public var winReturn: Double { target - costPerSide - makerFee * (1 + target) }
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
            "target": .number(target), "stop": .number(stop), "feePerSide": .number(feePerSide), "makerFee": .number(makerFee),
            "slippagePerSide": .number(slippagePerSide), "winReturn": .number(winReturn), "lossReturn": .number(lossReturn),
            "breakEvenWinRate": .number(winRate), "attainable": .bool(isAttainable),
        ])
    }
}
