import Domain

/// One feature parsed from its name.
///
/// - TA-Lib functions, ITB's name `<inputs joined by _>_<FUNC>_<window>`: `close_SMA_3`, `close_RSI_14`,
///   `high_low_close_ATR_14`, `close_LINEARREG_SLOPE_14` (functions: `FeatureCatalog.standard`).
/// - `spread_pct_<n>`: mean relative bid-ask spread of the last n bars, in percent (`AbdiRanaldoSpread`
///   from klines; the source is `FeatureServiceCore.Configuration.spreadSource`).
/// - `vol_sigma`, `vol_regime`: realised volatility of the last hour in percent per hour and its regime
///   0/1/2 (`RealizedVolatility`; window and thresholds in `Configuration.volatility`).
public struct FeatureSpec: Sendable, Hashable, CustomStringConvertible {
    /// What computes the feature.
    public enum Kind: Sendable, Hashable {
        /// A TA-Lib function of `indicator`.
        case technical
        /// `spread_pct_<window>`.
        case spread
        /// `vol_sigma` or `vol_regime`.
        case volatility(RealizedVolatility.Output)
    }

    /// The name exactly as configured (and as published in feature vectors).
    public let name: String
    public let kind: Kind
    public let inputs: [BarField]
    /// TA-Lib function name, or `spread_pct`, `vol_sigma`, `vol_regime`.
    public let function: String
    /// The window in bars (0 for `vol_*`, whose window is a duration).
    public let window: Int
    /// The indicator type that computes it.
    public let indicator: any Indicator.Type

    /// TA-Lib's largest time period.
    public static let maximumWindow = 100_000

    /// The names that do not follow `<inputs>_<FUNC>_<window>`, as listed in error messages.
    public static let otherNames = ["spread_pct_<n>", "vol_regime", "vol_sigma"]

    /// Why one name was refused.
    public struct NameError: Error, Sendable, Hashable, CustomStringConvertible {
        public var name: String
        public var reason: String

        public init(name: String, reason: String) {
            self.name = name
            self.reason = reason
        }

        public var description: String { "\"\(name)\": \(reason)" }
    }

    /// For the config validator: nil when `name` is a valid feature name, else the reason it is not
    /// (naming what is supported).
    public static func validate(name: String, catalog: FeatureCatalog = .standard) -> String? {
        do {
            _ = try FeatureSpec(parsing: name, catalog: catalog)
            return nil
        } catch {
            return error.reason
        }
    }

    /// Parses a name against the catalog's functions.
    public init(parsing name: String, catalog: FeatureCatalog = .standard) throws(NameError) {
        func fail(_ reason: String) -> NameError { NameError(name: name, reason: reason) }
        if let output = RealizedVolatility.Output(rawValue: name) {
            self.init(name: name, kind: .volatility(output), inputs: [.close], function: name, window: 0, indicator: RealizedVolatility.self)
            return
        }
        let tokens = name.split(separator: "_", omittingEmptySubsequences: false)
        guard tokens.count >= 3 else {
            throw fail("expected <inputs>_<FUNC>_<window> (e.g. close_SMA_3) or one of \(Self.otherNames.joined(separator: ", "))")
        }
        guard !tokens.contains(where: \.isEmpty) else { throw fail("empty part between underscores") }

        let windowText = tokens[tokens.count - 1]
        guard windowText.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw fail("window \"\(windowText)\" is not a whole number")
        }
        guard windowText.count <= 6, let window = Int(windowText), !(windowText.count > 1 && windowText.first == "0") else {
            throw fail("window \"\(windowText)\" must be written without leading zeros and be ≤ \(Self.maximumWindow)")
        }
        guard window <= Self.maximumWindow else { throw fail("window \(window) is above \(Self.maximumWindow)") }

        if tokens.count == 3 && tokens[0] == "spread" && tokens[1] == "pct" {
            guard window >= AbdiRanaldoSpread.minimumWindow else { throw fail("spread_pct needs a window ≥ 1, got \(window)") }
            self.init(name: name, kind: .spread, inputs: [.high, .low, .close], function: "spread_pct", window: window, indicator: AbdiRanaldoSpread.self)
            return
        }

        // The longest catalog function whose tokens end the part before the window, leaving ≥ 1 input.
        let head = tokens.dropLast()
        var match: (type: any Indicator.Type, length: Int)?
        for type in catalog.indicators {
            let functionTokens = type.function.split(separator: "_", omittingEmptySubsequences: false)
            guard functionTokens.count < head.count, head.suffix(functionTokens.count).elementsEqual(functionTokens) else { continue }
            if functionTokens.count > (match?.length ?? 0) { match = (type, functionTokens.count) }
        }
        guard let match else {
            throw fail("unknown function \"\(head.last!)\" (supported: \(catalog.functions.joined(separator: ", ")); also \(Self.otherNames.joined(separator: ", ")))")
        }
        let type = match.type

        let inputTokens = head.dropLast(match.length)
        var inputs: [BarField] = []
        for token in inputTokens {
            guard let field = BarField(rawValue: String(token)) else {
                throw fail("unknown input column \"\(token)\" (expected one of \(BarField.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            inputs.append(field)
        }
        try Self.check(type: type, inputs: inputs, window: window, fail: fail)
        self.init(name: name, kind: .technical, inputs: inputs, function: type.function, window: window, indicator: type)
    }

    /// A TA-Lib feature with a name of its own (an ITB feature set's `names` list); checked like a parsed name.
    public init(name: String, inputs: [BarField], function: String, window: Int, catalog: FeatureCatalog = .standard) throws(NameError) {
        func fail(_ reason: String) -> NameError { NameError(name: name, reason: reason) }
        guard let type = catalog.indicators.first(where: { $0.function == function }) else {
            throw fail("unknown function \"\(function)\" (supported: \(catalog.functions.joined(separator: ", ")))")
        }
        guard window <= Self.maximumWindow else { throw fail("window \(window) is above \(Self.maximumWindow)") }
        try Self.check(type: type, inputs: inputs, window: window, fail: fail)
        self.init(name: name, kind: .technical, inputs: inputs, function: function, window: window, indicator: type)
    }

    private init(name: String, kind: Kind, inputs: [BarField], function: String, window: Int, indicator: any Indicator.Type) {
        self.name = name
        self.kind = kind
        self.inputs = inputs
        self.function = function
        self.window = window
        self.indicator = indicator
    }

    private static func check(type: any Indicator.Type, inputs: [BarField], window: Int, fail: (String) -> NameError) throws(NameError) {
        switch type.inputs {
        case .anySingle:
            guard inputs.count == 1 else { throw fail("\(type.function) takes exactly one input column, got \(inputs.count)") }
        case .fixed(let expected):
            guard inputs == expected else {
                let wanted = expected.map(\.rawValue).joined(separator: "_")
                throw fail("\(type.function) takes the inputs \(wanted) in this order, e.g. \(wanted)_\(type.function)_14")
            }
        }
        guard window >= type.minimumWindow else {
            throw fail("\(type.function) needs a window ≥ \(type.minimumWindow), got \(window)")
        }
    }

    /// Parses every name, reporting every bad one at once. Empty lists and repeated names are refused too.
    public static func parseAll(
        _ names: [String], catalog: FeatureCatalog = .standard
    ) throws(FeatureServiceCore.ConfigurationError) -> [FeatureSpec] {
        var specs: [FeatureSpec] = []
        var problems: [NameError] = []
        var seen = Set<String>()
        if names.isEmpty { problems.append(NameError(name: "", reason: "no features configured")) }
        for name in names {
            guard seen.insert(name).inserted else {
                problems.append(NameError(name: name, reason: "listed more than once"))
                continue
            }
            do {
                specs.append(try FeatureSpec(parsing: name, catalog: catalog))
            } catch {
                problems.append(error)
            }
        }
        guard problems.isEmpty else { throw FeatureServiceCore.ConfigurationError(problems: problems) }
        return specs
    }

    /// A fresh indicator for this feature on bars of `interval` (only `vol_*` depend on it).
    public func makeIndicator(interval: Interval = .oneMinute, volatility: VolatilityParameters = VolatilityParameters()) -> any Indicator {
        switch kind {
        case .technical, .spread: indicator.init(inputs: inputs, window: window)
        case .volatility(let output): RealizedVolatility(output: output, interval: interval, parameters: volatility)
        }
    }

    /// Leading bars without a value (TA-Lib's lookback) on bars of `interval`.
    public func lookback(interval: Interval, volatility: VolatilityParameters = VolatilityParameters()) -> Int {
        switch kind {
        case .technical, .spread: makeIndicator().lookback
        case .volatility: volatility.windowBars(interval)
        }
    }

    /// Leading bars without a value. For `vol_*`, whose window is a duration, this is the value on
    /// 1-minute bars with the default one-hour window; use `lookback(interval:volatility:)`.
    public var lookback: Int { lookback(interval: .oneMinute) }

    public var description: String { name }

    public static func == (lhs: FeatureSpec, rhs: FeatureSpec) -> Bool {
        lhs.name == rhs.name && lhs.kind == rhs.kind && lhs.inputs == rhs.inputs && lhs.function == rhs.function && lhs.window == rhs.window
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
    }
}
