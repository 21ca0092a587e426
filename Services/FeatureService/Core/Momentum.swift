/// TA-Lib `MOM`: `x_t − x_{t−n}`; lookback n.
public struct Momentum: Indicator {
    public static let function = "MOM"
    public static let inputs = IndicatorInputs.anySingle
    public static let minimumWindow = 1

    public let field: BarField
    public let window: Int
    private var ring: Ring

    public init(inputs: [BarField], window: Int) {
        precondition(inputs.count == 1 && window >= 1, "MOM takes one input and a window ≥ 1")
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
        return full ? x - old : .nan
    }
}
