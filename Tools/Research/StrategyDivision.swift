import StrategyConfig

/// The strategy config's division (the module StrategyConfig also has a type named StrategyConfig,
/// so `StrategyConfig.Division` cannot be written where RiskGateCore's `Division` is visible too).
public typealias StrategyDivision = Division
