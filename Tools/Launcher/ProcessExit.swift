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
    /// It was sent SIGKILL: it outlived its stop_grace_period, or a second signal asked for it.
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
        if killed { text += " (killed)" }
        return text + (expected ? " (expected)" : " (unexpected)")
    }
}
