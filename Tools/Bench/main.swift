import CollectorCore
import Domain
import Foundation
import PredictorCore
import Research
import TestKit

// quorum-bench [all|bus|pipeline|compute|book|orderflow|features|gbdt|decisions|executor]: the hot paths, measured; `make bench` runs it on the
// release build and docs/BENCHMARKS.md records the figures with this command.
let arguments = Array(CommandLine.arguments.dropFirst())
let which = arguments.first ?? "all"
let environment = ProcessInfo.processInfo.environment
let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
let root = RepositoryPaths.root
let sample = root.appendingPathComponent("data/sample/BTCUSDT-5m-2024-07-08.csv").path
let fullFile = RepositoryPaths.shared?.appendingPathComponent("data/klines/BTCUSDT-5m.csv").path
func line(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }

line("# quorum-bench \(which) — \(ProcessInfo.processInfo.processorCount) cores, \(Timestamp(nanoseconds: Int64(Date().timeIntervalSince1970 * 1e9)))")

if which == "all" || which == "bus" {
    let messages = Int(environment["BENCH_BUS_MESSAGES"] ?? "") ?? 20_000
    var raws: [Samples] = [], ours: [Samples] = []
    var bytes = 0
    for _ in 0..<3 {
        let result = try await BusHopBench.run(messages: messages)
        raws.append(result.raw); ours.append(result.ours); bytes = result.bytes
    }
    let raw = Samples(values: raws.flatMap(\.values)), our = Samples(values: ours.flatMap(\.values))
    line("\n## One bus hop (\(bytes)-byte envelope, \(messages) messages × 3 runs, one in flight)")
    line("| path | median | p90 | p99 |")
    line("|---|---|---|---|")
    line("| raw libzmq PUB → zmq_proxy_steerable → SUB (same thread) | \(microseconds(raw.median)) | \(microseconds(raw.percentile(90))) | \(microseconds(raw.percentile(99))) |")
    line("| Quorum BusPublisher → BusProxy → BusSubscriber thread → AsyncStream → consumer on that thread (task executor) → Envelope.decode | \(microseconds(our.median)) | \(microseconds(our.percentile(90))) | \(microseconds(our.percentile(99))) |")
    line(String(format: "| ratio ours / raw | %.2f× | %.2f× | %.2f× |", our.median / raw.median, our.percentile(90) / raw.percentile(90), our.percentile(99) / raw.percentile(99)))
}

if which == "all" || which == "compute" {
    let source = fullFile ?? sample
    let klines = try KlineCSV.read(path: source)
    let parse = medianTime(runs: 5) { _ = try? KlineCSV.read(path: source) }
    let bars = ComputeBench.bars(from: klines, count: 525_600)
    let perBar = try ComputeBench.featureNanosecondsPerBar(bars, runs: 5)
    line("\n## Compute (\(URL(fileURLWithPath: source).lastPathComponent), \(klines.count) rows)")
    line("| what | median | baseline (BASELINES.md) |")
    line("|---|---|---|")
    line("| parse the kline CSV, exact decimals | \(milliseconds(parse)) (\(String(format: "%.0f", parse / Double(klines.count))) ns/row) | — |")
    line(String(format: "| FeatureServiceCore, SMA 3/6/12 + RSI 14 + ATR 14, incremental, 525,600 bars | %.1f ms (%.0f ns/bar) | TA-Lib batch 6.8 ms (13 ns/bar) |", perBar * 525_600 / 1e6, perBar))
    let trainStart = DispatchTime.now().uptimeNanoseconds
    let model = try ModelTraining.trainLogisticRegression(
        klines: klines, features: ComputeBench.features, label: DemoStrategy.label,
        range: klines.first!.openTime..<klines.last!.openTime, version: "bench", created: .zero, maxInterpolatedGap: 288
    )
    let trainNs = Double(DispatchTime.now().uptimeNanoseconds - trainStart)
    line("| features + label + logistic regression (IRLS) on every row | \(milliseconds(trainNs)) (\(model.metadata.training?.rows ?? 0) rows) | ITB: labels 8.8 s + train 12 s |")
    let backtestNs = try medianTime(runs: 3) {
        var backtest = try Backtest(configuration: .init(
            features: ComputeBench.features, models: [model], ensemble: .init(models: [.init(name: model.metadata.name)], threshold: 0.6),
            risk: .init(), executor: .init()
        ))
        backtest.run(klines)
    }
    line("| backtest: every core chained in process over every row | \(milliseconds(backtestNs)) (\(String(format: "%.0f", backtestNs / Double(klines.count))) ns/bar) | ITB whole pipeline 31.9 s |")
}

if which == "all" || which == "features" {
    // Issue §8: SMA 3/6/12 + RSI 14 + ATR 14 over 525,600 bars, batch, against TA-Lib measured now.
    let source = fullFile ?? sample
    let klines = try KlineCSV.read(path: source)
    let bars = ComputeBench.bars(from: klines, count: 525_600)
    let batch = try ComputeBench.batchMilliseconds(bars, features: ComputeBench.features, runs: 11, parallel: false)
    let threads = ProcessInfo.processInfo.activeProcessorCount
    let parallelBatch = try ComputeBench.batchMilliseconds(bars, features: ComputeBench.features, runs: 11, parallel: true)
    let perBar = try ComputeBench.featureNanosecondsPerBar(bars, runs: 5)
    line("\n## Features (\(URL(fileURLWithPath: source).lastPathComponent) repeated to 525,600 bars; \(ComputeBench.features.joined(separator: ", ")))")
    line("| what | median |")
    line("|---|---|")
    line(String(format: "| FeatureBatch.compute, one thread (whole columns, gap checks included) | %.2f ms (%.1f ns/bar) |", batch, batch * 1e6 / 525_600))
    line(String(format: "| FeatureBatch.compute, columns on %d threads (the default for large inputs) | %.2f ms (%.1f ns/bar) |", threads, parallelBatch, parallelBatch * 1e6 / 525_600))
    line(String(format: "| FeatureServiceCore streaming, one vector per bar | %.1f ms (%.0f ns/bar) |", perBar * 525_600 / 1e6, perBar))
    if let talib = TALibBench.milliseconds(root: root, csv: source, bars: 525_600) {
        line(String(format: "| TA-Lib 0.8.2 from Python, same five functions, same bars, this run | %.2f ms (%.1f ns/bar) |", talib, talib * 1e6 / 525_600))
        line(String(format: "| ratio batch / TA-Lib, one thread | %.2f× |", batch / talib))
        line(String(format: "| ratio batch / TA-Lib, %d threads (TA-Lib: one) | %.2f× |", threads, parallelBatch / talib))
    } else {
        line("| TA-Lib | not measured: `python3 -c \"import talib\"` fails (pip install TA-Lib==0.8.2 numpy) |")
    }
    // Labels over 525,600 rows: the file's bars, cycled onto a gap-free 5-minute raster.
    let rows = 525_600
    let t0 = klines[0].openTime.milliseconds
    let cycled: [Kline] = (0..<rows).map { i in
        var k = klines[i % klines.count]
        k.openTime = Timestamp(milliseconds: t0 + Int64(i) * 300_000)
        k.closeTime = k.openTime.adding(milliseconds: 299_999)
        return k
    }
    let high = try HighLowLabel(parsing: "high_030_4"), low = try HighLowLabel(parsing: "low_030_4")
    let labelMs = medianTime(runs: 7) { _ = high.labels(for: cycled); _ = low.labels(for: cycled) } / 2e6
    line(String(format: "| labels high_030_4 (and low_030_4, each), 525,600 rows, exact decimals | %.1f ms per label (target ≤ 50 ms; ITB 5–9 s) |", labelMs))
}

if which == "research" {
    // `quorum pipeline`'s work on the real BTCUSDT 5m file with the specification's BTCUSDT config.
    for text in try ResearchBench.run(root: root) { line(text) }
}

if which == "all" || which == "book" {
    for text in try BookBench.run() { line(text) }
}

if which == "all" || which == "orderflow" {
    for text in try OrderFlowBench.run() { line(text) }
}

if which == "all" || which == "pipeline" {
    let speed = Double(environment["BENCH_REPLAY_SPEED"] ?? "") ?? 30
    let to = environment["BENCH_REPLAY_TO"] ?? "2024-09-01"
    let result = try await PipelineBench.run(bin: bin, data: sample, from: "2024-08-01", to: to, speed: speed)
    line("\n## Pipeline over the bus (release executables, replay of BTCUSDT 5m from 2024-08-01 to \(to) at \(Int(speed)) bars/s, \(result.klines) klines, \(String(format: "%.0f", result.replaySeconds)) s)")
    line("| path (Collector ts_publish → ts_publish, same trace id) | samples | p50 | p90 | p99 |")
    line("|---|---|---|---|---|")
    for (name, s) in [("kline → feature vector", result.klineToFeatures), ("kline → signal", result.klineToSignal), ("kline → intent", result.klineToIntent), ("kline → risk decision (intent or denial)", result.klineToDecision)] {
        line("| \(name) | \(s.count) | \(milliseconds(s.median)) | \(milliseconds(s.percentile(90))) | \(milliseconds(s.percentile(99))) |")
    }
    line("\n| service | VmRSS at the end | PSS | private (not shared with other processes) |")
    line("|---|---|---|---|")
    for (name, kib) in result.rssKiB {
        line(String(format: "| %@ | %.1f MiB | %.1f MiB | %.1f MiB |", name, Double(kib) / 1024, Double(result.pssKiB[name] ?? -1) / 1024, Double(result.privateKiB[name] ?? -1) / 1024))
    }
}

if which == "all" || which == "decisions" {
    var runs: [Samples] = []
    var signals = 0
    for _ in 0..<3 {
        let result = DecisionBench.ensemble(bars: 50_000)
        runs.append(result.samples); signals = result.signals
    }
    let all = Samples(values: runs.flatMap(\.values))
    line("\n## Decisions per message (50,000 bars × 2 symbols × (5 predictions + 1 vector) × 3 runs)")
    line("| core | median | p99 | notes |")
    line("|---|---|---|---|")
    line("| EnsembleCore.handle, route_then_vote, 2 divisions, a veto model, σ from BTCUSDT | \(String(format: "%.0f ns", all.median)) | \(String(format: "%.0f ns", all.percentile(99))) | \(signals) signals per run |")
    let klines = try KlineCSV.read(path: sample, openTimes: Timestamp(utcDate: "2024-08-01")!..<Timestamp(utcDate: "2024-09-01")!)
    var signalRuns: [Samples] = [], otherRuns: [Samples] = []
    var issued = 0, refused = 0
    for _ in 0..<3 {
        let result = DecisionBench.riskGate(klines: klines)
        signalRuns.append(result.signals); otherRuns.append(result.others); issued = result.intents; refused = result.denied
    }
    let signalTimes = Samples(values: signalRuns.flatMap(\.values)), otherTimes = Samples(values: otherRuns.flatMap(\.values))
    line("| RiskGateCore.handle(signal): presets (2 divisions, every breaker), an entry signal on each of \(klines.count) August 2024 BTCUSDT 5m bars × 3 runs | \(String(format: "%.0f ns", signalTimes.median)) | \(String(format: "%.0f ns", signalTimes.percentile(99))) | \(issued) intents, \(refused) denied per run |")
    line("| RiskGateCore.handle(ack, report, watermark) of the paper fills | \(String(format: "%.0f ns", otherTimes.median)) | \(String(format: "%.0f ns", otherTimes.percentile(99))) | \(otherTimes.values.count / 3) messages per run |")
}

if which == "all" || which == "executor" {
    let intents = Int(environment["BENCH_EXECUTOR_INTENTS"] ?? "") ?? 500
    let result = try await ExecutorBench.run(bin: bin, sample: sample, intents: intents)
    line("\n## Executor, live mode against the exchange simulator (\(intents) intents, one at a time, MARKET entries; \(_isDebugAssertConfiguration() ? "DEBUG build" : "release build"))")
    line("| path | samples | median | p99 |")
    line("|---|---|---|---|")
    line("| intent received → order request sent (in the Executor: decode, journal intent, build + journal order with fsync) | \(result.intentToSend.count) | \(microseconds(result.intentToSend.median)) | \(microseconds(result.intentToSend.percentile(99))) |")
    line("| intent published → ack received (bus hops, the above, the simulator's answer, journal update) | \(result.publishToAck.count) | \(microseconds(result.publishToAck.median)) | \(microseconds(result.publishToAck.percentile(99))) |")
}

if which == "all" || which == "gbdt" {
    let result = try GradientBoostingBench.run()
    line("\n## LightGBM model evaluation (\(result.trees) trees × \(result.leaves) leaves, \(GradientBoostingBench.features) features, binary; one thread)")
    line("| path | one row median | one row p99 | batch (100k rows) per row |")
    line("|---|---|---|---|")
    line(String(format: "| native Swift evaluator (GradientBoosting.LightGBMModel) | %.2f µs | %.2f µs | %.2f µs |",
                result.oneRow.median / 1000, result.oneRow.percentile(99) / 1000, result.batchNanosecondsPerRow / 1000))
    line(String(format: "| LightGBM 4.7 C API LGBM_BoosterPredictForMat (num_threads=1) | %.2f µs | %.2f µs | %.2f µs |",
                result.lightGBMOneRow.median / 1000, result.lightGBMOneRow.percentile(99) / 1000, result.lightGBMBatchNanosecondsPerRow / 1000))
    line(String(format: "| ratio LightGBM / native | %.1f× | %.1f× | %.1f× |",
                result.lightGBMOneRow.median / result.oneRow.median, result.lightGBMOneRow.percentile(99) / result.oneRow.percentile(99),
                result.lightGBMBatchNanosecondsPerRow / result.batchNanosecondsPerRow))
    line(String(format: "| targets (issue) | ≤ 8 µs | — | ≤ 4.5 µs (lleaves), stretch 3 µs |"))
    line("max |native − LightGBM| over the batch: \(result.maxDifference)")
}
