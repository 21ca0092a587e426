import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a readiness check gave up.
public struct ReadinessError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Ready-made ``ReadinessCheck``s.
public enum Readiness {
    /// Re-checks `condition` every `interval` until it holds; throws after `timeout`.
    public static func polling(
        every interval: Duration = .milliseconds(100),
        timeout: Duration,
        _ condition: @escaping @Sendable (StartedProcess) async -> Bool
    ) -> ReadinessCheck {
        { process in
            let deadline = ContinuousClock.now + timeout
            while !(await condition(process)) {
                guard ContinuousClock.now < deadline else {
                    throw ReadinessError("not ready within \(timeout.shortDescription)")
                }
                try await Task.sleep(for: interval)
            }
        }
    }

    /// Runs each service's compose `healthcheck` on this host until it passes, as docker does for
    /// `condition: service_healthy`: every `interval` (at most `maxInterval`, since docker's 30 s
    /// default is long for local runs), each try bounded by `timeout`, failing after `retries`
    /// consecutive failures once `start_period` has passed. `CMD` programs are looked up in
    /// `binDirectory`, then the process's `PATH`; `CMD-SHELL` runs under `/bin/sh -c`. A service
    /// without a healthcheck is ready as soon as it has started.
    public static func healthcheck(binDirectory: URL? = nil, maxInterval: Duration = .seconds(1)) -> ReadinessCheck {
        { process in
            guard let check = process.process.healthcheck else { return }
            let argv: [String]
            switch check.test {
            case .none:
                return
            case let .shell(command):
                argv = ["/bin/sh", "-c", command]
            case let .command(words):
                guard let program = words.first else { return }
                let resolver = ExecutableResolver(
                    binDirectory: binDirectory, path: process.process.environment["PATH"] ?? "/usr/bin:/bin",
                    workingDirectory: nil)
                guard let executable = resolver.resolve(program) else {
                    throw ReadinessError("healthcheck program \(program) not found in \(resolver.searchPath.joined(separator: ", "))")
                }
                argv = [executable.path] + words.dropFirst()
            }
            let interval = min(check.interval ?? .seconds(30), maxInterval)
            let timeout = check.timeout ?? .seconds(30)
            let retries = max(check.retries ?? 3, 1)
            let startPeriod = check.startPeriod ?? .zero
            let started = ContinuousClock.now
            var failures = 0
            while true {
                let attempt = try await HealthcheckRun.run(argv, environment: process.process.environment, timeout: timeout)
                if attempt.status.isSuccess { return }
                if ContinuousClock.now - started >= startPeriod {
                    failures += 1
                    if failures >= retries {
                        let output = attempt.lastLine.map { ": \($0)" } ?? ""
                        throw ReadinessError("healthcheck failed \(failures) times (last: \(attempt.status)\(output))")
                    }
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}

/// One run of a healthcheck command, with its output discarded but for the last line.
enum HealthcheckRun {
    struct Attempt: Sendable {
        var status: ExitStatus
        var lastLine: String?
    }

    static func run(_ argv: [String], environment: [String: String], timeout: Duration) async throws -> Attempt {
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(executable: argv[0], arguments: Array(argv.dropFirst()), environment: environment)
        } catch {
            throw ReadinessError("healthcheck could not start: \(error)")
        }
        let lastLine = Mutex<String?>(nil)
        let reaping = Mutex(false)
        let exited = OneShot<ExitStatus>()
        let openStreams = Mutex(2)
        let drained = OneShot<Void>()
        for fd in [child.stdout, child.stderr] {
            Thread.detachNewThread {
                ChildProcess.drain(fd: fd) { lines in
                    if let last = lines.last(where: { !$0.isEmpty }) { lastLine.withLock { $0 = last } }
                }
                if openStreams.withLock({ count in count -= 1; return count }) == 0 { drained.fulfill(()) }
            }
        }
        Thread.detachNewThread {
            let status = ChildProcess.waitForExit(pid: child.pid) {
                reaping.withLock { $0 = true }
                kill(-child.pid, SIGKILL)
            }
            exited.fulfill(status)
        }
        if let status = await exited.wait(until: .now + timeout) {
            _ = await drained.wait(until: .now + .seconds(1))
            return Attempt(status: status, lastLine: lastLine.withLock { $0 })
        }
        reaping.withLock { reaped in
            if !reaped { kill(-child.pid, SIGKILL) }
        }
        try Task.checkCancellation()
        _ = await exited.wait()
        return Attempt(status: .exited(-1), lastLine: "timed out after \(timeout.shortDescription)")
    }
}
