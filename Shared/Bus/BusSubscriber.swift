import CZeroMQ
import Foundation
import Synchronization

/// A SUB socket connected to the bus's backend, living on its own thread. Messages reach async
/// code through `messages`; a Swift concurrency thread never blocks on zmq_recv.
///
/// The receive thread is also a task executor (`executor`). A consumer that iterates `messages`
/// inside `withTaskExecutorPreference(subscriber.executor) { ... }` runs on the receive thread:
/// each message is handed over without waking another thread.
public final class BusSubscriber: Sendable {
    /// Raw messages in arrival order. Finishes after `close()`.
    public let messages: AsyncStream<RawMessage>
    /// The receive thread, as a task executor for the consumer of `messages`.
    public let executor: SocketThreadExecutor
    private let flags = Flags()

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
        let flags = self.flags
        do {
            self.executor = try SocketThreadExecutor(
                name: "bus-sub", socket: socket,
                onReadable: { socket, runJobs in Self.receive(socket: socket, continuation: continuation, flags: flags, runJobs: runJobs) },
                onClosed: { continuation.finish() }
            )
        } catch {
            socket.close()
            continuation.finish()
            throw error
        }
    }

    /// On the receive thread, when the socket is readable: drains what is queued (bounded, so a
    /// stop request is seen promptly). After each message it runs the queued jobs, so a consumer
    /// on this thread handles the message at once. Returns false when the context is gone.
    private static func receive(
        socket: ZMQSocket, continuation: AsyncStream<RawMessage>.Continuation, flags: Flags, runJobs: () -> Bool
    ) -> Bool {
        do {
            var drained = 0
            while drained < 10_000, let frames = try socket.receiveMultipart(dontWait: true) {
                if case .dropped = continuation.yield(RawMessage(frames: frames)) {
                    flags.drops.add(1, ordering: .relaxed)
                }
                drained += 1
                // The consumer may close the subscriber: then the socket must not be touched again.
                guard runJobs() else { return true }
            }
        } catch {
            if error.isTerminated { return false }
            // Any other receive error is unexpected; keep the thread alive but do not spin.
            usleep(10_000)
        }
        return true
    }

    /// Runs `body` with the receive thread as the task's preferred executor, so that a loop over
    /// `messages` inside it runs on the receive thread (see `SocketThreadExecutor`).
    public func onReceiveThread<T, Failure: Error>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws(Failure) -> T
    ) async throws(Failure) -> T {
        try await withTaskExecutorPreference(executor, isolation: isolation, operation: body)
    }

    /// Messages dropped because the consumer fell `bufferLimit` messages behind.
    public var droppedForSlowConsumer: UInt64 { flags.drops.load(ordering: .relaxed) }

    /// Stops receiving and closes the socket (on the receive thread); waits until it is closed.
    /// Idempotent. `messages` finishes; the thread keeps running jobs of tasks that still prefer
    /// `executor` until the subscriber is released.
    public func close() {
        executor.closeSocket()
    }
}

/// State shared between the owner and the receive thread.
final class Flags: Sendable {
    let drops = Atomic<UInt64>(0)
}
