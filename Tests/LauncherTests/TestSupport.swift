import Foundation
import Launcher
import Synchronization

/// A folder under the system temp directory, removed by `remove()`.
struct TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("launcher-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    @discardableResult
    func write(_ name: String, _ text: String, executable: Bool = false) throws -> URL {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: file, atomically: true, encoding: .utf8)
        if executable {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
        }
        return file
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// Collects sink lines so tests can look at them (and wait for one with a deadline).
final class RecordingSink: Sendable {
    private let lines = Mutex<[String]>([])

    var sink: LineSink {
        LineSink { line in self.lines.withLock { $0.append(line) } }
    }

    var all: [String] { lines.withLock { $0 } }

    /// Polls until a line satisfies `predicate` or `timeout` passes.
    func waitForLine(timeout: Duration = launcherTestTimeout, where predicate: (String) -> Bool) async -> Bool {
        await poll(timeout: timeout) { self.all.contains(where: predicate) }
    }
}

/// How long a launcher test waits for something that normally takes milliseconds. Generous on
/// purpose: the launcher starts processes from a Swift concurrency task, and while the other unit
/// tests of this process run CPU-heavy synchronous work (model training) on both cooperative
/// threads of a 2-core machine, that task can wait over 20 s for a thread (CI failed so once).
/// A deadline, never a sleep: a passing test returns as soon as the condition holds.
let launcherTestTimeout: Duration = .seconds(180)

/// Re-checks `condition` every few milliseconds until it holds (true) or the deadline passes (false).
func poll(timeout: Duration = launcherTestTimeout, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// Parses YAML with a fixed environment and no .env file.
func compose(_ yaml: String, environment: [String: String] = [:], directory: URL = URL(fileURLWithPath: "/tmp")) throws(ComposeError) -> ComposeFile {
    try ComposeFile(yaml: yaml, directory: directory, environment: environment)
}

/// Options for runs in tests: a shell-friendly PATH and no signal handling.
func testOptions(binDirectory: URL? = nil, scale: [String: Int] = [:], environment: [String: String] = [:]) -> LaunchOptions {
    LaunchOptions(
        binDirectory: binDirectory, scale: scale, environment: environment,
        baseEnvironment: ["PATH": "/usr/local/bin:/usr/bin:/bin"])
}
