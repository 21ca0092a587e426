/// The per-bar inputs an indicator can read, as `Double` (features are not money).
public struct BarValues: Sendable, Hashable {
    public var open: Double
    public var high: Double
    public var low: Double
    public var close: Double
    public var volume: Double

    public init(open: Double, high: Double, low: Double, close: Double, volume: Double) {
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }

    @inline(__always)
    public subscript(field: BarField) -> Double {
        switch field {
        case .open: open
        case .high: high
        case .low: low
        case .close: close
        case .volume: volume
        }
    }
}

/// A kline column that can be the input of an indicator; its raw value is the name used in feature names.
public enum BarField: String, Sendable, Hashable, CaseIterable {
    case open, high, low, close, volume
}

/// An incremental technical indicator with TA-Lib's definition: one value per bar, O(1) work per bar.
///
/// To add a TA function: write one type conforming to this protocol and add it to
/// `FeatureCatalog.standard`. The name parser, validation and the FeatureServiceCore pick it up.
public protocol Indicator: Sendable {
    /// TA-Lib function name as it appears in feature names, e.g. "SMA" (may contain "_").
    static var function: String { get }
    /// Which input columns the indicator takes.
    static var inputs: IndicatorInputs { get }
    /// Smallest accepted window (TA-Lib's lower bound, or ITB's `w == 1` identity).
    static var minimumWindow: Int { get }

    /// Called only with inputs and window that passed validation.
    init(inputs: [BarField], window: Int)

    /// Number of leading bars whose value is undefined (TA-Lib's lookback).
    var lookback: Int { get }

    /// Consumes the next bar and returns the value at it, or `.nan` while undefined.
    mutating func update(_ bar: BarValues) -> Double

    /// Consumes bars `0 ..< count` of `columns` and writes the value at bar i to `output[i]`: exactly
    /// `update` bar by bar (the default does that), with one dynamic dispatch per column instead of
    /// per bar, so the batch path is as fast as a specialised loop and bit-for-bit the streaming one.
    mutating func run(_ columns: BarColumnPointers, count: Int, into output: UnsafeMutablePointer<Double>)
}

extension Indicator {
    public mutating func run(_ columns: BarColumnPointers, count: Int, into output: UnsafeMutablePointer<Double>) {
        for i in 0..<count { output[i] = update(columns[i]) }
    }
}

/// Bar columns as raw pointers (valid for the duration of a batch call), for `Indicator.run`.
public struct BarColumnPointers {
    public var open: UnsafePointer<Double>
    public var high: UnsafePointer<Double>
    public var low: UnsafePointer<Double>
    public var close: UnsafePointer<Double>
    public var volume: UnsafePointer<Double>

    public init(open: UnsafePointer<Double>, high: UnsafePointer<Double>, low: UnsafePointer<Double>, close: UnsafePointer<Double>, volume: UnsafePointer<Double>) {
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }

    @inline(__always)
    public subscript(i: Int) -> BarValues {
        BarValues(open: open[i], high: high[i], low: low[i], close: close[i], volume: volume[i])
    }

    /// The column of `field`.
    @inline(__always)
    public func column(_ field: BarField) -> UnsafePointer<Double> {
        switch field {
        case .open: open
        case .high: high
        case .low: low
        case .close: close
        case .volume: volume
        }
    }

    /// The columns from bar `offset` on.
    public func advanced(by offset: Int) -> BarColumnPointers {
        BarColumnPointers(open: open + offset, high: high + offset, low: low + offset, close: close + offset, volume: volume + offset)
    }
}

/// The input columns of an indicator, as they are written in a feature name.
public enum IndicatorInputs: Sendable, Hashable {
    /// Exactly one column, any of `BarField` (TA-Lib's `real`): `close_SMA_3`, `volume_SMA_3`.
    case anySingle
    /// These columns in this order (TA-Lib's named inputs): `high_low_close_ATR_14`.
    case fixed([BarField])
}

/// The indicator types the name parser knows, by function name.
public struct FeatureCatalog: Sendable {
    public let indicators: [any Indicator.Type]

    public init(_ indicators: [any Indicator.Type]) {
        self.indicators = indicators
    }

    /// The TA-Lib functions with their exact definitions: SMA, EMA, WMA, STDDEV, LINEARREG_SLOPE, RSI,
    /// ATR, NATR, MOM, ROC, ADX, CCI.
    public static let standard = FeatureCatalog([
        SimpleMovingAverage.self, ExponentialMovingAverage.self, WeightedMovingAverage.self, StandardDeviation.self,
        LinearRegressionSlope.self, RelativeStrengthIndex.self, AverageTrueRange.self, NormalizedAverageTrueRange.self,
        Momentum.self, RateOfChange.self, AverageDirectionalIndex.self, CommodityChannelIndex.self,
    ])

    /// Supported function names, sorted.
    public var functions: [String] { indicators.map { $0.function }.sorted() }
}
