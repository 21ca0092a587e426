/// TA-Lib `EMA` (default compatibility): `k = 2/(n+1)`; the first value, at index n−1, is the SMA of the
/// first n inputs (summed in order); afterwards `EMA_t = (x_t − EMA_{t−1})·k + EMA_{t−1}`, TA-Lib's
/// operation order. Lookback n−1. `n == 1` returns the input itself (k = 1; ITB's `w == 1` identity).
/// The value depends on the whole history since the series started (TA-Lib's "unstable period"), so
/// it equals TA-Lib's only when both start on the same bar, which a gap restart guarantees.
public struct ExponentialMovingAverage: Indicator {
    public static let function = "EMA"
    public static let inputs = IndicatorInputs.anySingle
    public static let minimumWindow = 1

    public let field: BarField
    public let window: Int
    private let k: Double
    private var seen = 0
    private var value = 0.0

    public init(inputs: [BarField], window: Int) {
        precondition(inputs.count == 1 && window >= 1, "EMA takes one input and a window ≥ 1")
        self.field = inputs[0]
        self.window = window
        self.k = 2.0 / Double(window + 1)
    }

    public var lookback: Int { window - 1 }

    /// `update` bar by bar, statically dispatched (see `Indicator.run`).
    public mutating func run(_ columns: BarColumnPointers, count: Int, into output: UnsafeMutablePointer<Double>) {
        for i in 0..<count { output[i] = update(columns[i]) }
    }

    public mutating func update(_ bar: BarValues) -> Double {
        let x = bar[field]
        if window == 1 { return x }
        seen += 1
        if seen < window {
            value += x
            return .nan
        }
        if seen == window {
            value += x
            value /= Double(window)
        } else {
            value = ((x - value) * k) + value
        }
        return value
    }
}
