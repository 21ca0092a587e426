/// TA-Lib `ROC`: `(x_t / x_{t−n} − 1)·100`, and 0 where `x_{t−n}` is 0 (TA-Lib's rule); lookback n.
public struct RateOfChange: Indicator {
    public static let function = "ROC"
    public static let inputs = IndicatorInputs.anySingle
    public static let minimumWindow = 1

    public let field: BarField
    public let window: Int
    private var ring: Ring

    public init(inputs: [BarField], window: Int) {
        precondition(inputs.count == 1 && window >= 1, "ROC takes one input and a window ≥ 1")
        self.field = inputs[0]
        self.window = window
        self.ring = Ring(capacity: window)
    }

    public var lookback: Int { window }

    /// `update` bar by bar, statically dispatched (see `Indicator.run`).
    public mutating func run(_ columns: BarColumnPointers, count: Int, into output: UnsafeMutablePointer<Double>) {
        for i in 0..<count { output[i] = update(columns[i]) }
    }

    public mutating func update(_ bar: BarValues) -> Double {
        let x = bar[field]
        let full = ring.isFull
        let old = ring.push(x)
        guard full else { return .nan }
        return old != 0 ? ((x / old) - 1.0) * 100.0 : 0
    }
}
