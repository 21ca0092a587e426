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
