/// TA-Lib `NATR`: `ATR_n / close · 100` (0 where the close passes TA-Lib's zero test), with ATR's
/// Wilder smoothing and seed; lookback n.
///
/// The window must be ≥ 2: TA-Lib's `NATR` with period 1 returns the raw true range, not normalised
/// (price units under a name that promises percent); use `high_low_close_ATR_1` for that.
public struct NormalizedAverageTrueRange: Indicator {
    public static let function = "NATR"
    public static let inputs = IndicatorInputs.fixed([.high, .low, .close])
    public static let minimumWindow = 2

    public let window: Int
    private var atr: AverageTrueRange

    public init(inputs: [BarField], window: Int) {
        precondition(inputs == [.high, .low, .close] && window >= 2, "NATR takes high, low, close and a window ≥ 2")
        self.window = window
        self.atr = AverageTrueRange(inputs: inputs, window: window)
    }

    public var lookback: Int { window }

    /// `update` bar by bar, statically dispatched (see `Indicator.run`).
    public mutating func run(_ columns: BarColumnPointers, count: Int, into output: UnsafeMutablePointer<Double>) {
        for i in 0..<count { output[i] = update(columns[i]) }
    }

    public mutating func update(_ bar: BarValues) -> Double {
        let value = atr.update(bar)
        if value.isNaN { return .nan }
        return RelativeStrengthIndex.isZero(bar.close) ? 0 : (value / bar.close) * 100.0
    }
}
