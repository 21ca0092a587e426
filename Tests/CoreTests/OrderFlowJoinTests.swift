import CollectorCore
import Domain
import Foundation
import OrderFlow
import PredictorCore
import Research
import TestKit
import Testing

/// Order-flow bars joined to the research rows by open time: bars with a valid book give their
/// values, everything else makes the row invalid for the models that need them (never zero, never
/// interpolated); the walk-forward trains and trades on such rows only; the lookahead check sees a
/// join that takes a later bar.
@Suite struct OrderFlowJoinTests {
    static let names = ["imbalance_5", "imbalance_10", "imbalance_20"] + OrderFlowFeature.fixed.map(\.rawValue)
    static let flowFeatures = ["imbalance_5", "level1_imbalance", "trade_imbalance"]
    static let features = DemoStrategy.features + flowFeatures
    static let bar: Int64 = 300_000

    enum Kind { case valid, invalidBook, noTrades, missing }

    /// Bars for klines[from..<to] of the sample: every 17th without a valid book, every 23rd without
    /// trades (trade_imbalance NaN), every 29th missing; values drawn from a seeded generator.
    static func bars(_ klines: [Kline], from: Int, to: Int, seed: UInt64 = 7) -> (OrderFlowBars, [Int: Kind]) {
        var generator = SeededGenerator(seed: seed)
        var bars: [OrderFlowBar] = []
        var kinds: [Int: Kind] = [:]
        let trade = names.firstIndex(of: "trade_imbalance")!
        for row in from..<to {
            if row % 29 == 0 { kinds[row] = .missing; continue }
            var values = names.map { _ in Double.random(in: -1...1, using: &generator) }
            var valid = true
            if row % 17 == 0 {
                valid = false
                values = names.map { _ in .nan }
                kinds[row] = .invalidBook
            } else if row % 23 == 0 {
                values[trade] = .nan
                kinds[row] = .noTrades
            } else {
                kinds[row] = .valid
            }
            bars.append(OrderFlowBar(openTime: klines[row].openTime, values: values, bookValid: valid, diffs: 10, trades: 3, resyncs: 0))
        }
        return (OrderFlowBars(names: names, bars: bars, barMilliseconds: bar, files: ["capture-BTCUSDT-test.jsonl"]), kinds)
    }

    static func sample(_ count: Int = 6_000) throws -> [Kline] {
        Array(try KlineCSV.read(path: RepositoryPaths.sampleKlines.path).prefix(count))
    }

    @Test func theMatrixKeepsEveryValidBarsQuotedSpreadForTheExecutorsSlippage() throws {
        let klines = try Self.sample(3_000)
        let (flow, kinds) = Self.bars(klines, from: 500, to: 2_500)
        // The models use no spread feature; the backtest's Executor still gets the spreads.
        let matrix = try ResearchMatrix(klines: klines, features: Self.features, orderFlow: flow)
        #expect(!matrix.features.contains("quoted_spread_bps"))
        let column = Self.names.firstIndex(of: "quoted_spread_bps")!
        let source = Dictionary(uniqueKeysWithValues: flow.bars.map { ($0.openTime, $0) })
        var expected: [Int64: Double] = [:]
        for (row, kind) in kinds where kind == .valid || kind == .noTrades {
            let value = source[klines[row].openTime]!.values[column]
            if value >= 0 { expected[klines[row].openTime.milliseconds] = value }
        }
        #expect(!expected.isEmpty && matrix.quotedSpreads == expected, "valid books only, never invented")
        #expect(try ResearchMatrix(klines: klines, features: DemoStrategy.features).quotedSpreads.isEmpty, "no books, no spreads")
    }

    @Test func barsJoinByOpenTimeAndInvalidRowsStayInvalid() throws {
        let klines = try Self.sample(3_000)
        let (flow, kinds) = Self.bars(klines, from: 500, to: 2_500)
        let matrix = try ResearchMatrix(klines: klines, features: Self.features, orderFlow: flow)
        #expect(matrix.taFeatures == DemoStrategy.features && matrix.orderFlowFeatures == Self.flowFeatures)
        let all = try matrix.columns(of: Self.features).get()
        let ta = try matrix.columns(of: DemoStrategy.features).get()
        let source = Dictionary(uniqueKeysWithValues: flow.bars.map { ($0.openTime, $0) })
        let picked = Self.flowFeatures.map { Self.names.firstIndex(of: $0)! }
        var valid = 0
        for row in 100..<klines.count {
            let values = matrix.values(row, columns: all)
            #expect(matrix.values(row, columns: ta) != nil, "TA-only models keep every warmed-up row (\(row))")
            if kinds[row] == .valid {
                valid += 1
                let bar = try #require(source[klines[row].openTime])
                #expect(values.map { Array($0.suffix(3)) } == picked.map { bar.values[$0] }, "row \(row) takes its own bar's values")
            } else {
                #expect(values == nil, "row \(row) (\(String(describing: kinds[row]))) has no order-flow features")
            }
        }
        // A model that needs only the book features keeps the bars without trades.
        let bookOnly = try matrix.columns(of: ["imbalance_5", "level1_imbalance"]).get()
        let noTrades = kinds.filter { $0.value == .noTrades }.map(\.key)
        #expect(!noTrades.isEmpty && noTrades.allSatisfy { matrix.values($0, columns: bookOnly) != nil })
        let s = try #require(matrix.orderFlow?.statistics)
        #expect(s.bars == flow.bars.count && s.rowsInSpan == 2_000, "rows 500...2499 (neither end is missing)")
        #expect(s.rowsWithInvalidBook == kinds.values.filter { $0 == .invalidBook }.count)
        #expect(s.rowsWithoutBar == kinds.values.filter { $0 == .missing }.count && s.barsWithoutKline == 0)
        #expect(s.rowsWithUndefinedValue == noTrades.count && s.completeRows == valid)
        #expect(matrix.orderFlow?.summary.joined().contains("capture-BTCUSDT-test.jsonl") == true)
    }

    @Test func aMismatchedFeatureSetIsRefusedWithEveryProblem() throws {
        let klines = try Self.sample(500)
        var (flow, _) = Self.bars(klines, from: 100, to: 400)
        #expect(throws: ResearchMatrix.Error.self) { try ResearchMatrix(klines: klines, features: Self.features) }
        flow.barMilliseconds = 60_000
        do {
            _ = try ResearchMatrix(klines: klines, features: DemoStrategy.features + ["imbalance_7"], orderFlow: flow)
            Issue.record("accepted 1-minute bars for 5-minute klines")
        } catch {
            #expect(error.description.contains("60000 ms") && error.description.contains("imbalance_7"), "\(error)")
        }
    }

    /// The walk-forward trains an order-flow model only on rows with books and its chain gets no
    /// vector for a bar without one, while the TA-only baseline trades every bar.
    @Test func theWalkForwardUsesOnlyBarsWithBooks() throws {
        let klines = try Self.sample(6_000)
        let (flow, kinds) = Self.bars(klines, from: 0, to: 6_000)
        let matrix = try ResearchMatrix(klines: klines, features: Self.features + [Pipeline.volatilityFeature], orderFlow: flow)
        let label = try HighLowLabel(parsing: "high_030_4")
        let features = Self.features
        let spec = WalkForwardBacktest.ModelSpec(name: "logreg-flow", label: label, features: features, votes: true) { rows, labels, name, version in
            #expect(rows.allSatisfy { $0.allSatisfy(\.isFinite) })
            return try ModelTraining.logisticRegressionModel(rows: rows, labels: labels, features: features, label: "high_030_4", name: name, version: version, interval: .fiveMinutes, symbol: "BTCUSDT")
        }
        let baselineFeatures = [Pipeline.volatilityFeature]
        let baseline = WalkForwardBacktest.ModelSpec(name: "vol", label: label, features: baselineFeatures, votes: false) { rows, labels, name, version in
            try ModelTraining.logisticRegressionModel(rows: rows, labels: labels, features: baselineFeatures, label: "high_030_4", name: name, version: version, interval: .fiveMinutes, symbol: "BTCUSDT")
        }
        let output = try WalkForwardBacktest.run(
            matrix: matrix, models: [spec], baselines: [baseline],
            options: .init(windowBars: 20 * 288, plan: .days(train: 7, step: 3, interval: .fiveMinutes, labelHorizon: 4), threshold: 0.5)
        )
        let labels = label.labels(for: klines)
        let start = matrix.count - 20 * 288
        for fold in output.folds {
            let trainStart = klines.firstIndex { $0.openTime == fold.trainFrom }!
            let trainEnd = klines.firstIndex { $0.closeTime == fold.trainTo }! + 1
            let usable = (trainStart..<(trainEnd - 4)).filter { kinds[$0] == .valid && labels[$0] != nil && matrix.rows[$0] != nil }
            #expect(fold.trainingRows["logreg-flow"] == usable.count, "fold \(fold.index)")
            #expect((fold.trainingRows["vol"] ?? 0) > usable.count)
            #expect(trainStart >= start)
        }
        // Out-of-sample scores only on rows with books.
        #expect(output.outOfSample["logreg-flow"]!.rows.allSatisfy { kinds[$0] == .valid })
        #expect(output.outOfSample["vol"]!.rows.contains { kinds[$0] != .valid })
        // The chain: entries only on bars with books; the baseline's chain saw every bar.
        let flowRun = output.runs["logreg-flow"]!, volRun = output.runs["vol"]!
        let rowOf = Dictionary(uniqueKeysWithValues: klines.enumerated().map { ($1.openTime, $0) })
        #expect(!flowRun.signals.isEmpty)
        #expect(flowRun.signals.allSatisfy { kinds[rowOf[$0.bar.openTime]!] == .valid })
        // Same FeatureService vectors in both chains; the order-flow one withholds exactly the bars without books.
        #expect(volRun.vectorsWithoutBook == 0 && flowRun.vectorsWithoutBook > 0)
        #expect(flowRun.vectors + flowRun.vectorsWithoutBook == volRun.vectors)
    }

    /// Cut replays: an honest join passes; one that gives row t the bar of t + 1 (which closes only
    /// after t) is caught.
    @Test func theLookaheadCheckCatchesAJoinThatTakesALaterBar() throws {
        let klines = try Self.sample(1_200)
        let (flow, _) = Self.bars(klines, from: 0, to: 1_200)
        func honest(_ until: Timestamp) -> OrderFlowBars {
            var cut = flow
            cut.bars = flow.bars.filter { $0.openTime.adding(milliseconds: Self.bar) <= until }
            return cut
        }
        func leaky(_ until: Timestamp) -> OrderFlowBars {
            var cut = honest(until)
            cut.bars = cut.bars.map { var b = $0; b.openTime = b.openTime.adding(milliseconds: -Self.bar); return b }
            return cut
        }
        let matrix = try ResearchMatrix(klines: Array(klines[..<800]), features: Self.features, orderFlow: honest(klines[799].closeTime.adding(milliseconds: 1)))
        let labels = try HighLowLabel(parsing: "high_030_4").labels(for: matrix.klines)
        let set = matrix.trainingSet(0..<796, labels: labels, columns: try matrix.columns(of: Self.features).get())
        let model = try ModelTraining.logisticRegressionModel(
            rows: set.rows, labels: set.labels, features: Self.features, label: "high_030_4", name: "flow", version: "1", interval: .fiveMinutes, symbol: "BTCUSDT"
        )
        let passed = try LookaheadCheck.run(klines: klines, features: Self.features, models: [model], voters: ["flow"], threshold: 0.5, cuts: 6, span: 400, orderFlow: honest)
        #expect(passed.passed, "\(passed.differences.first.map(\.description) ?? "")")
        let caught = try LookaheadCheck.run(klines: klines, features: Self.features, models: [model], voters: ["flow"], threshold: 0.5, cuts: 6, span: 400, orderFlow: leaky)
        #expect(!caught.passed && caught.differences.contains { Self.flowFeatures.contains($0.what) })
    }
}
