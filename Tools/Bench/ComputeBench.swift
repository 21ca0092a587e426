import CollectorCore
import Domain
import EnsembleCore
import FeatureServiceCore
import Foundation
import PredictorCore
import Research

/// In-process throughput: the FeatureService core over many bars (TA-Lib's batch functions are the
/// baseline), the CSV parser, training, and the whole backtest chain.
enum ComputeBench {
    static let features = DemoStrategy.features

    /// 525,600 bars: the real file's klines repeated, with open times shifted so the series is continuous.
    static func bars(from klines: [Kline], count: Int) -> [Kline] {
        var out: [Kline] = []
        out.reserveCapacity(count)
        let step = klines[0].interval.milliseconds
        var t = klines[0].openTime.milliseconds
        while out.count < count {
            for var k in klines {
                if out.count == count { break }
                k.openTime = Timestamp(milliseconds: t); k.closeTime = Timestamp(milliseconds: t + step - 1)
                out.append(k); t += step
            }
        }
        return out
    }

    /// Median milliseconds of one `FeatureBatch.compute` over every bar (columns built once, outside the timing).
    static func batchMilliseconds(_ bars: [Kline], features: [String], runs: Int, parallel: Bool) throws -> Double {
        let configuration = try FeatureServiceCore.Configuration(features: features)
        let columns = FeatureBatch.Bars(klines: bars)
        let interval = bars[0].interval
        var complete = 0
        let ns = try medianTime(runs: runs) {
            let result = try FeatureBatch.compute(columns, interval: interval, configuration: configuration, parallel: parallel)
            complete += result.complete.count
        }
        precondition(complete > 0)
        return ns / 1e6
    }

    static func featureNanosecondsPerBar(_ bars: [Kline], runs: Int) throws -> Double {
        let configuration = try FeatureServiceCore.Configuration(features: features)
        var vectors = 0
        let ns = try medianTime(runs: runs) {
            var core = FeatureServiceCore(configuration: configuration)
            for bar in bars {
                for output in core.handle(.kline(bar), now: bar.closeTime) { if case .vector = output { vectors += 1 } }
            }
        }
        precondition(vectors > 0)
        return ns / Double(bars.count)
    }
}
