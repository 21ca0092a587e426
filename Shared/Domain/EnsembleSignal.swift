/// The ensemble's decision for one bar: the weighted probability crossed the threshold.
public struct EnsembleSignal: Sendable, Hashable {
    public var bar: BarKey
    public var side: Side
    public var probability: Double
    public var threshold: Double
    /// The models whose predictions were counted, in name order.
    public var models: [String]
    /// The bar's close: the reference price for sizing.
    public var referencePrice: Price
    /// The division the signal is for (the RiskGate sizes it with that division's capital and
    /// rules); empty: the RiskGate picks the division that lists the symbol, else its first one.
    public var division: String

    public init(bar: BarKey, side: Side, probability: Double, threshold: Double, models: [String], referencePrice: Price, division: String = "") {
        self.bar = bar
        self.side = side
        self.probability = probability
        self.threshold = threshold
        self.models = models
        self.referencePrice = referencePrice
        self.division = division
    }
}
