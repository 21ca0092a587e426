import Domain
import Research
import TestKit
import Testing

@Suite struct WalkForwardTests {
    /// The specification's window: 90 days of 5-minute bars, 30 days of training, 7-day steps,
    /// label horizon 4: at least 8 folds, none training on a row whose label reaches its test rows.
    @Test func ninetyDaysWithThirtyDayTrainingAndWeeklyStepsRunsAtLeastEightFolds() throws {
        let perDay = 288
        let plan = WalkForward.Plan.days(train: 30, step: 7, interval: .fiveMinutes, labelHorizon: 4)
        #expect(plan.trainBars == 30 * perDay && plan.stepBars == 7 * perDay && plan.purgeBars == 4)
        let folds = try WalkForward.folds(rows: 90 * perDay, plan: plan, labelHorizon: 4)
        #expect(folds.count >= 8, "\(folds.count) folds")
        for fold in folds {
            // The last training row's label looks at rows up to train.upperBound − 1 + 4.
            #expect(fold.train.upperBound - 1 + 4 < fold.test.lowerBound, "\(fold)")
            #expect(fold.train.count == plan.trainBars)
        }
        // Test blocks tile the rest of the window without overlap.
        for (a, b) in zip(folds, folds.dropFirst()) { #expect(a.test.upperBound == b.test.lowerBound) }
        #expect(folds.last?.test.upperBound == 90 * perDay)
    }

    /// Random plans: every predicted row is predicted once, by a model whose training rows' label
    /// windows all end before it.
    @Test func randomPlansNeverLeakLabelsIntoPredictedRows() throws {
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<500 {
            let horizon = Int.random(in: 1...30, using: &rng)
            let plan = WalkForward.Plan(
                trainBars: Int.random(in: 1...500, using: &rng), stepBars: Int.random(in: 1...200, using: &rng),
                purgeBars: horizon + Int.random(in: 0...5, using: &rng), expanding: Bool.random(using: &rng)
            )
            let rows = plan.trainBars + plan.purgeBars + Int.random(in: 1...2_000, using: &rng)
            let folds = try WalkForward.folds(rows: rows, plan: plan, labelHorizon: horizon)
            var predicted = [Int](repeating: 0, count: rows)
            for fold in folds {
                #expect(fold.train.lowerBound >= 0 && !fold.train.isEmpty)
                for t in fold.test { predicted[t] += 1 }
                // Labels of training rows (t+1…t+h) stay before the first predicted row.
                #expect(fold.train.upperBound - 1 + horizon < fold.test.lowerBound)
            }
            let first = plan.trainBars + plan.purgeBars
            #expect(predicted[first...].allSatisfy { $0 == 1 } && predicted[..<first].allSatisfy { $0 == 0 })
        }
    }

    @Test func refusesPlansThatCannotBeHonest() {
        #expect(throws: WalkForward.PlanError.self) {
            try WalkForward.folds(rows: 1_000, plan: .init(trainBars: 100, stepBars: 10, purgeBars: 2), labelHorizon: 4)
        }
        #expect(throws: WalkForward.PlanError.self) {
            try WalkForward.folds(rows: 100, plan: .init(trainBars: 100, stepBars: 10, purgeBars: 4), labelHorizon: 4)
        }
        do {
            _ = try WalkForward.folds(rows: 1, plan: .init(trainBars: 0, stepBars: 0, purgeBars: 1), labelHorizon: 4)
            Issue.record("accepted an impossible plan")
        } catch {
            #expect(error.problems.count == 4, "\(error.problems)")
        }
    }

    /// Purged k-fold: no training row's label window touches its test block, and the embargo
    /// after the block is left out.
    @Test func purgedKFoldLeavesOutLabelOverlapAndEmbargo() throws {
        var rng = SeededGenerator(seed: 11)
        for _ in 0..<200 {
            let k = Int.random(in: 2...8, using: &rng)
            let h = Int.random(in: 0...12, using: &rng)
            let embargo = Int.random(in: 0...20, using: &rng)
            let rows = k * (h + embargo + 2) + Int.random(in: 0...3_000, using: &rng)
            let folds = try WalkForward.purgedKFold(rows: rows, k: k, labelHorizon: h, embargo: embargo)
            #expect(folds.count == k)
            var tested = [Int](repeating: 0, count: rows)
            for fold in folds {
                for t in fold.test { tested[t] += 1 }
                for range in fold.train {
                    for t in [range.lowerBound, range.upperBound - 1] {
                        #expect(!fold.test.contains(t))
                        if t < fold.test.lowerBound { #expect(t + h < fold.test.lowerBound) }
                        if t >= fold.test.upperBound { #expect(t >= fold.test.upperBound + embargo) }
                    }
                }
                let trainRows = fold.train.reduce(0) { $0 + $1.count }
                #expect(trainRows == rows - fold.test.count - min(h, fold.test.lowerBound) - min(embargo, rows - fold.test.upperBound))
            }
            #expect(tested.allSatisfy { $0 == 1 })
        }
    }
}
