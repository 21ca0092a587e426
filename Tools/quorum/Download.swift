import ArgumentParser
import Binance
import BinanceClient
import CollectorCore
import Domain
import Foundation
import Logging

/// Options naming the Binance endpoints a command talks to.
struct BinanceOptions: ParsableArguments {
    @Option(help: "Binance endpoints: production, testnet, sim:<port>, sim:<host>:<port>, or '<rest-url>|<ws-url>'.")
    var binance: String = "production"

    func validate() throws { _ = try endpoints() }

    func endpoints() throws -> BinanceEndpoints {
        guard let endpoints = BinanceEndpoints(named: binance) else {
            throw ValidationError("--binance \"\(binance)\": expected production, testnet, sim:<port>, sim:<host>:<port> or '<rest-url>|<ws-url>'")
        }
        return endpoints
    }
}

/// `quorum download`: every closed kline of a symbol and interval into Quorum's kline CSV,
/// resumable (an existing file is continued after its last row), with progress.
struct Download: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Download klines from Binance (or the simulator) into a kline CSV, resumably.")

    @Option(help: "Symbol, as Binance writes it (BTCUSDT).")
    var symbol: String

    @Option(help: "Kline interval (1m, 5m, 1h...).")
    var interval: String

    @Option(help: "First UTC day (YYYY-MM-DD), inclusive.")
    var from: String

    @Option(help: "UTC day to stop before (YYYY-MM-DD), exclusive; default: up to the last closed kline.")
    var to: String?

    @Option(help: "Output CSV (the header and 11 columns of Quorum's kline CSV).")
    var out: String

    @OptionGroup var binanceOptions: BinanceOptions

    @Flag(help: "Print no progress.")
    var quiet = false

    func validate() throws {
        var problems: [String] = []
        if Interval(interval) == nil { problems.append("--interval \"\(interval)\" is not a Binance interval") }
        if Timestamp(utcDate: from) == nil { problems.append("--from \"\(from)\" is not a YYYY-MM-DD date") }
        if let to, Timestamp(utcDate: to) == nil { problems.append("--to \"\(to)\" is not a YYYY-MM-DD date") }
        if let f = Timestamp(utcDate: from), let to, let t = Timestamp(utcDate: to), f >= t { problems.append("--from must be before --to") }
        if symbol.isEmpty || symbol.uppercased() != symbol { problems.append("--symbol \"\(symbol)\" must be uppercase, as Binance writes it") }
        if out.hasSuffix(".sqlite") || out.hasSuffix(".db") { problems.append("--out: SQLite output is written by the Collector's store; download writes CSV") }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    func run() async throws {
        let interval = Interval(interval)!
        var start = Timestamp(utcDate: from)!
        let end = to.flatMap { Timestamp(utcDate: $0) }
        let url = URL(fileURLWithPath: out)

        // Resume: continue after the last row of an existing file (whose rows are validated).
        var existing = 0
        if FileManager.default.fileExists(atPath: out) {
            let rows = try KlineCSV.read(path: out, symbol: symbol, interval: interval)
            existing = rows.count
            if let last = rows.last {
                start = max(start, last.openTime.adding(milliseconds: interval.milliseconds))
                if !quiet { FileHandle.standardError.write(Data("resuming \(out) after \(rows.count) rows (last open time \(last.openTime))\n".utf8)) }
            }
        } else {
            try Data((KlineCSV.header + "\n").utf8).write(to: url)
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()

        var logger = Logger(label: "quorum.download")
        logger.logLevel = .warning
        let client = BinanceRESTClient(endpoints: try binanceOptions.endpoints(), logger: logger)
        do {
            try await fetch(client: client, handle: handle, start: start, end: end, existing: existing, interval: interval)
            await client.shutdown()
        } catch {
            await client.shutdown()
            throw error
        }
    }

    func fetch(client: BinanceRESTClient, handle: FileHandle, start: Timestamp, end: Timestamp?, existing: Int, interval: Interval) async throws {
        try await client.synchronizeClock()
        let last = end ?? client.estimatedServerTime()
        let expected = max(0, Int((last.milliseconds - start.milliseconds) / interval.milliseconds))
        let progress = Progress(total: expected, quiet: quiet)
        var written = 0
        var previous: Timestamp?
        var gaps = 0
        try await client.allKlines(symbol: symbol, interval: interval, from: start, to: end) { page in
            var text = ""
            for kline in page {
                if let previous, kline.openTime != previous.adding(milliseconds: interval.milliseconds) { gaps += 1 }
                previous = kline.openTime
                text += KlineCSV.line(for: kline) + "\n"
            }
            // Each page is appended and flushed before the next is requested: an interrupted
            // download resumes after the last complete page.
            try handle.write(contentsOf: Data(text.utf8))
            try handle.synchronize()
            written += page.count
            progress.update(written)
        }
        progress.finish(written)
        print("\(out): \(written) klines written (\(existing) already present), \(gaps) gap(s) in the source")
    }
}

/// A one-line progress bar on stderr (a line per 10 % when stderr is not a terminal).
final class Progress {
    let total: Int
    let quiet: Bool
    let isTerminal = isatty(FileHandle.standardError.fileDescriptor) != 0
    var lastDecile = -1

    init(total: Int, quiet: Bool) {
        self.total = total
        self.quiet = quiet
    }

    func update(_ done: Int) {
        guard !quiet else { return }
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        if isTerminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            FileHandle.standardError.write(Data("\r[\(bar)] \(Int(fraction * 100))% \(done)/\(total)".utf8))
        } else {
            let decile = Int(fraction * 10)
            if decile > lastDecile {
                lastDecile = decile
                FileHandle.standardError.write(Data("\(decile * 10)% \(done)/\(total)\n".utf8))
            }
        }
    }

    func finish(_ done: Int) {
        guard !quiet else { return }
        if isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }
}
