import Foundation

/// One process to start: a replica of a service with its resolved executable and full environment.
public struct PlannedProcess: Sendable, Equatable {
    /// `<service>-<replica>`, e.g. `predictor-logreg-2`: the log prefix and default `SERVICE_INSTANCE`.
    public var name: String
    public var service: String
    /// 1-based.
    public var replica: Int
    public var executable: URL
    /// The arguments after the executable (host-mapped like the environment).
    public var arguments: [String]
    /// Everything the child sees.
    public var environment: [String: String]
    public var stopGracePeriod: Duration
    public var stopSignal: Int32
    public var healthcheck: Healthcheck?

    public init(
        name: String, service: String, replica: Int, executable: URL, arguments: [String],
        environment: [String: String], stopGracePeriod: Duration, stopSignal: Int32 = 15, healthcheck: Healthcheck? = nil
    ) {
        self.name = name
        self.service = service
        self.replica = replica
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.stopGracePeriod = stopGracePeriod
        self.stopSignal = stopSignal
        self.healthcheck = healthcheck
    }
}
