import Foundation
import Testing
import TestKit

/// The real executables refuse a broken configuration at start, listing every problem (exit 2),
/// and `--help` lists their keys.
extension Integration {
@Suite struct ServiceStartupTests {
    static func run(_ executable: String, _ arguments: [String] = [], environment: [String: String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = RepositoryPaths.executable(executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func brokenConfigurationsListEveryProblem() throws {
        let gate = try Self.run("quorum-riskgate", environment: ["EQUITY": "abc", "RISK_PER_TRADE": "2", "TARGET": "-1", "REPUBLISH_MS": "5"])
        #expect(gate.status == 2)
        #expect(gate.output.contains("4 problems"))
        for key in ["EQUITY", "REPUBLISH_MS", "riskPerTrade", "target"] { #expect(gate.output.contains(key), "\(gate.output)") }
        let features = try Self.run("quorum-features", environment: ["FEATURES": "close_SMA_0,foo_BAR_3,close_RSI_14"])
        #expect(features.status == 2)
        #expect(features.output.contains("close_SMA_0") && features.output.contains("foo_BAR_3") && !features.output.contains("\"close_RSI_14\""))
        let predictor = try Self.run("quorum-predictor", environment: ["MODEL_NAME": "nope", "MODEL_DIR": "/nonexistent"])
        #expect(predictor.status == 2)
        #expect(predictor.output.contains("nope"))
        let collector = try Self.run("quorum-collector", environment: ["REPLAY_FILE": "/nonexistent.csv", "REPLAY_FROM": "2024-13-01", "REPLAY_SPEED": "-1"])
        #expect(collector.status == 2)
        #expect(collector.output.contains("3 problems"), "\(collector.output)")
        let bus = try Self.run("quorum-bus", environment: ["BUS_FRONTEND_BIND": "udp://x", "BUS_BACKEND_BIND": "tcp://*:0x"])
        #expect(bus.status == 2)
        #expect(bus.output.contains("BUS_FRONTEND_BIND") && bus.output.contains("BUS_BACKEND_BIND"))
    }

    /// `<executable> --health` (the compose healthcheck): 0 when a heartbeat arrives through the bus, 1 when no bus answers.
    @Test func healthCheckTellsWhetherTheBusIsReachable() async throws {
        let front = "tcp://127.0.0.1:\(freeLocalPort())", back = "tcp://127.0.0.1:\(freeLocalPort())"
        let noBus = try Self.run("quorum-features", ["--health"], environment: ["BUS_SUB_ENDPOINT": back])
        #expect(noBus.status == 1)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-health-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let bus = try ServiceProcess(name: "bus", executable: RepositoryPaths.executable("quorum-bus"),
                                     environment: ["BUS_FRONTEND_BIND": front, "BUS_BACKEND_BIND": back, "BUS_PUB_ENDPOINT": front, "HEARTBEAT_INTERVAL_MS": "200"],
                                     logDirectory: directory)
        defer { bus.stop() }
        var healthy = false
        try await poll("a healthy answer", timeout: 20) {
            healthy = try Self.run("quorum-features", ["--health"], environment: ["BUS_SUB_ENDPOINT": back]).status == 0
            return healthy
        }
        #expect(healthy)
    }

    @Test func helpListsTheKeys() throws {
        let help = try Self.run("quorum-executor", ["--help"], environment: [:])
        #expect(help.status == 0)
        for key in ["FEE_RATE", "DATA_DIR", "BUS_PUB_ENDPOINT", "MODE"] { #expect(help.output.contains(key)) }
    }
}
}
