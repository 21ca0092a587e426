import Foundation
import Launcher
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Real runs of small `/bin/sh` services. Nothing here sleeps to wait: each test awaits the runner's own
/// signals (`waitUntilRunning`, `waitForExit`, `run`) or polls the recorded output with a deadline.
@Suite("Running services")
struct ComposeRunnerTests {
    func runner(_ yaml: String, sink: RecordingSink, options: RunOptions = RunOptions(), scale: [String: Int] = [:]) throws -> ComposeRunner {
        let plan = try LaunchPlan(file: try compose(yaml), options: testOptions(scale: scale))
        var options = options
        options.sink = sink.sink
        options.handleSignals = false
        return ComposeRunner(plan: plan, options: options)
    }

    @Test func everyLineIsPrefixedWithItsPaddedProcessName() async throws {
        let sink = RecordingSink()
        let runner = try runner(#"""
            services:
              a:
                command: ["/bin/sh", "-c", "echo 'hello from a'; echo 'to stderr' >&2; printf 'no newline'; exec sleep 600"]
              worker:
                command: ["/bin/sh", "-c", "echo \"instance $$SERVICE_INSTANCE\"; printf 'part one, '; printf 'part two\n'; exec sleep 600"]
                depends_on: [a]
            """#, sink: sink, scale: ["worker": 2])
        let task = Task { await runner.run() }
        #expect(await runner.waitUntilRunning())
        #expect(await sink.waitForLine { $0 == "worker-2 | part one, part two" })
        #expect(await sink.waitForLine { $0 == "worker-1 | instance worker-1" })
        runner.stop(reason: "test over")
        let summary = await task.value

        // Widest label: "launcher" and "worker-1" (8 characters).
        let lines = sink.all
        #expect(lines.contains("a-1      | hello from a"))
        #expect(lines.contains("a-1      | to stderr"))
        #expect(lines.contains("a-1      | no newline"), "a partial last line is flushed at end of output")
        #expect(lines.contains("worker-2 | instance worker-2"))
        #expect(lines.contains("worker-1 | part one, part two"), "partial writes are joined into one line")
        #expect(lines.contains { $0.hasPrefix("launcher | started a-1 (pid ") })
        for line in lines {
            #expect(line.dropFirst(8).hasPrefix(" | "), "\(line)")
        }
        #expect(summary.reason == .requested("test over"))
        #expect(summary.exitCode == 0)
        #expect(summary.exits.map(\.name) == ["a-1", "worker-1", "worker-2"])
        #expect(summary.exits.allSatisfy { $0.status == .signaled(SIGTERM) && $0.expected && $0.stoppedByLauncher && !$0.killed })
    }

    @Test func oneProcessDyingStopsTheRestInReverseOrder() async throws {
        let sink = RecordingSink()
        let runner = try runner(#"""
            services:
              bus:
                command: ["/bin/sh", "-c", "echo up; exec sleep 600"]
              features:
                command: ["/bin/sh", "-c", "echo up; exec sleep 600"]
                depends_on: [bus]
              crasher:
                command: ["/bin/sh", "-c", "read line; echo 'giving up' >&2; exit 3"]
                depends_on: [features]
            """#, sink: sink)
        let summary = await runner.run()

        let crash = ProcessExit(
            name: "crasher-1", service: "crasher", pid: try #require(summary.exit(of: "crasher-1")?.pid),
            status: .exited(3), expected: false)
        #expect(summary.reason == .processExited(crash))
        #expect(summary.reason.description == "crasher-1 exited with exit status 3 (unexpected)")
        #expect(summary.exitCode == 1)
        for name in ["bus-1", "features-1"] {
            let exit = try #require(summary.exit(of: name))
            #expect(exit.status == .signaled(SIGTERM))
            #expect(exit.expected && exit.stoppedByLauncher)
        }
        let lines = sink.all
        #expect(lines.contains("crasher-1  | giving up"))
        let crashed = try #require(lines.firstIndex(of: "launcher   | crasher-1 exited with exit status 3 (unexpected)"))
        let stopping = try #require(lines.firstIndex { $0.hasPrefix("launcher   | stopping all services: crasher-1 exited") })
        let featuresStop = try #require(lines.firstIndex { $0.hasPrefix("launcher   | sending SIGTERM to features-1") })
        let busStop = try #require(lines.firstIndex { $0.hasPrefix("launcher   | sending SIGTERM to bus-1") })
        #expect(crashed < stopping && stopping < featuresStop && featuresStop < busStop)
    }

    @Test func aProcessIgnoringSigtermIsKilledAfterItsGracePeriod() async throws {
        let sink = RecordingSink()
        let runner = try runner(#"""
            services:
              polite:
                command: ["/bin/sh", "-c", "exec sleep 600"]
              stubborn:
                command: ["/bin/sh", "-c", "trap '' TERM; echo 'ignoring TERM'; while true; do sleep 1; done"]
                stop_grace_period: 300ms
            """#, sink: sink)
        let task = Task { await runner.run() }
        #expect(await sink.waitForLine { $0.hasSuffix("| ignoring TERM") })
        let clock = ContinuousClock()
        let stopAsked = clock.now
        runner.stop(reason: "shutdown test")
        let summary = await task.value
        let elapsed = clock.now - stopAsked

        let stubborn = try #require(summary.exit(of: "stubborn-1"))
        #expect(stubborn.status == .signaled(SIGKILL))
        #expect(stubborn.killed && stubborn.stoppedByLauncher && stubborn.expected)
        #expect(summary.exit(of: "polite-1")?.status == .signaled(SIGTERM))
        #expect(summary.exit(of: "polite-1")?.killed == false)
        #expect(elapsed >= .milliseconds(300))
        #expect(sink.all.contains("launcher   | stubborn-1 still running after 300ms; sending SIGKILL"))
        #expect(sink.all.contains("launcher   | stubborn-1 exited with signal 9 (SIGKILL) (killed)"))
    }

    @Test func aServiceMarkedMayExitFinishesWithoutStoppingTheGroup() async throws {
        let sink = RecordingSink()
        let runner = try runner(#"""
            services:
              bus:
                command: ["/bin/sh", "-c", "exec sleep 600"]
              collector:
                command: ["/bin/sh", "-c", "echo 'replay finished'"]
                depends_on: [bus]
            """#, sink: sink, options: RunOptions(mayExitSuccessfully: ["collector"]))
        let task = Task { await runner.run() }
        let exits = await runner.waitForExit(of: "collector")
        #expect(exits.map(\.status) == [.exited(0)])
        #expect(exits.first?.expected == true)
        #expect(await sink.waitForLine { $0.hasSuffix("collector-1 exited with exit status 0 (expected; the others keep running)") })
        #expect(runner.exits.map(\.name) == ["collector-1"], "the bus is still running")
        runner.stop(reason: "replay done")
        let summary = await task.value
        #expect(summary.reason == .requested("replay done"))
        #expect(summary.exit(of: "bus-1")?.status == .signaled(SIGTERM))
        #expect(await runner.waitForExit(of: "bus").map(\.name) == ["bus-1"])
    }

    @Test func anUnmarkedServiceExitingZeroStopsTheGroup() async throws {
        let sink = RecordingSink()
        let runner = try runner(#"""
            services:
              bus:
                command: ["/bin/sh", "-c", "exec sleep 600"]
              collector:
                command: ["/bin/sh", "-c", "exit 0"]
                depends_on: [bus]
            """#, sink: sink)
        let summary = await runner.run()
        guard case let .processExited(exit) = summary.reason else {
            Issue.record("unexpected reason \(summary.reason)")
            return
        }
        #expect(exit.name == "collector-1" && exit.status == .exited(0) && !exit.expected)
    }

    @Test func everyProcessFinishingAsExpectedEndsTheRun() async throws {
        let sink = RecordingSink()
        let runner = try runner(#"""
            services:
              first:
                command: ["/bin/sh", "-c", "echo one"]
              second:
                command: ["/bin/sh", "-c", "echo two"]
            """#, sink: sink, options: RunOptions(mayExitSuccessfully: ["first", "second"]))
        let summary = await runner.run()
        #expect(summary.reason == .allExited)
        #expect(summary.exits.map(\.status) == [.exited(0), .exited(0)])
        #expect(sink.all.contains("first-1  | one") && sink.all.contains("second-1 | two"))
    }

    @Test func readinessGatesTheNextStartAndCanFail() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let marker = folder.url.appendingPathComponent("bus-ready").path
        let sink = RecordingSink()
        let order = OrderLog()
        let readiness: ReadinessCheck = { process in
            order.append("check \(process.name)")
            switch process.service {
            case "bus":
                // Ready once the process has created its marker file.
                guard await poll({ FileManager.default.fileExists(atPath: marker) }) else {
                    throw ReadinessFailure(message: "no marker")
                }
            case "broken":
                throw ReadinessFailure(message: "health endpoint refused")
            default:
                break
            }
        }
        let runner = try runner("""
            services:
              bus:
                command: ["/bin/sh", "-c", "touch \(marker); exec sleep 600"]
              broken:
                command: ["/bin/sh", "-c", "exec sleep 600"]
                depends_on: [bus]
              never:
                command: ["/bin/sh", "-c", "exec sleep 600"]
                depends_on: [broken]
            """, sink: sink, options: RunOptions(readiness: readiness, onEvent: { event in
                if case let .started(process) = event { order.append("started \(process.name)") }
                if case let .ready(name) = event { order.append("ready \(name)") }
            }))
        let summary = await runner.run()
        #expect(order.entries == ["started bus-1", "check bus-1", "ready bus-1", "started broken-1", "check broken-1"])
        #expect(summary.reason == .notReady(process: "broken-1", message: "health endpoint refused"))
        #expect(summary.notStarted == ["never-1"])
        #expect(summary.exits.map(\.name) == ["bus-1", "broken-1"])
        #expect(await runner.waitUntilRunning() == false)
    }

    @Test func stopBeforeRunStartsNothing() async throws {
        let sink = RecordingSink()
        let runner = try runner("services:\n  a:\n    command: /bin/sh\n", sink: sink)
        runner.stop(reason: "changed my mind")
        let summary = await runner.run()
        #expect(summary.reason == .requested("changed my mind"))
        #expect(summary.exits.isEmpty && summary.notStarted == ["a-1"])
        #expect(await runner.run() == summary, "a second run returns the first one's summary")
    }

    @Test func anExecutableThatVanishedIsAStartFailure() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let tool = try folder.write("bin/vanishing", "#!/bin/sh\nexec sleep 600\n", executable: true)
        let plan = try LaunchPlan(
            file: try compose("""
                services:
                  bus:
                    command: ["/bin/sh", "-c", "exec sleep 600"]
                  tool:
                    command: vanishing
                    depends_on: [bus]
                """),
            options: testOptions(binDirectory: folder.url.appendingPathComponent("bin")))
        try FileManager.default.removeItem(at: tool)
        let sink = RecordingSink()
        let summary = await ComposeRunner(plan: plan, options: RunOptions(sink: sink.sink, handleSignals: false)).run()
        guard case let .startFailed(process, message) = summary.reason else {
            Issue.record("unexpected reason \(summary.reason)")
            return
        }
        #expect(process == "tool-1")
        #expect(message.contains("No such file"))
        #expect(summary.exit(of: "bus-1")?.status == .signaled(SIGTERM))
    }

    @Test func leftoverChildrenOfAServiceGoWithIt() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let pidFile = folder.url.appendingPathComponent("grandchild.pid").path
        let sink = RecordingSink()
        // The shell leaves a background sleep behind and exits; the group must not keep running it.
        let runner = try runner("""
            services:
              leaky:
                command: ["/bin/sh", "-c", "sleep 600 & echo $$! > \(pidFile); exit 0"]
            """, sink: sink, options: RunOptions(mayExitSuccessfully: ["leaky"]))
        let summary = await runner.run()
        #expect(summary.reason == .allExited)
        let pid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await poll { isGone(pid) }, "the background sleep was killed with its process group")
    }
}

@Suite("Readiness checks")
struct ReadinessTests {
    @Test func composeHealthchecksRunLocallyUntilTheyPass() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let marker = folder.url.appendingPathComponent("second-try").path
        let sink = RecordingSink()
        // The healthcheck fails once (leaving a marker) and passes on its second run.
        let plan = try LaunchPlan(file: try compose("""
            services:
              bus:
                command: ["/bin/sh", "-c", "exec sleep 600"]
                healthcheck:
                  test: ["CMD-SHELL", "test -f \(marker) || { touch \(marker); exit 1; }"]
                  interval: 10ms
                  retries: 3
              plain:
                command: ["/bin/sh", "-c", "exec sleep 600"]
              doomed:
                command: ["/bin/sh", "-c", "exec sleep 600"]
                depends_on: [bus, plain]
                healthcheck:
                  test: ["CMD", "sh", "-c", "echo 'port 5557 closed'; exit 1"]
                  interval: 10ms
                  retries: 2
            """), options: testOptions())
        let runner = ComposeRunner(plan: plan, options: RunOptions(
            sink: sink.sink, readiness: Readiness.healthcheck(), handleSignals: false))
        let summary = await runner.run()
        #expect(FileManager.default.fileExists(atPath: marker))
        #expect(sink.all.contains("launcher | bus-1 is ready"))
        #expect(sink.all.contains("launcher | plain-1 is ready"))
        #expect(summary.reason == .notReady(
            process: "doomed-1", message: "healthcheck failed 2 times (last: exit status 1: port 5557 closed)"))
    }

    @Test func pollingGivesUpAtItsDeadline() async throws {
        let check = Readiness.polling(every: .milliseconds(5), timeout: .milliseconds(50)) { _ in false }
        let plan = try LaunchPlan(file: try compose("services:\n  a:\n    command: /bin/true\n"), options: testOptions())
        let process = StartedProcess(name: "a-1", service: "a", replica: 1, pid: 1, process: plan.processes[0])
        await #expect(throws: ReadinessError("not ready within 50ms")) { try await check(process) }
        let ready = Readiness.polling(timeout: .seconds(1)) { _ in true }
        try await ready(process)
    }
}

/// The launcher's own SIGTERM handling. Serialized and alone in its suite: it signals the test process.
@Suite("Signals", .serialized)
struct ComposeRunnerSignalTests {
    @Test func sigtermToTheLauncherStopsTheGroup() async throws {
        let sink = RecordingSink()
        let plan = try LaunchPlan(
            file: try compose("services:\n  a:\n    command: [\"/bin/sh\", \"-c\", \"exec sleep 600\"]\n"),
            options: testOptions())
        let runner = ComposeRunner(plan: plan, options: RunOptions(sink: sink.sink, handleSignals: true))
        let task = Task { await runner.run() }
        #expect(await runner.waitUntilRunning())
        kill(getpid(), SIGTERM)
        let summary = await task.value
        #expect(summary.reason == .signal(SIGTERM))
        #expect(summary.exitCode == 0)
        #expect(summary.exit(of: "a-1")?.status == .signaled(SIGTERM))
        #expect(sink.all.contains("launcher | stopping all services: SIGTERM received"))
    }
}

struct ReadinessFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

final class OrderLog: Sendable {
    private let log = Mutex<[String]>([])
    func append(_ entry: String) { log.withLock { $0.append(entry) } }
    var entries: [String] { log.withLock { $0 } }
}

/// True when `pid` no longer exists or is a zombie waiting for init to reap it.
func isGone(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return true }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return false }
    return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
}
