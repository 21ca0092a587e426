import ArgumentParser
import Binance
import BinanceClient
import Capture
import Domain
import Foundation
import Logging

/// `quorum collect-book`: records depth diffs, bookTickers and aggTrades of several symbols with
/// the REST depth snapshots that anchor them, in Quorum's capture format (Shared/Capture/README.md),
/// one file per UTC day. After every (re)connection, and at the start of every file, a new snapshot
/// is fetched once the connection's first diff of the symbol has arrived (so the snapshot is never
/// older than the buffered stream: BINANCE.md §6), which makes each file replayable on its own.
struct CollectBook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect-book",
        abstract: "Record order books (snapshots, diffs, bookTicker, aggTrades) in Quorum's capture format."
    )

    @Option(help: "Comma-separated symbols (SOLUSDT,BNBUSDT).")
    var symbols: String

    @Option(help: "How long to record: 90s, 30m, 12h, 7d.")
    var duration: String

    @Option(help: "Output directory (created if needed).")
    var out: String

    @Option(help: "Depth of the REST snapshots (5...5000).")
    var snapshotLimit: Int = 1000

    @OptionGroup var binanceOptions: BinanceOptions

    func validate() throws {
        var problems: [String] = []
        if parsedSymbols.isEmpty { problems.append("--symbols: at least one symbol") }
        for s in parsedSymbols where s.uppercased() != s { problems.append("--symbols: \"\(s)\" must be uppercase") }
        if Self.parseDuration(duration) == nil { problems.append("--duration \"\(duration)\": expected a number with s, m, h or d (90s, 12h, 7d)") }
        if !(5...5000).contains(snapshotLimit) { problems.append("--snapshot-limit must be 5...5000") }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    var parsedSymbols: [String] { symbols.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }

    static func parseDuration(_ text: String) -> Duration? {
        guard let unit = text.last, let value = Double(text.dropLast()), value > 0 else { return nil }
        switch unit {
        case "s": return .milliseconds(Int64(value * 1000))
        case "m": return .milliseconds(Int64(value * 60_000))
        case "h": return .milliseconds(Int64(value * 3_600_000))
        case "d": return .milliseconds(Int64(value * 86_400_000))
        default: return nil
        }
    }

    func run() async throws {
        let endpoints = try binanceOptions.endpoints()
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var logger = Logger(label: "quorum.collect-book")
        logger.logLevel = .notice
        let symbols = parsedSymbols
        let rest = BinanceRESTClient(endpoints: endpoints, logger: logger)
        var streams: [String] = []
        for s in symbols { streams += [StreamNames.depth(s), StreamNames.bookTicker(s), StreamNames.aggTrade(s)] }
        let client = BinanceStreamClient(endpoints: endpoints, streams: streams, logger: logger)
        let recorder = CaptureRecorder(directory: out, symbols: symbols, rest: rest, snapshotLimit: snapshotLimit, logger: logger)
        let duration = Self.parseDuration(duration)!
        print("recording \(symbols.joined(separator: ",")) for \(duration) into \(out) from \(endpoints.streams)")
        let url = endpoints.combinedStreamURL(streams)
        let run = Task { await client.run { event in await recorder.handle(event, url: url) } }
        let stop = Task {
            try? await Task.sleep(for: duration)
            run.cancel()
        }
        // SIGINT/SIGTERM end the recording cleanly.
        let signals = SignalStop { run.cancel() }
        await run.value
        stop.cancel()
        signals.cancel()
        let summary = await recorder.close()
        await rest.shutdown()
        print(summary)
    }
}

/// Writes capture records in arrival order, rotating files at UTC midnight.
actor CaptureRecorder {
    let directory: String
    let symbols: [String]
    let rest: BinanceRESTClient
    let snapshotLimit: Int
    let logger: Logger
    var writer: CaptureWriter?
    var day: Int64 = -1
    /// Symbols whose snapshot is due (after a (re)connect or a new file) once their first diff arrives.
    var snapshotDue: Set<String> = []
    var records = 0
    var snapshots = 0
    var undecodable = 0
    var reconnects = 0
    var files: [String] = []

    init(directory: String, symbols: [String], rest: BinanceRESTClient, snapshotLimit: Int, logger: Logger) {
        self.directory = directory
        self.symbols = symbols
        self.rest = rest
        self.snapshotLimit = snapshotLimit
        self.logger = logger
    }

    func handle(_ event: BinanceStreamClient.Event, url: String) async {
        do {
            switch event {
            case .connected(let n, _):
                if n > 1 { reconnects += 1 }
                try rotateIfNeeded(now: Self.now())
                try writer?.writeConnect(url: url, receiveTime: Self.now())
                snapshotDue = Set(symbols)
            case .message(let message, let receivedAt, let raw):
                try rotateIfNeeded(now: receivedAt)
                var text = raw
                try text.withUTF8 { buffer in try self.writeStream(UnsafeRawBufferPointer(buffer), at: receivedAt) }
                records += 1
                if case .depthUpdate(let update) = message.event, snapshotDue.contains(update.symbol) {
                    snapshotDue.remove(update.symbol)
                    await snapshot(update.symbol)
                }
            case .undecodable(_, let receivedAt, let raw):
                // Kept verbatim: the reader reports it with its line number.
                undecodable += 1
                var text = raw
                try text.withUTF8 { buffer in try self.writeStream(UnsafeRawBufferPointer(buffer), at: receivedAt) }
            case .controlResponse, .disconnected:
                break
            }
        } catch {
            logger.error("capture write failed", metadata: ["error": "\(error)"])
        }
    }

    func writeStream(_ bytes: UnsafeRawBufferPointer, at time: Timestamp) throws {
        try writer?.writeStream(bytes, receiveTime: time)
    }

    func snapshot(_ symbol: String) async {
        do {
            let body = try await rest.depthBody(symbol: symbol, limit: snapshotLimit)
            let received = Self.now()
            try body.withUnsafeBytes { raw in
                try writer?.writeSnapshot(raw, symbol: symbol, url: rest.endpoints.rest + "/api/v3/depth?symbol=\(symbol)&limit=\(snapshotLimit)", receiveTime: received)
            }
            snapshots += 1
        } catch {
            logger.error("depth snapshot failed; retrying on the next diff", metadata: ["symbol": "\(symbol)", "error": "\(error)"])
            snapshotDue.insert(symbol)
        }
    }

    func rotateIfNeeded(now: Timestamp) throws {
        let today = now.utcDay
        guard today != day else { return }
        try writer?.close()
        day = today
        let name = "capture-\(symbols.joined(separator: "_"))-\(Self.dayText(now)).jsonl"
        let path = (directory as NSString).appendingPathComponent(name)
        writer = try CaptureWriter(path: path, append: true)
        files.append(path)
        snapshotDue = Set(symbols)
    }

    func close() -> String {
        try? writer?.close()
        writer = nil
        return "\(records) stream records, \(snapshots) snapshots, \(undecodable) undecodable frames, \(reconnects) reconnects; files: \(files.joined(separator: ", "))"
    }

    static func now() -> Timestamp { Timestamp(nanoseconds: Int64((Date().timeIntervalSince1970 * 1e9).rounded())) }

    static func dayText(_ t: Timestamp) -> String {
        let date = Date(timeIntervalSince1970: Double(t.milliseconds) / 1000)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }
}
