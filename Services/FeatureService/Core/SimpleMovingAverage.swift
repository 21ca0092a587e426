/// TA-Lib `SMA`: `SMA_w(t) = (1/w)·Σ_{i=0}^{w−1} x_{t−i}`; the first w−1 bars are undefined.
/// `w == 1` returns the input itself (ITB: `close_SMA_1 ≡ close`).
///
/// The running window sum is compensated (Neumaier), so it does not drift over long series.
public struct SimpleMovingAverage: Indicator {
    public static let function = "SMA"
    public static let inputs = IndicatorInputs.anySingle
    public static let minimumWindow = 1

    public let field: BarField
    public let window: Int
    private var ring: [Double]
    private var next = 0
    private var seen = 0
    private var sum = 0.0
    private var compensation = 0.0

    public init(inputs: [BarField], window: Int) {
        precondition(inputs.count == 1 && window >= 1, "SMA takes one input and a window ≥ 1")
        self.field = inputs[0]
        self.window = window
        self.ring = [Double](repeating: 0, count: window)
    }

    public var lookback: Int { window - 1 }

    /// Exactly `update` bar by bar (the same operations in the same order, so the same bits), as one
    /// loop over the column with the state in registers: the batch path's hot loop.
    public mutating func run(_ columns: BarColumnPointers, count: Int, into output: UnsafeMutablePointer<Double>) {
        let input = columns.column(field)
        if window == 1 {
            for i in 0..<count { output[i] = input[i] }
            return
        }
        let w = window, n = Double(window)
        var next = self.next, seen = self.seen, sum = self.sum, compensation = self.compensation
        ring.withUnsafeMutableBufferPointer { ring in
            for i in 0..<count {
                let x = input[i]
                if seen >= w {
                    let y = -ring[next]
                    let t = sum + y
                    if abs(sum) >= abs(y) { compensation += (sum - t) + y } else { compensation += (y - t) + sum }
                    sum = t
                }
                let t = sum + x
                if abs(sum) >= abs(x) { compensation += (sum - t) + x } else { compensation += (x - t) + sum }
                sum = t
                ring[next] = x
                next += 1
                if next == w { next = 0 }
                seen += 1
                output[i] = seen >= w ? (sum + compensation) / n : .nan
            }
        }
        self.next = next
        self.seen = seen
        self.sum = sum
        self.compensation = compensation
    }

    public mutating func update(_ bar: BarValues) -> Double {
        let x = bar[field]
        if window == 1 { return x }
        if seen >= window { add(-ring[next]) }
        add(x)
        ring[next] = x
        next += 1
        if next == window { next = 0 }
        seen += 1
        return seen >= window ? (sum + compensation) / Double(window) : .nan
    }

    @inline(__always)
    private mutating func add(_ x: Double) {
        let t = sum + x
        if abs(sum) >= abs(x) { compensation += (sum - t) + x } else { compensation += (x - t) + sum }
        sum = t
    }
}
