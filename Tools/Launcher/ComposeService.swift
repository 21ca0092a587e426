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

/// A `healthcheck:` section. The launcher does not run it by itself; a readiness check may.
public struct Healthcheck: Sendable, Equatable {
    public enum Test: Sendable, Equatable {
        /// `NONE`, or `disable: true`.
        case none
        /// `["CMD", "prog", "arg"]`: run directly.
        case command([String])
        /// `["CMD-SHELL", "..."]` or a plain string: run with `/bin/sh -c`.
        case shell(String)
    }

    public var test: Test
    public var interval: Duration?
    public var timeout: Duration?
    public var startPeriod: Duration?
    public var retries: Int?

    public init(test: Test, interval: Duration? = nil, timeout: Duration? = nil, startPeriod: Duration? = nil, retries: Int? = nil) {
        self.test = test
        self.interval = interval
        self.timeout = timeout
        self.startPeriod = startPeriod
        self.retries = retries
    }
}

/// One `ports:` entry. `hostPort` is nil when only a container port is given (docker picks the host port).
public struct PortMapping: Sendable, Equatable, CustomStringConvertible {
    public var hostIP: String?
    public var hostPort: String?
    public var containerPort: String
    public var proto: String?
    /// The entry as the file wrote it.
    public var raw: String

    public init(hostIP: String? = nil, hostPort: String? = nil, containerPort: String, proto: String? = nil, raw: String) {
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.containerPort = containerPort
        self.proto = proto
        self.raw = raw
    }

    /// Parses the short syntax: `8080`, `8080:80`, `127.0.0.1:8080:80`, `127.0.0.1::80`, `5555:5555/tcp`.
    public init?(short text: String) {
        var body = Substring(text)
        var proto: String?
        if let slash = body.lastIndex(of: "/") {
            proto = String(body[body.index(after: slash)...])
            body = body[..<slash]
        }
        // An IPv6 host address is bracketed: [::1]:8080:80.
        var hostIP: String?
        if body.hasPrefix("["), let close = body.firstIndex(of: "]") {
            hostIP = String(body[body.index(after: body.startIndex)..<close])
            body = body[body.index(after: close)...]
            guard body.hasPrefix(":") else { return nil }
            body = body.dropFirst()
        }
        let parts = body.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch (parts.count, hostIP) {
        case (1, nil):
            self.init(containerPort: parts[0], proto: proto, raw: text)
        case (2, _):
            self.init(hostIP: hostIP, hostPort: parts[0].isEmpty ? nil : parts[0], containerPort: parts[1], proto: proto, raw: text)
        case (3, nil):
            self.init(
                hostIP: parts[0].isEmpty ? nil : parts[0], hostPort: parts[1].isEmpty ? nil : parts[1],
                containerPort: parts[2], proto: proto, raw: text)
        default:
            return nil
        }
        if containerPort.isEmpty { return nil }
    }

    public var description: String { raw }
}
