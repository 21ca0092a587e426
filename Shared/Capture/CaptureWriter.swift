import CZlib
import Domain
import Foundation

/// Writes Quorum's capture format (QuorumCaptureFormat, README.md): one JSON line per record, the
/// Binance bytes verbatim. A path ending in `.gz` is gzip-compressed (appending adds a gzip member,
/// which readers inflate as one stream); any other path is written as plain text.
public final class CaptureWriter {
    public let path: String
    private var file: gzFile?
    public private(set) var recordsWritten = 0

    public init(path: String, append: Bool = false) throws(CaptureError) {
        self.path = path
        let compressed = path.hasSuffix(".gz")
        let mode = (append ? "a" : "w") + "b" + (compressed ? "6" : "T")
        guard let file = gzopen(path, mode) else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        self.file = file
    }

    deinit { if let file { gzclose(file) } }

    /// Writes a snapshot body (`GET /api/v3/depth`) received at `receiveTime`.
    public func writeSnapshot(_ body: UnsafeRawBufferPointer, symbol: String, url: String? = nil, receiveTime: Timestamp) throws(CaptureError) {
        try write(QuorumCaptureFormat.line(receiveTime: receiveTime, kind: .snapshot, symbol: symbol, url: url, payload: body))
    }

    /// Writes a combined-stream message (`{"stream":..,"data":..}`) received at `receiveTime`.
    public func writeStream(_ message: UnsafeRawBufferPointer, receiveTime: Timestamp) throws(CaptureError) {
        try write(QuorumCaptureFormat.line(receiveTime: receiveTime, kind: .stream, symbol: nil, url: nil, payload: message))
    }

    /// Records a (re)connection of the WebSocket.
    public func writeConnect(url: String, receiveTime: Timestamp) throws(CaptureError) {
        try write(QuorumCaptureFormat.line(receiveTime: receiveTime, kind: .connect, symbol: nil, url: url, payload: UnsafeRawBufferPointer(start: nil, count: 0)))
    }

    /// Writes any reader's record (converts hftbacktest or cryptofeed captures to Quorum's).
    public func write(_ record: CaptureRecord) throws(CaptureError) {
        let line: Result<[UInt8], CaptureError> = record.payload.withUnsafeBytes { bytes in
            Result { () throws(CaptureError) in
                try QuorumCaptureFormat.line(receiveTime: record.receiveTime, kind: record.kind, symbol: record.symbol, url: record.url, payload: bytes)
            }
        }
        try write(line.get())
    }

    private func write(_ line: [UInt8]) throws(CaptureError) {
        guard let file else { throw .writeFailed(path: path, reason: "closed") }
        let written = line.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
        guard written == Int32(line.count) else {
            var code: Int32 = 0
            throw .writeFailed(path: path, reason: gzerror(file, &code).map { String(cString: $0) } ?? "write error")
        }
        recordsWritten += 1
    }

    /// Pushes buffered bytes to the file (a complete gzip block when compressed).
    public func flush() throws(CaptureError) {
        guard let file else { return }
        if gzflush(file, Z_SYNC_FLUSH) != Z_OK { throw .writeFailed(path: path, reason: "flush failed") }
    }

    public func close() throws(CaptureError) {
        guard let file else { return }
        self.file = nil
        if gzclose(file) != Z_OK { throw .writeFailed(path: path, reason: "close failed") }
    }
}
