import Foundation
import Yams

/// Turns compose YAML into ``ComposeService`` values (file order). Unknown keys are ignored.
struct ComposeParser {
    let directory: URL
    var interpolation: Interpolation

    init(directory: URL, interpolation: Interpolation) {
        self.directory = directory
        self.interpolation = interpolation
    }

    mutating func parse(yaml: String) throws(ComposeError) -> [ComposeService] {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw .invalidYAML(String(describing: error))
        }
        guard let root, let top = try Self.pairs(root, field: "(top level)") else {
            throw .invalidField(field: "(top level)", message: "expected a mapping with a `services` key")
        }
        guard let servicesNode = top.first(where: { $0.key == "services" })?.value,
            let services = try Self.pairs(servicesNode, field: "services")
        else {
            throw .invalidField(field: "services", message: "expected a mapping of service names to definitions")
        }
        var result: [ComposeService] = []
        var seen = Set<String>()
        for (name, node) in services {
            guard seen.insert(name).inserted else {
                throw .invalidField(field: "services.\(name)", message: "service defined twice")
            }
            result.append(try service(name: name, node: node))
        }
        return result
    }

    // MARK: One service

    private mutating func service(name: String, node: Node) throws(ComposeError) -> ComposeService {
        let base = "services.\(name)"
        guard let fields = try Self.pairs(node, field: base) else {
            throw .invalidField(field: base, message: "expected a mapping")
        }
        var service = ComposeService(name: name)
        var entrypoint: [String] = []
        var command: [String] = []
        var envFromFiles: [(String, String)] = []
        var envFromEnvironment: [(String, String)] = []
        for (key, value) in fields {
            let field = "\(base).\(key)"
            switch key {
            case "image":
                service.image = try string(value, field: field)
            case "build":
                service.hasBuild = true
            case "command":
                command = try words(value, field: field)
            case "entrypoint":
                entrypoint = try words(value, field: field)
            case "env_file":
                envFromFiles = try envFiles(value, service: name, field: field)
            case "environment":
                envFromEnvironment = try environment(value, field: field)
            case "depends_on":
                try dependsOn(value, field: field, into: &service)
            case "healthcheck":
                service.healthcheck = try healthcheck(value, field: field)
            case "restart":
                service.restart = try string(value, field: field)
            case "stop_grace_period":
                service.stopGracePeriod = try duration(value, field: field)
            case "stop_signal":
                let text = try string(value, field: field)
                guard let number = SignalNames.number(text) else {
                    throw .invalidField(field: field, message: "unknown signal \"\(text)\"")
                }
                service.stopSignal = number
            case "ports":
                service.ports = try ports(value, field: field)
            case "container_name":
                service.containerName = try string(value, field: field)
            case "volumes":
                service.volumes = try volumes(value, field: field)
            case "profiles":
                service.profiles = try stringList(value, field: field)
            case "scale":
                service.replicas = try count(value, field: field)
            case "deploy":
                if let deploy = try Self.pairs(value, field: field),
                    let replicas = deploy.first(where: { $0.key == "replicas" })?.value {
                    service.replicas = try count(replicas, field: "\(field).replicas")
                }
            default:
                break
            }
        }
        service.command = entrypoint + command
        for (key, value) in envFromFiles + envFromEnvironment {
            service.environment[key] = value
        }
        return service
    }

    // MARK: Field shapes

    private mutating func words(_ node: Node, field: String) throws(ComposeError) -> [String] {
        if node.null != nil { return [] }
        if node.scalar != nil {
            let text = try string(node, field: field)
            do {
                return try ShellWords.split(text)
            } catch {
                throw .invalidField(field: field, message: "cannot split \"\(text)\" into words: \(error)")
            }
        }
        return try stringList(node, field: field)
    }

    private mutating func environment(_ node: Node, field: String) throws(ComposeError) -> [(String, String)] {
        var result: [(String, String)] = []
        if let pairs = try Self.pairs(node, field: field) {
            for (key, value) in pairs {
                if value.null != nil {
                    if let inherited = interpolation.variables[key] { result.append((key, inherited)) }
                } else {
                    result.append((key, try string(value, field: "\(field).\(key)")))
                }
            }
            return result
        }
        guard case let .sequence(items) = node else {
            throw .invalidField(field: field, message: "expected a mapping or a list of KEY=VALUE")
        }
        for item in items {
            let entry = try string(item, field: field)
            if let eq = entry.firstIndex(of: "=") {
                result.append((String(entry[..<eq]), String(entry[entry.index(after: eq)...])))
            } else if let inherited = interpolation.variables[entry] {
                result.append((entry, inherited))
            }
        }
        return result
    }

    private mutating func envFiles(_ node: Node, service: String, field: String) throws(ComposeError) -> [(String, String)] {
        var files: [(path: String, required: Bool)] = []
        if node.scalar != nil {
            files = [(try string(node, field: field), true)]
        } else if case let .sequence(items) = node {
            for item in items {
                if let entry = try Self.pairs(item, field: field) {
                    guard let path = entry.first(where: { $0.key == "path" })?.value else {
                        throw .invalidField(field: field, message: "an env_file entry needs a `path`")
                    }
                    let required = try entry.first(where: { $0.key == "required" }).map { pair throws(ComposeError) in
                        try bool(pair.value, field: "\(field).required")
                    }
                    files.append((try string(path, field: "\(field).path"), required ?? true))
                } else {
                    files.append((try string(item, field: field), true))
                }
            }
        } else {
            throw .invalidField(field: field, message: "expected a path or a list of paths")
        }
        var result: [(String, String)] = []
        for file in files {
            let url = file.path.hasPrefix("/")
                ? URL(fileURLWithPath: file.path)
                : directory.appendingPathComponent(file.path)
            guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                if !file.required { continue }
                throw .envFileNotFound(service: service, path: url.path)
            }
            result += try EnvFile.parse(text, field: url.path, interpolation: &interpolation).map { ($0.key, $0.value) }
        }
        return result
    }

    private mutating func dependsOn(_ node: Node, field: String, into service: inout ComposeService) throws(ComposeError) {
        if let pairs = try Self.pairs(node, field: field) {
            for (dependency, detail) in pairs {
                service.dependsOn.append(dependency)
                if let detailPairs = try Self.pairs(detail, field: "\(field).\(dependency)"),
                    let condition = detailPairs.first(where: { $0.key == "condition" })?.value {
                    service.dependencyConditions[dependency] = try string(condition, field: "\(field).\(dependency).condition")
                }
            }
        } else {
            service.dependsOn = try stringList(node, field: field)
        }
    }

    private mutating func healthcheck(_ node: Node, field: String) throws(ComposeError) -> Healthcheck {
        guard let pairs = try Self.pairs(node, field: field) else {
            throw .invalidField(field: field, message: "expected a mapping")
        }
        var check = Healthcheck(test: .none)
        var disabled = false
        for (key, value) in pairs {
            let sub = "\(field).\(key)"
            switch key {
            case "test":
                if value.scalar != nil {
                    let text = try string(value, field: sub)
                    check.test = text == "NONE" ? .none : .shell(text)
                } else {
                    let list = try stringList(value, field: sub)
                    switch list.first {
                    case "NONE", nil: check.test = .none
                    case "CMD": check.test = .command(Array(list.dropFirst()))
                    case "CMD-SHELL": check.test = .shell(list.dropFirst().joined(separator: " "))
                    default:
                        throw .invalidField(field: sub, message: "a list must start with CMD, CMD-SHELL or NONE")
                    }
                }
            case "interval": check.interval = try duration(value, field: sub)
            case "timeout": check.timeout = try duration(value, field: sub)
            case "start_period": check.startPeriod = try duration(value, field: sub)
            case "retries": check.retries = try count(value, field: sub)
            case "disable": disabled = try bool(value, field: sub)
            default: break
            }
        }
        if disabled { check.test = .none }
        return check
    }

    private mutating func ports(_ node: Node, field: String) throws(ComposeError) -> [PortMapping] {
        guard case let .sequence(items) = node else {
            throw .invalidField(field: field, message: "expected a list")
        }
        var result: [PortMapping] = []
        for item in items {
            if let pairs = try Self.pairs(item, field: field) {
                var values: [String: String] = [:]
                for (key, value) in pairs { values[key] = try string(value, field: "\(field).\(key)") }
                guard let target = values["target"] else {
                    throw .invalidField(field: field, message: "a long-form port needs a `target`")
                }
                let raw = values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                result.append(PortMapping(
                    hostIP: values["host_ip"], hostPort: values["published"].flatMap { $0.isEmpty ? nil : $0 },
                    containerPort: target, proto: values["protocol"], raw: raw))
            } else {
                let text = try string(item, field: field)
                guard let mapping = PortMapping(short: text) else {
                    throw .invalidField(field: field, message: "cannot read port \"\(text)\"")
                }
                result.append(mapping)
            }
        }
        return result
    }

    private mutating func volumes(_ node: Node, field: String) throws(ComposeError) -> [String] {
        guard case let .sequence(items) = node else {
            throw .invalidField(field: field, message: "expected a list")
        }
        var result: [String] = []
        for item in items {
            if let pairs = try Self.pairs(item, field: field) {
                var values: [String: String] = [:]
                for (key, value) in pairs where value.scalar != nil {
                    values[key] = try string(value, field: "\(field).\(key)")
                }
                result.append([values["source"], values["target"]].compactMap { $0 }.joined(separator: ":"))
            } else {
                result.append(try string(item, field: field))
            }
        }
        return result
    }

    // MARK: Scalars

    private mutating func string(_ node: Node, field: String) throws(ComposeError) -> String {
        guard let scalar = node.scalar else {
            throw .invalidField(field: field, message: "expected a single value")
        }
        return try interpolation.interpolate(scalar.string, field: field)
    }

    private mutating func stringList(_ node: Node, field: String) throws(ComposeError) -> [String] {
        if node.scalar != nil { return [try string(node, field: field)] }
        guard case let .sequence(items) = node else {
            throw .invalidField(field: field, message: "expected a list")
        }
        var result: [String] = []
        for item in items { result.append(try string(item, field: field)) }
        return result
    }

    private mutating func duration(_ node: Node, field: String) throws(ComposeError) -> Duration {
        let text = try string(node, field: field)
        guard let duration = DurationParser.parse(text) else {
            throw .invalidField(field: field, message: "\"\(text)\" is not a duration (e.g. 10s, 1m30s, 500ms)")
        }
        return duration
    }

    private mutating func count(_ node: Node, field: String) throws(ComposeError) -> Int {
        let text = try string(node, field: field)
        guard let value = Int(text), value >= 0 else {
            throw .invalidField(field: field, message: "\"\(text)\" is not a whole number")
        }
        return value
    }

    private mutating func bool(_ node: Node, field: String) throws(ComposeError) -> Bool {
        switch try string(node, field: field).lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        case let other: throw .invalidField(field: field, message: "\"\(other)\" is not true or false")
        }
    }

    /// The key/value pairs of a mapping node with `<<` merge keys applied (explicit keys win),
    /// or nil when the node is not a mapping.
    static func pairs(_ node: Node, field: String) throws(ComposeError) -> [(key: String, value: Node)]? {
        guard case let .mapping(mapping) = node else { return nil }
        var merged: [(key: String, value: Node)] = []
        var explicit: [(key: String, value: Node)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                throw .invalidField(field: field, message: "keys must be plain values")
            }
            if key == "<<" {
                let sources: [Node]
                if case let .sequence(items) = value { sources = Array(items) } else { sources = [value] }
                for source in sources {
                    guard let pairs = try pairs(source, field: field) else {
                        throw .invalidField(field: field, message: "`<<` must merge a mapping")
                    }
                    for pair in pairs where !merged.contains(where: { $0.key == pair.key }) { merged.append(pair) }
                }
            } else {
                explicit.removeAll { $0.key == key }
                explicit.append((key, value))
            }
        }
        return merged.filter { pair in !explicit.contains { $0.key == pair.key } } + explicit
    }
}
