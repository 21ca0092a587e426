/// The demo's strategy (ARCHITECTURE's conservative division in miniature): BTCUSDT 5m, five TA
/// features, label high_030_4, one logistic regression trained on July 2024 and replayed on
/// August, threshold 0.6. The CLI defaults, the demo, the benchmarks and the tests use it, so
/// they train and compare the same thing.
public enum DemoStrategy {
    public static let features = ["close_SMA_3", "close_SMA_6", "close_SMA_12", "close_RSI_14", "high_low_close_ATR_14"]
    public static let label = "high_030_4"
    public static let modelName = "logreg-\(label)"
    public static let threshold = 0.6
    /// The embedded sample, relative to the repository root.
    public static let sampleFile = "data/sample/BTCUSDT-5m-2024-07-08.csv"
    public static let trainFrom = "2024-07-01", trainTo = "2024-08-01"
    public static let replayFrom = "2024-08-01", replayTo = "2024-09-01"

    /// The aggressive division's model in the demo: the same label, with the hour's volatility
    /// (`vol_sigma`) as a sixth feature. The demo has no order-flow history to train the
    /// specification's order-flow models on, so this stands in for them, and says so.
    public static let aggressiveFeatures = features + ["vol_sigma"]
    public static let aggressiveModelName = "logreg-vol-\(label)"
    /// What the FeatureService computes for both models (and the router's σ).
    public static let servedFeatures = aggressiveFeatures
    /// `ENSEMBLE_MODELS` of the demo: each model in its division (route_then_vote).
    public static let ensembleModels = "\(modelName)@conservative,\(aggressiveModelName)@aggressive"
    /// In a storm (σ ≥ 1.5 %/h) only the conservative logistic regression may open, one of the
    /// specification's two choices (the other is nobody).
    public static let stormModels = [modelName]
}
