/// Order side.
public enum Side: String, Sendable, Hashable, Codable {
    case buy = "BUY"
    case sell = "SELL"

    public var opposite: Side { self == .buy ? .sell : .buy }
}
