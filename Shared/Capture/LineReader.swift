import CZlib
import Foundation

/// Reads a file line by line through zlib's gzread, which inflates gzip files (several concatenated
/// members included) and passes plain files through unchanged. Streaming: one buffer of about 1 MiB
/// that grows only to hold the longest line. A read error or a truncated gzip stream ends the file
/// and is reported in `error`.
final class LineReader {
    let path: String
    private let file: gzFile
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var atEOF = false
    /// Lines returned so far (the 1-based number of the last one).
    private(set) var lineNumber = 0
    /// Why reading stopped early, if it did.
    private(set) var error: String?

    init(path: String, bufferSize: Int = 1 << 20) throws(CaptureError) {
        self.path = path
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw .cannotOpen(path: path, reason: FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file")
        }
        guard let file = gzopen(path, "rb") else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        gzbuffer(file, 1 << 17)
        self.file = file
        self.buffer = .allocate(byteCount: max(bufferSize, 4096), alignment: 16)
    }

    deinit {
        gzclose(file)
        buffer.deallocate()
    }

    /// Calls `body` with the next line (without its "\n" or "\r\n"), or returns nil at the end.
    /// The bytes are valid only during the call.
    func nextLine<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T? {
        while true {
            if start < end, let base = buffer.baseAddress {
                if let nl = memchr(base + start, 0x0A, end - start) {
                    let lineEnd = base.distance(to: UnsafeMutableRawPointer(nl))
                    let line = trimmed(start, lineEnd)
                    start = lineEnd + 1
                    lineNumber += 1
                    return body(line)
                }
            }
            if atEOF {
                guard start < end else { return nil }
                let line = trimmed(start, end)
                start = end
                lineNumber += 1
                return body(line)
            }
            fill()
        }
    }

    private func trimmed(_ from: Int, _ to: Int) -> UnsafeRawBufferPointer {
        var to = to
        if to > from, buffer[to - 1] == 0x0D { to -= 1 }
        return UnsafeRawBufferPointer(rebasing: buffer[from..<to])
    }

    private func fill() {
        if start > 0 {
            let remaining = end - start
            if remaining > 0, let base = buffer.baseAddress { memmove(base, base + start, remaining) }
            start = 0
            end = remaining
        }
        if end == buffer.count {
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 16)
            bigger.copyMemory(from: UnsafeRawBufferPointer(buffer))
            buffer.deallocate()
            buffer = bigger
        }
        let want = min(buffer.count - end, Int(Int32.max))
        let n = gzread(file, buffer.baseAddress! + end, UInt32(want))
        if n > 0 {
            end += Int(n)
        } else {
            atEOF = true
            if n < 0 {
                var code: Int32 = 0
                let message = gzerror(file, &code).map { String(cString: $0) } ?? "read error"
                error = "read error after line \(lineNumber): \(message)"
            } else if gzeof(file) == 0 {
                error = "read error after line \(lineNumber)"
            }
        }
    }
}
