import Foundation

/// Runs a command to its end without blocking a Swift concurrency thread: the blocking read and
/// wait happen on a thread of their own. Tests must not call `Process.waitUntilExit()` or
/// `readDataToEndOfFile()` directly: on a 2-core machine the cooperative pool has two threads, and
/// two tests blocking them starve every other test's tasks (a launcher test once waited 20 s for a
/// child it never got to start).
public enum CommandRunner {
    public struct Result: Sendable {
        public var status: Int32
        /// stdout and stderr, interleaved.
        public var output: String
    }

    /// Starts `executable` with `arguments` and returns its exit status and output once it ends.
    public static func run(_ executable: URL, _ arguments: [String], currentDirectory: URL? = nil, environment: [String: String]? = nil) async throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        return await waitForEnd(process, output: pipe)
    }

    /// Reads `output` to its end and waits for `process` on a dedicated thread.
    public static func waitForEnd(_ process: Process, output pipe: Pipe) async -> Result {
        let box = UncheckedBox(process: process, pipe: pipe)
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let data = box.pipe.fileHandleForReading.readDataToEndOfFile()
                box.process.waitUntilExit()
                continuation.resume(returning: Result(status: box.process.terminationStatus, output: String(decoding: data, as: UTF8.self)))
            }
        }
    }

    private struct UncheckedBox: @unchecked Sendable {
        let process: Process
        let pipe: Pipe
    }
}
