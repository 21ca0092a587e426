import Foundation

/// Scores of a probabilistic binary classifier.
public enum ClassificationMetrics {
    /// Area under the ROC curve (Mann–Whitney, tied scores get their average rank); nil without both classes.
    public static func auc(scores: [Double], labels: [Bool]) -> Double? {
        precondition(scores.count == labels.count, "scores and labels differ in length")
        let positives = labels.reduce(0) { $0 + ($1 ? 1 : 0) }
        let negatives = labels.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        var rankSum = 0.0
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && scores[order[end]] == scores[order[start]] { end += 1 }
            let averageRank = Double(start + 1 + end) / 2 // ranks start+1 … end
            for k in start..<end where labels[order[k]] { rankSum += averageRank }
            start = end
        }
        let p = Double(positives), n = Double(negatives)
        return (rankSum - p * (p + 1) / 2) / (p * n)
    }

    /// Mean log-loss, probabilities clipped to [1e-15, 1 − 1e-15]; nil for no rows.
    public static func logLoss(probabilities: [Double], labels: [Bool]) -> Double? {
        precondition(probabilities.count == labels.count, "probabilities and labels differ in length")
        guard !labels.isEmpty else { return nil }
        var total = 0.0
        for (p, y) in zip(probabilities, labels) {
            let q = min(max(p, 1e-15), 1 - 1e-15)
            total -= y ? log(q) : log(1 - q)
        }
        return total / Double(labels.count)
    }

    /// The best precision among the decision thresholds whose recall is at least `recallFloor`
    /// (Vertex AI's `maximize-precision-at-recall` objective): rows are ranked by score, and a
    /// threshold is only placed between distinct scores (tied rows are predicted together).
    /// nil without a positive row.
    public static func precisionAtRecall(scores: [Double], labels: [Bool], recallFloor: Double) -> (precision: Double, recall: Double, threshold: Double)? {
        precondition(scores.count == labels.count, "scores and labels differ in length")
        let positives = labels.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard positives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        var best: (precision: Double, recall: Double, threshold: Double)?
        var truePositives = 0
        var predicted = 0
        var start = 0
        while start < order.count {
            var end = start
            let score = scores[order[start]]
            while end < order.count && scores[order[end]] == score {
                if labels[order[end]] { truePositives += 1 }
                end += 1
            }
            predicted = end
            let recall = Double(truePositives) / Double(positives)
            let precision = Double(truePositives) / Double(predicted)
            if recall >= recallFloor, best.map({ precision > $0.precision }) ?? true {
                best = (precision, recall, score)
            }
            start = end
        }
        return best
    }
}
