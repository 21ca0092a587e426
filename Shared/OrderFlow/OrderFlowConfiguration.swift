/// What the order-flow aggregation computes: the config's `gen_features_orderflow` entry
/// (`depths`, `freq`) plus the documented constants of docs/FEATURES.md.
public struct OrderFlowConfiguration: Sendable, Hashable {
    /// Levels per side of each `imbalance_k`, in output order (the config's `depths`).
    public let depths: [Int]
    /// The bar length.
    public let frequency: BarFrequency
    /// A level is a wall when its quantity exceeds this multiple of the median level quantity of
    /// its side's top `levels` (k in the specification; 5 by default).
    public let wallMultiple: Double
    /// How a diff must follow the previous one. `.spot`: `U == previous u + 1` (anything else is a
    /// gap and invalidates the book). `.none`: no check (USD-M futures: md.depth carries no `pu`;
    /// the collector's synchronizer has checked it).
    public var sequenceCheck: SequenceCheck
    /// At most this many consecutive empty bars are emitted when events jump forward in time;
    /// beyond it the bars in between are skipped and counted (a stalled capture must not make
    /// millions of rows).
    public let maxEmptyBars: Int

    public enum SequenceCheck: String, Sendable, Hashable {
        case spot
        case none
    }

    /// Levels per side for pressure, slope and walls (the specification's "top 20 levels").
    public static let levels = 20
    /// The half-width of the band of `depth_bid_10bps` / `depth_ask_10bps`, in basis points of mid.
    public static let depthBandBps = 10.0

    /// Checks every field and reports every problem at once.
    public init(
        depths: [Int] = [5, 10, 20], frequency: BarFrequency, wallMultiple: Double = 5,
        sequenceCheck: SequenceCheck = .spot, maxEmptyBars: Int = 100_000
    ) throws(OrderFlowConfigurationError) {
        let problems = Self.problems(depths: depths, wallMultiple: wallMultiple, maxEmptyBars: maxEmptyBars)
        guard problems.isEmpty else { throw OrderFlowConfigurationError(problems: problems) }
        self.depths = depths
        self.frequency = frequency
        self.wallMultiple = wallMultiple
        self.sequenceCheck = sequenceCheck
        self.maxEmptyBars = maxEmptyBars
    }

    /// As the config writes it: `freq` text ("5T", "10s") and `depths`; every problem of both at once.
    public init(
        depths: [Int] = [5, 10, 20], freq: String, wallMultiple: Double = 5,
        sequenceCheck: SequenceCheck = .spot, maxEmptyBars: Int = 100_000
    ) throws(OrderFlowConfigurationError) {
        var problems: [String] = []
        var frequency: BarFrequency?
        do { frequency = try BarFrequency(freq) } catch { problems += error.problems }
        problems += Self.problems(depths: depths, wallMultiple: wallMultiple, maxEmptyBars: maxEmptyBars)
        guard problems.isEmpty, let frequency else { throw OrderFlowConfigurationError(problems: problems) }
        self.depths = depths
        self.frequency = frequency
        self.wallMultiple = wallMultiple
        self.sequenceCheck = sequenceCheck
        self.maxEmptyBars = maxEmptyBars
    }

    static func problems(depths: [Int], wallMultiple: Double, maxEmptyBars: Int) -> [String] {
        var problems: [String] = []
        if depths.isEmpty { problems.append("depths: empty (give at least one level count, e.g. [5, 10, 20])") }
        for (i, k) in depths.enumerated() where !(1...OrderFlowFeature.maxImbalanceLevels).contains(k) {
            problems.append("depths[\(i)]: \(k) is not a level count in 1...\(OrderFlowFeature.maxImbalanceLevels)")
        }
        var seen = Set<Int>()
        for (i, k) in depths.enumerated() where !seen.insert(k).inserted {
            problems.append("depths[\(i)]: \(k) is repeated")
        }
        if !(wallMultiple.isFinite && wallMultiple > 0) {
            problems.append("wallMultiple: \(wallMultiple) is not a positive finite number")
        }
        if maxEmptyBars < 0 { problems.append("maxEmptyBars: \(maxEmptyBars) is negative") }
        return problems
    }

    /// The output column names, in order: `imbalance_k` per depth, then the 16 fixed features.
    public var names: [String] {
        depths.map(OrderFlowFeature.imbalanceName(levels:)) + OrderFlowFeature.fixed.map(\.rawValue)
    }

    /// The column of a name in `names`, or nil.
    public func column(of name: String) -> Int? { names.firstIndex(of: name) }
}

/// A configuration could not be built: every problem, each naming its field.
public struct OrderFlowConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var problems: [String]

    public init(problems: [String]) { self.problems = problems }

    public var description: String { "order-flow configuration: " + problems.joined(separator: "; ") }
}
