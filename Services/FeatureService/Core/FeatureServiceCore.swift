import Domain

/// Turns closed klines into feature vectors, per (symbol, interval), with TA-Lib's indicator math.
///
/// - Klines that are not closed are ignored (no output).
/// - A kline whose open time is not after the series' last one is dropped ("duplicate_or_out_of_order");
///   one whose open time is off the interval raster is dropped ("misaligned_open_time").
/// - Missing bars between the last kline and a new one (a gap) restart the series: every indicator
///   starts again at the new kline (`.seriesReset`, counted), so no feature's look-back or warm-up ever
///   crosses a gap and nothing is computed from made-up bars. Only when asked (`maxInterpolatedGap`,
///   ITB-compatible research) are gaps up to that many bars filled by linear interpolation of
///   open/high/low/close/volume (ITB's merge + interpolate), fed to the indicators, counted, and
///   reported once as `.gapFilled`; no vectors are emitted for them.
/// - A vector is emitted once every configured feature is defined (the series' bar index reaches the
///   largest lookback); before that, `.warming`. After a restart the first vector comes exactly
///   lookback + 1 bars later.
///
/// The same code path serves live features and training (Research.ModelTraining); `FeatureBatch` gives
/// the same values for whole columns.
public struct FeatureServiceCore: Sendable {
    public struct Configuration: Sendable {
        /// Output names in order: the plain `features` names, then every set's outputs.
        public let features: [String]
        /// What computes each output, in `features` order.
        public let specs: [FeatureSpec]
        /// ITB `talib` feature sets, expanded after the plain names.
        public let sets: [TalibFeatureSet]
        /// Largest gap (in missing bars) that is interpolated; nil (or 0) = none: every gap restarts
        /// the series (the default). Set it only for ITB-compatible research.
        public let maxInterpolatedGap: Int?
        /// The source of `spread_pct_<n>` (recorded in a model's metadata).
        public let spreadSource: SpreadSource
        /// Window and thresholds of `vol_sigma` / `vol_regime`.
        public let volatility: VolatilityParameters
        /// Bars a series needs before its first vector is emitted: max lookback + 1, on 1-minute bars
        /// (only `vol_*` depend on the interval; see `warmupBars(for:)`).
        public let warmupBars: Int
        /// The sets' transforms, with offsets into the whole vector.
        let transforms: [RelativeTransform]

        /// Validates every name and set; throws one error listing every problem.
        public init(
            features: [String], sets: [TalibFeatureSet] = [], maxInterpolatedGap: Int? = nil,
            spreadSource: SpreadSource = .abdiRanaldo, volatility: VolatilityParameters = VolatilityParameters(),
            catalog: FeatureCatalog = .standard
        ) throws(ConfigurationError) {
            var problems: [FeatureSpec.NameError] = []
            var specs: [FeatureSpec] = []
            if !features.isEmpty || sets.isEmpty {
                do { specs = try FeatureSpec.parseAll(features, catalog: catalog) } catch { problems += error.problems }
            }
            var transforms: [RelativeTransform] = []
            var names = features
            for set in sets {
                let expanded = set.expand(catalog: catalog)
                problems += expanded.problems
                for var transform in expanded.transforms {
                    transform.offset += names.count
                    transforms.append(transform)
                }
                specs += expanded.specs
                names += set.outputNames
            }
            var seen = Set(features)
            for name in names.dropFirst(features.count) where !seen.insert(name).inserted {
                problems.append(.init(name: name, reason: "listed more than once"))
            }
            if let maxInterpolatedGap, maxInterpolatedGap < 0 {
                problems.append(.init(name: "maxInterpolatedGap", reason: "must be ≥ 0, got \(maxInterpolatedGap)"))
            }
            if spreadSource == .book, let spread = specs.first(where: { $0.kind == .spread }) {
                problems.append(.init(name: spread.name, reason: "spread source \"book\" needs order-book input (bid/ask snapshots), which this core does not take yet; use \"abdi_ranaldo\" for klines"))
            }
            for reason in volatility.problems { problems.append(.init(name: "volatility", reason: reason)) }
            guard problems.isEmpty else { throw ConfigurationError(problems: problems) }
            self.features = names
            self.specs = specs
            self.sets = sets
            self.maxInterpolatedGap = maxInterpolatedGap == 0 ? nil : maxInterpolatedGap
            self.spreadSource = spreadSource
            self.volatility = volatility
            self.transforms = transforms
            self.warmupBars = (specs.map { $0.lookback(interval: .oneMinute, volatility: volatility) }.max() ?? 0) + 1
        }

        /// Bars a series of `interval` needs before its first vector: max lookback + 1.
        public func warmupBars(for interval: Interval) -> Int {
            (specs.map { $0.lookback(interval: interval, volatility: volatility) }.max() ?? 0) + 1
        }

        /// Each output's lookback (leading bars without a value) on bars of `interval`, in `features` order.
        public func lookbacks(for interval: Interval) -> [Int] {
            specs.map { $0.lookback(interval: interval, volatility: volatility) }
        }

        /// Fresh indicators for a series of `interval`, in `features` order.
        func makeIndicators(_ interval: Interval) -> [any Indicator] {
            specs.map { $0.makeIndicator(interval: interval, volatility: volatility) }
        }

        /// Applies the sets' transforms to one vector of raw indicator values.
        func transform(_ values: UnsafeMutableBufferPointer<Double>) {
            for transform in transforms { transform.apply(values) }
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
        /// `missingBars` bars were missing before `bar` (and not interpolated): the series restarted at `bar`.
        case seriesReset(bar: BarKey, missingBars: Int)
    }

    /// Counters for metrics.
    public struct Statistics: Sendable, Hashable {
        public var klines = 0
        public var ignoredOpen = 0
        public var dropped = 0
        /// Gaps found (restarted or interpolated) and the bars missing in them.
        public var gaps = 0
        public var missingBars = 0
        /// Bars made up by interpolation (only with `maxInterpolatedGap`).
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
        /// Largest lookback of the indicators (depends on the interval for `vol_*`).
        var lookback: Int
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

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public mutating func handle(_ input: Input, now: Timestamp) -> [Output] {
        switch input {
        case .kline(let kline): return consume(kline)
        }
    }

    private static func freshState(_ configuration: Configuration, _ kline: Kline, _ values: BarValues) -> SeriesState {
        SeriesState(
            indicators: configuration.makeIndicators(kline.interval), lookback: configuration.warmupBars(for: kline.interval) - 1,
            lastOpenTime: kline.openTime, last: values
        )
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
        var outputs: [Output] = []
        let result: Output
        if series[key] == nil {
            var state = Self.freshState(configuration, kline, values)
            result = Self.step(&state, kline: kline, values: values, configuration: configuration, outputs: &outputs)
            series[key] = state
        } else {
            result = Self.step(&series[key]!, kline: kline, values: values, configuration: configuration, outputs: &outputs)
        }
        for output in outputs {
            switch output {
            case .gapFilled(_, let n): statistics.gaps += 1; statistics.missingBars += n; statistics.syntheticBars += n
            case .seriesReset(_, let n): statistics.gaps += 1; statistics.missingBars += n; statistics.resets += 1
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
        outputs: inout [Output]
    ) -> Output {
        if state.bars > 0 {
            let step = kline.interval.milliseconds * 1_000_000
            let delta = kline.openTime.nanoseconds - state.lastOpenTime.nanoseconds
            guard delta > 0 else { return .dropped(bar: kline.bar, reason: "duplicate_or_out_of_order") }
            guard delta % step == 0 else { return .dropped(bar: kline.bar, reason: "misaligned_open_time") }
            let missing = Int(delta / step) - 1
            if missing > 0 {
                if let maxGap = configuration.maxInterpolatedGap, missing <= maxGap {
                    interpolate(&state, to: values, missing: missing)
                    outputs.append(.gapFilled(bar: kline.bar, syntheticBars: missing))
                } else {
                    state = freshState(configuration, kline, values)
                    outputs.append(.seriesReset(bar: kline.bar, missingBars: missing))
                }
            }
        }
        let index = state.bars
        let lookback = state.lookback
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
            configuration.transform(UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
        }
        return .vector(FeatureVector(
            bar: kline.bar, close: kline.close, high: kline.high, low: kline.low,
            names: configuration.features, values: featureValues
        ))
    }

    /// Feeds `missing` bars on the straight line between the last bar and `target`.
    private static func interpolate(_ state: inout SeriesState, to target: BarValues, missing: Int) {
        for j in 1...missing { state.advance(interpolated(from: state.last, to: target, missing: missing, step: j)) }
    }

    /// Bar `step` (1…missing) on the straight line from `last` to `target` (numpy.interp's arithmetic);
    /// shared with `FeatureBatch` so both make up the same bars.
    static func interpolated(from last: BarValues, to target: BarValues, missing: Int, step j: Int) -> BarValues {
        let span = Double(missing + 1)
        let x = Double(j)
        return BarValues(
            open: (target.open - last.open) / span * x + last.open, high: (target.high - last.high) / span * x + last.high,
            low: (target.low - last.low) / span * x + last.low, close: (target.close - last.close) / span * x + last.close,
            volume: (target.volume - last.volume) / span * x + last.volume
        )
    }
}
