/// The order-flow features of the specification, in their fixed output order (docs/FEATURES.md,
/// "Order-flow features"). There are 19 names: three `imbalance_k` (k = 5, 10, 20) and 16 others.
///
/// The three `imbalance_k` cases are the default `depths` ([5, 10, 20]); any other level count is
/// also a valid name (`imbalance_3`, `imbalance_50`): `OrderFlowConfiguration.names` puts one
/// `imbalance_k` per configured depth first, in the configured order, then the 16 others in this
/// order.
public enum OrderFlowFeature: String, Sendable, Hashable, CaseIterable {
    case imbalance5 = "imbalance_5"
    case imbalance10 = "imbalance_10"
    case imbalance20 = "imbalance_20"
    case level1Imbalance = "level1_imbalance"
    case bidPressure = "bid_pressure"
    case askPressure = "ask_pressure"
    case bidSlope = "bid_slope"
    case askSlope = "ask_slope"
    case bidWallCount = "bid_wall_count"
    case askWallCount = "ask_wall_count"
    case effectiveSpread = "effective_spread"
    case quotedSpreadBps = "quoted_spread_bps"
    case micropriceDev = "microprice_dev"
    case ofi = "ofi"
    case tradeImbalance = "trade_imbalance"
    case depthBid10bps = "depth_bid_10bps"
    case depthAsk10bps = "depth_ask_10bps"
    case bookUpdateRate = "book_update_rate"
    case midReturn = "mid_return"

    /// The 16 features that are not an `imbalance_k`, in output order.
    public static let fixed: [OrderFlowFeature] = allCases.filter { $0.imbalanceLevels == nil }

    /// k for the `imbalance_k` cases, nil for the others.
    public var imbalanceLevels: Int? {
        switch self {
        case .imbalance5: return 5
        case .imbalance10: return 10
        case .imbalance20: return 20
        default: return nil
        }
    }

    /// The largest k accepted in `imbalance_k`.
    public static let maxImbalanceLevels = 5_000

    /// True for every order-flow feature name: the 19 names above and `imbalance_k` for any k in
    /// 1...5000 written without sign or leading zeros (the config validator's check).
    public static func isValidName(_ name: String) -> Bool {
        OrderFlowFeature(rawValue: name) != nil || imbalanceLevels(inName: name) != nil
    }

    /// k of a name `imbalance_k` (1...5000, plain decimal digits, no leading zero), or nil.
    public static func imbalanceLevels(inName name: String) -> Int? {
        let prefix = "imbalance_"
        guard name.hasPrefix(prefix) else { return nil }
        let digits = name.dropFirst(prefix.count)
        guard !digits.isEmpty, digits.count <= 4, digits.first != "0",
              digits.allSatisfy({ $0.isASCII && $0.isNumber }), let k = Int(digits),
              (1...maxImbalanceLevels).contains(k) else { return nil }
        return k
    }

    /// The name of `imbalance_k`.
    public static func imbalanceName(levels k: Int) -> String { "imbalance_\(k)" }
}
