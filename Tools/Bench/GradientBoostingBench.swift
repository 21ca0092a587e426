import Foundation
import GradientBoosting
import Research
import TestKit

/// `quorum-bench gbdt`: native evaluation of a 300-tree, 31-leaf binary LightGBM model on 20
/// features (trained here through LightGBM's C API on seeded data), one row and batch, against
/// LightGBM's own `LGBM_BoosterPredictForMat` (one thread) on the same rows.
enum GradientBoostingBench {
    struct Result {
        var trees: Int
        var leaves: Int
        var oneRow: Samples
        var batchNanosecondsPerRow: Double
        var lightGBMOneRow: Samples
        var lightGBMBatchNanosecondsPerRow: Double
        var maxDifference: Double
    }

    static let features = 20

    static func rows(_ count: Int, seed: UInt64) -> [Double] {
        var generator = SeededGenerator(seed: seed)
        return (0..<(count * features)).map { _ in (0..<4).reduce(0.0) { acc, _ in acc + Double.random(in: -1...1, using: &generator) } }
    }

    static func run(batchRows: Int = 100_000, oneRowCalls: Int = 100_000) throws -> Result {
        let trainCount = 20_000
        let x = rows(trainCount, seed: 1)
        var generator = SeededGenerator(seed: 2)
        let y = (0..<trainCount).map { r -> Bool in
            let v = x[r * features] + 0.5 * x[r * features + 1] * x[r * features + 2] - 0.3 * abs(x[r * features + 3])
            return v + Double.random(in: -1...1, using: &generator) > 0
        }
        let trained = try LightGBMTrainer.train(
            rowMajor: x, columnCount: features, labels: y,
            parameters: ["num_iterations": "300", "num_leaves": "31", "learning_rate": "0.05", "min_data_in_leaf": "20"]
        )
        let model = trained.model
        let probe = rows(batchRows, seed: 3)
        let library = try LightGBMLibrary.load()
        let booster = try LightGBMLibrary.Booster(library: library, modelText: trained.text)

        // One row: median and p99 over calls cycling through the probe rows.
        var sink = 0.0
        var one = Samples()
        var lgbmOne = Samples()
        probe.withUnsafeBufferPointer { all in
            for r in 0..<1000 { sink += model.probability(UnsafeBufferPointer(rebasing: all[(r * features)..<((r + 1) * features)])) }
            for i in 0..<oneRowCalls {
                let r = i % batchRows
                let row = UnsafeBufferPointer(rebasing: all[(r * features)..<((r + 1) * features)])
                let start = DispatchTime.now().uptimeNanoseconds
                sink += model.probability(row)
                one.add(Double(DispatchTime.now().uptimeNanoseconds - start))
            }
        }
        var output = [Double](repeating: 0, count: batchRows)
        try probe.withUnsafeBufferPointer { all in
            try output.withUnsafeMutableBufferPointer { out in
                for i in 0..<min(oneRowCalls, 20_000) {
                    let r = i % batchRows
                    let row = UnsafeBufferPointer(rebasing: all[(r * features)..<((r + 1) * features)])
                    let start = DispatchTime.now().uptimeNanoseconds
                    try booster.predict(rows: row, rowCount: 1, columnCount: features, into: UnsafeMutableBufferPointer(rebasing: out[0..<1]))
                    lgbmOne.add(Double(DispatchTime.now().uptimeNanoseconds - start))
                }
            }
        }
        // Batch: all rows, best of 3 (after a warm-up).
        var native = [Double](repeating: 0, count: batchRows)
        let batchNs = probe.withUnsafeBufferPointer { all in
            native.withUnsafeMutableBufferPointer { out in
                model.probabilities(rows: all, rowCount: batchRows, into: out)
                return (0..<3).map { _ in
                    measure { model.probabilities(rows: all, rowCount: batchRows, into: out) }
                }.min()!
            }
        }
        let lgbmNs = try probe.withUnsafeBufferPointer { all in
            try output.withUnsafeMutableBufferPointer { out in
                try (0..<3).map { _ in
                    try measure { try booster.predict(rows: all, rowCount: batchRows, columnCount: features, into: out) }
                }.min()!
            }
        }
        let difference = zip(native, output).map { abs($0 - $1) }.max() ?? .nan
        if sink.isNaN { print("") }
        return Result(
            trees: model.treeCount, leaves: 31, oneRow: one, batchNanosecondsPerRow: batchNs / Double(batchRows),
            lightGBMOneRow: lgbmOne, lightGBMBatchNanosecondsPerRow: lgbmNs / Double(batchRows), maxDifference: difference
        )
    }

    static func measure(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start)
    }
}
