import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where prefixed output lines go. The runner calls `write` with one complete line at a time (no
/// trailing newline) and never from two threads at once, so a sink needs no locking of its own.
public struct LineSink: Sendable {
    public let write: @Sendable (String) -> Void

    public init(_ write: @escaping @Sendable (String) -> Void) {
        self.write = write
    }

    /// Each line plus a newline to the launcher's standard output.
    public static var standardOutput: LineSink { fileDescriptor(1) }

    /// Each line plus a newline to `fd`. Write errors (a closed pipe) are ignored: the launcher must
    /// keep running, and stop its processes, whatever happens to its own output.
    public static func fileDescriptor(_ fd: Int32) -> LineSink {
        LineSink { line in
            var bytes = Array((line + "\n").utf8)
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeMutableBytes { buffer in
                    systemWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
                }
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}

private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
