import CZeroMQ
import Foundation
import Synchronization

/// A ZeroMQ REP socket served on its own thread (not on the bus): each request is one message of
/// one or more frames, answered by `handler` with one message. Used by the collector's history
/// socket. The server owns its context, so stopping it never waits on the bus's sockets.
public final class ReplyServer: Sendable {
    public typealias Handler = @Sendable (_ request: [[UInt8]]) -> [[UInt8]]

    /// The endpoint actually bound (a `*` port resolved).
    public let endpoint: String
    private let context: BusContext
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Binds `endpoint` (e.g. `tcp://*:5557`) and starts answering on a dedicated thread.
    public init(bind endpoint: String, options: SocketOptions = .default, handler: @escaping Handler) throws(ZMQError) {
        let context = BusContext()
        let socket: ZMQSocket
        do {
            socket = try context.socket(ZMQ_REP)
            try options.apply(to: socket)
            try socket.set(ZMQ_LINGER, 0)
            // Wake up regularly to notice `stop()`.
            try socket.set(ZMQ_RCVTIMEO, 200)
            try socket.set(ZMQ_SNDTIMEO, 1_000)
            try socket.bind(endpoint)
        } catch {
            context.terminate()
            throw error
        }
        self.context = context
        self.endpoint = socket.lastEndpoint()
        let thread = Thread { [self] in
            while !self.stopped.load(ordering: .acquiring) {
                let request: [[UInt8]]?
                do throws(ZMQError) { request = try socket.receiveMultipart(dontWait: false) } catch {
                    if error.isTerminated { break }
                    continue
                }
                guard let request else { continue }
                let reply = handler(request)
                let frames = reply.isEmpty ? [[]] : reply
                for (i, frame) in frames.enumerated() {
                    do { try socket.send(frame, more: i < frames.count - 1, dontWait: false) } catch { break }
                }
            }
            socket.close()
            self.finished.signal()
        }
        thread.name = "quorum-rep"
        thread.start()
    }

    /// Stops answering, closes the socket and the context. Idempotent.
    public func stop() {
        guard stopped.exchange(true, ordering: .acquiringAndReleasing) == false else { return }
        finished.wait()
        context.terminate()
    }
}

/// One request/reply round trip on a fresh REQ socket, off the cooperative thread pool.
public enum RequestClient {
    public enum Failure: Error, Sendable, CustomStringConvertible {
        case timeout(milliseconds: Int)
        case zmq(ZMQError)

        public var description: String {
            switch self {
            case .timeout(let ms): return "no reply within \(ms) ms"
            case .zmq(let e): return e.description
            }
        }
    }

    /// Sends `frames` to `endpoint` and waits at most `timeoutMilliseconds` for the reply. A dead
    /// or absent server yields `.timeout` (the socket is dropped without lingering).
    public static func request(_ frames: [[UInt8]], endpoint: String, timeoutMilliseconds: Int) async -> Result<[[UInt8]], Failure> {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: blockingRequest(frames, endpoint: endpoint, timeoutMilliseconds: timeoutMilliseconds))
            }
            thread.name = "quorum-req"
            thread.start()
        }
    }

    static func blockingRequest(_ frames: [[UInt8]], endpoint: String, timeoutMilliseconds: Int) -> Result<[[UInt8]], Failure> {
        let context = BusContext()
        defer { context.terminate() }
        let socket: ZMQSocket
        do { socket = try context.socket(ZMQ_REQ) } catch { return .failure(.zmq(error)) }
        defer { socket.close() }
        let timeout = Int32(clamping: max(1, timeoutMilliseconds))
        do {
            try socket.set(ZMQ_LINGER, 0)
            try socket.set(ZMQ_RCVTIMEO, timeout)
            try socket.set(ZMQ_SNDTIMEO, timeout)
            try socket.set(ZMQ_IMMEDIATE, 0)
            try socket.connect(endpoint)
            let message = frames.isEmpty ? [[]] : frames
            for (i, frame) in message.enumerated() {
                try socket.send(frame, more: i < message.count - 1, dontWait: false)
            }
        } catch {
            if error.isAgain { return .failure(.timeout(milliseconds: timeoutMilliseconds)) }
            return .failure(.zmq(error))
        }
        do {
            guard let reply = try socket.receiveMultipart(dontWait: false) else { return .failure(.timeout(milliseconds: timeoutMilliseconds)) }
            return .success(reply)
        } catch {
            if error.isAgain { return .failure(.timeout(milliseconds: timeoutMilliseconds)) }
            return .failure(.zmq(error))
        }
    }
}
