/// Named feature values for one bar, computed from data up to and including that bar.
/// Values are `Double` (features are not money); `close`, `high` and `low` of the bar ride along as
/// exact decimals so downstream services can price decisions without another subscription.
public struct FeatureVector: Sendable, Hashable {
    public var bar: BarKey
    public var close: Price
    public var high: Price
    public var low: Price
    public var names: [String]
    public var values: [Double]

    public init(bar: BarKey, close: Price, high: Price, low: Price, names: [String], values: [Double]) {
        precondition(names.count == values.count, "feature names and values differ in length")
        self.bar = bar
        self.close = close
        self.high = high
        self.low = low
        self.names = names
        self.values = values
    }

    public func value(named name: String) -> Double? {
        guard let index = names.firstIndex(of: name) else { return nil }
        return values[index]
    }
}
