/// How ``ComposeRunner`` runs a plan.
public struct RunOptions: Sendable {
    /// Where prefixed output lines go (default: standard output).
    public var sink: LineSink
    /// Awaited after each process starts, before the next one starts; nil starts everything at once.
    public var readiness: ReadinessCheck?
    /// Services that may exit with status 0 without stopping the others (e.g. a collector that
    /// finishes a replay). Any other exit, or a non-zero one, stops the group.
    public var mayExitSuccessfully: Set<String>
    /// Catch SIGINT and SIGTERM while running: the first stops the group, a second kills it at once.
    /// Turn off when the caller handles signals itself (and calls ``ComposeRunner/stop(reason:)``).
    public var handleSignals: Bool
    /// The name the launcher's own lines carry.
    public var launcherLabel: String
    /// Called on the runner's threads for each ``LaunchEvent``; keep it quick.
    public var onEvent: (@Sendable (LaunchEvent) -> Void)?
    /// How long to wait, after a process has exited, for the rest of its output (a grandchild may hold the pipes).
    public var outputDrainTimeout: Duration
    /// How long to wait for a process to die after SIGKILL before giving up on it.
    public var killTimeout: Duration

    public init(
        sink: LineSink = .standardOutput,
        readiness: ReadinessCheck? = nil,
        mayExitSuccessfully: Set<String> = [],
        handleSignals: Bool = true,
        launcherLabel: String = "launcher",
        onEvent: (@Sendable (LaunchEvent) -> Void)? = nil,
        outputDrainTimeout: Duration = .seconds(2),
        killTimeout: Duration = .seconds(5)
    ) {
        self.sink = sink
        self.readiness = readiness
        self.mayExitSuccessfully = mayExitSuccessfully
        self.handleSignals = handleSignals
        self.launcherLabel = launcherLabel
        self.onEvent = onEvent
        self.outputDrainTimeout = outputDrainTimeout
        self.killTimeout = killTimeout
    }
}
