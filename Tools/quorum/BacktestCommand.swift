import ArgumentParser
import CollectorCore
import Domain
import EnsembleCore
import ExecutorCore
import Foundation
import PredictorCore
import Research
import RiskGateCore

/// `quorum backtest`: every core chained in one process over a kline CSV (the same decisions the
/// suite makes over the bus, much faster).
struct BacktestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "backtest", abstract: "Run all cores in one process over recorded klines.")

    @Option(help: "Kline CSV (Binance layout).")
    var data: String = DemoStrategy.sampleFile

    @Option(help: "First UTC day to replay (YYYY-MM-DD), inclusive.")
    var from: String = DemoStrategy.replayFrom

    @Option(help: "UTC day to stop before (YYYY-MM-DD), exclusive.")
    var to: String = DemoStrategy.replayTo

    @Option(help: "Comma-separated feature names.")
    var features: String = DemoStrategy.features.joined(separator: ",")

    @Option(help: "Models and weights: name[:weight],...")
    var models: String = "\(DemoStrategy.modelName):1"

    @Option(help: "Model registry folder.")
    var modelDir: String = "models"

    @Option(help: "Ensemble threshold.")
    var threshold: Double = DemoStrategy.threshold

    @Option(help: "Division equity (quote asset).")
    var equity: String = "1000"

    @Option(help: "Fee per side (fraction).")
    var fee: String = "0.001"

    func run() async throws {
        guard let start = Timestamp(utcDate: from), let end = Timestamp(utcDate: to) else { throw ValidationError("--from/--to must be YYYY-MM-DD") }
        let registry = ModelRegistry(directory: modelDir)
        var loaded: [Model] = []
        var weights: [EnsembleCore.Configuration.Model] = []
        for entry in models.split(separator: ",") {
            let parts = entry.split(separator: ":").map(String.init)
            loaded.append(try registry.load(name: parts[0]))
            weights.append(.init(name: parts[0], weight: parts.count > 1 ? Double(parts[1]) ?? 1 : 1))
        }
        guard let equity = Decimal8(equity), let fee = Decimal8(fee) else { throw ValidationError("--equity and --fee must be decimals") }
        let klines = try KlineCSV.read(path: data, openTimes: start..<end)
        var backtest = try Backtest(configuration: .init(
            features: features.split(separator: ",").map(String.init), models: loaded,
            ensemble: .init(models: weights, threshold: threshold),
            risk: .init(division: .init(equity: equity)), executor: .init(feeRate: fee)
        ))
        let began = Date()
        backtest.run(klines)
        let elapsed = Date().timeIntervalSince(began)
        let r = backtest.result
        print(Summary.backtest(r, equity: equity))
        print(String(format: "backtest: %d klines in %.3f s", r.klines, elapsed))
    }
}

enum Summary {
    static func backtest(_ r: Backtest.Result, equity: Decimal8) -> String {
        let exits = r.exits
        let winRate = exits.isEmpty ? 0 : 100 * Double(r.wins) / Double(exits.count)
        var lines = [
            "klines \(r.klines), vectors \(r.vectors), predictions \(r.predictions), signals \(r.signals.count)",
            "intents \(r.intents.count), denied \(r.denied.count) (\(Dictionary(grouping: r.denied, by: \.reason.rawValue).map { "\($0.key) \($0.value.count)" }.sorted().joined(separator: ", ")))",
            "paper trades \(exits.count): \(r.wins) won, \(exits.count - r.wins) lost, win rate \(String(format: "%.1f", winRate)) %",
            "realized P&L \(r.realizedPnL.compactDescription) USDT on \(equity.compactDescription) (\(String(format: "%+.2f", 100 * r.realizedPnL.doubleValue / equity.doubleValue)) %), fees included",
        ]
        if let state = r.finalState { lines.append("final equity \(state.equity.compactDescription), open positions \(state.openPositions)") }
        return lines.joined(separator: "\n")
    }
}
