/// Why a compose file could not be read into a ``ComposeFile``.
public enum ComposeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be read from disk.
    case unreadable(path: String, message: String)
    /// The text is not valid YAML.
    case invalidYAML(String)
    /// A key holds a value of the wrong shape (`field` is a dotted path such as `services.bus.environment`).
    case invalidField(field: String, message: String)
    /// `${VAR` without a closing brace, or another malformed substitution.
    case invalidInterpolation(field: String, value: String, message: String)
    /// `${VAR:?message}` or `${VAR?message}` with the variable missing.
    case requiredVariableMissing(field: String, variable: String, message: String)
    /// An `env_file` that does not exist (and is not marked `required: false`).
    case envFileNotFound(service: String, path: String)
    /// `depends_on` names a service that the file does not define.
    case unknownDependency(service: String, dependency: String)
    /// The services depend on each other in a loop; `cycle` starts and ends with the same name.
    case dependencyCycle([String])

    public var description: String {
        switch self {
        case let .unreadable(path, message):
            return "cannot read compose file \(path): \(message)"
        case let .invalidYAML(message):
            return "compose file is not valid YAML: \(message)"
        case let .invalidField(field, message):
            return "\(field): \(message)"
        case let .invalidInterpolation(field, value, message):
            return "\(field): invalid interpolation in \"\(value)\": \(message)"
        case let .requiredVariableMissing(field, variable, message):
            let why = message.isEmpty ? "is required but not set" : message
            return "\(field): variable \(variable) \(why)"
        case let .envFileNotFound(service, path):
            return "services.\(service).env_file: \(path) not found"
        case let .unknownDependency(service, dependency):
            return "service \"\(service)\" depends on unknown service \"\(dependency)\""
        case let .dependencyCycle(cycle):
            return "dependency cycle between services: \(cycle.joined(separator: " -> "))"
        }
    }
}
