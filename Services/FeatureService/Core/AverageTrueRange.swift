/// TA-Lib `ATR` (Wilder): `TR_t = max(H_t − L_t, |H_t − C_{t−1}|, |L_t − C_{t−1}|)` from the second bar on;
/// `ATR(n) = mean(TR_1..TR_n)` at index n, then `ATR_t = (ATR_{t−1}·(n−1) + TR_t)/n`. The first n bars are
/// undefined. For n = 1 it is the true range (TA-Lib's `TRANGE`), as TA-Lib does.
public struct AverageTrueRange: Indicator {
    public static let function = "ATR"
    public static let inputs = IndicatorInputs.fixed([.high, .low, .close])
    public static let minimumWindow = 1

    public let window: Int
    private var previousClose = 0.0
    private var seen = 0
    private var average = 0.0

    public init(inputs: [BarField], window: Int) {
        precondition(inputs == [.high, .low, .close] && window >= 1, "ATR takes high, low, close and a window ≥ 1")
        self.window = window
    }

    public var lookback: Int { window }

    public mutating func update(_ bar: BarValues) -> Double {
        defer {
            previousClose = bar.close
            seen += 1
        }
        if seen == 0 { return .nan }
        var range = bar.high - bar.low
        let up = abs(previousClose - bar.high)
        if up > range { range = up }
        let down = abs(previousClose - bar.low)
        if down > range { range = down }
        let n = Double(window)
        if seen < window {
            average += range
            return .nan
        }
        if seen == window {
            average += range
            average /= n
        } else {
            average *= n - 1
            average += range
            average /= n
        }
        return average
    }
}
