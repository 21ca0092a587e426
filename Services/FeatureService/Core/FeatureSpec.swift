/// One feature parsed from its ITB name `<inputs joined by _>_<FUNC>_<window>`, e.g. `close_SMA_3`,
/// `close_RSI_14`, `high_low_close_ATR_14`.
public struct FeatureSpec: Sendable, Hashable, CustomStringConvertible {
    /// The name exactly as configured (and as published in feature vectors).
    public let name: String
    public let inputs: [BarField]
    public let function: String
    public let window: Int
    /// The indicator type that computes it.
    public let indicator: any Indicator.Type

    /// TA-Lib's largest time period.
    public static let maximumWindow = 100_000

    /// Why one name was refused.
    public struct NameError: Error, Sendable, Hashable, CustomStringConvertible {
        public var name: String
        public var reason: String

        public init(name: String, reason: String) {
            self.name = name
            self.reason = reason
        }

        public var description: String { "\"\(name)\": \(reason)" }
    }

    /// Parses a name against the catalog's functions.
    public init(parsing name: String, catalog: FeatureCatalog = .standard) throws(NameError) {
        func fail(_ reason: String) -> NameError { NameError(name: name, reason: reason) }
        let tokens = name.split(separator: "_", omittingEmptySubsequences: false)
        guard tokens.count >= 3 else {
            throw fail("expected <inputs>_<FUNC>_<window>, e.g. close_SMA_3")
        }
        guard !tokens.contains(where: \.isEmpty) else { throw fail("empty part between underscores") }

        let windowText = tokens[tokens.count - 1]
        guard windowText.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw fail("window \"\(windowText)\" is not a whole number")
        }
        guard windowText.count <= 6, let window = Int(windowText), !(windowText.count > 1 && windowText.first == "0") else {
            throw fail("window \"\(windowText)\" must be written without leading zeros and be ≤ \(Self.maximumWindow)")
        }
        guard window <= Self.maximumWindow else { throw fail("window \(window) is above \(Self.maximumWindow)") }

        // The longest catalog function whose tokens end the part before the window, leaving ≥ 1 input.
        let head = tokens.dropLast()
        var match: (type: any Indicator.Type, length: Int)?
        for type in catalog.indicators {
            let functionTokens = type.function.split(separator: "_", omittingEmptySubsequences: false)
            guard functionTokens.count < head.count, head.suffix(functionTokens.count).elementsEqual(functionTokens) else { continue }
            if functionTokens.count > (match?.length ?? 0) { match = (type, functionTokens.count) }
        }
        guard let match else {
            throw fail("unknown function \"\(head.last!)\" (supported: \(catalog.functions.joined(separator: ", ")))")
        }
        let type = match.type

        let inputTokens = head.dropLast(match.length)
        var inputs: [BarField] = []
        for token in inputTokens {
            guard let field = BarField(rawValue: String(token)) else {
                throw fail("unknown input column \"\(token)\" (expected one of \(BarField.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            inputs.append(field)
        }
        switch type.inputs {
        case .anySingle:
            guard inputs.count == 1 else { throw fail("\(type.function) takes exactly one input column, got \(inputs.count)") }
        case .fixed(let expected):
            guard inputs == expected else {
                let wanted = expected.map(\.rawValue).joined(separator: "_")
                throw fail("\(type.function) takes the inputs \(wanted) in this order, e.g. \(wanted)_\(type.function)_14")
            }
        }
        guard window >= type.minimumWindow else {
            throw fail("\(type.function) needs a window ≥ \(type.minimumWindow), got \(window)")
        }
        self.name = name
        self.inputs = inputs
        self.function = type.function
        self.window = window
        self.indicator = type
    }

    /// Parses every name, reporting every bad one at once. Empty lists and repeated names are refused too.
    public static func parseAll(
        _ names: [String], catalog: FeatureCatalog = .standard
    ) throws(FeatureServiceCore.ConfigurationError) -> [FeatureSpec] {
        var specs: [FeatureSpec] = []
        var problems: [NameError] = []
        var seen = Set<String>()
        if names.isEmpty { problems.append(NameError(name: "", reason: "no features configured")) }
        for name in names {
            guard seen.insert(name).inserted else {
                problems.append(NameError(name: name, reason: "listed more than once"))
                continue
            }
            do {
                specs.append(try FeatureSpec(parsing: name, catalog: catalog))
            } catch {
                problems.append(error)
            }
        }
        guard problems.isEmpty else { throw FeatureServiceCore.ConfigurationError(problems: problems) }
        return specs
    }

    /// A fresh indicator for this feature.
    public func makeIndicator() -> any Indicator { indicator.init(inputs: inputs, window: window) }

    /// Leading bars without a value.
    public var lookback: Int { makeIndicator().lookback }

    public var description: String { name }

    public static func == (lhs: FeatureSpec, rhs: FeatureSpec) -> Bool {
        lhs.name == rhs.name && lhs.inputs == rhs.inputs && lhs.function == rhs.function && lhs.window == rhs.window
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
    }
}
