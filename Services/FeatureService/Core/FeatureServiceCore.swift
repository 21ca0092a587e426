import Domain

/// Turns closed klines into feature vectors, per (symbol, interval), with TA-Lib's indicator math.
///
/// - Klines that are not closed are ignored (no output).
/// - A kline whose open time is not after the series' last one is dropped ("duplicate_or_out_of_order");
///   one whose open time is off the interval raster is dropped ("misaligned_open_time").
/// - Missing bars between the last kline and a new one are filled by linear interpolation of
///   open/high/low/close/volume (as ITB's merge onto a regular raster does), fed to the indicators,
///   counted, and reported once as `.gapFilled`; no vectors are emitted for them. With
///   `maxInterpolatedGap` set, a longer gap restarts the series instead (`.seriesReset`).
/// - A vector is emitted once every configured feature is defined; before that, `.warming`.
///
/// The same code path serves live features and training (Research.ModelTraining).
public struct FeatureServiceCore: Sendable {
    public struct Configuration: Sendable {
        /// Feature names in output order.
        public let features: [String]
        public let specs: [FeatureSpec]
        /// Largest gap (in missing bars) that is interpolated; nil = every gap (ITB's behaviour).
        public let maxInterpolatedGap: Int?
        /// Bars a series needs before its first vector is emitted: max lookback + 1.
        public let warmupBars: Int

        /// Validates every name; throws one error listing every bad one.
        public init(features: [String], maxInterpolatedGap: Int? = nil, catalog: FeatureCatalog = .standard) throws(ConfigurationError) {
            let specs = try FeatureSpec.parseAll(features, catalog: catalog)
            if let maxInterpolatedGap, maxInterpolatedGap < 0 {
                throw ConfigurationError(problems: [.init(name: "maxInterpolatedGap", reason: "must be ≥ 0, got \(maxInterpolatedGap)")])
            }
            self.features = features
            self.specs = specs
            self.maxInterpolatedGap = maxInterpolatedGap
            self.warmupBars = (specs.map(\.lookback).max() ?? 0) + 1
        }
    }

    /// The feature list was refused; `problems` holds every bad name.
    public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
        public var problems: [FeatureSpec.NameError]

        public init(problems: [FeatureSpec.NameError]) { self.problems = problems }

        public var description: String {
            "invalid feature configuration (\(problems.count) problem\(problems.count == 1 ? "" : "s")): "
                + problems.map(\.description).joined(separator: "; ")
        }
    }

    public enum Input: Sendable {
        case kline(Kline)
    }

    public enum Output: Sendable, Hashable {
        case vector(FeatureVector)
        /// The bar was consumed but some feature is still undefined; `remainingBars` more bars are needed.
        case warming(bar: BarKey, remainingBars: Int)
        case dropped(bar: BarKey, reason: String)
        /// `syntheticBars` interpolated bars were inserted before `bar`.
        case gapFilled(bar: BarKey, syntheticBars: Int)
        /// The gap before `bar` exceeded `maxInterpolatedGap`: the series restarted at `bar`.
        case seriesReset(bar: BarKey, missingBars: Int)
    }

    /// Counters for metrics.
    public struct Statistics: Sendable, Hashable {
        public var klines = 0
        public var ignoredOpen = 0
        public var dropped = 0
        public var gaps = 0
        public var syntheticBars = 0
        public var resets = 0
        public var vectors = 0
    }

    struct SeriesKey: Hashable, Sendable {
        var symbol: String
        var intervalMilliseconds: Int64
    }

    struct SeriesState: Sendable {
        var indicators: [any Indicator]
        var lastOpenTime: Timestamp
        var last: BarValues
        /// Bars consumed, synthetic ones included.
        var bars = 0

        mutating func advance(_ bar: BarValues) {
            for i in indicators.indices { _ = indicators[i].update(bar) }
            bars += 1
        }
    }

    public let configuration: Configuration
    public private(set) var statistics = Statistics()
    private var series: [SeriesKey: SeriesState] = [:]
    private let lookback: Int

    public init(configuration: Configuration) {
        self.configuration = configuration
        self.lookback = configuration.warmupBars - 1
    }

    public mutating func handle(_ input: Input, now: Timestamp) -> [Output] {
        switch input {
        case .kline(let kline): return consume(kline)
        }
    }

    private static func freshState(_ specs: [FeatureSpec], _ kline: Kline, _ values: BarValues) -> SeriesState {
        SeriesState(indicators: specs.map { $0.makeIndicator() }, lastOpenTime: kline.openTime, last: values)
    }

    private mutating func consume(_ kline: Kline) -> [Output] {
        statistics.klines += 1
        guard kline.isClosed else {
            statistics.ignoredOpen += 1
            return []
        }
        let values = BarValues(
            open: kline.open.doubleValue, high: kline.high.doubleValue, low: kline.low.doubleValue,
            close: kline.close.doubleValue, volume: kline.volume.doubleValue
        )
        let key = SeriesKey(symbol: kline.symbol, intervalMilliseconds: kline.interval.milliseconds)
        let specs = configuration.specs
        var outputs: [Output] = []
        let result = Self.step(
            &series[key, default: Self.freshState(specs, kline, values)], kline: kline, values: values,
            configuration: configuration, lookback: lookback, outputs: &outputs
        )
        for output in outputs {
            switch output {
            case .gapFilled(_, let n): statistics.gaps += 1; statistics.syntheticBars += n
            case .seriesReset: statistics.resets += 1
            default: break
            }
        }
        switch result {
        case .vector: statistics.vectors += 1
        case .dropped: statistics.dropped += 1
        default: break
        }
        outputs.append(result)
        return outputs
    }

    /// Consumes one closed kline of one series (a state with no bars is new). Gap outputs go to
    /// `outputs`; the bar's own output is returned.
    private static func step(
        _ state: inout SeriesState, kline: Kline, values: BarValues, configuration: Configuration,
        lookback: Int, outputs: inout [Output]
    ) -> Output {
        if state.bars > 0 {
            let step = kline.interval.milliseconds * 1_000_000
            let delta = kline.openTime.nanoseconds - state.lastOpenTime.nanoseconds
            guard delta > 0 else { return .dropped(bar: kline.bar, reason: "duplicate_or_out_of_order") }
            guard delta % step == 0 else { return .dropped(bar: kline.bar, reason: "misaligned_open_time") }
            let missing = Int(delta / step) - 1
            if missing > 0 {
                if let maxGap = configuration.maxInterpolatedGap, missing > maxGap {
                    state = freshState(configuration.specs, kline, values)
                    outputs.append(.seriesReset(bar: kline.bar, missingBars: missing))
                } else {
                    interpolate(&state, to: values, missing: missing)
                    outputs.append(.gapFilled(bar: kline.bar, syntheticBars: missing))
                }
            }
        }
        let index = state.bars
        state.bars += 1
        state.lastOpenTime = kline.openTime
        state.last = values
        guard index >= lookback else {
            for i in state.indicators.indices { _ = state.indicators[i].update(values) }
            return .warming(bar: kline.bar, remainingBars: lookback - index)
        }
        let count = state.indicators.count
        let featureValues = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = state.indicators[i].update(values) }
            initialized = count
        }
        return .vector(FeatureVector(
            bar: kline.bar, close: kline.close, high: kline.high, low: kline.low,
            names: configuration.features, values: featureValues
        ))
    }

    /// Feeds `missing` bars on the straight line between the last bar and `target` (numpy.interp's arithmetic).
    private static func interpolate(_ state: inout SeriesState, to target: BarValues, missing: Int) {
        let last = state.last
        let span = Double(missing + 1)
        let slope = BarValues(
            open: (target.open - last.open) / span, high: (target.high - last.high) / span,
            low: (target.low - last.low) / span, close: (target.close - last.close) / span,
            volume: (target.volume - last.volume) / span
        )
        for j in 1...missing {
            let x = Double(j)
            state.advance(BarValues(
                open: slope.open * x + last.open, high: slope.high * x + last.high, low: slope.low * x + last.low,
                close: slope.close * x + last.close, volume: slope.volume * x + last.volume
            ))
        }
    }
}
