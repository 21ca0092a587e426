import Domain

/// Walk-forward and cross-validation splits over the rows of one series, counted in bars that
/// exist (never in calendar days: a hole in the data does not count as bars), with a purge so that
/// no training row's label window reaches into the rows it is evaluated on.
///
/// A row `t` with label horizon `h` looks at rows `t+1 … t+h`. Training on it before predicting
/// row `s` is only honest when `t + h < s`: the training rows of a fold end `purge ≥ h` rows before
/// its first predicted row.
public enum WalkForward {
    /// One step: train on `train`, then predict `test` (half-open row-index ranges, train before test).
    public struct Fold: Sendable, Hashable, CustomStringConvertible {
        public var index: Int
        public var train: Range<Int>
        public var test: Range<Int>

        public var description: String { "fold \(index): train \(train.lowerBound)..<\(train.upperBound), test \(test.lowerBound)..<\(test.upperBound)" }
    }

    public struct Plan: Sendable, Hashable {
        /// Rows of training per fold.
        public var trainBars: Int
        /// Rows predicted per fold (and the step between folds).
        public var stepBars: Int
        /// Rows left out between the end of training and the first predicted row (≥ the label horizon).
        public var purgeBars: Int
        /// Whether training grows from the window's start (expanding) or slides (fixed length).
        public var expanding: Bool

        public init(trainBars: Int, stepBars: Int, purgeBars: Int, expanding: Bool = false) {
            self.trainBars = trainBars
            self.stepBars = stepBars
            self.purgeBars = purgeBars
            self.expanding = expanding
        }

        /// A plan in days of bars of `interval` (a day = 86,400,000 ms / interval bars, whatever the calendar).
        public static func days(train: Int, step: Int, interval: Interval, labelHorizon: Int, expanding: Bool = false) -> Plan {
            let perDay = Int(86_400_000 / interval.milliseconds)
            return Plan(trainBars: train * perDay, stepBars: step * perDay, purgeBars: labelHorizon, expanding: expanding)
        }
    }

    public struct PlanError: Error, Sendable, Hashable, CustomStringConvertible {
        public var problems: [String]
        public var description: String { "walk-forward: " + problems.joined(separator: "; ") }
    }

    /// The folds of `plan` over `rows` rows (the window): the first fold trains on rows
    /// `0 ..< trainBars` and predicts from `trainBars + purgeBars`; each next fold moves by `stepBars`.
    /// The last fold predicts what is left when at least one row is left (a shorter final step).
    public static func folds(rows: Int, plan: Plan, labelHorizon: Int) throws(PlanError) -> [Fold] {
        var problems: [String] = []
        if plan.trainBars < 1 { problems.append("training must be at least one bar, got \(plan.trainBars)") }
        if plan.stepBars < 1 { problems.append("the step must be at least one bar, got \(plan.stepBars)") }
        if plan.purgeBars < labelHorizon {
            problems.append("the purge (\(plan.purgeBars) bars) must be at least the label horizon (\(labelHorizon) bars)")
        }
        if rows <= plan.trainBars + plan.purgeBars {
            problems.append("\(rows) rows leave nothing to predict after \(plan.trainBars) training and \(plan.purgeBars) purged bars")
        }
        guard problems.isEmpty else { throw PlanError(problems: problems) }
        var folds: [Fold] = []
        var testStart = plan.trainBars + plan.purgeBars
        while testStart < rows {
            let trainEnd = testStart - plan.purgeBars
            let trainStart = plan.expanding ? 0 : trainEnd - plan.trainBars
            let testEnd = min(rows, testStart + plan.stepBars)
            folds.append(Fold(index: folds.count, train: trainStart..<trainEnd, test: testStart..<testEnd))
            testStart = testEnd
        }
        return folds
    }

    /// Purged, embargoed k-fold cross-validation over `rows` rows in time order (López de Prado):
    /// the rows are cut into `k` contiguous test blocks; each fold trains on every other row except
    /// those whose label window (`t+1 … t+labelHorizon`) reaches into the test block (purge, before
    /// it) and the `embargo` rows right after it (serial correlation leaking backwards).
    public static func purgedKFold(rows: Int, k: Int, labelHorizon: Int, embargo: Int) throws(PlanError) -> [(train: [Range<Int>], test: Range<Int>)] {
        var problems: [String] = []
        if k < 2 { problems.append("cross-validation needs at least 2 folds, got \(k)") }
        if labelHorizon < 0 || embargo < 0 { problems.append("horizon and embargo must be ≥ 0") }
        if rows < k * (labelHorizon + embargo + 2) { problems.append("\(rows) rows are too few for \(k) purged folds") }
        guard problems.isEmpty else { throw PlanError(problems: problems) }
        var result: [(train: [Range<Int>], test: Range<Int>)] = []
        for fold in 0..<k {
            let start = rows * fold / k
            let end = rows * (fold + 1) / k
            var train: [Range<Int>] = []
            let before = max(0, start - labelHorizon)
            if before > 0 { train.append(0..<before) }
            let after = min(rows, end + embargo)
            if after < rows { train.append(after..<rows) }
            result.append((train, start..<end))
        }
        return result
    }
}
