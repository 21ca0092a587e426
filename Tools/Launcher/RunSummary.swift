/// How a process ended.
public enum ExitStatus: Sendable, Equatable, Hashable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)
    /// The status could not be collected (someone else reaped the process).
    case unknown

    public var isSuccess: Bool { self == .exited(0) }

    public var description: String {
        switch self {
        case let .exited(code): return "exit status \(code)"
        case let .signaled(signal): return "signal \(signal) (\(SignalNames.name(signal)))"
        case .unknown: return "unknown status"
        }
    }
}

/// One process that ran.
public struct ProcessExit: Sendable, Equatable, CustomStringConvertible {
    /// `<service>-<replica>`.
    public var name: String
    public var service: String
    public var pid: Int32
    public var status: ExitStatus
    /// True when the exit needs no attention: the launcher was stopping everything, or the service
    /// may exit 0 (``RunOptions/mayExitSuccessfully``) and did.
    public var expected: Bool
    /// The launcher had sent it its stop signal.
    public var stoppedByLauncher: Bool
    /// It outlived its stop_grace_period and was sent SIGKILL.
    public var killed: Bool

    public init(name: String, service: String, pid: Int32, status: ExitStatus, expected: Bool, stoppedByLauncher: Bool = false, killed: Bool = false) {
        self.name = name
        self.service = service
        self.pid = pid
        self.status = status
        self.expected = expected
        self.stoppedByLauncher = stoppedByLauncher
        self.killed = killed
    }

    public var description: String {
        var text = "\(name) exited with \(status)"
        if killed { text += " (killed after its grace period)" }
        return text + (expected ? " (expected)" : " (unexpected)")
    }
}

/// Why the group stopped.
public enum StopReason: Sendable, Equatable, CustomStringConvertible {
    /// The launcher received SIGINT or SIGTERM.
    case signal(Int32)
    /// ``ComposeRunner/stop(reason:)`` was called.
    case requested(String)
    /// A process exited and that was not expected; the exit says which, how, and `expected: false`.
    case processExited(ProcessExit)
    /// A process could not be started.
    case startFailed(process: String, message: String)
    /// A readiness check threw.
    case notReady(process: String, message: String)
    /// Every process exited on its own, each expectedly (or there was nothing to run).
    case allExited

    public var description: String {
        switch self {
        case let .signal(number): return "\(SignalNames.name(number)) received"
        case let .requested(reason): return "stop requested: \(reason)"
        case let .processExited(exit): return exit.description
        case let .startFailed(process, message): return "\(process) could not start: \(message)"
        case let .notReady(process, message): return "\(process) did not become ready: \(message)"
        case .allExited: return "every process exited"
        }
    }

    /// True for the reasons that mean something went wrong.
    public var isFailure: Bool {
        switch self {
        case .signal, .requested, .allExited: return false
        case .processExited, .startFailed, .notReady: return true
        }
    }
}

/// What ``ComposeRunner/run()`` returns once every process is gone.
public struct RunSummary: Sendable, Equatable, CustomStringConvertible {
    public var reason: StopReason
    /// Every process that was started, in start order.
    public var exits: [ProcessExit]
    /// Processes of the plan that were never started.
    public var notStarted: [String]

    public init(reason: StopReason, exits: [ProcessExit], notStarted: [String]) {
        self.reason = reason
        self.exits = exits
        self.notStarted = notStarted
    }

    /// The exit of the process called `name` (`bus-1`).
    public func exit(of name: String) -> ProcessExit? {
        exits.first { $0.name == name }
    }

    /// A suggested exit code for a CLI: 0 when stopped on purpose or everything finished as expected, else 1.
    public var exitCode: Int32 { reason.isFailure ? 1 : 0 }

    public var description: String {
        var lines = ["stopped: \(reason)"]
        lines += exits.map { "  \($0)" }
        if !notStarted.isEmpty { lines.append("  not started: \(notStarted.joined(separator: ", "))") }
        return lines.joined(separator: "\n")
    }
}
