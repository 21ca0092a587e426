import Domain

/// Reads one capture, made of one or more files, as a stream of `CaptureRecord`s in order.
///
/// - Quorum and hftbacktest files are read one after the other, in the order given (a capture split
///   by day: `btcusdt_20240808.gz` then `btcusdt_20240809.gz`).
/// - cryptofeed files are merged by receive time (a `*.ws.*` file and its `*.http.*` snapshots;
///   ties keep the order the files were given in), since each file is in receive order.
/// Files may be gzip'd or plain. Lines that are not records are skipped and reported in `problems`
/// with their file and line number; a read error ends that file and is reported the same way.
public final class CaptureReader: Sequence, IteratorProtocol {
    /// The files and the format each was read as.
    public let files: [(path: String, format: CaptureFormat)]
    /// The first `maxProblems` problems.
    public private(set) var problems: [CaptureProblem] = []
    public private(set) var problemCount = 0
    public let maxProblems: Int
    public private(set) var recordCount = 0

    private final class Source {
        let reader: LineReader
        let format: CaptureFormat
        let symbol: String?
        var peeked: CaptureRecord?
        var done = false
        init(reader: LineReader, format: CaptureFormat, symbol: String?) {
            self.reader = reader
            self.format = format
            self.symbol = symbol
        }
    }

    private var sources: [Source] = []
    private let merging: Bool
    private var current = 0

    /// Opens every file (and detects its format when `format` is `.auto`). `symbol` names the
    /// symbol of hftbacktest files (default: from each file name).
    public init(files: [String], format: CaptureFormat = .auto, symbol: String? = nil, maxProblems: Int = 100) throws(CaptureError) {
        guard !files.isEmpty else { throw .noFiles }
        self.maxProblems = maxProblems
        var resolved: [(path: String, format: CaptureFormat)] = []
        for path in files {
            let fileFormat = format == .auto ? try Self.detect(path: path) : format
            let reader = try LineReader(path: path)
            let fileSymbol = fileFormat == .hftbacktest ? (symbol ?? HftbacktestFormat.symbol(fromFileName: path)) : symbol
            sources.append(Source(reader: reader, format: fileFormat, symbol: fileSymbol))
            resolved.append((path, fileFormat))
        }
        self.files = resolved
        self.merging = resolved.count > 1 && resolved.allSatisfy { $0.format == .cryptofeed }
    }

    /// The format of a file, from its first non-empty line.
    public static func detect(path: String) throws(CaptureError) -> CaptureFormat {
        enum Probe { case blank, format(CaptureFormat?) }
        let reader = try LineReader(path: path)
        while let probe = reader.nextLine({ line -> Probe in Framing.isBlank(line) ? .blank : .format(CaptureFormat.detect(line: line)) }) {
            guard case .format(let format) = probe else { continue }
            guard let format else { throw .unknownFormat(path: path) }
            return format
        }
        throw .unknownFormat(path: path)
    }

    /// Reads the whole capture into memory (tests and small files).
    public static func readAll(files: [String], format: CaptureFormat = .auto) throws(CaptureError) -> (records: [CaptureRecord], problems: [CaptureProblem]) {
        let reader = try CaptureReader(files: files, format: format)
        let records = Array(reader)
        return (records, reader.problems)
    }

    public func next() -> CaptureRecord? {
        let record: CaptureRecord?
        if merging {
            var best: Int?
            for (i, source) in sources.enumerated() {
                guard let r = peek(source) else { continue }
                if let b = best, let rb = sources[b].peeked, rb.receiveTime <= r.receiveTime { continue }
                best = i
            }
            guard let best else { return nil }
            record = sources[best].peeked
            sources[best].peeked = nil
        } else {
            var found: CaptureRecord?
            while current < sources.count {
                if let r = peek(sources[current]) {
                    sources[current].peeked = nil
                    found = r
                    break
                }
                current += 1
            }
            record = found
        }
        if record != nil { recordCount += 1 }
        return record
    }

    private func peek(_ source: Source) -> CaptureRecord? {
        if let r = source.peeked { return r }
        while !source.done {
            let reader = source.reader
            let parsed: ParsedLine? = reader.nextLine { line in
                let location = CaptureLocation(file: reader.path, line: reader.lineNumber)
                switch source.format {
                case .quorum: return QuorumCaptureFormat.parse(line, location: location)
                case .hftbacktest: return HftbacktestFormat.parse(line, symbol: source.symbol, location: location)
                case .cryptofeed, .auto: return CryptofeedFormat.parse(line, location: location)
                }
            }
            switch parsed {
            case .none:
                source.done = true
                if let error = reader.error { report(CaptureProblem(location: .init(file: reader.path, line: reader.lineNumber + 1), reason: error)) }
            case .blank?:
                continue
            case .malformed(let reason)?:
                report(CaptureProblem(location: .init(file: reader.path, line: reader.lineNumber), reason: reason))
            case .record(let r)?:
                source.peeked = r
                return r
            }
        }
        return nil
    }

    private func report(_ problem: CaptureProblem) {
        problemCount += 1
        if problems.count < maxProblems { problems.append(problem) }
    }
}
