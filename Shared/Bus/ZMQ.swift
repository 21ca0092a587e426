import CZeroMQ
import Foundation

/// A libzmq failure: the operation and errno.
public struct ZMQError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let operation: String

    public var description: String { "\(operation): \(String(cString: zmq_strerror(code))) (errno \(code))" }

    static func last(_ operation: String) -> ZMQError { ZMQError(code: zmq_errno(), operation: operation) }

    /// The context was terminated while the call was in progress.
    public var isTerminated: Bool { code == ETERM }
    public var isAgain: Bool { code == EAGAIN }
    public var isInterrupted: Bool { code == EINTR }
}

/// A libzmq context. Contexts are thread-safe; terminate it after every socket is closed.
public final class BusContext: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
    private let lock = NSLock()
    private var terminated = false

    public init(ioThreads: Int32 = 1) {
        guard let raw = zmq_ctx_new() else { fatalError("zmq_ctx_new failed: \(ZMQError.last("zmq_ctx_new"))") }
        self.raw = raw
        _ = zmq_ctx_set(raw, ZMQ_IO_THREADS, ioThreads)
        // Leave headroom over the default 1023 sockets for tools that open many.
        _ = zmq_ctx_set(raw, ZMQ_MAX_SOCKETS, 4096)
    }

    func socket(_ type: Int32) throws(ZMQError) -> ZMQSocket {
        guard let socket = zmq_socket(raw, type) else { throw ZMQError.last("zmq_socket") }
        return ZMQSocket(raw: socket)
    }

    /// Terminates the context: blocks until every socket is closed and its queued messages are sent
    /// (bounded by each socket's linger). Idempotent.
    public func terminate() {
        lock.lock()
        defer { lock.unlock() }
        guard !terminated else { return }
        terminated = true
        while zmq_ctx_term(raw) != 0 && zmq_errno() == EINTR {}
    }

    /// libzmq's version, e.g. "4.3.4".
    public static var libraryVersion: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }
}

/// One libzmq socket. Not thread-safe: it is owned by one thread at a time (a dedicated receive
/// thread, or callers serialized by a mutex). `@unchecked Sendable` only so it can be handed over.
final class ZMQSocket: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
    private(set) var isClosed = false

    init(raw: UnsafeMutableRawPointer) { self.raw = raw }

    func bind(_ endpoint: String) throws(ZMQError) {
        if zmq_bind(raw, endpoint) != 0 { throw ZMQError.last("zmq_bind \(endpoint)") }
    }

    func connect(_ endpoint: String) throws(ZMQError) {
        if zmq_connect(raw, endpoint) != 0 { throw ZMQError.last("zmq_connect \(endpoint)") }
    }

    /// Integer options are C `int`: they must be passed as 4-byte Int32.
    func set(_ option: Int32, _ value: Int32) throws(ZMQError) {
        var v = value
        if zmq_setsockopt(raw, option, &v, MemoryLayout<Int32>.size) != 0 { throw ZMQError.last("zmq_setsockopt \(option)") }
    }

    func set(_ option: Int32, bytes: [UInt8]) throws(ZMQError) {
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(raw, option, $0.baseAddress, $0.count) }
        if rc != 0 { throw ZMQError.last("zmq_setsockopt \(option)") }
    }

    func set(_ option: Int32, string: String) throws(ZMQError) {
        try set(option, bytes: Array(string.utf8))
    }

    /// The last endpoint bound, e.g. "tcp://127.0.0.1:40213" after binding "tcp://127.0.0.1:*".
    func lastEndpoint() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        _ = zmq_getsockopt(raw, ZMQ_LAST_ENDPOINT, &buffer, &size)
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Sends one frame; `more` marks that another frame of the same message follows.
    func send(_ bytes: UnsafeRawBufferPointer, more: Bool, dontWait: Bool = true) throws(ZMQError) {
        var flags: Int32 = 0
        if more { flags |= ZMQ_SNDMORE }
        if dontWait { flags |= ZMQ_DONTWAIT }
        while true {
            if zmq_send(raw, bytes.baseAddress, bytes.count, flags) >= 0 { return }
            let error = ZMQError.last("zmq_send")
            if error.isInterrupted { continue }
            throw error
        }
    }

    func send(_ bytes: [UInt8], more: Bool, dontWait: Bool = true) throws(ZMQError) {
        var flags: Int32 = 0
        if more { flags |= ZMQ_SNDMORE }
        if dontWait { flags |= ZMQ_DONTWAIT }
        while true {
            let rc = bytes.withUnsafeBytes { zmq_send(raw, $0.baseAddress, $0.count, flags) }
            if rc >= 0 { return }
            let error = ZMQError.last("zmq_send")
            if error.isInterrupted { continue }
            throw error
        }
    }

    /// Receives every frame of one message. Returns nil when `dontWait` is set and nothing is queued.
    func receiveMultipart(dontWait: Bool) throws(ZMQError) -> [[UInt8]]? {
        var frames: [[UInt8]] = []
        frames.reserveCapacity(3)
        var message = zmq_msg_t()
        while true {
            zmq_msg_init(&message)
            var rc: Int32
            repeat {
                rc = zmq_msg_recv(&message, raw, (dontWait && frames.isEmpty) ? ZMQ_DONTWAIT : 0)
            } while rc < 0 && zmq_errno() == EINTR
            if rc < 0 {
                let error = ZMQError.last("zmq_msg_recv")
                zmq_msg_close(&message)
                if error.isAgain && frames.isEmpty { return nil }
                throw error
            }
            let size = zmq_msg_size(&message)
            if size > 0, let data = zmq_msg_data(&message) {
                frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
            } else {
                frames.append([])
            }
            let more = zmq_msg_more(&message) != 0
            zmq_msg_close(&message)
            if !more { return frames }
        }
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        _ = zmq_close(raw)
    }
}
