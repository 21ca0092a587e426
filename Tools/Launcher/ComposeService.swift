/// One service of a compose file, with every value interpolated.
public struct ComposeService: Sendable, Equatable {
    /// The key under `services:`; also the host name other services use for it.
    public var name: String
    public var image: String?
    /// True when the service has a `build:` section (only recorded: the launcher runs built executables).
    public var hasBuild: Bool
    /// `entrypoint` followed by `command`, split into words; empty when the file gives neither.
    public var command: [String]
    /// `env_file` values first, then `environment` (later wins). Not yet host-mapped or overridden.
    public var environment: [String: String]
    /// Service names from `depends_on`, in file order.
    public var dependsOn: [String]
    /// `depends_on` map-form conditions (`service_started`, `service_healthy`, ...), by dependency.
    public var dependencyConditions: [String: String]
    public var healthcheck: Healthcheck?
    /// `restart` as written (`no`, `always`, `on-failure`, `unless-stopped`); recorded only.
    public var restart: String?
    /// `stop_grace_period`, 10 s when absent (docker-compose's default).
    public var stopGracePeriod: Duration
    /// `stop_signal` as a number; SIGTERM when absent.
    public var stopSignal: Int32
    public var ports: [PortMapping]
    public var containerName: String?
    /// `volumes` as written (short form) or `source:target` (long form); recorded only.
    public var volumes: [String]
    /// `profiles`: a service with profiles starts only when one of them is active (or when named).
    public var profiles: [String]
    /// `scale:` or `deploy.replicas:` from the file; nil when absent.
    public var replicas: Int?

    public init(
        name: String, image: String? = nil, hasBuild: Bool = false, command: [String] = [],
        environment: [String: String] = [:], dependsOn: [String] = [], dependencyConditions: [String: String] = [:],
        healthcheck: Healthcheck? = nil, restart: String? = nil, stopGracePeriod: Duration = .seconds(10),
        stopSignal: Int32 = 15, ports: [PortMapping] = [], containerName: String? = nil, volumes: [String] = [],
        profiles: [String] = [], replicas: Int? = nil
    ) {
        self.name = name
        self.image = image
        self.hasBuild = hasBuild
        self.command = command
        self.environment = environment
        self.dependsOn = dependsOn
        self.dependencyConditions = dependencyConditions
        self.healthcheck = healthcheck
        self.restart = restart
        self.stopGracePeriod = stopGracePeriod
        self.stopSignal = stopSignal
        self.ports = ports
        self.containerName = containerName
        self.volumes = volumes
        self.profiles = profiles
        self.replicas = replicas
    }

    /// The first published host port, if any: a service with one cannot run more than once on one host.
    public var fixedHostPort: PortMapping? {
        ports.first { $0.hostPort != nil }
    }
}
