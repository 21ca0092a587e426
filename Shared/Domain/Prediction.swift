/// One model's probability of its label for one bar.
public struct Prediction: Sendable, Hashable {
    public var bar: BarKey
    /// Registry name of the model, including its label, e.g. "logreg-high_030_4".
    public var model: String
    public var version: String
    public var label: String
    public var probability: Double

    public init(bar: BarKey, model: String, version: String, label: String, probability: Double) {
        self.bar = bar
        self.model = model
        self.version = version
        self.label = label
        self.probability = probability
    }
}
