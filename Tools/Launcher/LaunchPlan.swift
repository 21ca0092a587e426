import Foundation

/// The processes `quorum up` will start, in start order. Building one checks everything that can be
/// checked before starting: service names, scaling, and that every executable exists.
public struct LaunchPlan: Sendable {
    public var processes: [PlannedProcess]

    public init(processes: [PlannedProcess]) {
        self.processes = processes
    }

    public init(file: ComposeFile, options: LaunchOptions = LaunchOptions()) throws(LaunchError) {
        let known = Set(file.services.map(\.name))
        for name in options.services + options.scale.keys.sorted() where !known.contains(name) {
            throw .unknownService(name)
        }
        let selected = Self.select(file: file, options: options)
        let mapping = options.hostAddress.map { address in
            HostMapping(hosts: file.services.flatMap { [$0.name] + ($0.containerName.map { [$0] } ?? []) }, address: address)
        }
        let resolver = ExecutableResolver(
            binDirectory: options.binDirectory,
            path: options.baseEnvironment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
            workingDirectory: options.workingDirectory)

        var processes: [PlannedProcess] = []
        var missing: [MissingExecutable] = []
        for service in file.services where selected.contains(service.name) {
            let replicas = options.scale[service.name] ?? service.replicas ?? 1
            if replicas > 1 {
                if let port = service.fixedHostPort {
                    throw .cannotScale(
                        service: service.name,
                        reason: "it publishes fixed host port \(port.hostPort ?? "") (ports: \"\(port.raw)\"), "
                            + "which only one process can bind")
                }
                if let container = service.containerName {
                    throw .cannotScale(
                        service: service.name,
                        reason: "it sets container_name \"\(container)\", which must be unique")
                }
            }
            if replicas == 0 { continue }
            guard let program = service.command.first else {
                missing.append(MissingExecutable(service: service.name, executable: nil, searched: []))
                continue
            }
            guard let executable = resolver.resolve(program) else {
                missing.append(MissingExecutable(service: service.name, executable: program, searched: resolver.searchPath))
                continue
            }
            var serviceEnvironment = service.environment
            for (key, value) in options.environment { serviceEnvironment[key] = value }
            if let mapping {
                serviceEnvironment = serviceEnvironment.mapValues(mapping.rewrite)
            }
            var base: [String: String] = [:]
            if options.inheritEnvironment {
                base = options.baseEnvironment
            } else if let path = options.baseEnvironment["PATH"] {
                base["PATH"] = path
            }
            let arguments = service.command.dropFirst().map { mapping?.rewrite($0) ?? $0 }
            for replica in 1...replicas {
                let name = "\(service.name)-\(replica)"
                var environment = base
                environment["SERVICE_INSTANCE"] = name
                environment.merge(serviceEnvironment) { _, new in new }
                processes.append(PlannedProcess(
                    name: name, service: service.name, replica: replica, executable: executable,
                    arguments: arguments, environment: environment, stopGracePeriod: service.stopGracePeriod,
                    stopSignal: service.stopSignal, healthcheck: service.healthcheck))
            }
        }
        if !missing.isEmpty { throw .missingExecutables(missing) }
        self.init(processes: processes)
    }

    /// The named services (or all services with active profiles) and everything they depend on.
    private static func select(file: ComposeFile, options: LaunchOptions) -> Set<String> {
        let roots = options.services.isEmpty
            ? file.services.filter { $0.profiles.isEmpty || !options.profiles.isDisjoint(with: $0.profiles) }.map(\.name)
            : options.services
        var selected = Set<String>()
        var pending = roots
        while let name = pending.popLast() {
            guard selected.insert(name).inserted, let service = file[service: name] else { continue }
            pending += service.dependsOn
        }
        return selected
    }

    /// Process names in start order.
    public var names: [String] { processes.map(\.name) }
}
