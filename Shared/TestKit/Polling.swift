import Foundation

/// A condition that did not become true before its deadline.
public struct PollTimeout: Error, CustomStringConvertible {
    public let what: String
    public let seconds: Double
    public var description: String { "timed out after \(seconds) s waiting for \(what)" }
}

/// Polls `condition` every `every` until it is true or `timeout` passes (then throws).
/// Tests wait for things this way, never with a fixed sleep.
public func poll(
    _ what: String, timeout: Double, every: Duration = .milliseconds(20), _ condition: () async throws -> Bool
) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try await condition() { return }
        if Date() >= deadline { throw PollTimeout(what: what, seconds: timeout) }
        try await Task.sleep(for: every)
    }
}

/// A TCP port that was free a moment ago on 127.0.0.1 (bound to port 0, then released).
public func freeLocalPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    precondition(fd >= 0, "socket() failed")
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    precondition(bound, "bind to 127.0.0.1:0 failed")
    return Int(UInt16(bigEndian: address.sin_port))
}
