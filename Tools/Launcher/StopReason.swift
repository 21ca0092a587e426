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
