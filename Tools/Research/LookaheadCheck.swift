import Domain
import PredictorCore

/// `quorum lookahead-check`: recomputes features, predictions (no labels involved) and signals on
/// the data cut at many points, and fails if any value at time t changes when the data after t is
/// removed. A feature that peeks at later bars (a centred window, a normalisation over the whole
/// file, a label leaking into a feature) shows up as a difference at the bars before the cut.
public enum LookaheadCheck {
    public struct Difference: Sendable, Hashable, CustomStringConvertible {
        public var cut: Int
        public var row: Int
        public var openTime: Timestamp
        /// Feature name, model name, or "signal".
        public var what: String
        public var full: Double
        public var truncated: Double

        public var description: String {
            "at \(openTime) (row \(row), data cut after row \(cut)): \(what) is \(full) with all the data but \(truncated) without the later bars"
        }
    }

    public struct Report: Sendable {
        public var cuts: [Int]
        public var rowsCompared: Int
        public var valuesCompared: Int
        public var differences: [Difference]
        public var passed: Bool { differences.isEmpty && rowsCompared > 0 }
    }

    /// Compares the full run with runs on `klines[..<cut+1]` for `cuts` cut points spread evenly
    /// over the last `span` bars (default all). Values are compared exactly (bit for bit): the
    /// same code on the same inputs is deterministic, so any difference is information from later bars.
    /// - Parameters:
    ///   - models: models scored on every row (their features must be in `features`).
    ///   - voters: names of the models whose mean against `threshold` is the signal.
    ///   - orderFlow: for configs with order-flow features: the bars computed from the captures cut
    ///     at an event time (the close of the last kline kept), so that the books after the cut are
    ///     removed too.
    public static func run(
        klines: [Kline], features: [String], models: [Model], voters: [String], threshold: Double,
        cuts count: Int = 50, span: Int? = nil, maxDifferences: Int = 20,
        orderFlow: ((_ until: Timestamp) throws -> OrderFlowBars)? = nil
    ) throws -> Report {
        // The matrix's column order (TA features first, then order flow).
        let ordered = try ResearchMatrix.orderedFeatures(features)
        let names = ordered + models.map(\.name) + ["signal"]
        return try check(openTimes: klines.map(\.openTime), names: names, cuts: count, span: span, maxDifferences: maxDifferences) { length in
            let kept = Array(klines[..<length])
            let flow = try orderFlow?(kept[length - 1].closeTime.adding(milliseconds: 1))
            let e = try evaluate(klines: kept, features: features, models: models, voters: voters, threshold: threshold, orderFlow: flow)
            var columns: [[Double?]] = ordered.indices.map { j in e.matrix.rows.map { $0?[j] } }
            for model in models { columns.append(e.predictions[model.name]!) }
            columns.append(e.signal)
            return columns
        }
    }

    /// The comparison itself: `evaluate(length)` computes every named column on the first `length` rows.
    public static func check(
        openTimes: [Timestamp], names: [String], cuts count: Int, span: Int? = nil, maxDifferences: Int = 20,
        evaluate: (Int) throws -> [[Double?]]
    ) throws -> Report {
        let n = openTimes.count
        let full = try evaluate(n)
        let span = min(span ?? n, n - 1)
        let lowest = n - 1 - span
        var cuts: [Int] = []
        if count > 0 && span > 0 {
            for k in 0..<count {
                let cut = lowest + Int((Double(k) + 0.5) * Double(span) / Double(count))
                if cuts.last != cut { cuts.append(cut) }
            }
        }
        var report = Report(cuts: cuts, rowsCompared: 0, valuesCompared: 0, differences: [])
        for cut in cuts {
            let part = try evaluate(cut + 1)
            for row in 0...cut {
                report.rowsCompared += 1
                for (c, name) in names.enumerated() {
                    report.valuesCompared += 1
                    let a = full[c][row], b = part[c][row]
                    let same: Bool
                    switch (a, b) {
                    case (nil, nil): same = true
                    case let (x?, y?): same = x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN)
                    default: same = false
                    }
                    if !same && report.differences.count < maxDifferences {
                        report.differences.append(Difference(cut: cut, row: row, openTime: openTimes[row], what: name, full: a ?? .nan, truncated: b ?? .nan))
                    }
                }
            }
        }
        return report
    }

    struct Evaluation {
        var matrix: ResearchMatrix
        var predictions: [String: [Double?]]
        /// Weighted vote of the voters (1 above the threshold, 0 at or below; nil without every voter).
        var signal: [Double?]
    }

    static func evaluate(klines: [Kline], features: [String], models: [Model], voters: [String], threshold: Double, orderFlow: OrderFlowBars? = nil) throws -> Evaluation {
        let matrix = try ResearchMatrix(klines: klines, features: features, orderFlow: orderFlow)
        var predictions: [String: [Double?]] = [:]
        for model in models {
            let columns = try matrix.columns(of: model.features).get()
            predictions[model.name] = (0..<matrix.count).map { row in matrix.values(row, columns: columns).map { model.probability($0) } }
        }
        let signal: [Double?] = (0..<matrix.count).map { row in
            var sum = 0.0
            for name in voters {
                guard let p = predictions[name]?[row] ?? nil else { return nil }
                sum += p
            }
            return voters.isEmpty ? nil : (sum / Double(voters.count) > threshold ? 1 : 0)
        }
        return Evaluation(matrix: matrix, predictions: predictions, signal: signal)
    }
}
