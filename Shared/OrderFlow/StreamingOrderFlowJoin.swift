import Domain

/// The FeatureService's order-flow columns: one `OrderFlowAggregator` per symbol fed with the bus's
/// synced book stream (md.depth diffs, md.book full books) and trades (md.trade), joined to each
/// kline's feature vector by bar open time. The same aggregator as the research pipeline's replay
/// of captures (`OrderFlowReplay`), so training and serving compute the same values.
///
/// Join rule: when the kline of bar B closes, the symbol's aggregator is advanced to B's end
/// (closing B in event time; a diff or trade of B that arrives after its kline is late and lands
/// in the next bar, counted in the aggregator's `lateEvents`), and B's order-flow bar supplies the
/// columns. Without a bar for B (no book or trade event yet), or for a series whose interval is
/// not the configured frequency, every column is NaN: the Predictor skips vectors with a
/// non-finite feature its model needs, so a missing book never becomes a made-up value.
///
/// ```swift
/// var join = try StreamingOrderFlowJoin(names: ["imbalance_5", "ofi"], configuration: .init(frequency: .init("5m")))
/// join.handle(symbol: "SOLUSDT", .depth(update))          // as md.depth arrives
/// let columns = join.values(for: bar)                      // when bar's kline closes: [imbalance_5, ofi]
/// ```
public struct StreamingOrderFlowJoin: Sendable {
    public let configuration: OrderFlowConfiguration
    /// The requested columns, in order.
    public let names: [String]
    private let columns: [Int]
    private var aggregators: [String: OrderFlowAggregator] = [:]
    /// Closed bars not yet joined, per symbol, by open time (ms). Bounded by ``maxKeptBars``.
    private var closed: [String: [Int64: OrderFlowBar]] = [:]
    /// Vectors joined with a valid order-flow bar, without one, and for an interval other than the frequency.
    public private(set) var joined = 0
    public private(set) var missing = 0
    public private(set) var wrongInterval = 0

    /// Closed bars kept per symbol waiting for their kline.
    public static let maxKeptBars = 64

    /// The names must be among `configuration.names` (every unknown one is listed).
    public init(names: [String], configuration: OrderFlowConfiguration) throws(OrderFlowConfigurationError) {
        var columns: [Int] = []
        var problems: [String] = []
        for name in names {
            if let column = configuration.column(of: name) { columns.append(column) } else {
                problems.append("\(name): not an order-flow feature of this configuration (\(configuration.names.joined(separator: ", ")))")
            }
        }
        if names.isEmpty { problems.append("no order-flow feature requested") }
        guard problems.isEmpty else { throw OrderFlowConfigurationError(problems: problems) }
        self.configuration = configuration
        self.names = names
        self.columns = columns
    }

    /// The aggregator of a symbol (statistics for the heartbeat), if it has seen an event.
    public func aggregator(of symbol: String) -> OrderFlowAggregator? { aggregators[symbol] }

    /// Feeds one book or trade event of `symbol`.
    public mutating func handle(symbol: String, _ input: OrderFlowAggregator.Input) {
        var aggregator = aggregators[symbol] ?? OrderFlowAggregator(symbol: symbol, configuration: configuration)
        let bars = aggregator.handle(input)
        aggregators[symbol] = aggregator
        keep(bars, of: symbol)
    }

    /// The requested columns for the bar whose kline just closed (NaN when there is no order-flow bar for it).
    public mutating func values(for bar: BarKey) -> [Double] {
        let nan = [Double](repeating: .nan, count: columns.count)
        guard bar.interval.milliseconds == configuration.frequency.milliseconds else {
            wrongInterval += 1
            return nan
        }
        if var aggregator = aggregators[bar.symbol] {
            let bars = aggregator.handle(.advance(to: bar.openTime.adding(milliseconds: bar.interval.milliseconds)))
            aggregators[bar.symbol] = aggregator
            keep(bars, of: bar.symbol)
        }
        guard let orderFlow = closed[bar.symbol]?.removeValue(forKey: bar.openTime.milliseconds) else {
            missing += 1
            return nan
        }
        // Bars before this one will never be asked for (klines arrive in order): forget them.
        closed[bar.symbol] = closed[bar.symbol]?.filter { $0.key > bar.openTime.milliseconds }
        joined += 1
        return columns.map { orderFlow.values[$0] }
    }

    private mutating func keep(_ bars: [OrderFlowBar], of symbol: String) {
        guard !bars.isEmpty else { return }
        var kept = closed[symbol] ?? [:]
        for bar in bars { kept[bar.openTime.milliseconds] = bar }
        if kept.count > Self.maxKeptBars {
            for key in kept.keys.sorted().prefix(kept.count - Self.maxKeptBars) { kept.removeValue(forKey: key) }
        }
        closed[symbol] = kept
    }
}
