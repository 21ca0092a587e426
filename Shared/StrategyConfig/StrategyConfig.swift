import Domain
import Foundation

/// Entry points: load a model config (`load(path:overrides:rules:)`) or a portfolio
/// (`Portfolio.load(path:overrides:rules:)`). Nothing is run; every problem is collected into one
/// `ConfigError`, and everything worth knowing that is not an error comes back as notes.
public enum StrategyConfig {
    /// Loads, validates and explains one model config run alone (its division is the preset for
    /// its symbol). Data files are not looked at here: call `checkFiles` on the result.
    public static func load(path: String, overrides: ConfigOverrides = .none, rules: NameRules = .standard) throws(ConfigError) -> LoadedConfig {
        let bytes = try readFile(path, label: path)
        return try load(bytes: bytes, file: path, overrides: overrides, rules: rules)
    }

    /// The same from a text (tests, inline configs); `file` names it in messages.
    public static func load(text: String, file: String? = nil, overrides: ConfigOverrides = .none, rules: NameRules = .standard) throws(ConfigError) -> LoadedConfig {
        try load(bytes: Array(text.utf8), file: file, overrides: overrides, rules: rules)
    }

    public static func load(bytes: [UInt8], file: String?, overrides: ConfigOverrides = .none, rules: NameRules = .standard) throws(ConfigError) -> LoadedConfig {
        let d = Diagnostics(file: file)
        d.append(overrides.violations)
        let root = try parse(bytes, file: file)
        let config = ModelConfig.read(root, path: "", file: file, overrides: overrides, rules: rules, diagnostics: d)
        guard let config, d.violations.isEmpty else { throw ConfigError(violations: d.violations).sorted }
        let preset = Division.preset(forSymbol: config.symbol)
        var notes = d.notes
        notes.append(preset.note)
        notes.append(contentsOf: economicsNotes(config, division: preset.division))
        return LoadedConfig(config: config, division: preset.division, notes: notes)
    }

    /// Break-even lines: the division's trade, and each distinct label target that differs from it.
    static func economicsNotes(_ config: ModelConfig, division: Division) -> [String] {
        var notes = ["economics: " + division.economicsLine]
        guard case .percent(let stop) = division.stop else { return notes }
        var seen = Set<Int>()
        for label in config.parsedLabels where seen.insert(label.thresholdBasisPoints).inserted {
            let target = label.thresholdFraction
            guard abs(target - division.target.doubleValue) > 1e-12 else { continue }
            let breakEven = BreakEven(
                target: target, stop: stop.doubleValue, makerFee: division.makerFeeRate.doubleValue,
                takerFee: division.takerFeeRate.doubleValue, slippage: division.slippageFraction
            )
            notes.append("economics: a trade taking profit at the label's θ (\(BreakEven.percent(target))): \(breakEven)")
        }
        return notes
    }

    static func readFile(_ path: String, label: String) throws(ConfigError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            let reason = !exists ? "no such file" : (isDirectory.boolValue ? "is a directory" : "cannot be read")
            throw ConfigError(Violation(file: label, path: "", message: "cannot read the config: \(reason)"))
        }
        return [UInt8](data)
    }

    static func parse(_ bytes: [UInt8], file: String?) throws(ConfigError) -> JSONC.Node {
        do {
            return try JSONC.parse(bytes)
        } catch {
            throw ConfigError(violations: error.problems.map { Violation(file: file, path: "", position: $0.position, message: $0.message) })
        }
    }
}

/// A validated model config with its division (a preset when run alone) and the notes of the load:
/// aliases, metadata kept, overrides applied, and the break-even win rate. Print the notes.
public struct LoadedConfig: Sendable, Hashable {
    public var config: ModelConfig
    public var division: Division
    public var notes: [String]

    /// A model config with the division it trades in (a portfolio's, rather than its preset).
    public init(config: ModelConfig, division: Division, notes: [String]) {
        self.config = config
        self.division = division
        self.notes = notes
    }

    /// The division's break-even (nil with an ATR stop).
    public var breakEven: BreakEven? { division.breakEven }
}

extension ModelConfig {
    /// Validates a parsed document on its own (no division), for callers that embed model configs.
    public static func parse(text: String, file: String? = nil, overrides: ConfigOverrides = .none, rules: NameRules = .standard) throws(ConfigError) -> (config: ModelConfig, notes: [String]) {
        let loaded = try StrategyConfig.load(text: text, file: file, overrides: overrides, rules: rules)
        return (loaded.config, loaded.notes)
    }
}
