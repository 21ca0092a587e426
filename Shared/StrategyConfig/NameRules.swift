/// How feature and label names are checked: each rule returns why a name is refused, or nil.
///
/// The defaults here replicate the grammars so that this library needs only Domain; a caller that
/// links the real parsers (FeatureServiceCore's `FeatureSpec`, the order-flow catalog, Research's
/// `HighLowLabel`) injects them instead, so a name accepted here is exactly a name those compute.
public struct NameRules: Sendable {
    public var feature: @Sendable (String) -> String?
    public var label: @Sendable (String) -> String?

    public init(feature: @escaping @Sendable (String) -> String? = NameRules.defaultFeatureRule,
                label: @escaping @Sendable (String) -> String? = NameRules.defaultLabelRule) {
        self.feature = feature
        self.label = label
    }

    public static let standard = NameRules()

    // MARK: - Labels

    /// `high_<ddd>_<h>` / `low_<ddd>_<h>`: θ = ddd/100 percent written with at least 3 (at most 6)
    /// digits and > 0 (`030` = 0.30 %); h a whole number of bars ≥ 1 (≤ 100,000) without leading
    /// zeros. The same rules as Research's `HighLowLabel(parsing:)`.
    public static let defaultLabelRule: @Sendable (String) -> String? = { name in
        parseLabel(name).reason
    }

    /// The parts of a label name (direction, θ in basis points, horizon), or why it is refused.
    public static func parseLabel(_ name: String) -> (label: LabelName?, reason: String?) {
        let parts = name.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return (nil, "expected high_TTT_H or low_TTT_H, e.g. high_030_4") }
        guard parts[0] == "high" || parts[0] == "low" else {
            return (nil, "starts with \"\(parts[0])\"; expected high or low")
        }
        guard isDigits(parts[1]), parts[1].count >= 3, parts[1].count <= 6, let basisPoints = Int(parts[1]), basisPoints > 0 else {
            return (nil, "threshold \"\(parts[1])\" must be at least 3 digits of hundredths of a percent, > 0 (030 = 0.30 %)")
        }
        guard isDigits(parts[2]), !(parts[2].count > 1 && parts[2].first == "0"), parts[2].count <= 6,
              let horizon = Int(parts[2]), horizon >= 1, horizon <= 100_000
        else {
            return (nil, "horizon \"\(parts[2])\" must be a whole number of bars ≥ 1 without leading zeros")
        }
        return (LabelName(isHigh: parts[0] == "high", thresholdBasisPoints: basisPoints, horizon: horizon), nil)
    }

    /// A parsed label name.
    public struct LabelName: Sendable, Hashable {
        public var isHigh: Bool
        /// θ in hundredths of a percent: 30 = 0.30 %.
        public var thresholdBasisPoints: Int
        public var horizon: Int
        /// θ as a fraction (0.003 for `030`).
        public var thresholdFraction: Double { Double(thresholdBasisPoints) / 10_000 }
    }

    // MARK: - Features

    /// TA-Lib functions the default rule accepts, with the inputs they take (nil = any one column).
    public static let taFunctions: [(name: String, inputs: [String]?)] = [
        ("SMA", nil), ("EMA", nil), ("WMA", nil), ("STDDEV", nil), ("LINEARREG_SLOPE", nil), ("RSI", nil),
        ("MOM", nil), ("ROC", nil),
        ("ATR", ["high", "low", "close"]), ("NATR", ["high", "low", "close"]),
        ("ADX", ["high", "low", "close"]), ("CCI", ["high", "low", "close"]),
    ]

    static let barColumns: Set<String> = ["open", "high", "low", "close", "volume"]

    /// Order-flow feature names without a parameter.
    public static let orderFlowNames: Set<String> = [
        "level1_imbalance", "bid_pressure", "ask_pressure", "bid_slope", "ask_slope", "bid_wall_count",
        "ask_wall_count", "effective_spread", "quoted_spread_bps", "microprice_dev", "ofi", "trade_imbalance",
        "depth_bid_10bps", "depth_ask_10bps", "book_update_rate", "mid_return",
    ]

    /// Kline-derived names without the TA grammar.
    public static let klineNames: Set<String> = ["vol_regime", "vol_sigma"]

    /// Accepts `<inputs>_<FUNC>_<w>` (TA grammar, functions above), `spread_pct_<n>`, `vol_regime`,
    /// `vol_sigma`, `imbalance_<k>` and the order-flow names above. Numbers are whole, ≥ 1, without
    /// leading zeros.
    public static let defaultFeatureRule: @Sendable (String) -> String? = { name in
        if orderFlowNames.contains(name) || klineNames.contains(name) { return nil }
        if name.hasPrefix("imbalance_") {
            return positiveNumber(name.dropFirst("imbalance_".count)) ? nil : "imbalance_<k> needs a book depth k ≥ 1 (imbalance_5)"
        }
        if name.hasPrefix("spread_pct_") {
            return positiveNumber(name.dropFirst("spread_pct_".count)) ? nil : "spread_pct_<n> needs a window n ≥ 1 (spread_pct_3)"
        }
        let tokens = name.split(separator: "_", omittingEmptySubsequences: false)
        guard tokens.count >= 3, !tokens.contains(where: \.isEmpty) else {
            return "unknown feature; expected <inputs>_<FUNC>_<window> (close_SMA_3), spread_pct_<n>, vol_regime, vol_sigma, imbalance_<k> or an order-flow name (\(orderFlowNames.sorted().joined(separator: ", ")))"
        }
        guard let windowText = tokens.last, positiveNumber(windowText) else {
            return "window \"\(tokens.last!)\" must be a whole number ≥ 1 without leading zeros"
        }
        let head = Array(tokens.dropLast())
        var match: (name: String, inputs: [String]?, length: Int)?
        for function in taFunctions {
            let parts = function.name.split(separator: "_")
            guard parts.count < head.count, head.suffix(parts.count).elementsEqual(parts) else { continue }
            if parts.count > (match?.length ?? 0) { match = (function.name, function.inputs, parts.count) }
        }
        guard let match else {
            return "unknown function \"\(head.last!)\" (supported: \(taFunctions.map(\.name).joined(separator: ", ")))"
        }
        let inputs = head.dropLast(match.length).map(String.init)
        for input in inputs where !barColumns.contains(input) {
            return "unknown input column \"\(input)\" (expected open, high, low, close or volume)"
        }
        if let wanted = match.inputs {
            guard inputs == wanted else {
                return "\(match.name) takes the inputs \(wanted.joined(separator: "_")), e.g. \(wanted.joined(separator: "_"))_\(match.name)_14"
            }
        } else if inputs.count != 1 {
            return "\(match.name) takes exactly one input column, got \(inputs.count)"
        }
        return nil
    }

    static func isDigits(_ s: Substring) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    static func positiveNumber(_ s: Substring) -> Bool {
        isDigits(s) && s.count <= 6 && s.first != "0"
    }
}
