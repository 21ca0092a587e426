import Foundation

/// A parsed compose file: its services in start order, every value interpolated.
public struct ComposeFile: Sendable {
    /// The folder that relative paths (`env_file`) are resolved against.
    public var directory: URL
    /// Services in start order: dependencies first, otherwise file order.
    public var services: [ComposeService]
    /// Service names as the file lists them.
    public var fileOrder: [String]
    /// Non-fatal findings, e.g. `variable X is not set; substituting an empty string`.
    public var warnings: [String]

    public init(directory: URL, services: [ComposeService], fileOrder: [String], warnings: [String] = []) {
        self.directory = directory
        self.services = services
        self.fileOrder = fileOrder
        self.warnings = warnings
    }

    /// Reads and parses the file at `url`. `environment` feeds `${VAR}`; with `readDotEnv`, a `.env` file next
    /// to the compose file supplies variables that `environment` does not set (as docker-compose does).
    public static func load(
        contentsOf url: URL,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        readDotEnv: Bool = true
    ) throws(ComposeError) -> ComposeFile {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw .unreadable(path: url.path, message: error.localizedDescription)
        }
        return try ComposeFile(
            yaml: text, directory: url.deletingLastPathComponent(), environment: environment, readDotEnv: readDotEnv)
    }

    /// Parses compose YAML; `directory` resolves relative `env_file` paths (and holds `.env` when `readDotEnv`).
    public init(
        yaml: String,
        directory: URL,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        readDotEnv: Bool = false
    ) throws(ComposeError) {
        var variables = environment
        if readDotEnv {
            let dotEnv = directory.appendingPathComponent(".env")
            if let text = try? String(contentsOf: dotEnv, encoding: .utf8) {
                var scratch = Interpolation(variables: environment)
                for (key, value) in try EnvFile.parse(text, field: dotEnv.path, interpolation: &scratch)
                where variables[key] == nil {
                    variables[key] = value
                }
            }
        }
        var parser = ComposeParser(directory: directory, interpolation: Interpolation(variables: variables))
        let services = try parser.parse(yaml: yaml)
        let order = try StartOrder.order(services.map { ($0.name, $0.dependsOn) })
        let byName = Dictionary(uniqueKeysWithValues: services.map { ($0.name, $0) })
        self.init(
            directory: directory,
            services: order.compactMap { byName[$0] },
            fileOrder: services.map(\.name),
            warnings: parser.interpolation.warnings.map { "variable \($0) is not set; substituting an empty string" }
        )
    }

    /// The service called `name`, if the file defines it.
    public subscript(service name: String) -> ComposeService? {
        services.first { $0.name == name }
    }
}
