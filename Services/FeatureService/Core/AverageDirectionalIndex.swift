/// TA-Lib `ADX` (Wilder), default settings, in TA-Lib's operation order:
/// `+DM_t = H_t − H_{t−1}` when it is positive and larger than `−DM_t = L_{t−1} − L_t`, else 0 (and
/// symmetrically); `TR_t` as for ATR. Over bars 1…n−1 the sums of +DM, −DM and TR are the seeds; from
/// bar n on each is smoothed `S ← S − S/n + v`; `±DI = 100·S±/S_TR`, `DX = 100·|−DI − +DI|/(−DI + +DI)`
/// (skipped when `S_TR` or the DI sum passes TA-Lib's zero test). The first ADX, at bar 2n−1, is the
/// mean of the n DX of bars n…2n−1; then `ADX ← (ADX·(n−1) + DX)/n`. Lookback 2n−1.
/// Recursive: equals TA-Lib's when both start on the same bar.
public struct AverageDirectionalIndex: Indicator {
    public static let function = "ADX"
    public static let inputs = IndicatorInputs.fixed([.high, .low, .close])
    public static let minimumWindow = 2

    public let window: Int
    private var seen = 0
    private var previousHigh = 0.0
    private var previousLow = 0.0
    private var previousClose = 0.0
    private var plusDM = 0.0
    private var minusDM = 0.0
    private var trueRange = 0.0
    private var sumDX = 0.0
    private var adx = 0.0

    public init(inputs: [BarField], window: Int) {
        precondition(inputs == [.high, .low, .close] && window >= 2, "ADX takes high, low, close and a window ≥ 2")
        self.window = window
    }

    public var lookback: Int { 2 * window - 1 }

    /// `update` bar by bar, statically dispatched (see `Indicator.run`).
    public mutating func run(_ columns: BarColumnPointers, count: Int, into output: UnsafeMutablePointer<Double>) {
        for i in 0..<count { output[i] = update(columns[i]) }
    }

    public mutating func update(_ bar: BarValues) -> Double {
        let index = seen
        seen += 1
        if index == 0 {
            previousHigh = bar.high
            previousLow = bar.low
            previousClose = bar.close
            return .nan
        }
        let n = Double(window)
        let diffP = bar.high - previousHigh
        previousHigh = bar.high
        let diffM = previousLow - bar.low
        previousLow = bar.low
        if index >= window {
            minusDM -= minusDM / n
            plusDM -= plusDM / n
        }
        if diffM > 0 && diffP < diffM {
            minusDM += diffM
        } else if diffP > 0 && diffP > diffM {
            plusDM += diffP
        }
        var range = bar.high - bar.low
        let up = abs(bar.high - previousClose)
        if up > range { range = up }
        let down = abs(bar.low - previousClose)
        if down > range { range = down }
        previousClose = bar.close
        if index < window {
            trueRange += range
            return .nan
        }
        trueRange = trueRange - (trueRange / n) + range
        var dx: Double?
        if !RelativeStrengthIndex.isZero(trueRange) {
            let minusDI = 100.0 * (minusDM / trueRange)
            let plusDI = 100.0 * (plusDM / trueRange)
            let total = minusDI + plusDI
            if !RelativeStrengthIndex.isZero(total) { dx = 100.0 * (abs(minusDI - plusDI) / total) }
        }
        let firstValue = 2 * window - 1
        if index < firstValue {
            if let dx { sumDX += dx }
            return .nan
        }
        if index == firstValue {
            if let dx { sumDX += dx }
            adx = sumDX / n
            return adx
        }
        if let dx { adx = ((adx * Double(window - 1)) + dx) / n }
        return adx
    }
}
