/// A process that has just been started, as a readiness check sees it.
public struct StartedProcess: Sendable {
    public var name: String
    public var service: String
    public var replica: Int
    public var pid: Int32
    public var process: PlannedProcess

    public init(name: String, service: String, replica: Int, pid: Int32, process: PlannedProcess) {
        self.name = name
        self.service = service
        self.replica = replica
        self.pid = pid
        self.process = process
    }
}

/// Waits until a started process is ready; throwing stops the group (``StopReason/notReady(process:message:)``).
/// It is cancelled when the group stops or the process exits, and should honour cancellation.
public typealias ReadinessCheck = @Sendable (StartedProcess) async throws -> Void

/// Something that happened while running, for callers that want to follow along.
public enum LaunchEvent: Sendable {
    case started(StartedProcess)
    case ready(String)
    case exited(ProcessExit)
    case stopping(StopReason)
}
