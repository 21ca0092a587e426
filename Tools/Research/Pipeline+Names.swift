import FeatureServiceCore
import OrderFlow
import StrategyConfig

extension Pipeline {
    /// The name rules of the code that computes the names: FeatureServiceCore's TA grammar, the
    /// order-flow catalog, and Research's label parser. A config is checked against exactly what
    /// will compute it.
    public static let nameRules = NameRules(
        feature: { name in
            if OrderFlowFeature.isValidName(name) { return nil }
            return FeatureSpec.validate(name: name)
        },
        label: { name in
            do throws(HighLowLabel.NameError) {
                _ = try HighLowLabel(parsing: name)
                return nil
            } catch {
                return error.reason
            }
        }
    )

    /// The order-flow names among `features`.
    public static func orderFlowFeatures(_ features: [String]) -> [String] { features.filter(OrderFlowFeature.isValidName) }
}
