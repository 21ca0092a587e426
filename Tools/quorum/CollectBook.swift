import ArgumentParser
import Binance
import BinanceClient
import Capture
import Domain
import Foundation
import Logging
import OrderFlowCapture

/// `quorum collect-book`: records depth diffs, bookTickers and aggTrades of several symbols with
/// the REST depth snapshots that anchor them, in Quorum's capture format (Shared/Capture/README.md),
/// one file per UTC day of the events' own time (Binance's `E`; `--files-by receive-time` for the
/// local clock). After every (re)connection, and at the start of every file, a new snapshot is
/// fetched once the connection's first diff of the symbol has arrived (so the snapshot is never
/// older than the buffered stream: BINANCE.md §6), which makes each file replayable on its own.
///
/// Against the exchange simulator running fast (`--speed 3000`: a day of market time in about
/// 30 wall seconds), `--until` stops at a point of market time and the files split by market
/// day, which is what the research pipeline reads. Beside every file a `.source.json`
/// (`CaptureProvenance`) says where the data came from; the simulator (recognised by its
/// `/sim/state` on a plain-http endpoint) is marked as synthetic books.
struct CollectBook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect-book",
        abstract: "Record order books (snapshots, diffs, bookTicker, aggTrades) in Quorum's capture format."
    )

    @Option(help: "Comma-separated symbols (SOLUSDT,BNBUSDT).")
    var symbols: String

    @Option(help: "How long to record, in wall time: 90s, 30m, 12h, 7d. At least one of --duration and --until.")
    var duration: String?

    @Option(help: "Stop at this event time (market time): YYYY-MM-DD (UTC midnight) or ms since the epoch; the first event at or after it is not recorded.")
    var until: String?

    @Option(name: .customLong("files-by"), help: "Split files by UTC day of event-time (Binance's E, the default) or receive-time.")
    var filesBy: String = "event-time"

    @Option(help: "Output directory (created if needed).")
    var out: String

    @Option(help: "Depth of the REST snapshots (5...5000).")
    var snapshotLimit: Int = 1000

    @OptionGroup var binanceOptions: BinanceOptions

    func validate() throws {
        var problems: [String] = []
        if parsedSymbols.isEmpty { problems.append("--symbols: at least one symbol") }
        for s in parsedSymbols where s.uppercased() != s { problems.append("--symbols: \"\(s)\" must be uppercase") }
        if let duration, Self.parseDuration(duration) == nil { problems.append("--duration \"\(duration)\": expected a number with s, m, h or d (90s, 12h, 7d)") }
        if let until, Self.parseTime(until) == nil { problems.append("--until \"\(until)\": expected YYYY-MM-DD or milliseconds since the epoch") }
        if duration == nil && until == nil { problems.append("give --duration (wall time), --until (event time) or both") }
        if CaptureRecorder.FilesBy(rawValue: filesBy) == nil { problems.append("--files-by \"\(filesBy)\": expected event-time or receive-time") }
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

    /// YYYY-MM-DD (UTC midnight) or milliseconds since the epoch.
    static func parseTime(_ text: String) -> Timestamp? {
        if let day = Timestamp(utcDate: text) { return day }
        if let ms = Int64(text), ms > 0 { return Timestamp(milliseconds: ms) }
        return nil
    }

    func run() async throws {
        let endpoints = try binanceOptions.endpoints()
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var logger = Logger(label: "quorum.collect-book")
        logger.logLevel = .notice
        let symbols = parsedSymbols
        let rest = BinanceRESTClient(endpoints: endpoints, logger: logger)
        let provenance = await Self.provenance(rest: rest, endpoints: endpoints, filesBy: filesBy)
        var streams: [String] = []
        for s in symbols { streams += [StreamNames.depth(s), StreamNames.bookTicker(s), StreamNames.aggTrade(s)] }
        let client = BinanceStreamClient(endpoints: endpoints, streams: streams, logger: logger)
        let end = until.flatMap(Self.parseTime)
        let recorder = CaptureRecorder(
            directory: out, symbols: symbols, rest: rest, snapshotLimit: snapshotLimit, logger: logger,
            filesBy: CaptureRecorder.FilesBy(rawValue: filesBy)!, until: end, provenance: provenance
        )
        let limit = duration.flatMap(Self.parseDuration)
        print("recording \(symbols.joined(separator: ",")) \(limit.map { "for \($0)" } ?? "")\(limit != nil && end != nil ? " or " : "")\(end.map { "until event time \($0)" } ?? "") into \(out) from \(endpoints.streams) (\(provenance.exchange)\(provenance.syntheticBooks ? ": synthetic books" : ""); files by \(filesBy))")
        let url = endpoints.combinedStreamURL(streams)
        let run = Task { await client.run { event in await recorder.handle(event, url: url) } }
        await recorder.onFinish { run.cancel() }
        let stop = Task {
            guard let limit else { return }
            try? await Task.sleep(for: limit)
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

    /// Binance, or the exchange simulator when a plain-http endpoint answers the simulator's admin
    /// `/sim/state` (Binance's endpoints are https and are never asked).
    static func provenance(rest: BinanceRESTClient, endpoints: BinanceEndpoints, filesBy: String) async -> CaptureProvenance {
        var exchange = "binance", synthetic = false, note: String?
        if endpoints.rest.hasPrefix("http://"), let body = try? await rest.get("/sim/state"),
           let state = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any], state["serverTime"] != nil, state["markets"] != nil {
            exchange = CaptureProvenance.simulatorName
            synthetic = true
            let speed = (state["speed"] as? NSNumber)?.doubleValue
            let step = (state["stepMs"] as? NSNumber)?.int64Value
            note = "the exchange simulator's L2 book and trades are synthetic, drawn around recorded klines" + (speed.map { "; replay speed \($0)" } ?? "") + (step.map { ", book step \($0) ms" } ?? "")
        }
        return CaptureProvenance(recorder: "quorum collect-book", exchange: exchange, rest: endpoints.rest, streams: endpoints.streams, syntheticBooks: synthetic, filesBy: filesBy, note: note)
    }
}

/// Writes capture records in arrival order, one file per UTC day (of event time or receive time).
actor CaptureRecorder {
    enum FilesBy: String { case eventTime = "event-time", receiveTime = "receive-time" }

    let directory: String
    let symbols: [String]
    let rest: BinanceRESTClient
    let snapshotLimit: Int
    let logger: Logger
    let filesBy: FilesBy
    let until: Timestamp?
    let provenance: CaptureProvenance
    var writer: CaptureWriter?
    var day: Int64 = -1
    /// Symbols whose snapshot is due (after a (re)connect or a new file) once their first diff arrives.
    var snapshotDue: Set<String> = []
    /// A connection opened before the first file (files by event time open with the first event).
    var pendingConnect: (url: String, time: Timestamp)?
    var finish: (@Sendable () -> Void)?
    var finished = false
    var records = 0
    var snapshots = 0
    var undecodable = 0
    var reconnects = 0
    /// Frames without an event time (bookTickers) before the first file was opened: not written.
    var beforeFirstFile = 0
    var firstEvent: Timestamp?
    var lastEvent: Timestamp?
    var files: [String] = []

    init(directory: String, symbols: [String], rest: BinanceRESTClient, snapshotLimit: Int, logger: Logger, filesBy: FilesBy, until: Timestamp?, provenance: CaptureProvenance) {
        self.directory = directory
        self.symbols = symbols
        self.rest = rest
        self.snapshotLimit = snapshotLimit
        self.logger = logger
        self.filesBy = filesBy
        self.until = until
        self.provenance = provenance
    }

    /// Called once when an event reaches `until`.
    func onFinish(_ action: @escaping @Sendable () -> Void) {
        finish = action
        if finished { action() }
    }

    /// The event time of a stream message, when it has one (bookTickers have none).
    static func eventTime(_ event: StreamEvent) -> Timestamp? {
        switch event {
        case .depthUpdate(let update): update.eventTime
        case .aggTrade(let trade), .trade(let trade): trade.eventTime
        case .kline(let kline): kline.closeTime
        case .serverShutdown(let time): time
        default: nil
        }
    }

    func handle(_ event: BinanceStreamClient.Event, url: String) async {
        guard !finished else { return }
        do {
            switch event {
            case .connected(let n, _):
                if n > 1 { reconnects += 1 }
                if filesBy == .receiveTime { try rotateIfNeeded(day: Self.now()) }
                if writer != nil { try writer?.writeConnect(url: url, receiveTime: Self.now()) } else { pendingConnect = (url, Self.now()) }
                snapshotDue = Set(symbols)
            case .message(let message, let receivedAt, let raw):
                let eventTime = Self.eventTime(message.event)
                if let until, let eventTime, eventTime >= until {
                    finished = true
                    finish?()
                    return
                }
                if let eventTime {
                    firstEvent = firstEvent ?? eventTime
                    lastEvent = max(lastEvent ?? eventTime, eventTime)
                }
                switch filesBy {
                case .receiveTime: try rotateIfNeeded(day: receivedAt)
                case .eventTime: if let eventTime { try rotateIfNeeded(day: eventTime) }
                }
                guard writer != nil else {
                    beforeFirstFile += 1
                    return
                }
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
                if filesBy == .receiveTime { try rotateIfNeeded(day: receivedAt) }
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

    /// Opens the file of `time`'s UTC day when it is not the current one.
    func rotateIfNeeded(day time: Timestamp) throws {
        let today = time.utcDay
        guard today != day else { return }
        try writer?.close()
        day = today
        let name = "capture-\(symbols.joined(separator: "_"))-\(Self.dayText(time)).jsonl"
        let path = (directory as NSString).appendingPathComponent(name)
        writer = try CaptureWriter(path: path, append: true)
        try provenance.write(besides: path)
        files.append(path)
        snapshotDue = Set(symbols)
        if let pending = pendingConnect {
            try writer?.writeConnect(url: pending.url, receiveTime: pending.time)
            pendingConnect = nil
        }
    }

    func close() -> String {
        try? writer?.close()
        writer = nil
        let span = firstEvent.map { first in "; event time \(first) … \(lastEvent ?? first)" } ?? ""
        let skipped = beforeFirstFile > 0 ? ", \(beforeFirstFile) frames without event time before the first file (not written)" : ""
        return "\(records) stream records, \(snapshots) snapshots, \(undecodable) undecodable frames, \(reconnects) reconnects\(skipped)\(span)\(finished ? " (stopped at --until)" : ""); files: \(files.joined(separator: ", "))"
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
