import Domain

/// One record of a recorded market-data capture, whatever the file format: the local receive time,
/// what the bytes are, and the raw Binance JSON exactly as received.
public struct CaptureRecord: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A REST depth snapshot body `{"lastUpdateId":..,"bids":..,"asks":..}`; `symbol` is set.
        case snapshot
        /// A combined-stream message `{"stream":..,"data":..}`.
        case stream
        /// A (re)connection of the WebSocket; `payload` is empty and `url` names the stream URL.
        case connect
    }

    /// Local receive time.
    public var receiveTime: Timestamp
    public var kind: Kind
    /// The symbol (uppercase) when the format says it: always for snapshots; nil for stream
    /// messages (their stream name and payload say it).
    public var symbol: String?
    /// The request URL of a snapshot or the WebSocket URL of a connection, when recorded.
    public var url: String?
    /// The raw JSON bytes (empty for `.connect`).
    public var payload: [UInt8]
    /// Where the record came from.
    public var location: CaptureLocation

    public init(receiveTime: Timestamp, kind: Kind, symbol: String? = nil, url: String? = nil, payload: [UInt8], location: CaptureLocation = .init(file: "", line: 0)) {
        self.receiveTime = receiveTime
        self.kind = kind
        self.symbol = symbol
        self.url = url
        self.payload = payload
        self.location = location
    }

    /// The payload as text (for messages and tests).
    public var text: String { String(decoding: payload, as: UTF8.self) }
}

/// A file and a 1-based line number.
public struct CaptureLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}

/// A line that could not be read as a record (it is skipped, counted and reported).
public struct CaptureProblem: Sendable, Hashable, CustomStringConvertible {
    public var location: CaptureLocation
    public var reason: String

    public init(location: CaptureLocation, reason: String) {
        self.location = location
        self.reason = reason
    }

    public var description: String { "\(location): \(reason)" }
}

/// A capture could not be opened, recognised or written.
public enum CaptureError: Error, Sendable, Hashable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case unknownFormat(path: String)
    case noFiles
    case writeFailed(path: String, reason: String)
    case invalidRecord(String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): return "cannot open \(path): \(reason)"
        case .unknownFormat(let path): return "\(path): not a Quorum, hftbacktest or cryptofeed capture"
        case .noFiles: return "no capture files given"
        case .writeFailed(let path, let reason): return "cannot write \(path): \(reason)"
        case .invalidRecord(let reason): return "invalid record: \(reason)"
        }
    }
}
