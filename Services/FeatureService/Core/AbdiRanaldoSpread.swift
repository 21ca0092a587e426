import Foundation

/// `spread_pct_<n>` from klines: the Abdi–Ranaldo (2017) close-high-low estimator of the effective
/// bid-ask spread, in its two-day corrected form, kept causal.
///
/// For consecutive bars (t−1, t), with `c = ln close` and `η = (ln high + ln low)/2`:
/// `s²_t = 4·(c_{t−1} − η_{t−1})·(c_{t−1} − η_t)`, negative values set to 0, `s_t = √s²_t`, and
/// `spread_pct_n(t) = 100 × mean(s_{t−n+1} … s_t)` (a fraction of the price, in percent). `s` exists from
/// the second bar, so the lookback is n. Non-positive prices (no logarithm) count as `s = 0`.
///
/// This is the kline source (`SpreadSource.abdiRanaldo`); with order-book snapshots the same name means
/// the mean quoted spread `(ask − bid)/mid × 100` (`SpreadSource.book`), which a model's metadata records.
public struct AbdiRanaldoSpread: Indicator {
    /// Not a TA-Lib function: the name is `spread_pct_<n>` (see `FeatureSpec`).
    public static let function = "spread_pct"
    public static let inputs = IndicatorInputs.fixed([.high, .low, .close])
    public static let minimumWindow = 1

    public let window: Int
    private var ring: Ring
    private var sum = CompensatedSum()
    private var previousLogClose = 0.0
    private var previousMid = 0.0
    private var seen = 0

    public init(inputs: [BarField] = [.high, .low, .close], window: Int) {
        precondition(window >= 1, "spread_pct takes a window ≥ 1")
        self.window = window
        self.ring = Ring(capacity: window)
    }

    public var lookback: Int { window }

    /// `update` bar by bar, statically dispatched (see `Indicator.run`).
    public mutating func run(_ columns: BarColumnPointers, count: Int, into output: UnsafeMutablePointer<Double>) {
        for i in 0..<count { output[i] = update(columns[i]) }
    }

    public mutating func update(_ bar: BarValues) -> Double {
        let logClose = log(bar.close)
        let mid = (log(bar.high) + log(bar.low)) / 2
        defer {
            previousLogClose = logClose
            previousMid = mid
            seen += 1
        }
        if seen == 0 { return .nan }
        var squared = 4 * (previousLogClose - previousMid) * (previousLogClose - mid)
        if !(squared > 0) { squared = 0 } // negative, or NaN from a non-positive price
        let s = squared.squareRoot()
        if ring.isFull { sum.add(-ring.push(s)) } else { ring.push(s) }
        sum.add(s)
        return ring.isFull ? 100 * (sum.value / Double(window)) : .nan
    }
}

/// Where `spread_pct_<n>` comes from. A model's metadata records the source it was trained on and
/// serving must compute the same one, so training and serving never differ silently.
public enum SpreadSource: String, Sendable, Hashable, CaseIterable, Codable {
    /// Abdi–Ranaldo from klines (`AbdiRanaldoSpread`): what historical data allows.
    case abdiRanaldo = "abdi_ranaldo"
    /// Mean quoted spread `(ask − bid)/mid × 100` of book snapshots. Needs order-book input, which
    /// this core does not take yet (TODO: the lead wires the book source); configurations asking for
    /// it are refused with that reason.
    case book
}
