/// TA-Lib `SMA`: `SMA_w(t) = (1/w)·Σ_{i=0}^{w−1} x_{t−i}`; the first w−1 bars are undefined.
/// `w == 1` returns the input itself (ITB: `close_SMA_1 ≡ close`).
///
/// Windows up to ``directSumLimit`` sum their w values afresh at every bar, oldest first: exact to
/// the last rounding of each add, no drift, and in the batch path four bars at a time in SIMD lanes
/// (each lane adds in the same order as the scalar sum, so the bits are the streaming ones). Longer
/// windows keep a running window sum, compensated (Neumaier) so it does not drift over long series.
public struct SimpleMovingAverage: Indicator {
    public static let function = "SMA"
    public static let inputs = IndicatorInputs.anySingle
    public static let minimumWindow = 1
    /// Largest window summed afresh at every bar (above it, the running sum is cheaper).
    public static let directSumLimit = 16

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

    private var sumsDirectly: Bool { window <= Self.directSumLimit }

    /// Exactly `update` bar by bar (the same operations in the same order, so the same bits), as one
    /// loop over the column with the state in registers: the batch path's hot loop.
    public mutating func run(_ columns: BarColumnPointers, count: Int, into output: UnsafeMutablePointer<Double>) {
        let input = columns.column(field)
        if window == 1 {
            for i in 0..<count { output[i] = input[i] }
            return
        }
        if sumsDirectly {
            runDirect(input, count: count, into: output)
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

    /// The direct sums: bars whose window lies inside `input` are summed from the column, four at
    /// a time; the first w − 1 go through `update` (they may need the ring's earlier bars).
    private mutating func runDirect(_ input: UnsafePointer<Double>, count: Int, into output: UnsafeMutablePointer<Double>) {
        let w = window
        var i = 0
        while i < count && i < w - 1 {
            let x = input[i]
            output[i] = update(BarValues(open: x, high: x, low: x, close: x, volume: x))
            i += 1
        }
        guard i < count else { return }
        let first = i
        let n = Double(w)
        if w <= 4 {
            // Short windows: two lanes (measured faster than four at w = 3).
            let divisor = SIMD2<Double>(repeating: n)
            while i + 1 < count {
                let base = input + (i - w + 1)
                var s = SIMD2<Double>(base[0], base[1])
                for k in 1..<w { s += SIMD2<Double>(base[k], base[k + 1]) }
                let mean = s / divisor
                output[i] = mean[0]
                output[i + 1] = mean[1]
                i += 2
            }
        }
        let divisor = SIMD4<Double>(repeating: n)
        while i + 3 < count {
            let base = input + (i - w + 1)
            var s = SIMD4<Double>(base[0], base[1], base[2], base[3])
            for k in 1..<w { s += SIMD4<Double>(base[k], base[k + 1], base[k + 2], base[k + 3]) }
            let mean = s / divisor
            output[i] = mean[0]
            output[i + 1] = mean[1]
            output[i + 2] = mean[2]
            output[i + 3] = mean[3]
            i += 4
        }
        while i < count {
            let base = input + (i - w + 1)
            var s = base[0]
            for k in 1..<w { s += base[k] }
            output[i] = s / n
            i += 1
        }
        // The state `update` would have: the last w bars, oldest at `next`.
        for k in 0..<w { ring[k] = input[count - w + k] }
        next = 0
        seen += count - first
    }

    public mutating func update(_ bar: BarValues) -> Double {
        let x = bar[field]
        if window == 1 { return x }
        if sumsDirectly {
            ring[next] = x
            next += 1
            if next == window { next = 0 }
            seen += 1
            guard seen >= window else { return .nan }
            // Oldest first: ring[next] … ring[window − 1], then ring[0] … ring[next − 1].
            var s = ring[next]
            for k in (next + 1)..<(window + next) { s += ring[k < window ? k : k - window] }
            return s / Double(window)
        }
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
