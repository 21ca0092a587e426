import Binance
import Capture
import Domain
import Foundation
import OrderBook
import OrderFlow
import TestKit

/// The order-flow aggregator's per-event cost on real data (quorum-bench `orderflow`): every
/// depthUpdate and trade of the hftbacktest spot captures (2024-08-08 then 08-09), synced by
/// `BookSynchronizer` beforehand; then each `OrderFlowAggregator.handle` is timed on its own (a diff:
/// time-weighting, apply to the aggregator's own book, every book measure; a trade: the trade sums),
/// with 10 s bars. Decoding is not included (see `book`).
enum OrderFlowBench {
    static func events(_ files: [String]) throws -> (snapshot: DepthSnapshot, inputs: [OrderFlowAggregator.Input]) {
        var sync: BookSynchronizer?
        var snapshot: DepthSnapshot?
        var inputs: [OrderFlowAggregator.Input] = []
        for record in try CaptureReader(files: files, format: .hftbacktest) {
            if record.kind == .snapshot, snapshot == nil, case .snapshot(let s)? = try CaptureDecoder.input(record) {
                snapshot = s
                if sync == nil { sync = BookSynchronizer(symbol: s.symbol) }
                for output in sync!.handle(.snapshot(s)) { if case .applied(let u, _) = output { inputs.append(.depth(u)) } }
                continue
            }
            guard record.kind == .stream else { continue }
            switch try BinanceDecoder.combined(record.payload).event {
            case .depthUpdate(let u):
                if sync == nil { sync = BookSynchronizer(symbol: u.symbol) }
                for output in sync!.handle(.diff(u)) { if case .applied(let u, _) = output { inputs.append(.depth(u)) } }
            case .trade(let t), .aggTrade(let t):
                inputs.append(.trade(t))
            default:
                break
            }
        }
        guard let snapshot else { throw CaptureError.invalidRecord("no snapshot in \(files)") }
        return (snapshot, inputs)
    }

    static func run(runs: Int = 5) throws -> [String] {
        guard let root = RepositoryPaths.shared?.appendingPathComponent("data/orderbook/hftbacktest/spot") else {
            return ["\n(order-flow bench skipped: ../shared is absent)"]
        }
        var out = ["\n## Order-flow aggregation (OrderFlowAggregator, 10 s bars, every synced diff and trade, \(runs) passes)"]
        out.append("| capture | diffs | trades | diff median | diff p99 | trade median | bars |")
        out.append("|---|---|---|---|---|---|---|")
        for symbol in ["btcusdt", "ethusdt"] {
            let files = ["\(symbol)_20240808.gz", "\(symbol)_20240809.gz"].map { root.appendingPathComponent($0).path }
            let (snapshot, inputs) = try events(files)
            var diffs = Samples(), trades = Samples()
            var bars: [OrderFlowBar] = []
            let configuration = try OrderFlowConfiguration(freq: "10s")
            for _ in 0..<runs {
                var aggregator = OrderFlowAggregator(symbol: snapshot.symbol, configuration: configuration)
                aggregator.load(snapshot)
                bars.removeAll(keepingCapacity: true)
                for input in inputs {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    aggregator.handle(input, into: &bars)
                    let t1 = DispatchTime.now().uptimeNanoseconds
                    if case .depth = input { diffs.add(Double(t1 - t0)) } else { trades.add(Double(t1 - t0)) }
                }
            }
            out.append(String(
                format: "| %@ 08-08 + 08-09 | %d | %d | %.2f µs | %.2f µs | %.0f ns | %d |",
                symbol.uppercased(), diffs.values.count / runs, trades.values.count / runs,
                diffs.median / 1000, diffs.percentile(99) / 1000, trades.median, bars.count
            ))
        }
        return out
    }
}
