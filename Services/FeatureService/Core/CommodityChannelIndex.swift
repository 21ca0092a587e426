/// TA-Lib `CCI`: typical price `tp = (high + low + close)/3`; over the last n typical prices
/// `CCI = (tp_t − mean)/(0.015 · mean|tp − mean|)`, and 0 when the numerator or the deviation passes
/// TA-Lib's zero test (|v| < 1e-8).
/// Lookback n−1. Like TA-Lib it recomputes mean and mean absolute deviation over its circular buffer
/// each bar, summing in the buffer's storage order (slot 0 first), so the value is TA-Lib's bit for bit.
public struct CommodityChannelIndex: Indicator {
    public static let function = "CCI"
    public static let inputs = IndicatorInputs.fixed([.high, .low, .close])
    public static let minimumWindow = 2

    public let window: Int
    private var ring: Ring

    public init(inputs: [BarField], window: Int) {
        precondition(inputs == [.high, .low, .close] && window >= 2, "CCI takes high, low, close and a window ≥ 2")
        self.window = window
        self.ring = Ring(capacity: window)
    }

    public var lookback: Int { window - 1 }

    /// `update` bar by bar, statically dispatched (see `Indicator.run`).
    public mutating func run(_ columns: BarColumnPointers, count: Int, into output: UnsafeMutablePointer<Double>) {
        for i in 0..<count { output[i] = update(columns[i]) }
    }

    public mutating func update(_ bar: BarValues) -> Double {
        let typical = (bar.high + bar.low + bar.close) / 3
        ring.push(typical)
        guard ring.isFull else { return .nan }
        let n = Double(window)
        return ring.storage.withUnsafeBufferPointer { buffer in
            var average = 0.0
            for v in buffer { average += v }
            average /= n
            var deviation = 0.0
            for v in buffer { deviation += abs(v - average) }
            let numerator = typical - average
            guard !RelativeStrengthIndex.isZero(numerator), !RelativeStrengthIndex.isZero(deviation) else { return 0 }
            return numerator / (0.015 * (deviation / n))
        }
    }
}
