import Domain
import Foundation

/// `vol_sigma` and `vol_regime`: the realised volatility of the last hour and its regime.
///
/// `σ` is the population standard deviation (ddof 0, as TA-Lib's `STDDEV`) of the 1-bar log returns
/// `ln(close_t / close_{t−1})` of the last `windowBars` bars, scaled to percent per hour:
/// `σ = σ_bar × √(bars per hour) × 100`. The regime is 0 when `σ < thresholds.low`, 1 when
/// `σ < thresholds.high`, else 2. The lookback is `windowBars` (that many returns need one more close).
///
/// Unlike TA-Lib's STDDEV, the variance is computed in two passes over the window (mean, then the mean
/// squared deviation) and without TA-Lib's "< 1e-8 is zero" rule, which would erase every per-bar
/// variance of log returns (they are ~1e-6 and smaller). Returns of non-positive closes count as 0.
public struct RealizedVolatility: Indicator {
    public enum Output: String, Sendable, Hashable {
        case sigma = "vol_sigma"
        case regime = "vol_regime"
    }

    /// Not a TA-Lib function: the names are `vol_sigma` and `vol_regime` (see `FeatureSpec`).
    public static let function = "vol"
    public static let inputs = IndicatorInputs.fixed([.close])
    public static let minimumWindow = 2

    public let output: Output
    public let windowBars: Int
    public let barsPerHour: Double
    public let parameters: VolatilityParameters
    private var ring: Ring
    private var previousLogClose = 0.0
    private var seen = 0
    private let scale: Double

    /// `window` returns of bars that last one hour each / `barsPerHour` hours (the protocol's form:
    /// the window is one hour of bars).
    public init(inputs: [BarField] = [.close], window: Int) {
        self.init(output: .sigma, windowBars: window, barsPerHour: Double(window), parameters: VolatilityParameters())
    }

    public init(output: Output, interval: Interval, parameters: VolatilityParameters) {
        self.init(
            output: output, windowBars: parameters.windowBars(interval),
            barsPerHour: 3_600_000 / Double(interval.milliseconds), parameters: parameters
        )
    }

    public init(output: Output, windowBars: Int, barsPerHour: Double, parameters: VolatilityParameters) {
        precondition(windowBars >= 2 && barsPerHour > 0, "vol takes ≥ 2 returns")
        self.output = output
        self.windowBars = windowBars
        self.barsPerHour = barsPerHour
        self.parameters = parameters
        self.ring = Ring(capacity: windowBars)
        self.scale = barsPerHour.squareRoot() * 100
    }

    public var lookback: Int { windowBars }

    /// `update` bar by bar, statically dispatched (see `Indicator.run`).
    public mutating func run(_ columns: BarColumnPointers, count: Int, into output: UnsafeMutablePointer<Double>) {
        for i in 0..<count { output[i] = update(columns[i]) }
    }

    public mutating func update(_ bar: BarValues) -> Double {
        let logClose = bar.close > 0 ? log(bar.close) : .nan
        defer {
            previousLogClose = logClose
            seen += 1
        }
        if seen == 0 { return .nan }
        var r = logClose - previousLogClose
        if !r.isFinite { r = 0 }
        ring.push(r)
        guard ring.isFull else { return .nan }
        let n = Double(windowBars)
        let sigma: Double = ring.storage.withUnsafeBufferPointer { buffer in
            var mean = 0.0
            for v in buffer { mean += v }
            mean /= n
            var squares = 0.0
            for v in buffer { squares += (v - mean) * (v - mean) }
            return (squares / n).squareRoot() * scale
        }
        switch output {
        case .sigma: return sigma
        case .regime: return sigma < parameters.low ? 0 : sigma < parameters.high ? 1 : 2
        }
    }
}

/// The window and thresholds of `vol_sigma` / `vol_regime`.
public struct VolatilityParameters: Sendable, Hashable, Codable {
    /// Length of the window in seconds (default one hour).
    public var windowSeconds: Int
    /// σ below this (percent per hour) is regime 0.
    public var low: Double
    /// σ below this (and ≥ `low`) is regime 1, else 2.
    public var high: Double

    public init(windowSeconds: Int = 3_600, low: Double = 0.5, high: Double = 1.5) {
        self.windowSeconds = windowSeconds
        self.low = low
        self.high = high
    }

    /// Returns in the window for bars of `interval`: the whole bars that fit in it, at least 2.
    public func windowBars(_ interval: Interval) -> Int {
        max(2, Int(Int64(windowSeconds) * 1_000 / max(interval.milliseconds, 1)))
    }

    /// Every problem, empty when valid.
    public var problems: [String] {
        var out: [String] = []
        if windowSeconds < 1 || windowSeconds > 30 * 86_400 { out.append("windowSeconds must be 1…2592000, got \(windowSeconds)") }
        if !(low.isFinite && low >= 0) { out.append("low must be a finite number ≥ 0, got \(low)") }
        if !(high.isFinite && high > low) { out.append("high must be finite and above low (\(low)), got \(high)") }
        return out
    }
}
