import Domain
import FeatureServiceCore
import OrderFlow

/// One series' klines with their feature rows, computed once by the serving code's indicators
/// (`FeatureBatch`, bit-identical to `FeatureServiceCore` one bar at a time) so that every research
/// stage sees exactly the values the FeatureService would publish. A gap in the klines restarts the indicators: rows whose
/// look-back crosses a gap have no features (nil), and the gaps are listed.
///
/// Order-flow features (`imbalance_5`, `bid_pressure`, ...; the config's `gen_features_orderflow`)
/// come from recorded books aggregated to bars (`OrderFlowBars`, from `OrderFlowReplay`), joined to
/// the klines by bar open time. They follow the TA features in `features`. A bar whose book was not
/// valid for its whole length, or that the captures do not cover, has NaN there, and `values` and
/// `trainingSet` treat the row as having no features for any model that needs them: never zero-filled,
/// never interpolated. Models that need none of them keep the row.
public struct ResearchMatrix: Sendable {
    /// A hole in the klines: `missingBars` bars are absent before `klines[beforeIndex]`.
    public struct Gap: Sendable, Hashable, CustomStringConvertible {
        public var beforeIndex: Int
        public var from: Timestamp
        public var missingBars: Int

        public var description: String { "\(missingBars) missing bars before \(from)" }
    }

    public enum Error: Swift.Error, Sendable, CustomStringConvertible {
        case features(FeatureServiceCore.ConfigurationError)
        case klines(String)
        case orderFlow(String)

        public var description: String {
            switch self {
            case .features(let error): error.description
            case .klines(let reason): "klines: \(reason)"
            case .orderFlow(let reason): "order-flow features: \(reason)"
            }
        }
    }

    public let klines: [Kline]
    /// The TA features (computed from the klines by the FeatureService's code), then the order-flow ones.
    public let features: [String]
    /// How many of `features` are TA features (the rest are order-flow columns).
    public let taFeatureCount: Int
    /// Feature values per bar, in `features` order; nil while warming up (and after each gap). Order-flow
    /// columns are NaN where the bar had no valid book.
    public let rows: [[Double]?]
    public let gaps: [Gap]
    /// How the order-flow bars met the klines (nil without order-flow features).
    public let orderFlow: OrderFlowJoin?
    /// The quoted spread (`quoted_spread_bps`) of each bar with a valid book, by bar open time (ms),
    /// whether or not the models use it: the backtest's Executor slips the next bar's taker fills
    /// by half of it. Empty without recorded books.
    public let quotedSpreads: [Int64: Double]

    /// The TA features, in `features` order.
    public var taFeatures: [String] { Array(features[..<taFeatureCount]) }
    /// The order-flow features, in `features` order.
    public var orderFlowFeatures: [String] { Array(features[taFeatureCount...]) }

    /// - Parameter orderFlow: the bars of the config's order-flow feature set; required when
    ///   `features` names an order-flow feature.
    public init(klines: [Kline], features: [String], orderFlow flowBars: OrderFlowBars? = nil) throws(Error) {
        let flowNames = features.filter(OrderFlowFeature.isValidName)
        let taNames = features.filter { !OrderFlowFeature.isValidName($0) }
        let configuration: FeatureServiceCore.Configuration
        do {
            configuration = try FeatureServiceCore.Configuration(features: taNames, maxInterpolatedGap: 0)
        } catch {
            throw .features(error)
        }
        guard let first = klines.first else { throw .klines("none given") }
        var gaps: [Gap] = []
        for i in klines.indices.dropFirst() {
            let kline = klines[i]
            guard kline.symbol == first.symbol, kline.interval == first.interval else {
                throw .klines("mixed series: \(first.symbol) \(first.interval.name) and \(kline.symbol) \(kline.interval.name)")
            }
            let delta = kline.openTime.milliseconds - klines[i - 1].openTime.milliseconds
            guard delta > 0 else { throw .klines("open times not strictly increasing at row \(i) (\(kline.openTime))") }
            let step = kline.interval.milliseconds
            guard delta % step == 0 else { throw .klines("open time \(kline.openTime) at row \(i) is off the \(kline.interval.name) raster") }
            if delta > step { gaps.append(Gap(beforeIndex: i, from: klines[i - 1].openTime.adding(milliseconds: step), missingBars: Int(delta / step) - 1)) }
        }
        // Whole columns at once: FeatureBatch runs the streaming core's indicators in the same order
        // (bit-identical values, `complete` where the service would emit a vector).
        let batch: FeatureBatch.Result
        do {
            batch = try FeatureBatch.compute(FeatureBatch.Bars(klines: klines), interval: first.interval, configuration: configuration)
        } catch {
            throw .klines(error.description)
        }
        var rows: [[Double]?] = klines.indices.map { i in batch.complete[i] ? batch.columns.map { $0[i] } : nil }
        var join: OrderFlowJoin?
        if !flowNames.isEmpty {
            guard let flowBars else {
                throw .orderFlow("\(flowNames.joined(separator: ", ")) need recorded books (the config's gen_features_orderflow captures); none were given")
            }
            let joined = try OrderFlowJoin(klines: klines, names: flowNames, bars: flowBars)
            for i in rows.indices where rows[i] != nil { rows[i]! += joined.values[i] }
            join = joined
        }
        self.klines = klines
        self.features = configuration.features + flowNames
        self.taFeatureCount = configuration.features.count
        self.rows = rows
        self.gaps = gaps
        self.orderFlow = join
        var spreads: [Int64: Double] = [:]
        let spreadName = OrderFlowFeature.quotedSpreadBps.rawValue
        if let flowBars, flowBars.names.contains(spreadName), let spreadJoin = try? OrderFlowJoin(klines: klines, names: [spreadName], bars: flowBars) {
            for (i, values) in spreadJoin.values.enumerated() where values[0].isFinite && values[0] >= 0 {
                spreads[klines[i].openTime.milliseconds] = values[0]
            }
        }
        self.quotedSpreads = spreads
    }

    public var count: Int { klines.count }

    /// The matrix's column order for `features`: the TA features as the FeatureService orders
    /// them, then the order-flow ones in the order given.
    public static func orderedFeatures(_ features: [String]) throws(Error) -> [String] {
        let ta = features.filter { !OrderFlowFeature.isValidName($0) }
        do {
            return try FeatureServiceCore.Configuration(features: ta).features + features.filter(OrderFlowFeature.isValidName)
        } catch {
            throw .features(error)
        }
    }

    /// Rows with features.
    public var featureRows: Int { rows.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    /// The columns of `names` (a subset of `features`, any order) for one row; nil when the row has
    /// no features, or when one of the columns is an order-flow feature the bar does not have (no
    /// valid book, or no trades for the trade-based ones).
    public func values(_ row: Int, columns: [Int]) -> [Double]? {
        guard let values = rows[row] else { return nil }
        var out: [Double] = []
        out.reserveCapacity(columns.count)
        for c in columns {
            let v = values[c]
            if c >= taFeatureCount && !v.isFinite { return nil }
            out.append(v)
        }
        return out
    }

    /// The order-flow features among `names` as the backtest chain takes them: per bar open time,
    /// the values of the bars where all of them are defined (nil when `names` has no order-flow
    /// feature). The same rule as `values(_:columns:)`.
    public func orderFlowFeed(for names: [String]) -> Backtest.OrderFlowFeed? {
        guard let joined = orderFlow else { return nil }
        let wanted = Set(names)
        let flow = joined.names.filter(wanted.contains)
        guard !flow.isEmpty else { return nil }
        let indices = flow.map { joined.names.firstIndex(of: $0)! }
        var values: [Int64: [Double]] = [:]
        for row in klines.indices {
            let picked = indices.map { joined.values[row][$0] }
            if picked.allSatisfy(\.isFinite) { values[klines[row].openTime.milliseconds] = picked }
        }
        return Backtest.OrderFlowFeed(names: flow, values: values)
    }

    /// Column indices of `names`, or the names that are missing.
    public func columns(of names: [String]) -> Result<[Int], MissingFeatures> {
        var indices: [Int] = []
        var missing: [String] = []
        for name in names {
            if let index = features.firstIndex(of: name) { indices.append(index) } else { missing.append(name) }
        }
        return missing.isEmpty ? .success(indices) : .failure(MissingFeatures(names: missing))
    }

    public struct MissingFeatures: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        public var names: [String]
        public var description: String { "features not in the matrix: \(names.joined(separator: ", "))" }
    }

    /// Training rows among `range` (row indices): rows with features (the `columns`) and a label.
    /// The caller makes sure the labels of `range` do not reach past what it may see (the purge).
    public func trainingSet(_ range: Range<Int>, labels: [Bool?], columns: [Int]) -> (rows: [[Double]], labels: [Bool], indices: [Int]) {
        var x: [[Double]] = []
        var y: [Bool] = []
        var indices: [Int] = []
        for t in range {
            guard let label = labels[t], let values = values(t, columns: columns) else { continue }
            x.append(values)
            y.append(label)
            indices.append(t)
        }
        return (x, y, indices)
    }
}
