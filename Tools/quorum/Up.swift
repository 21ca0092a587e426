import ArgumentParser
import Foundation
import Launcher

/// `quorum up`: runs compose/compose.yaml as local processes: the same commands and environment,
/// service host names mapped to 127.0.0.1, bind-mounted container paths mapped back to the host
/// folders, named volumes to var/volumes/<name>.
struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the compose file's services as local processes.")

    @OptionGroup var compose: ComposeOptions

    @Option(name: .customShort("e"), help: "Environment override KEY=VALUE for every service (repeatable).")
    var environment: [String] = []

    @Argument(help: "Services to run (with their dependencies); none = all.")
    var services: [String] = []

    func run() async throws {
        let plan = try LocalCompose.plan(compose, environment: environment, services: services)
        let runner = ComposeRunner(plan: plan, options: RunOptions())
        let summary = await runner.run()
        print("quorum up: stopped (\(summary.reason))")
        for exit in summary.exits { print("  \(exit)") }
        throw ExitCode(summary.exitCode)
    }
}

/// The compose file, the executables and the replicas: what `up` and `demo` share.
struct ComposeOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Compose file.")
    var file: String = "compose/compose.yaml"

    @Option(help: "Folder of the executables (default: .build/release, else .build/debug).")
    var bin: String?

    @Option(help: "Replicas of a service: SERVICE=N (repeatable), e.g. predictor-logreg=2.")
    var scale: [String] = []
}

/// Turns the compose file into a local launch plan.
enum LocalCompose {
    static func defaultBin() -> String {
        let release = ".build/release/quorum-bus"
        return FileManager.default.isExecutableFile(atPath: release) ? ".build/release" : ".build/debug"
    }

    static func plan(_ compose: ComposeOptions, environment: [String], services: [String], extra: [String: String] = [:]) throws -> LaunchPlan {
        let file = compose.file, bin = compose.bin, scale = compose.scale
        let url = URL(fileURLWithPath: file).standardizedFileURL
        let compose = try ComposeFile.load(contentsOf: url)
        for warning in compose.warnings { FileHandle.standardError.write(Data("quorum up: \(warning)\n".utf8)) }
        let overrides = try LaunchOptions.parseEnvironment(environment).merging(extra) { $1 }
        let options = LaunchOptions(
            binDirectory: URL(fileURLWithPath: bin ?? defaultBin()).standardizedFileURL,
            scale: try LaunchOptions.parseScale(scale), environment: overrides, services: services
        )
        var plan = try LaunchPlan(file: compose, options: options)
        let composeDirectory = url.deletingLastPathComponent()
        let volumesRoot = URL(fileURLWithPath: "var/volumes").standardizedFileURL
        for index in plan.processes.indices {
            guard let service = compose[service: plan.processes[index].service] else { continue }
            let mounts = mountMap(service.volumes, composeDirectory: composeDirectory, volumesRoot: volumesRoot)
            for (key, value) in plan.processes[index].environment where overrides[key] == nil {
                for (container, host) in mounts where value == container || value.hasPrefix(container + "/") {
                    plan.processes[index].environment[key] = host + value.dropFirst(container.count)
                    if !host.hasPrefix(composeDirectory.path) { try? FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true) }
                    break
                }
            }
        }
        return plan
    }

    /// Container path → host path for each volume ("../models:/app/models:ro", "data:/var/lib/quorum").
    static func mountMap(_ volumes: [String], composeDirectory: URL, volumesRoot: URL) -> [(String, String)] {
        var result: [(String, String)] = []
        for volume in volumes {
            let parts = volume.split(separator: ":").map(String.init)
            guard parts.count >= 2 else { continue }
            let source = parts[0], target = parts[1]
            let host: String
            if source.hasPrefix(".") || source.hasPrefix("/") || source.hasPrefix("~") {
                host = URL(fileURLWithPath: source, relativeTo: composeDirectory).standardizedFileURL.path
            } else {
                host = volumesRoot.appendingPathComponent(source).path
                try? FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
            }
            result.append((target, host))
        }
        return result.sorted { $0.0.count > $1.0.count }
    }
}
