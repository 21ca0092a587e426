import Foundation

/// A real executable started for an integration test, its output kept in a log file.
public final class ServiceProcess: @unchecked Sendable {
    public let name: String
    public let process = Process()
    public let logURL: URL
    private let logHandle: FileHandle

    public init(name: String, executable: URL, arguments: [String] = [], environment: [String: String], logDirectory: URL) throws {
        self.name = name
        self.logURL = logDirectory.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        self.logHandle = try FileHandle(forWritingTo: logURL)
        logHandle.seekToEndOfFile()
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()
    }

    public var isRunning: Bool { process.isRunning }
    public var pid: Int32 { process.processIdentifier }

    /// SIGTERM, then wait for exit (SIGKILL after `grace` seconds).
    public func stop(grace: Double = 10) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }

    /// kill -9: no chance to clean up.
    public func kill9() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    public var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    deinit { stop(grace: 2); try? logHandle.close() }
}
