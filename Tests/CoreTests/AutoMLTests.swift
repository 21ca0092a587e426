import Foundation
import Research
import TestKit
import Testing

/// Rows from a known logistic model; the label of row t depends on row t only.
private func data(rows n: Int, seed: UInt64) -> (rows: [[Double]], labels: [Bool]) {
    var rng = SeededGenerator(seed: seed)
    var rows: [[Double]] = []
    var labels: [Bool] = []
    for _ in 0..<n {
        let a = Double.random(in: -1...1, using: &rng), b = Double.random(in: -1...1, using: &rng)
        rows.append([a, b])
        labels.append(Double.random(in: 0..<1, using: &rng) < 1 / (1 + exp(-(3 * a - 2 * b))))
    }
    return (rows, labels)
}

@Suite struct AutoMLTests {
    static let coinFlip = AutoML.Family(name: "constant", defaults: ["p": "0.5"], sample: { _ in ["p": "0.5"] }, fit: { _, _, _ in { _ in 0.5 } })
    struct Refused: Error, CustomStringConvertible { var description: String { "refused on purpose" } }
    static let broken = AutoML.Family(name: "broken", defaults: [:], sample: { _ in [:] }, fit: { _, _, _ in throw Refused() })

    @Test func theInformativeFamilyWinsAndEveryCandidateIsOnTheLeaderboard() throws {
        let d = data(rows: 4_000, seed: 3)
        let board = try AutoML.search(
            rows: d.rows, labels: d.labels, families: [.logisticRegression, Self.coinFlip, Self.broken],
            options: .init(objective: .precisionAtRecall(floor: 0.2), budget: .seconds(60), maxCandidates: 9, folds: 4, labelHorizon: 4)
        )
        #expect(board.entries.count == 9 && board.stoppedBy == "max_candidates")
        #expect(board.winner?.family == "logreg")
        #expect(board.entries.map(\.rank) == Array(1...9))
        // Failures are kept, last, with their reason.
        let failed = board.entries.filter { $0.error != nil }
        #expect(failed.count == 3 && failed.allSatisfy { $0.family == "broken" && $0.error == "refused on purpose" && $0.score == nil })
        #expect(board.entries.suffix(3).allSatisfy { $0.error != nil })
        // The coin flip's precision is the base rate; the model's is well above it.
        let base = Double(d.labels.filter { $0 }.count) / Double(d.labels.count)
        let flip = try #require(board.entries.first { $0.family == "constant" }?.score)
        #expect(abs(flip - base) < 0.03)
        #expect(try #require(board.winner?.score) > base + 0.2)
        #expect(board.csv.split(separator: "\n").count == 10)
    }

    @Test func sameSeedSameLeaderboardAndTheBudgetStopsTheSearch() throws {
        let d = data(rows: 2_000, seed: 5)
        let options = AutoML.Options(objective: .auc, budget: .seconds(60), maxCandidates: 6, folds: 3, labelHorizon: 2, seed: 9)
        let a = try AutoML.search(rows: d.rows, labels: d.labels, families: [.logisticRegression, Self.coinFlip], options: options)
        let b = try AutoML.search(rows: d.rows, labels: d.labels, families: [.logisticRegression, Self.coinFlip], options: options)
        #expect(a.entries.map(\.parameters) == b.entries.map(\.parameters) && a.entries.map(\.score) == b.entries.map(\.score))
        var none = options
        none.budget = .zero
        let stopped = try AutoML.search(rows: d.rows, labels: d.labels, families: [.logisticRegression], options: none)
        #expect(stopped.entries.isEmpty && stopped.stoppedBy == "budget" && stopped.winner == nil)
    }

    @Test func precisionAtRecallOnAHandCheckedRanking() throws {
        // Scores descending: labels T F T F F. Thresholds: top1 (P 1, R 0.5), top2 (0.5, 0.5), top3 (0.667, 1), ...
        let scores = [0.9, 0.8, 0.7, 0.6, 0.5], labels = [true, false, true, false, false]
        let atHalf = try #require(ClassificationMetrics.precisionAtRecall(scores: scores, labels: labels, recallFloor: 0.5))
        #expect(atHalf.precision == 1 && atHalf.recall == 0.5 && atHalf.threshold == 0.9)
        let atFull = try #require(ClassificationMetrics.precisionAtRecall(scores: scores, labels: labels, recallFloor: 0.9))
        #expect(abs(atFull.precision - 2.0 / 3.0) < 1e-15 && atFull.threshold == 0.7)
        // Ties are predicted together.
        let tied = try #require(ClassificationMetrics.precisionAtRecall(scores: [0.5, 0.5, 0.1], labels: [true, false, false], recallFloor: 0.1))
        #expect(tied.precision == 0.5)
        #expect(ClassificationMetrics.precisionAtRecall(scores: [0.1], labels: [false], recallFloor: 0.2) == nil)
    }
}
