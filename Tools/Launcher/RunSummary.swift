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
