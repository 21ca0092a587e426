import ArgumentParser
import CollectorCore
import Domain
import Foundation
import PredictorCore
import Research
import StrategyConfig

// ITB's stages as single commands with CSV interchange. Each file starts with the 11 kline columns
// of Quorum's kline CSV (exact decimals, as read) and adds its own columns:
//   merge    → data.csv          (klines resampled to the config's freq; gaps reported)
//   features → features.csv      (+ one column per train_features name; empty = undefined)
//   labels   → matrix.csv        (+ one column per label: 1, 0, or empty where unknown)
//   predict  → predictions.csv   (+ one column per model: its probability)
//   signals  → signals.csv       (+ trade_score and buy: the vote of the entry models)

/// A stage table: klines plus named Double columns (nil = empty cell).
struct StageTable {
    var klines: [Kline]
    var names: [String]
    var columns: [[Double?]]

    func column(_ name: String) -> [Double?]? { names.firstIndex(of: name).map { columns[$0] } }

    func write(to path: String) throws {
        var text = KlineCSV.header + names.map { "," + $0 }.joined() + "\n"
        text.reserveCapacity(klines.count * (80 + 12 * names.count))
        for (i, kline) in klines.enumerated() {
            text += KlineCSV.line(for: kline)
            for column in columns {
                text += ","
                if let value = column[i] { text += value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)" }
            }
            text += "\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func read(path: String, symbol: String, interval: Interval) throws -> StageTable {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard !lines.isEmpty else { throw CommandFailure("\(path) is empty") }
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let base = KlineCSV.Column.allCases.count
        guard header.count >= base, header.prefix(base).joined(separator: ",") == KlineCSV.header else {
            throw CommandFailure("\(path): expected the kline columns (\(KlineCSV.header)) first")
        }
        let names = Array(header.dropFirst(base))
        var klines: [Kline] = []
        var columns = names.map { _ in [Double?]() }
        for (offset, line) in lines.enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == header.count else { throw CommandFailure("\(path) line \(offset + 2): \(fields.count) fields, header has \(header.count)") }
            do {
                klines.append(try KlineCSV.parseLine(fields.prefix(base).joined(separator: ","), lineNumber: offset + 2, symbol: symbol, interval: interval))
            } catch {
                throw CommandFailure("\(path): \(error)")
            }
            for j in names.indices {
                let cell = fields[base + j]
                if cell.isEmpty { columns[j].append(nil); continue }
                guard let value = Double(cell) else { throw CommandFailure("\(path) line \(offset + 2), column \(names[j]): \"\(cell)\" is not a number") }
                columns[j].append(value)
            }
        }
        return StageTable(klines: klines, names: names, columns: columns)
    }
}

struct Merge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stage 1: the config's klines, resampled to its freq, with the gaps reported (data.csv).")
    @OptionGroup var configOptions: ConfigOptions
    @Option(help: "Output CSV.") var output = "data.csv"

    func run() async throws {
        let (loaded, files) = try configOptions.load()
        let klines = try configOptions.klines(loaded, files)
        let matrix = try ResearchMatrix(klines: klines, features: ["close_SMA_1"])
        for gap in matrix.gaps { print("merge: gap: \(gap)") }
        try StageTable(klines: klines, names: [], columns: []).write(to: output)
        print("merge: \(klines.count) bars, \(matrix.gaps.count) gaps → \(output)")
    }
}

struct Features: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stage 2: the config's train_features on a kline CSV (features.csv).")
    @OptionGroup var configOptions: ConfigOptions
    @Option(help: "Kline or stage CSV (default: the config's data).") var input: String?
    @Option(help: "Output CSV.") var output = "features.csv"

    func run() async throws {
        let (loaded, files) = try configOptions.load()
        let config = loaded.config
        let klines = try input.map { try StageTable.read(path: $0, symbol: config.symbol, interval: config.interval).klines } ?? configOptions.klines(loaded, files)
        let flow = try configOptions.orderFlowBars(loaded, files)?.bars
        let matrix = try ResearchMatrix(klines: klines, features: config.trainFeatures, orderFlow: flow)
        // Order-flow cells are empty where the bar had no valid book (never zero).
        let columns = try matrix.columns(of: config.trainFeatures).get().map { j in
            matrix.rows.map { row in row.flatMap { j >= matrix.taFeatureCount && !$0[j].isFinite ? nil : $0[j] } }
        }
        try StageTable(klines: klines, names: config.trainFeatures, columns: columns).write(to: output)
        print("features: \(matrix.featureRows) of \(klines.count) rows have every feature; \(matrix.gaps.count) gaps restart the indicators → \(output)")
    }
}

struct Labels: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stage 3: the config's labels added to a features CSV (matrix.csv).")
    @OptionGroup var configOptions: ConfigOptions
    @Option(help: "Features CSV (stage 2).") var input = "features.csv"
    @Option(help: "Output CSV.") var output = "matrix.csv"

    func run() async throws {
        let (loaded, _) = try configOptions.load(quiet: true)
        var table = try StageTable.read(path: input, symbol: loaded.config.symbol, interval: loaded.config.interval)
        for name in loaded.config.labels {
            let label = try HighLowLabel(parsing: name)
            let values = label.labels(for: table.klines)
            table.names.append(name)
            table.columns.append(values.map { $0.map { $0 ? 1 : 0 } })
            let known = values.compactMap { $0 }
            print("labels: \(name): \(known.filter { $0 }.count) positive of \(known.count) rows (the last \(label.horizon) rows and rows whose horizon crosses a gap have none)")
        }
        try table.write(to: output)
        print("labels: → \(output)")
    }
}

struct Predict: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stage 5: a registry model's probabilities for the rows of a features CSV.")
    @Option(help: "Model folder: models/<name>/<version>, or models/<name> for its latest version.") var model: String
    @Option(help: "Features (or matrix) CSV.") var input = "features.csv"
    @Option(help: "Output CSV.") var output = "predictions.csv"

    func run() async throws {
        let loaded = try Self.loadModel(model)
        let table0 = try StageTable.read(path: input, symbol: loaded.metadata.symbols.first ?? "", interval: loaded.metadata.interval)
        var table = table0
        var indices: [Int] = []
        for name in loaded.features {
            guard let index = table.names.firstIndex(of: name) else {
                throw CommandFailure("\(input) has no column \(name), which \(loaded.name) needs (features: \(loaded.features.joined(separator: ", ")))")
            }
            indices.append(index)
        }
        var predicted = 0
        let probabilities: [Double?] = table.klines.indices.map { row in
            var x: [Double] = []
            for j in indices { guard let v = table0.columns[j][row] else { return nil }; x.append(v) }
            predicted += 1
            return loaded.probability(x)
        }
        table.names.append(loaded.name)
        table.columns.append(probabilities)
        try table.write(to: output)
        print("predict: \(loaded.name) version \(loaded.version): \(predicted) rows predicted → \(output)")
    }

    static func loadModel(_ path: String) throws -> Model {
        let metadata = path + "/" + ModelRegistry.metadataFileName
        if FileManager.default.fileExists(atPath: metadata) { return try ModelRegistry.load(metadataAt: metadata) }
        let url = URL(fileURLWithPath: path)
        return try ModelRegistry(directory: url.deletingLastPathComponent().path).load(name: url.lastPathComponent)
    }
}

struct Signals: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stage 6: the vote of the entry (high_) models in a predictions CSV: trade_score and buy (signals.csv).")
    @OptionGroup var configOptions: ConfigOptions
    @Option(help: "Predictions CSV (stage 5, one column per model).") var input = "predictions.csv"
    @Option(help: "Output CSV.") var output = "signals.csv"
    @Option(help: "Entry threshold of the vote (strictly above).") var threshold = 0.6
    @Flag(help: "ITB's combine: trade_score = p(high) − p(low), buy when ≥ the threshold.") var itb = false

    func run() async throws {
        let (loaded, _) = try configOptions.load(quiet: true)
        var table = try StageTable.read(path: input, symbol: loaded.config.symbol, interval: loaded.config.interval)
        let highs = table.names.enumerated().filter { $0.element.contains("-high_") }.map(\.offset)
        let lows = table.names.enumerated().filter { $0.element.contains("-low_") }.map(\.offset)
        guard !highs.isEmpty else { throw CommandFailure("\(input) has no prediction column of a high_ model (<algo>-high_TTT_H)") }
        func mean(_ indices: [Int], _ row: Int) -> Double? {
            var sum = 0.0
            for j in indices { guard let v = table.columns[j][row] else { return nil }; sum += v }
            return sum / Double(indices.count)
        }
        var score: [Double?] = []
        var buy: [Double?] = []
        for row in table.klines.indices {
            guard let up = mean(highs, row) else { score.append(nil); buy.append(nil); continue }
            if itb {
                guard let down = lows.isEmpty ? 0 : mean(lows, row) else { score.append(nil); buy.append(nil); continue }
                score.append(up - down)
                buy.append(up - down >= threshold ? 1 : 0)
            } else {
                score.append(up)
                buy.append(up > threshold ? 1 : 0)
            }
        }
        table.names += ["trade_score", "buy"]
        table.columns += [score, buy]
        try table.write(to: output)
        print("signals: \(buy.filter { $0 == 1 }.count) buy signals in \(buy.compactMap { $0 }.count) scored rows → \(output)")
    }
}
