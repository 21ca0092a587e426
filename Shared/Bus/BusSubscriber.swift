import CZeroMQ
import Foundation
import Synchronization

/// A SUB socket connected to the bus's backend, living on its own thread. Messages reach async
/// code through `messages`; a Swift concurrency thread never blocks on zmq_recv.
public final class BusSubscriber: Sendable {
    /// Raw messages in arrival order. Finishes after `close()`.
    public let messages: AsyncStream<RawMessage>
    private let flags = Flags()
    private let closed = DispatchSemaphore(value: 0)
    private let started = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - prefixes: topic prefixes to subscribe to ("" for everything).
    ///   - bufferLimit: messages held for a slow consumer before the newest are dropped (counted).
    ///   - bind: bind instead of connect (tests and tools that are their own bus).
    public init(
        context: BusContext, endpoint: String, prefixes: [String], options: SocketOptions = .default,
        bufferLimit: Int = 1_000_000, bind: Bool = false
    ) throws(ZMQError) {
        let socket = try context.socket(ZMQ_SUB)
        do {
            try options.apply(to: socket)
            for prefix in prefixes { try socket.set(ZMQ_SUBSCRIBE, string: prefix) }
            if bind { try socket.bind(endpoint) } else { try socket.connect(endpoint) }
        } catch {
            socket.close()
            throw error
        }
        let (stream, continuation) = AsyncStream<RawMessage>.makeStream(bufferingPolicy: .bufferingOldest(bufferLimit))
        self.messages = stream
        let thread = Thread { [flags, closed, started] in
            started.signal()
            Self.receiveLoop(socket: socket, continuation: continuation, flags: flags)
            socket.close()
            continuation.finish()
            closed.signal()
        }
        thread.name = "bus-sub"
        thread.start()
        started.wait()
    }

    private static func receiveLoop(
        socket: ZMQSocket, continuation: AsyncStream<RawMessage>.Continuation, flags: Flags
    ) {
        while !flags.stop.load(ordering: .acquiring) {
            do {
                guard try socket.pollIn(timeoutMs: 100) else { continue }
                // Drain what is queued, then poll again (so a stop request is seen promptly).
                var drained = 0
                while drained < 10_000, let frames = try socket.receiveMultipart(dontWait: true) {
                    if case .dropped = continuation.yield(RawMessage(frames: frames)) {
                        flags.drops.add(1, ordering: .relaxed)
                    }
                    drained += 1
                }
            } catch {
                if error.isTerminated { return }
                // Any other receive error is unexpected; keep the thread alive but do not spin.
                usleep(10_000)
            }
        }
    }

    /// Messages dropped because the consumer fell `bufferLimit` messages behind.
    public var droppedForSlowConsumer: UInt64 { flags.drops.load(ordering: .relaxed) }

    /// Stops the receive thread and closes the socket; waits until it is closed. Idempotent.
    public func close() {
        if flags.stop.exchange(true, ordering: .acquiringAndReleasing) == false {
            closed.wait()
        }
    }
}

/// State shared between the owner and the receive thread.
final class Flags: Sendable {
    let stop = Atomic<Bool>(false)
    let drops = Atomic<UInt64>(0)
}
