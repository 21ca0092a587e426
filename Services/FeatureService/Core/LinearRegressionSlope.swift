/// TA-Lib `LINEARREG_SLOPE`: the least-squares slope of the last n values against their bar index,
/// in input units per bar. Computed as TA-Lib does, from scratch over the window each bar (so it
/// never drifts) and in TA-Lib's operation order: x counts bars back from the newest,
/// `ΣX = n(n−1)/2`, `ΣX² = n(n−1)(2n−1)/6`, `slope = (n·ΣXY − ΣX·ΣY)/(ΣX² − n·ΣX²)` — bit-for-bit
/// TA-Lib's value. Lookback n−1.
public struct LinearRegressionSlope: Indicator {
    public static let function = "LINEARREG_SLOPE"
    public static let inputs = IndicatorInputs.anySingle
    public static let minimumWindow = 2

    public let field: BarField
    public let window: Int
    private var ring: Ring
    private let sumX: Double
    private let divisor: Double

    public init(inputs: [BarField], window: Int) {
        precondition(inputs.count == 1 && window >= 2, "LINEARREG_SLOPE takes one input and a window ≥ 2")
        self.field = inputs[0]
        self.window = window
        self.ring = Ring(capacity: window)
        let sumX = Double(window * (window - 1)) * 0.5
        let sumXSquared = Double(window * (window - 1) * (2 * window - 1) / 6)
        self.sumX = sumX
        self.divisor = sumX * sumX - Double(window) * sumXSquared
    }

    public var lookback: Int { window - 1 }

    /// `update` bar by bar, statically dispatched (see `Indicator.run`).
    public mutating func run(_ columns: BarColumnPointers, count: Int, into output: UnsafeMutablePointer<Double>) {
        for i in 0..<count { output[i] = update(columns[i]) }
    }

    public mutating func update(_ bar: BarValues) -> Double {
        ring.push(bar[field])
        guard ring.isFull else { return .nan }
        var sumXY = 0.0, sumY = 0.0
        var i = window
        while i != 0 {
            i -= 1
            let y = ring.back(i)
            sumY += y
            sumXY += Double(i) * y
        }
        return (Double(window) * sumXY - sumX * sumY) / divisor
    }
}
