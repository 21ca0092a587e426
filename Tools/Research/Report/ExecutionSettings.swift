import Domain

/// The execution costs and exits a backtest ran with, for the report's note and its metrics JSON:
/// what the Executor core's paper fills charged (see ``ExecutorCore``'s documentation for the rules).
///
/// ```swift
/// let settings = ExecutionSettings(makerFeeRate: Decimal8("0.001")!, takerFeeRate: Decimal8("0.001")!, slippageBps: .zero,
///                                  timeLimitBars: 4, timeLimitSource: .labelHorizon, barsWithSpread: 0, meanHalfSpreadBps: nil)
/// print(settings.note)
/// ```
public struct ExecutionSettings: Sendable, Hashable {
    /// Where the time limit came from.
    public enum TimeLimitSource: String, Sendable, Hashable {
        /// `time_limit_bars` in the config (or on the command line).
        case configured
        /// The entry label's horizon h: the model says nothing beyond h bars.
        case labelHorizon = "label_horizon"
        /// No time limit.
        case none
    }

    public var makerFeeRate: Decimal8
    public var takerFeeRate: Decimal8
    /// Slippage of taker fills where no spread is known, in basis points.
    public var slippageBps: Decimal8
    public var timeLimitBars: Int?
    public var timeLimitSource: TimeLimitSource
    /// Bars of the data whose quoted spread was known (order-flow captures): a taker fill on the
    /// next bar slipped by half of it instead of `slippageBps`.
    public var barsWithSpread: Int
    /// Mean half-spread over those bars, in basis points (nil when none).
    public var meanHalfSpreadBps: Double?

    public init(
        makerFeeRate: Decimal8, takerFeeRate: Decimal8, slippageBps: Decimal8, timeLimitBars: Int?, timeLimitSource: TimeLimitSource,
        barsWithSpread: Int = 0, meanHalfSpreadBps: Double? = nil
    ) {
        self.makerFeeRate = makerFeeRate
        self.takerFeeRate = takerFeeRate
        self.slippageBps = slippageBps
        self.timeLimitBars = timeLimitBars
        self.timeLimitSource = timeLimitSource
        self.barsWithSpread = barsWithSpread
        self.meanHalfSpreadBps = meanHalfSpreadBps
    }

    /// The slippage per taker fill the break-even uses, as a fraction of the price: the mean
    /// half-spread where spreads were known, else `slippageBps`.
    public var slippagePerSide: Double {
        (meanHalfSpreadBps ?? slippageBps.doubleValue) / 10_000
    }

    /// What the paper fills modelled, exactly.
    public var note: String {
        var text = "Execution (Executor core, the same paper fills as the shadow Executor): entry at MARKET at the open of the bar after the signal; "
        text += "exits: take-profit LIMIT (maker, at its level, or the open on a gap above it), stop (taker, at its level or the open on a gap below it), "
        text += "the stop first when both are inside one bar"
        if let bars = timeLimitBars {
            let why = timeLimitSource == .labelHorizon
                ? "the entry label's horizon: the model says nothing beyond it"
                : "configured"
            text += "; time limit: a position still open after \(bars) bar\(bars == 1 ? "" : "s") (the entry bar is bar 1) is sold at MARKET (taker) at the open of the next bar (\(why)), after that open's gap checks"
        } else {
            text += "; no time limit"
        }
        text += ". Fees: taker \(Self.percent(takerFeeRate)) (entry, stop, time limit), maker \(Self.percent(makerFeeRate)) (take-profit), on the slipped notional. "
        text += "Slippage of taker fills (always against the position, rounded to the tick adversely): "
        if barsWithSpread > 0, let mean = meanHalfSpreadBps {
            text += "half the quoted spread of the bar before the fill where the captures give it (\(barsWithSpread) bars, mean half-spread \(Self.format(mean)) bp), else \(slippageBps.compactDescription) bp"
        } else {
            text += "\(slippageBps.compactDescription) bp (no order books: no quoted spread known)"
        }
        text += ". Not modelled: market impact beyond the half-spread, partial fills, queue position of the take-profit LIMIT (it fills whenever the bar's high reaches it); positions still open at the end are left out unless closed at a mark."
        return text
    }

    public var json: ReportJSON {
        .object([
            "makerFeeRate": .decimal(makerFeeRate), "takerFeeRate": .decimal(takerFeeRate), "slippageBps": .decimal(slippageBps),
            "timeLimitBars": timeLimitBars.map { .int($0) } ?? .null, "timeLimitSource": .string(timeLimitSource.rawValue),
            "barsWithSpread": .int(barsWithSpread), "meanHalfSpreadBps": meanHalfSpreadBps.map { .number($0) } ?? .null,
            "slippagePerSide": .number(slippagePerSide),
        ])
    }

    static func percent(_ rate: Decimal8) -> String { format(rate.doubleValue * 100) + " %" }

    static func format(_ value: Double) -> String {
        let hundredths = (value * 100).rounded()
        return String(hundredths / 100)
    }
}
