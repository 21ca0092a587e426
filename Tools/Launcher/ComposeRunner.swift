import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a ``LaunchPlan`` as local processes and stops them together.
///
/// Processes start in plan order (each after its readiness check, if one is given). Every line they
/// write is prefixed with the process name and sent to the sink. The group stops when the launcher
/// gets SIGINT/SIGTERM, when ``stop(reason:)`` is called, or when a process exits (unless its service
/// may exit 0 and it did): services are then sent their stop signal in reverse start order, each
/// followed by SIGKILL if it outlives its `stop_grace_period`. ``run()`` returns a ``RunSummary``.
///
/// The runner is a handle: keep it to call ``stop(reason:)``, ``waitUntilRunning()`` or
/// ``waitForExit(of:)`` from other tasks while ``run()`` is in progress.
public final class ComposeRunner: Sendable {
    public let plan: LaunchPlan
    public let options: RunOptions

    private let output: OutputMultiplexer
    private let slots: [Slot]
    private let state = Mutex(State())
    private let events: AsyncStream<Event>
    private let eventInput: AsyncStream<Event>.Continuation
    /// Set by a second signal while stopping: skip the grace periods.
    private let force = OneShot<Void>()
    private let running = OneShot<Bool>()
    private let finished = OneShot<RunSummary>()
    private let serviceExits: [String: OneShot<[ProcessExit]>]

    public init(plan: LaunchPlan, options: RunOptions = RunOptions()) {
        self.plan = plan
        self.options = options
        self.output = OutputMultiplexer(sink: options.sink, labels: plan.names + [options.launcherLabel])
        self.slots = plan.processes.enumerated().map { Slot(index: $0, process: $1) }
        (events, eventInput) = AsyncStream<Event>.makeStream()
        var serviceExits: [String: OneShot<[ProcessExit]>] = [:]
        for process in plan.processes where serviceExits[process.service] == nil {
            serviceExits[process.service] = OneShot()
        }
        self.serviceExits = serviceExits
    }

    // MARK: Public API

    /// Starts every process and returns when all of them are gone. Call once; a second call waits for
    /// the first one's summary. Cancelling the calling task stops the group (reason "cancelled").
    public func run() async -> RunSummary {
        let first = state.withLock { state in
            defer { state.didRun = true }
            return !state.didRun
        }
        guard first else {
            return await finished.wait() ?? RunSummary(reason: .requested("cancelled"), exits: [], notStarted: [])
        }
        // Shutdown must not be cut short by the caller's cancellation, so it runs in its own task.
        let supervisor = Task { await self.supervise() }
        return await withTaskCancellationHandler {
            await supervisor.value
        } onCancel: {
            self.stop(reason: "cancelled")
        }
    }

    /// Stops the whole group (idempotent; the first reason wins). Safe to call from any thread, before
    /// or during ``run()``.
    public func stop(reason: String) {
        requestStop(.requested(reason))
    }

    /// True once every process has started (and passed its readiness check); false if the group
    /// began stopping first.
    public func waitUntilRunning() async -> Bool {
        await running.wait() ?? false
    }

    /// Waits until every replica of `service` has exited, or the run has finished, and returns their
    /// exits. Use it to learn that a service in ``RunOptions/mayExitSuccessfully`` finished
    /// (`exits.allSatisfy { $0.status.isSuccess }`). Returns at once for a service not in the plan.
    public func waitForExit(of service: String) async -> [ProcessExit] {
        await serviceExits[service]?.wait() ?? []
    }

    /// The exits so far, in start order.
    public var exits: [ProcessExit] {
        state.withLock { state in state.exits.sorted { $0.key < $1.key }.map(\.value) }
    }

    // MARK: Supervision

    private func supervise() async -> RunSummary {
        var trap: SignalTrap?
        if options.handleSignals {
            trap = await SignalTrap.install([SIGINT, SIGTERM], ignoring: [SIGPIPE]) { [self] number in
                signalReceived(number)
            }
        }
        let starter = Task { await self.startAll() }
        var announced = Set<Int>()
        for await event in events {
            switch event {
            case let .exited(index):
                guard let exit = state.withLock({ $0.exits[index] }) else { break }
                _ = await slots[index].outputClosed.wait(until: .now + options.outputDrainTimeout)
                announce(exit)
                announced.insert(index)
                if !exit.expected {
                    requestStop(.processExited(exit))
                } else if state.withLock({ $0.allExited }) {
                    requestStop(.allExited)
                }
            case .startFinished:
                if state.withLock({ $0.allExited }) { requestStop(.allExited) }
            case .stop:
                break
            }
            if state.withLock({ $0.stopReason != nil }) { break }
        }
        let reason = state.withLock { $0.stopReason } ?? .allExited
        running.fulfill(false)
        starter.cancel()
        await starter.value

        // Exits that happened before the stop but whose events were not handled yet come first.
        for slot in slots where !announced.contains(slot.index) {
            guard let exit = state.withLock({ $0.exits[slot.index] }) else { continue }
            _ = await slot.outputClosed.wait(until: .now + options.outputDrainTimeout)
            announce(exit)
            announced.insert(slot.index)
        }
        if reason != .allExited {
            say("stopping all services: \(reason)")
        }
        options.onEvent?(.stopping(reason))
        await shutdown(announced: &announced)
        trap?.remove()

        let (exits, notStarted) = state.withLock { state in
            let exits = self.slots.compactMap { slot -> ProcessExit? in
                guard let pid = state.pids[slot.index] else { return nil }
                // A process that survived SIGKILL (stuck in the kernel) is reported without a status.
                return state.exits[slot.index] ?? ProcessExit(
                    name: slot.process.name, service: slot.process.service, pid: pid, status: .unknown,
                    expected: false, stoppedByLauncher: true, killed: true)
            }
            let notStarted = self.slots.filter { state.pids[$0.index] == nil }.map(\.process.name)
            return (exits, notStarted)
        }
        for (service, oneShot) in serviceExits {
            oneShot.fulfill(exits.filter { $0.service == service })
        }
        let summary = RunSummary(reason: reason, exits: exits, notStarted: notStarted)
        say(reason.isFailure ? "stopped after a failure: \(reason)" : "all services stopped")
        finished.fulfill(summary)
        eventInput.finish()
        return summary
    }

    private func startAll() async {
        for slot in slots {
            let process = slot.process
            let outcome: SpawnOutcome = state.withLock { state in
                guard state.stopReason == nil else { return .stopped }
                do {
                    let child = try ChildProcess.spawn(
                        executable: process.executable.path, arguments: process.arguments,
                        environment: process.environment)
                    state.pids[slot.index] = child.pid
                    return .spawned(child)
                } catch {
                    return .failed(String(describing: error))
                }
            }
            let child: ChildProcess
            switch outcome {
            case .stopped:
                return
            case let .failed(message):
                requestStop(.startFailed(process: process.name, message: message))
                return
            case let .spawned(spawned):
                child = spawned
            }
            let commandLine = ([process.executable.path] + process.arguments).joined(separator: " ")
            say("started \(process.name) (pid \(child.pid)): \(commandLine)")
            watch(child, slot: slot)
            let started = StartedProcess(
                name: process.name, service: process.service, replica: process.replica, pid: child.pid, process: process)
            options.onEvent?(.started(started))

            guard let readiness = options.readiness else { continue }
            let gate = OneShot<ReadyOutcome>()
            let check = Task {
                do {
                    try await readiness(started)
                    gate.fulfill(.ready)
                } catch {
                    gate.fulfill(.failed(String(describing: error)))
                }
            }
            let exitWatch = Task {
                if await slot.exited.wait() != nil { gate.fulfill(.exited) }
            }
            let result = await gate.wait()
            check.cancel()
            exitWatch.cancel()
            switch result {
            case nil:
                return  // the group is stopping
            case .ready:
                say("\(process.name) is ready")
                options.onEvent?(.ready(process.name))
            case .exited:
                continue  // the supervisor decides whether that stops the group
            case let .failed(message):
                if Task.isCancelled { return }
                requestStop(.notReady(process: process.name, message: message))
                return
            }
        }
        state.withLock { $0.startedAll = true }
        running.fulfill(true)
        eventInput.yield(.startFinished)
    }

    /// Reader threads for both pipes and a thread that waits for the exit.
    private func watch(_ child: ChildProcess, slot: Slot) {
        let name = slot.process.name
        for fd in [child.stdout, child.stderr] {
            Thread.detachNewThread { [self] in
                ChildProcess.drain(fd: fd) { lines in self.output.emit(name, lines) }
                slot.streamClosed()
            }
        }
        Thread.detachNewThread { [self] in
            let status = ChildProcess.waitForExit(pid: child.pid) {
                // The leader is a zombie now: no more signals from us, and anything it left behind
                // in its process group goes with it (as in a container).
                state.withLock { _ = $0.reaping.insert(slot.index) }
                kill(-child.pid, SIGKILL)
            }
            recordExit(slot: slot, pid: child.pid, status: status)
        }
    }

    private func recordExit(slot: Slot, pid: pid_t, status: ExitStatus) {
        let service = slot.process.service
        let allReplicasExited: [ProcessExit]? = state.withLock { state in
            let expected = state.stopReason != nil
                || (status.isSuccess && options.mayExitSuccessfully.contains(service))
            let exit = ProcessExit(
                name: slot.process.name, service: service, pid: pid, status: status, expected: expected,
                stoppedByLauncher: state.signaled.contains(slot.index), killed: state.killed.contains(slot.index))
            state.exits[slot.index] = exit
            // Decided here, not when the supervisor gets to it, so that nothing else starts meanwhile.
            if !expected { state.stopReason = .processExited(exit) }
            let replicas = slots.filter { $0.process.service == service }
            guard replicas.allSatisfy({ state.exits[$0.index] != nil }) else { return nil }
            return replicas.compactMap { state.exits[$0.index] }
        }
        if let allReplicasExited { serviceExits[service]?.fulfill(allReplicasExited) }
        slot.exited.fulfill(status)
        eventInput.yield(.exited(slot.index))
    }

    /// Stop signals in reverse start order, one service (all its replicas) at a time.
    private func shutdown(announced: inout Set<Int>) async {
        var services: [[Slot]] = []
        for slot in slots {
            if let last = services.last, last[0].process.service == slot.process.service {
                services[services.count - 1].append(slot)
            } else {
                services.append([slot])
            }
        }
        for group in services.reversed() {
            let live = group.filter { slot in state.withLock { $0.pids[slot.index] != nil && $0.exits[slot.index] == nil } }
            if !live.isEmpty {
                let process = live[0].process
                let names = live.map(\.process.name).joined(separator: ", ")
                var stubborn = live
                if force.value == nil {
                    let deadline = ContinuousClock.now + process.stopGracePeriod
                    for slot in live { send(slot.process.stopSignal, to: slot) }
                    say("sending \(SignalNames.name(process.stopSignal)) to \(names)"
                        + " (grace period \(process.stopGracePeriod.shortDescription))")
                    stubborn = []
                    for slot in live where await slot.exited.wait(until: deadline, interrupt: force) == nil {
                        stubborn.append(slot)
                    }
                    if !stubborn.isEmpty, force.value == nil {
                        say("\(stubborn.map(\.process.name).joined(separator: ", ")) still running after "
                            + "\(process.stopGracePeriod.shortDescription); sending SIGKILL")
                    }
                }
                if !stubborn.isEmpty {
                    if force.value != nil {
                        say("sending SIGKILL to \(stubborn.map(\.process.name).joined(separator: ", "))")
                    }
                    for slot in stubborn { send(SIGKILL, to: slot, kill: true) }
                    for slot in stubborn
                    where await slot.exited.wait(until: .now + options.killTimeout) == nil {
                        say("\(slot.process.name) did not exit after SIGKILL; giving up on it")
                    }
                }
            }
            for slot in group where !announced.contains(slot.index) {
                guard slot.exited.value != nil, let exit = state.withLock({ $0.exits[slot.index] }) else { continue }
                _ = await slot.outputClosed.wait(until: .now + options.outputDrainTimeout)
                announce(exit)
                announced.insert(slot.index)
            }
        }
    }

    private func send(_ signal: Int32, to slot: Slot, kill escalate: Bool = false) {
        state.withLock { state in
            guard let pid = state.pids[slot.index], !state.reaping.contains(slot.index) else { return }
            state.signaled.insert(slot.index)
            if escalate { state.killed.insert(slot.index) }
            kill(-pid, signal)
        }
    }

    // MARK: Stop requests

    private func requestStop(_ reason: StopReason) {
        let first = state.withLock { state in
            guard state.stopReason == nil else { return false }
            state.stopReason = reason
            return true
        }
        if first { eventInput.yield(.stop) }
    }

    private func signalReceived(_ number: Int32) {
        let first = state.withLock { state in
            guard state.stopReason == nil else { return false }
            state.stopReason = .signal(number)
            return true
        }
        if first {
            eventInput.yield(.stop)
        } else if force.fulfill(()) {
            say("\(SignalNames.name(number)) received again: killing everything now")
        }
    }

    // MARK: Lines of our own

    private func say(_ text: String) {
        output.emit(options.launcherLabel, [text])
    }

    private func announce(_ exit: ProcessExit) {
        var text = "\(exit.name) exited with \(exit.status)"
        if exit.killed {
            text += " (killed)"
        } else if exit.stoppedByLauncher {
            text += " (stopped)"
        } else if exit.expected {
            text += state.withLock { $0.stopReason == nil } ? " (expected; the others keep running)" : " (expected)"
        } else {
            text += " (unexpected)"
        }
        say(text)
        options.onEvent?(.exited(exit))
    }
}

// MARK: - Internals

extension ComposeRunner {
    private enum Event: Sendable {
        case exited(Int)
        case stop
        case startFinished
    }

    private enum SpawnOutcome: Sendable {
        case stopped
        case failed(String)
        case spawned(ChildProcess)
    }

    private enum ReadyOutcome: Sendable {
        case ready
        case exited
        case failed(String)
    }

    private struct State {
        var didRun = false
        var stopReason: StopReason?
        var startedAll = false
        var pids: [Int: pid_t] = [:]
        var exits: [Int: ProcessExit] = [:]
        /// Exited leaders not yet reaped: never signal these (their pid is about to be freed).
        var reaping = Set<Int>()
        var signaled = Set<Int>()
        var killed = Set<Int>()

        var allExited: Bool { startedAll && exits.count == pids.count }
    }

    /// One planned process and what is known about it at run time.
    private final class Slot: Sendable {
        let index: Int
        let process: PlannedProcess
        let exited = OneShot<ExitStatus>()
        /// Both pipes have reached end of file.
        let outputClosed = OneShot<Void>()
        private let openStreams = Mutex(2)

        init(index: Int, process: PlannedProcess) {
            self.index = index
            self.process = process
        }

        func streamClosed() {
            let remaining = openStreams.withLock { count in
                count -= 1
                return count
            }
            if remaining == 0 { outputClosed.fulfill(()) }
        }
    }
}
