/// TA-Lib `WMA`: `WMA_n(t) = Σ_{k=1}^{n} k·x_{t−n+k} / (n(n+1)/2)` (newest weight n); lookback n−1.
/// `n == 1` returns the input itself.
///
/// Kept as two running sums (TA-Lib's `periodSub` and `periodSum`: each step the weighted sum loses
/// the plain sum and gains n·x), compensated (Neumaier) so a series that runs for months does not drift.
public struct WeightedMovingAverage: Indicator {
    public static let function = "WMA"
    public static let inputs = IndicatorInputs.anySingle
    public static let minimumWindow = 1

    public let field: BarField
    public let window: Int
    private var ring: Ring
    private var plain = CompensatedSum()
    private var weighted = CompensatedSum()
    private let divider: Double

    public init(inputs: [BarField], window: Int) {
        precondition(inputs.count == 1 && window >= 1, "WMA takes one input and a window ≥ 1")
        self.field = inputs[0]
        self.window = window
        self.ring = Ring(capacity: window)
        self.divider = Double(window) * Double(window + 1) / 2
    }

    public var lookback: Int { window - 1 }

    /// `update` bar by bar, statically dispatched (see `Indicator.run`).
    public mutating func run(_ columns: BarColumnPointers, count: Int, into output: UnsafeMutablePointer<Double>) {
        for i in 0..<count { output[i] = update(columns[i]) }
    }

    public mutating func update(_ bar: BarValues) -> Double {
        let x = bar[field]
        if window == 1 { return x }
        let n = Double(window)
        if ring.isFull {
            // Every weight drops by one (the oldest's to zero), the new value gets n.
            weighted.add(-plain.value)
            weighted.add(n * x)
            plain.add(-ring.push(x))
            plain.add(x)
            return weighted.value / divider
        }
        ring.push(x)
        weighted.add(Double(ring.count) * x)
        plain.add(x)
        return ring.isFull ? weighted.value / divider : .nan
    }
}
