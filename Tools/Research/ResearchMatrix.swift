import Domain
import FeatureServiceCore

/// One series' klines with their feature rows, computed once by the serving code's indicators
/// (`FeatureBatch`, bit-identical to `FeatureServiceCore` one bar at a time) so that every research
/// stage sees exactly the values the FeatureService would publish. A gap in the klines restarts the indicators: rows whose
/// look-back crosses a gap have no features (nil), and the gaps are listed.
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

        public var description: String {
            switch self {
            case .features(let error): error.description
            case .klines(let reason): "klines: \(reason)"
            }
        }
    }

    public let klines: [Kline]
    public let features: [String]
    /// Feature values per bar, in `features` order; nil while warming up (and after each gap).
    public let rows: [[Double]?]
    public let gaps: [Gap]

    public init(klines: [Kline], features: [String]) throws(Error) {
        let configuration: FeatureServiceCore.Configuration
        do {
            configuration = try FeatureServiceCore.Configuration(features: features, maxInterpolatedGap: 0)
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
        let rows: [[Double]?] = klines.indices.map { i in batch.complete[i] ? batch.columns.map { $0[i] } : nil }
        self.klines = klines
        self.features = configuration.features
        self.rows = rows
        self.gaps = gaps
    }

    public var count: Int { klines.count }

    /// Rows with features.
    public var featureRows: Int { rows.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    /// The columns of `names` (a subset of `features`, any order) for one row.
    public func values(_ row: Int, columns: [Int]) -> [Double]? {
        guard let values = rows[row] else { return nil }
        return columns.map { values[$0] }
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
