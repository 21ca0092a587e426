import Foundation

/// Where a capture file's market data came from, in a small JSON file beside it
/// (`capture-SOLUSDT-2025-06-01.jsonl` → `capture-SOLUSDT-2025-06-01.source.json`), written by
/// `quorum collect-book` when it opens the file. The capture format itself has no room for it, and
/// a reader of features must know whether the books were Binance's or the exchange simulator's
/// synthetic ones: research on synthetic books is a plumbing test, never evidence.
public struct CaptureProvenance: Codable, Sendable, Hashable {
    /// What wrote the capture ("quorum collect-book").
    public var recorder: String
    /// "binance" or "quorum-exchange-sim".
    public var exchange: String
    /// The REST and stream bases recorded from.
    public var rest: String
    public var streams: String
    /// True when the order books are synthetic (the exchange simulator draws them around klines).
    public var syntheticBooks: Bool
    /// How the recording was split into files: "event-time" (one file per UTC day of the events'
    /// own time, Binance's `E`) or "receive-time".
    public var filesBy: String
    /// Free text, e.g. the simulator's replay speed and book step.
    public var note: String?

    public static let simulatorName = "quorum-exchange-sim"

    public init(recorder: String, exchange: String, rest: String, streams: String, syntheticBooks: Bool, filesBy: String, note: String? = nil) {
        self.recorder = recorder
        self.exchange = exchange
        self.rest = rest
        self.streams = streams
        self.syntheticBooks = syntheticBooks
        self.filesBy = filesBy
        self.note = note
    }

    /// The sidecar's path for a capture file: its name without `.jsonl[.gz]` (or its last
    /// extension) plus `.source.json`.
    public static func sidecarPath(for capture: String) -> String {
        var base = capture
        if base.hasSuffix(".gz") { base.removeLast(3) }
        if base.hasSuffix(".jsonl") { base.removeLast(6) } else if let dot = base.lastIndex(of: "."), !base[dot...].contains("/") { base = String(base[..<dot]) }
        return base + ".source.json"
    }

    /// Writes the sidecar of `capture` (replacing an older one).
    public func write(besides capture: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: Self.sidecarPath(for: capture)), options: .atomic)
    }

    /// The sidecar of `capture`: nil when there is none; a sidecar that cannot be read is an error
    /// (it would otherwise hide that the books were synthetic).
    public static func read(besides capture: String) throws -> CaptureProvenance? {
        let path = sidecarPath(for: capture)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(CaptureProvenance.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ProvenanceError(path: path, reason: "\(error)")
        }
    }

    public struct ProvenanceError: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): not a capture provenance file (\(reason))" }
    }

    /// What a set of capture files says about its books.
    public struct Summary: Sendable, Hashable {
        /// Files whose sidecar says the books are synthetic.
        public var synthetic: [String] = []
        /// Files with a sidecar saying the books are real.
        public var recorded: [String] = []
        /// Files without a sidecar (provenance unknown: older captures, other recorders).
        public var unknown: [String] = []

        public var anySynthetic: Bool { !synthetic.isEmpty }
    }

    /// Reads every file's sidecar.
    public static func summary(of files: [String]) throws -> Summary {
        var summary = Summary()
        for file in files {
            switch try read(besides: file) {
            case .some(let p) where p.syntheticBooks: summary.synthetic.append(file)
            case .some: summary.recorded.append(file)
            case .none: summary.unknown.append(file)
            }
        }
        return summary
    }
}
