import Domain

/// ITB's `highlow2` label, named `high_TTT_H` or `low_TTT_H`: TTT is the threshold θ in hundredths of
/// a percent (basis points: `030` → 0.30 %), H the horizon in bars.
///
/// For bar t with close C_t, over the next bars t+1 … t+H (the current bar excluded):
/// - `high`: target `U = C_t·(1 + θ)`, crossed when a high is strictly above U. Without a tolerance the
///   label is "some high in t+1…t+H is > U". With a tolerance τ (fraction of θ) there is also a stop
///   `S = C_t·(1 − τθ)`, crossed when a low is strictly below S; the label is true when the target is
///   crossed and the stop is not crossed in an earlier bar (both in the same bar → true).
///   As in ITB, the stop distance τθ (in percent) is rounded to 6 decimals.
/// - `low`: the mirror image: target `C_t·(1 − θ)` against lows (<), stop `C_t·(1 + τθ)` against highs (>).
///
/// Comparisons are exact (integer arithmetic on the Decimal8 prices). A bar's label is nil when its
/// H future bars are not all present: the last H rows, and rows whose horizon spans a gap in the
/// klines (open times not contiguous), since a label must not look past missing data.
public struct HighLowLabel: Sendable, Hashable, CustomStringConvertible {
    public enum Direction: String, Sendable, Hashable {
        case high, low
    }

    public let name: String
    public let direction: Direction
    /// θ in hundredths of a percent (basis points): 30 = 0.30 %.
    public let thresholdBasisPoints: Int
    public let horizon: Int
    /// τ: the stop distance as a fraction of θ; nil = no stop.
    public let tolerance: Double?

    /// Why a label name or tolerance was refused.
    public struct NameError: Error, Sendable, Hashable, CustomStringConvertible {
        public var name: String
        public var reason: String
        public var description: String { "label \"\(name)\": \(reason)" }
    }

    public static let maximumHorizon = 100_000

    public init(parsing name: String, tolerance: Double? = nil) throws(NameError) {
        func fail(_ reason: String) -> NameError { NameError(name: name, reason: reason) }
        let parts = name.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw fail("expected high_TTT_H or low_TTT_H, e.g. high_030_4") }
        guard let direction = Direction(rawValue: String(parts[0])) else {
            throw fail("starts with \"\(parts[0])\"; expected high or low")
        }
        func digits(_ s: Substring) -> Bool { !s.isEmpty && s.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } }
        guard digits(parts[1]), parts[1].count >= 3, parts[1].count <= 6, let basisPoints = Int(parts[1]), basisPoints > 0 else {
            throw fail("threshold \"\(parts[1])\" must be at least 3 digits of hundredths of a percent, > 0 (030 = 0.30 %)")
        }
        guard digits(parts[2]), !(parts[2].count > 1 && parts[2].first == "0"), parts[2].count <= 6,
              let horizon = Int(parts[2]), horizon >= 1, horizon <= Self.maximumHorizon
        else {
            throw fail("horizon \"\(parts[2])\" must be a whole number of bars ≥ 1 without leading zeros")
        }
        if let tolerance {
            guard tolerance.isFinite, tolerance >= 0 else { throw fail("tolerance \(tolerance) must be a finite number ≥ 0") }
        }
        self.name = name
        self.direction = direction
        self.thresholdBasisPoints = basisPoints
        self.horizon = horizon
        self.tolerance = tolerance
    }

    /// θ in percent (0.30 for `030`).
    public var thresholdPercent: Double { Double(thresholdBasisPoints) / 100 }

    /// The stop distance τθ in units of 1e-8 (a fraction): ITB's `round(θ·τ, 6)` percent.
    var stopUnits: Int64? {
        guard let tolerance else { return nil }
        let percent = thresholdPercent * tolerance
        return Int64((percent * 1e6).rounded(.toNearestOrEven))
    }

    public var description: String {
        name + (tolerance.map { " (tolerance \($0))" } ?? "")
    }

    /// One label per kline (klines of one series, ascending open time).
    public func labels(for klines: [Kline]) -> [Bool?] {
        let n = klines.count
        var result = [Bool?](repeating: nil, count: n)
        guard n > horizon else { return result }
        let closes = klines.map { Int128($0.close.units) }
        let highs = klines.map { Int128($0.high.units) }
        let lows = klines.map { Int128($0.low.units) }
        let bp = Int128(thresholdBasisPoints)
        let stop = stopUnits.map { Int128($0) }
        let scale = Int128(100_000_000)
        for t in 0..<(n - horizon) {
            let span = klines[t + horizon].openTime.milliseconds - klines[t].openTime.milliseconds
            guard span == Int64(horizon) * klines[t].interval.milliseconds else { continue }
            let c = closes[t]
            var label = false
            switch direction {
            case .high:
                let target = c * (10_000 + bp)            // compare against high·10⁴
                let stopLevel = stop.map { c * (scale - $0) } // compare against low·10⁸
                for k in (t + 1)...(t + horizon) {
                    if highs[k] * 10_000 > target { label = true; break }
                    if let stopLevel, lows[k] * scale < stopLevel { break }
                }
            case .low:
                let target = c * (10_000 - bp)
                let stopLevel = stop.map { c * (scale + $0) }
                for k in (t + 1)...(t + horizon) {
                    if lows[k] * 10_000 < target { label = true; break }
                    if let stopLevel, highs[k] * scale > stopLevel { break }
                }
            }
            result[t] = label
        }
        return result
    }
}
