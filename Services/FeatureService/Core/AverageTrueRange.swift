/// TA-Lib `ATR` (Wilder): `TR_t = max(H_t − L_t, |H_t − C_{t−1}|, |L_t − C_{t−1}|)` from the second bar on;
/// `ATR(n) = mean(TR_1..TR_n)` at index n, then `ATR_t = (ATR_{t−1}·(n−1) + TR_t)/n`. The first n bars are
/// undefined. For n = 1 it is the true range (TA-Lib's `TRANGE`), as TA-Lib does.
///
/// The smoothing is computed as `ATR_{t−1}·((n−1)/n) + TR_t·(1/n)` (see ``RelativeStrengthIndex``:
/// the same value to within a few units in the last place, without a division on the dependency
/// chain); streaming and batch do exactly these operations.
public struct AverageTrueRange: Indicator {
    public static let function = "ATR"
    public static let inputs = IndicatorInputs.fixed([.high, .low, .close])
    public static let minimumWindow = 1

    public let window: Int
    private var previousClose = 0.0
    private var seen = 0
    private var average = 0.0

    /// (n − 1)/n and 1/n: the smoothing's weights.
    private let keep: Double
    private let share: Double

    public init(inputs: [BarField], window: Int) {
        precondition(inputs == [.high, .low, .close] && window >= 1, "ATR takes high, low, close and a window ≥ 1")
        self.window = window
        self.keep = Double(window - 1) / Double(window)
        self.share = 1 / Double(window)
    }

    public var lookback: Int { window }

    /// Exactly `update` bar by bar (the same operations in the same order, so the same bits): the
    /// warm-up through `update`, then the steady state as one loop with the state in registers.
    public mutating func run(_ columns: BarColumnPointers, count: Int, into output: UnsafeMutablePointer<Double>) {
        var i = 0
        while i < count && seen <= window {
            output[i] = update(columns[i])
            i += 1
        }
        guard i < count else { return }
        let high = columns.high, low = columns.low, close = columns.close
        let keep = self.keep, share = self.share
        var previousClose = self.previousClose, average = self.average
        let steady = count - i
        while i < count {
            var range = high[i] - low[i]
            let up = abs(previousClose - high[i])
            range = up > range ? up : range
            let down = abs(previousClose - low[i])
            range = down > range ? down : range
            average = average * keep + range * share
            output[i] = average
            previousClose = close[i]
            i += 1
        }
        self.previousClose = previousClose
        self.average = average
        seen += steady
    }

    @inline(__always)
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
            average = average * keep + range * share
        }
        return average
    }
}
