import Foundation

/// Latency samples in nanoseconds and their order statistics.
struct Samples {
    var values: [Double] = []

    mutating func add(_ nanoseconds: Double) { values.append(nanoseconds) }

    func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let rank = min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1))
        return sorted[rank]
    }

    var median: Double { percentile(50) }
    var count: Int { values.count }
}

func microseconds(_ ns: Double) -> String { String(format: "%.1f µs", ns / 1000) }
func milliseconds(_ ns: Double) -> String { String(format: "%.3f ms", ns / 1e6) }

/// Runs `body` `runs` times and returns the median wall time in nanoseconds.
func medianTime(runs: Int, _ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start))
    }
    return times.sorted()[times.count / 2]
}
