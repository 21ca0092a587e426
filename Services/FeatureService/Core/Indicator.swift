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

    /// SMA, RSI, ATR.
    public static let standard = FeatureCatalog([SimpleMovingAverage.self, RelativeStrengthIndex.self, AverageTrueRange.self])

    /// Supported function names, sorted.
    public var functions: [String] { indicators.map { $0.function }.sorted() }
}
