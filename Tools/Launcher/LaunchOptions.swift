import Foundation

/// What `quorum up` adds to a compose file: where executables are, scaling, environment overrides.
public struct LaunchOptions: Sendable {
    /// Searched first for each command's executable (e.g. `.build/release`); then `PATH`.
    public var binDirectory: URL?
    /// Replicas per service (`--scale predictor-logreg=2`); overrides the file's `scale`/`deploy.replicas`.
    /// 0 leaves a service out.
    public var scale: [String: Int]
    /// Variables that win over the file (`-e REPLAY_SPEED=0`).
    public var environment: [String: String]
    /// The launcher's own environment: children inherit it (unless `inheritEnvironment` is false)
    /// and its `PATH` is searched for executables.
    public var baseEnvironment: [String: String]
    /// When false, a child sees only its service's variables (plus `PATH`), as in a container.
    public var inheritEnvironment: Bool
    /// Services to run (with everything they depend on); empty runs every service whose profiles are active.
    public var services: [String]
    /// Active compose profiles.
    public var profiles: Set<String>
    /// Where service host names (`tcp://bus:5555`) point; nil leaves values as written.
    public var hostAddress: String?
    /// Relative paths in commands (`./bin/tool`) resolve against this folder (default: the current one).
    public var workingDirectory: URL?

    public init(
        binDirectory: URL? = nil,
        scale: [String: Int] = [:],
        environment: [String: String] = [:],
        baseEnvironment: [String: String] = ProcessInfo.processInfo.environment,
        inheritEnvironment: Bool = true,
        services: [String] = [],
        profiles: Set<String> = [],
        hostAddress: String? = "127.0.0.1",
        workingDirectory: URL? = nil
    ) {
        self.binDirectory = binDirectory
        self.scale = scale
        self.environment = environment
        self.baseEnvironment = baseEnvironment
        self.inheritEnvironment = inheritEnvironment
        self.services = services
        self.profiles = profiles
        self.hostAddress = hostAddress
        self.workingDirectory = workingDirectory
    }

    /// Parses `--scale` arguments (`name=2`) into a dictionary.
    public static func parseScale(_ arguments: [String]) throws(LaunchError) -> [String: Int] {
        var result: [String: Int] = [:]
        for argument in arguments {
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let count = Int(parts[1]), count >= 0 else {
                throw .invalidArgument("--scale expects SERVICE=COUNT, got \"\(argument)\"")
            }
            result[parts[0]] = count
        }
        return result
    }

    /// Parses `-e` arguments: `KEY=VALUE`, or `KEY` alone to pass the launcher's own value of KEY.
    public static func parseEnvironment(
        _ arguments: [String], from environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(LaunchError) -> [String: String] {
        var result: [String: String] = [:]
        for argument in arguments {
            if let eq = argument.firstIndex(of: "=") {
                let key = String(argument[..<eq])
                guard !key.isEmpty else { throw .invalidArgument("-e expects KEY=VALUE, got \"\(argument)\"") }
                result[key] = String(argument[argument.index(after: eq)...])
            } else if let value = environment[argument] {
                result[argument] = value
            }
        }
        return result
    }
}

