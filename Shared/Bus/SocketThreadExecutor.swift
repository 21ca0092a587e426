import CZeroMQ
import Foundation
import Synchronization

/// A dedicated thread that owns one ZeroMQ socket and is also a `TaskExecutor` (SE-0417).
///
/// The thread polls the socket together with a wake-up pipe. Between receives it runs the jobs
/// enqueued on it, so a consumer task that prefers this executor
/// (`withTaskExecutorPreference(executor) { for await ... }`) is resumed on the receive thread
/// right after the message is yielded: no second thread wakes up. Jobs enqueued from other threads
/// (a `Task.sleep` ending, an awaited call returning) write to the pipe and wake the thread.
///
/// The socket is only ever touched on this thread. After the socket is closed the thread keeps
/// running jobs (a consumer may still await after its loop ends) until the executor is released.
public final class SocketThreadExecutor: TaskExecutor, Sendable {
    private let core: Core
    private let side: SocketSide

    /// - Parameters:
    ///   - onReadable: called on the thread when the socket is readable; receives without blocking.
    ///     After handing a message over it calls its second argument, which runs the jobs queued
    ///     meanwhile (the consumer that the message resumed) and returns whether the socket is still
    ///     open (a job may have closed it: then it must return at once, without touching it).
    ///     Returns false when the socket must be closed (context terminated).
    ///   - onClosed: called on the thread right after the socket is closed.
    init(
        name: String, socket: ZMQSocket,
        onReadable: @escaping @Sendable (ZMQSocket, _ runJobs: () -> Bool) -> Bool,
        onClosed: @escaping @Sendable () -> Void
    ) throws(ZMQError) {
        let core = try Core()
        let side = SocketSide(socket: socket, onClosed: onClosed)
        self.core = core
        self.side = side
        // The thread must not keep the executor alive: it holds it unowned and stops once the
        // executor is released (see deinit), after running what is still queued.
        let unownedSelf = UnownedTaskExecutor(ordinary: self)
        let thread = Thread {
            core.adoptCurrentThread()
            Self.run(core: core, side: side, executor: unownedSelf, onReadable: onReadable)
            core.closeWakePipe()
        }
        thread.name = name
        thread.start()
        core.started.wait()
    }

    deinit {
        core.retire()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        core.enqueue(UnownedJob(job))
    }

    /// True when called on this executor's thread.
    public var isCurrent: Bool { core.isOwnerThread }

    /// Closes the socket on its thread and waits until it is closed. Idempotent. Called on the
    /// thread itself (by a consumer running there), it closes the socket right away.
    func closeSocket() {
        if core.isOwnerThread {
            side.close()
        } else {
            core.requestStop()
        }
        side.waitClosed()
    }

    private static func run(core: Core, side: SocketSide, executor: UnownedTaskExecutor, onReadable: (ZMQSocket, () -> Bool) -> Bool) {
        var batch: [UnownedJob] = []
        batch.reserveCapacity(16)
        var items = [
            zmq_pollitem_t(socket: nil, fd: core.wakeReadFD, events: Int16(ZMQ_POLLIN), revents: 0),
            zmq_pollitem_t(socket: side.socket.raw, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0),
        ]
        // Runs what is queued (one batch: jobs enqueued meanwhile wait for the next round, so the
        // socket is polled between rounds); returns whether the socket is still open.
        func runJobs() -> Bool {
            core.takeJobs(into: &batch)
            for job in batch { job.runSynchronously(on: executor) }
            batch.removeAll(keepingCapacity: true)
            return side.isOpen
        }
        while true {
            _ = runJobs()

            let step = core.prepareToWait()
            if side.isOpen && step.stopRequested { side.close() }
            if !side.isOpen && step.retired && step.idle { return }

            let open = side.isOpen
            items[0].revents = 0
            items[1].revents = 0
            let rc = zmq_poll(&items, open ? 2 : 1, step.idle ? 1_000 : 0)
            core.awake()
            if rc < 0 {
                let error = ZMQError.last("zmq_poll")
                if error.isTerminated { side.close() } else if !error.isInterrupted { usleep(10_000) }
                continue
            }
            if items[0].revents & Int16(ZMQ_POLLIN) != 0 { core.drainWakePipe() }
            if open && items[1].revents & Int16(ZMQ_POLLIN) != 0 {
                if !onReadable(side.socket, runJobs) { side.close() }
            }
        }
    }
}

extension SocketThreadExecutor {
    /// The job queue, the flags and the wake-up pipe, shared by the thread and everyone else.
    final class Core: Sendable {
        struct State {
            var jobs: [UnownedJob] = []
            /// The thread is (about to be) blocked in zmq_poll and needs a byte on the pipe.
            var sleeping = false
            /// Something changed that the thread must look at before it sleeps again.
            var notified = false
            var stopRequested = false
            var retired = false
            var owner: pthread_t?
        }

        struct Step {
            var stopRequested: Bool
            var retired: Bool
            /// Nothing queued: the thread may block.
            var idle: Bool
        }

        private let state = Mutex(State())
        let wakeReadFD: Int32
        private let wakeWriteFD: Int32
        let started = DispatchSemaphore(value: 0)

        init() throws(ZMQError) {
            var fds: [Int32] = [-1, -1]
            guard pipe(&fds) == 0 else { throw ZMQError(code: errno, operation: "pipe") }
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
            wakeReadFD = fds[0]
            wakeWriteFD = fds[1]
        }

        func adoptCurrentThread() {
            state.withLock { $0.owner = pthread_self() }
            started.signal()
        }

        var isOwnerThread: Bool {
            let me = pthread_self()
            return state.withLock { $0.owner.map { pthread_equal($0, me) != 0 } ?? false }
        }

        func enqueue(_ job: UnownedJob) {
            let wake = state.withLock { state in
                state.jobs.append(job)
                defer { state.sleeping = false }
                return state.sleeping
            }
            if wake { self.wake() }
        }

        func requestStop() { notify { $0.stopRequested = true } }
        func retire() { notify { $0.retired = true } }

        private func notify(_ change: (inout State) -> Void) {
            let wake = state.withLock { state in
                change(&state)
                state.notified = true
                defer { state.sleeping = false }
                return state.sleeping
            }
            if wake { self.wake() }
        }

        func takeJobs(into batch: inout [UnownedJob]) {
            state.withLock { swap(&$0.jobs, &batch) }
        }

        /// Reads the flags; when nothing is queued and nothing was notified, marks the thread
        /// sleeping so that the next enqueue writes to the pipe.
        func prepareToWait() -> Step {
            state.withLock { state in
                let idle = state.jobs.isEmpty && !state.notified
                state.notified = false
                state.sleeping = idle
                return Step(stopRequested: state.stopRequested, retired: state.retired, idle: idle)
            }
        }

        func awake() { state.withLock { $0.sleeping = false } }

        private func wake() {
            var byte: UInt8 = 1
            // EAGAIN means the pipe is full of wake-ups already: the thread will wake anyway.
            while write(wakeWriteFD, &byte, 1) < 0 && errno == EINTR {}
        }

        func drainWakePipe() {
            var buffer = [UInt8](repeating: 0, count: 64)
            while true {
                let n = read(wakeReadFD, &buffer, buffer.count)
                if n == buffer.count { continue }
                if n < 0 && errno == EINTR { continue }
                return
            }
        }

        func closeWakePipe() {
            close(wakeReadFD)
            close(wakeWriteFD)
        }
    }

    /// The socket and whether it is open. Touched only on the executor's thread (the `closed`
    /// semaphore is how other threads learn that it is closed).
    final class SocketSide: @unchecked Sendable {
        let socket: ZMQSocket
        private(set) var isOpen = true
        private let onClosed: @Sendable () -> Void
        private let closed = DispatchSemaphore(value: 0)

        init(socket: ZMQSocket, onClosed: @escaping @Sendable () -> Void) {
            self.socket = socket
            self.onClosed = onClosed
        }

        /// On the executor's thread only.
        func close() {
            guard isOpen else { return }
            isOpen = false
            socket.close()
            onClosed()
            closed.signal()
        }

        /// Returns once the socket is closed (any number of callers).
        func waitClosed() {
            closed.wait()
            closed.signal()
        }
    }
}
