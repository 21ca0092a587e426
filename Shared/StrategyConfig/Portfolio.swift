import Domain
import Foundation

/// The portfolio config (JSONC, ARCHITECTURE.md §5-§6): divisions with their capital shares, risk
/// rules and model configs, and the reserve. docs/CONFIG.md describes every key.
public struct Portfolio: Sendable, Hashable {
    public var file: String?
    public var divisions: [Division]
    /// Capital kept out of every division.
    public var reserve: Decimal8
    /// The symbol the portfolio's value is reported against (default BTCUSDT).
    public var referenceSymbol: String

    public init(file: String? = nil, divisions: [Division], reserve: Decimal8 = Division.defaultReserve, referenceSymbol: String = "BTCUSDT") {
        self.file = file
        self.divisions = divisions
        self.reserve = reserve
        self.referenceSymbol = referenceSymbol
    }

    static let keys = ["divisions", "reserve", "reference_symbol", "model_dir", "description"]
    static let divisionKeys = ["name", "capital_share", "risk_per_trade", "target", "stop", "fee_rate", "maker_fee_rate", "taker_fee_rate", "slippage_bps", "time_limit_bars", "max_open_per_symbol", "max_open_positions", "models", "description"]

    /// Whether the file is a portfolio config: a JSONC object with a top-level `divisions` key (a
    /// model config never has one). False when it cannot be read or parsed: loading it as a model
    /// config then reports why.
    public static func isPortfolio(path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path), let root = try? JSONC.parse([UInt8](data)),
              case .object(let members) = root.value else { return false }
        return members.contains { $0.key == "divisions" }
    }

    /// A portfolio of one model config run alone: its preset division and the default reserve.
    public static func single(_ loaded: LoadedConfig) -> Portfolio {
        var division = loaded.division
        division.models = [loaded.config]
        return Portfolio(file: loaded.config.file, divisions: [division])
    }

    /// Loads and validates a portfolio and every model config it names; all violations together
    /// (a model's prefixed with its file). Model paths are relative to `--model-dir`
    /// (`overrides.modelDirectory`), else the file's `model_dir`, else the portfolio file's folder.
    public static func load(path: String, overrides: ConfigOverrides = .none, rules: NameRules = .standard) throws(ConfigError) -> LoadedPortfolio {
        let bytes = try StrategyConfig.readFile(path, label: path)
        return try load(bytes: bytes, file: path, overrides: overrides, rules: rules)
    }

    public static func load(text: String, file: String? = nil, overrides: ConfigOverrides = .none, rules: NameRules = .standard) throws(ConfigError) -> LoadedPortfolio {
        try load(bytes: Array(text.utf8), file: file, overrides: overrides, rules: rules)
    }

    public static func load(bytes: [UInt8], file: String?, overrides: ConfigOverrides = .none, rules: NameRules = .standard) throws(ConfigError) -> LoadedPortfolio {
        let d = Diagnostics(file: file)
        d.append(overrides.violations)
        let root = try StrategyConfig.parse(bytes, file: file)
        guard let top = Fields(root, path: "", diagnostics: d) else { throw ConfigError(violations: d.violations) }
        top.rejectUnknownKeys(allowed: keys)
        let reserve = top.decimal("reserve", range: Decimal8.zero...Decimal8.one, what: " (a fraction of capital)") ?? Division.defaultReserve
        if top.value("reserve") != nil, reserve == Decimal8.one { top.fail("reserve", "a reserve of 1 leaves nothing to trade with") }
        let referenceSymbol = top.string("reference_symbol") ?? "BTCUSDT"

        let fileDirectory = file.map { ($0 as NSString).deletingLastPathComponent } ?? (overrides.baseDirectory ?? FileManager.default.currentDirectoryPath)
        var modelDirectory = fileDirectory
        if let dir = top.string("model_dir") { modelDirectory = dir.hasPrefix("/") ? dir : (fileDirectory as NSString).appendingPathComponent(dir) }
        if let override = overrides.modelDirectory {
            modelDirectory = override.hasPrefix("/") || overrides.baseDirectory == nil ? override : (overrides.baseDirectory! as NSString).appendingPathComponent(override)
            d.note("model configs are read from \(override) (command line)")
        }

        var divisions: [Division] = []
        var names: [String: String] = [:]
        var shares: [(name: String, share: Decimal8)] = []
        let entries = top.array("divisions", required: "at least one division") ?? []
        if entries.isEmpty, top.value("divisions") != nil { top.fail("divisions", "give at least one division") }
        for (divisionPath, node) in entries {
            guard let entry = Fields(node, path: divisionPath, diagnostics: d) else { continue }
            let read = readDivision(entry, modelDirectory: modelDirectory, overrides: overrides, rules: rules, d: d)
            if let name = read.name {
                if let first = names[name] {
                    entry.fail("name", "division \"\(name)\" is defined twice (first at \(first))")
                } else {
                    names[name] = divisionPath
                }
            }
            if let share = read.share { shares.append((read.name ?? "?", share)) }
            if let division = read.division { divisions.append(division) }
        }
        var total = reserve
        for item in shares { total += item.share }
        if total > Decimal8.one {
            let parts = shares.map { "\($0.name) \($0.share.compactDescription)" } + ["reserve \(reserve.compactDescription)"]
            d.fail("divisions", at: top.value("divisions")?.position, "capital shares and the reserve add up to \(total.compactDescription) (\(parts.joined(separator: " + "))): at most 1")
        }
        guard d.violations.isEmpty else { throw ConfigError(violations: d.violations).sorted }
        var notes = d.notes
        if total < Decimal8.one {
            notes.append("capital: divisions and reserve use \(BreakEven.percent(total.doubleValue)); \(BreakEven.percent((Decimal8.one - total).doubleValue)) is left unallocated")
        }
        for division in divisions {
            notes.append("economics: " + division.economicsLine)
            let presetSymbols: Set<String>? = division.name == "conservative" ? Division.conservativeSymbols : division.name == "aggressive" ? Division.aggressiveSymbols : nil
            if let presetSymbols {
                for model in division.models where !presetSymbols.contains(model.symbol) {
                    notes.append("division \(division.name) holds a \(model.symbol) model; its preset is for \(presetSymbols.sorted().joined(separator: "/"))")
                }
            }
        }
        return LoadedPortfolio(portfolio: Portfolio(file: file, divisions: divisions, reserve: reserve, referenceSymbol: referenceSymbol), notes: notes)
    }

    /// The division (nil after any violation), and its name and share when they could be read (for
    /// the checks across divisions, which run even when a division is invalid).
    static func readDivision(_ entry: Fields, modelDirectory: String, overrides: ConfigOverrides, rules: NameRules, d: Diagnostics) -> (division: Division?, name: String?, share: Decimal8?) {
        let before = d.violations.count
        entry.rejectUnknownKeys(allowed: divisionKeys)
        let name = entry.string("name", required: "e.g. conservative") ?? ""
        let preset = Division.presets.first { $0.name == name }
        let what = preset == nil ? "required for a division that is not a preset (conservative, aggressive)" : nil
        let unit = Decimal8(units: 1)
        let share = entry.decimal("capital_share", required: what, range: unit...Decimal8.one, what: " (a fraction of capital)") ?? preset?.capitalShare
        let risk = entry.decimal("risk_per_trade", required: what, range: unit...Decimal8.one, what: " (a fraction of equity)") ?? preset?.riskPerTrade
        let target = entry.decimal("target", required: what, range: unit...Decimal8.one, what: " (a fraction of the entry price)") ?? preset?.target
        let feeRange = Decimal8.zero...Decimal8(units: 10_000_000)
        let fee = entry.decimal("fee_rate", range: feeRange, what: " (a fraction per side)") ?? Division.defaultFeeRate
        // fee_rate sets both roles; maker_fee_rate / taker_fee_rate override one each.
        let makerFee = entry.decimal("maker_fee_rate", range: feeRange, what: " (a fraction of the take-profit's notional)") ?? fee
        let takerFee = entry.decimal("taker_fee_rate", range: feeRange, what: " (a fraction of a market fill's notional)") ?? fee
        let slippage = entry.decimal("slippage_bps", range: Decimal8.zero...Decimal8(1000), what: " (basis points of the price per taker fill)") ?? .zero
        let timeLimit = entry.int("time_limit_bars", range: 1...100_000)
        let maxPerSymbol = entry.int("max_open_per_symbol", range: 1...1_000) ?? 1
        let maxOpen = entry.int("max_open_positions", range: 1...10_000) ?? 3
        if maxPerSymbol > maxOpen { entry.fail("max_open_per_symbol", "\(maxPerSymbol) is more than max_open_positions \(maxOpen)") }
        var stop: Division.Stop?
        if let s = entry.object("stop") {
            let kind = s.string("kind", required: "percent or atr")
            switch kind {
            case "percent":
                s.rejectUnknownKeys(allowed: ["kind", "value"])
                if let value = s.decimal("value", required: "the stop distance as a fraction of the entry price", range: unit...Decimal8.one, what: " (a fraction of the entry price)") { stop = .percent(value) }
            case "atr":
                s.rejectUnknownKeys(allowed: ["kind", "multiple", "window"])
                let multiple = s.double("multiple", required: "how many ATRs below the entry")
                if let multiple, !(multiple > 0 && multiple <= 100) { s.fail("multiple", "\(ModelConfig.format(multiple)) must be in (0, 100]") }
                let window = s.int("window", range: 1...10_000) ?? 14
                if let multiple, multiple > 0, multiple <= 100 { stop = .atr(multiple: multiple, window: window) }
            case nil: break
            case let other?:
                s.fail("kind", "unknown stop kind \"\(other)\" (percent or atr)")
            }
        }

        var models: [ModelConfig] = []
        for (modelPath, node) in entry.array("models", required: "model config paths or inline configs") ?? [] {
            switch node.value {
            case .string(let relative):
                let path = relative.hasPrefix("/") ? relative : (modelDirectory as NSString).appendingPathComponent(relative)
                let bytes: [UInt8]
                do {
                    bytes = try StrategyConfig.readFile(path, label: path)
                } catch {
                    d.fail(modelPath, at: node.position, "model config \(relative): cannot read \(path)")
                    continue
                }
                do {
                    let root = try StrategyConfig.parse(bytes, file: path)
                    let modelDiagnostics = Diagnostics(file: path)
                    if let config = ModelConfig.read(root, path: "", file: path, overrides: overrides, rules: rules, diagnostics: modelDiagnostics) {
                        models.append(config)
                    }
                    d.append(modelDiagnostics.violations)
                    d.append(notes: modelDiagnostics.notes.map { "\((path as NSString).lastPathComponent): \($0)" })
                } catch {
                    d.append(error.violations)
                }
            case .object:
                if let config = ModelConfig.read(node, path: modelPath, file: d.file, overrides: overrides, rules: rules, diagnostics: d) {
                    models.append(config)
                }
            default:
                d.fail(modelPath, at: node.position, "expected a model config path or an inline model config object")
            }
        }
        let readName = entry.value("name") == nil ? nil : name
        guard d.violations.count == before, let share, let risk, let target else { return (nil, readName, share) }
        return (Division(name: name, capitalShare: share, riskPerTrade: risk, target: target, stop: stop, feeRate: fee, maxOpenPerSymbol: maxPerSymbol, maxOpenPositions: maxOpen, models: models,
                         makerFeeRate: makerFee, takerFeeRate: takerFee, slippageBps: slippage, timeLimitBars: timeLimit), readName, share)
    }
}

/// A validated portfolio and the notes of its load (break-even per division, overrides, metadata).
public struct LoadedPortfolio: Sendable, Hashable {
    public var portfolio: Portfolio
    public var notes: [String]
}
