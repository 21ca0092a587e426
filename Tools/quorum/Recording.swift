import Bus
import Foundation

/// The file format of `quorum record`: "QREC1\n", then per message: receive time (Int64 ns, LE),
/// frame count (UInt32 LE), and per frame its length (UInt32 LE) and bytes.
enum Recording {
    static let magic = Array("QREC1\n".utf8)

    static func append(_ message: RawMessage, receivedAt: Int64, to buffer: inout [UInt8]) {
        withUnsafeBytes(of: receivedAt.littleEndian) { buffer.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(message.frames.count).littleEndian) { buffer.append(contentsOf: $0) }
        for frame in message.frames {
            withUnsafeBytes(of: UInt32(frame.count).littleEndian) { buffer.append(contentsOf: $0) }
            buffer.append(contentsOf: frame)
        }
    }

    struct FormatError: Error, CustomStringConvertible {
        let offset: Int
        let reason: String
        var description: String { "recording is malformed at byte \(offset): \(reason)" }
    }

    /// Every message of a recording with its receive time.
    static func read(_ data: [UInt8]) throws -> [(receivedAt: Int64, message: RawMessage)] {
        guard data.starts(with: magic) else { throw FormatError(offset: 0, reason: "not a Quorum recording (no QREC1 header)") }
        var offset = magic.count
        var messages: [(Int64, RawMessage)] = []
        func readInt<T: FixedWidthInteger>(_: T.Type) throws -> T {
            let size = MemoryLayout<T>.size
            guard offset + size <= data.count else { throw FormatError(offset: offset, reason: "truncated") }
            var value: T = 0
            for i in 0..<size { value |= T(data[offset + i]) << (8 * i) }
            offset += size
            return value
        }
        while offset < data.count {
            let time = try readInt(Int64.self)
            let count = try readInt(UInt32.self)
            guard count <= 64 else { throw FormatError(offset: offset, reason: "implausible frame count \(count)") }
            var frames: [[UInt8]] = []
            for _ in 0..<count {
                let length = Int(try readInt(UInt32.self))
                guard offset + length <= data.count else { throw FormatError(offset: offset, reason: "truncated frame") }
                frames.append(Array(data[offset..<offset + length]))
                offset += length
            }
            messages.append((time, RawMessage(frames: frames)))
        }
        return messages
    }
}
