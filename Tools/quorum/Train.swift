import ArgumentParser
import Bus
import CollectorCore
import Domain
import Foundation
import PredictorCore
import Research

/// `quorum train`: trains a logistic regression natively (IRLS, L2, standardized features) on a kline
/// CSV with an ITB high/low label and writes models/<name>/<version>/.
struct Train: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Train a logistic-regression model and write it to the model registry.")

    @Option(help: "Kline CSV (Binance layout); symbol and interval come from its name unless given.")
    var data: String = DemoStrategy.sampleFile

    @Option(help: "Symbol of the series (default: from the file name).")
    var symbol: String?

    @Option(help: "Interval of the series (default: from the file name).")
    var interval: String?

    @Option(help: "First UTC day of training rows (YYYY-MM-DD), inclusive.")
    var from: String = DemoStrategy.trainFrom

    @Option(help: "UTC day training stops before (YYYY-MM-DD), exclusive; no label looks past it.")
    var to: String = DemoStrategy.trainTo

    @Option(help: "Comma-separated feature names (ITB naming).")
    var features: String = DemoStrategy.features.joined(separator: ",")

    @Option(help: "Label name: high_TTT_H or low_TTT_H (TTT in hundredths of a percent, H bars).")
    var label: String = DemoStrategy.label

    @Option(help: "Label tolerance τ (fraction of the threshold) for ITB's stop condition; omit for none.")
    var tolerance: Double?

    @Option(name: .customLong("C"), help: "Inverse L2 regularization strength, as scikit-learn's C.")
    var regularization: Double = 1.0

    @Option(help: "Model registry folder.")
    var models: String = "models"

    @Option(help: "Registry name (default logreg-<label>).")
    var name: String?

    @Option(help: "Version (default: the end of the training range, e.g. 20240801T000000Z).")
    var version: String?

    @Flag(help: "Replace an existing model version.")
    var overwrite = false

    @Flag(help: "Do nothing when this model name already has a version (for the demo's first run).")
    var ifAbsent = false

    func run() async throws {
        let modelName = name ?? "logreg-\(label)"
        let registry = ModelRegistry(directory: models)
        if ifAbsent, let versions = try? registry.versions(of: modelName), !versions.isEmpty {
            print("train: \(modelName) already has version \(versions.last!), nothing to do")
            return
        }
        guard let start = Timestamp(utcDate: from) else { throw ValidationError("--from \(from) is not YYYY-MM-DD") }
        guard let end = Timestamp(utcDate: to) else { throw ValidationError("--to \(to) is not YYYY-MM-DD") }
        guard start < end else { throw ValidationError("--from must be before --to") }
        var parsedInterval: Interval? = nil
        if let interval {
            guard let value = Interval(interval) else { throw ValidationError("--interval \(interval) is not a Binance interval") }
            parsedInterval = value
        }
        let began = WallClock.monotonicNanoseconds()
        let klines = try KlineCSV.read(path: data, symbol: symbol, interval: parsedInterval, openTimes: Timestamp(nanoseconds: .min)..<end)
        let featureNames = features.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let model = try ModelTraining.trainLogisticRegression(
            klines: klines, features: featureNames, label: label, labelTolerance: tolerance, range: start..<end,
            options: .init(C: regularization), name: modelName, version: version ?? ModelTraining.compactVersion(end),
            created: WallClock.now(), source: data
        )
        let path = try registry.write(model, overwrite: overwrite)
        let seconds = Double(WallClock.monotonicNanoseconds() - began) / 1e9
        let t = model.metadata.training
        print("train: wrote \(path)")
        print("train: \(model.metadata.name) version \(model.metadata.version): rows \(t?.rows ?? 0), positives \(t?.positives ?? 0), in-sample AUC \(String(format: "%.4f", t?.auc ?? .nan)), log-loss \(String(format: "%.4f", t?.logLoss ?? .nan)), \(String(format: "%.2f", seconds)) s")
    }
}
