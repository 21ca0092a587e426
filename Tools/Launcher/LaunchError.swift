/// Why a compose file cannot be launched as given. Nothing has started when one of these is thrown.
public enum LaunchError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `--scale`, `-e` or a service selection that cannot be read.
    case invalidArgument(String)
    /// A name in `scale` or `services` that the file does not define.
    case unknownService(String)
    /// More than one replica asked of a service that cannot have more than one.
    case cannotScale(service: String, reason: String)
    /// Every command whose executable was not found.
    case missingExecutables([MissingExecutable])

    public var description: String {
        switch self {
        case let .invalidArgument(message):
            return message
        case let .unknownService(name):
            return "no service named \"\(name)\" in the compose file"
        case let .cannotScale(service, reason):
            return "cannot scale service \"\(service)\": \(reason)"
        case let .missingExecutables(missing):
            return "nothing was started; missing executables:\n"
                + missing.map { "  \($0)" }.joined(separator: "\n")
        }
    }
}

/// A service whose command cannot be run.
public struct MissingExecutable: Equatable, Sendable, CustomStringConvertible {
    public var service: String
    /// The command's first word, or nil when the service has no command.
    public var executable: String?
    /// The folders that were searched.
    public var searched: [String]

    public init(service: String, executable: String?, searched: [String]) {
        self.service = service
        self.executable = executable
        self.searched = searched
    }

    public var description: String {
        guard let executable else {
            return "service \(service): no command (set `command:`; images are not run)"
        }
        if executable.contains("/") { return "\(executable) (service \(service)): not an executable file" }
        return "\(executable) (service \(service)): not found in \(searched.joined(separator: ", "))"
    }
}
