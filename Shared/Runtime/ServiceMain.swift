import Bus
import Domain
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// What a service's `main` does: read configuration (every violation listed), connect to the bus,
/// heartbeat every second, run the body until SIGTERM/SIGINT or the body ends, then close every
/// socket and terminate the context (no message lost at exit).
public enum ServiceMain {
    public typealias Body = @Sendable (BusNode) async throws -> Void

    /// Status the heartbeat reports; the body may change it (e.g. "replaying", "done").
    public static let status = StatusBox()

    /// - Parameters:
    ///   - service: the service name used in topics and logs ("features", "predictor", ...).
    ///   - configure: reads the service's own keys from the environment and returns the body.
    public static func run(service: String, configure: (inout EnvironmentReader) throws -> Body) async -> Never {
        let arguments = Array(CommandLine.arguments.dropFirst())
        var env = EnvironmentReader()
        let level = Logger.Level(rawValue: env.string("LOG_LEVEL", default: "info", "trace|debug|info|notice|warning|error|critical").lowercased()) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "quorum.\(service)")
        let endpoints = BusEndpoints.read(&env)
        let defaultInstance = "\(ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host")-\(getpid())"
        let instance = env.string("SERVICE_INSTANCE", default: defaultInstance, "instance name in heartbeats and headers")
        let heartbeatMs = env.int("HEARTBEAT_INTERVAL_MS", default: 1000, range: 50...60_000, "heartbeat period")

        if arguments.contains("--health") {
            exit(HealthCheck.run(endpoints: endpoints) ? 0 : 1)
        }

        let body: Body
        do {
            body = try configure(&env)
            try env.finish(service: service)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            exit(2)
        }
        if arguments.contains("--help") || arguments.contains("-h") {
            print("quorum-\(service): configuration from the environment\n")
            for entry in env.documented {
                print("  \(entry.key.padding(toLength: 28, withPad: " ", startingAt: 0)) default \(entry.defaultValue)\(entry.meaning.isEmpty ? "" : "  \(entry.meaning)")")
            }
            exit(0)
        }

        logger[metadataKey: "service"] = "\(service)"
        logger[metadataKey: "instance"] = "\(instance)"
        let node: BusNode
        do {
            node = try BusNode(identity: PublisherIdentity(service: service, instance: instance), endpoints: endpoints, logger: logger)
        } catch {
            logger.critical("cannot connect to the bus", metadata: ["error": "\(error)"])
            exit(1)
        }
        logger.info("starting", metadata: ["bus.publish": "\(endpoints.publish)", "bus.subscribe": "\(endpoints.subscribe)", "session": "\(node.identity.sessionID)"])

        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: HeartbeatService(node: node, intervalMs: heartbeatMs), successTerminationBehavior: .ignore),
                    .init(service: BodyService(node: node, body: body), successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        var code: Int32 = 0
        do {
            try await group.run()
        } catch {
            logger.error("service failed", metadata: ["error": "\(error)"])
            code = 1
        }
        status.set("stopping")
        node.publish(node.heartbeat(status: "stopping"), topic: Topic.heartbeat(service: service, instance: instance), eventTime: WallClock.now())
        node.shutdown()
        logger.info("stopped", metadata: ["counters": "\(node.counters.snapshot())"])
        exit(code)
    }
}

/// A thread-safe status string for heartbeats.
public final class StatusBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value = "ok"
    public func set(_ status: String) { lock.lock(); value = status; lock.unlock() }
    public func get() -> String { lock.lock(); defer { lock.unlock() }; return value }
}

struct BodyService: Service {
    let node: BusNode
    let body: ServiceMain.Body

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await body(node)
        } onGracefulShutdown: {
            node.stopReceiving()
        }
    }
}

/// Publishes a heartbeat at start and then every interval: service, instance, status, counters.
struct HeartbeatService: Service {
    let node: BusNode
    let intervalMs: Int

    func run() async throws {
        let topic = Topic.heartbeat(service: node.identity.service, instance: node.identity.instance)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            node.publish(node.heartbeat(status: ServiceMain.status.get()), topic: topic, eventTime: WallClock.now())
            try? await Task.sleep(for: .milliseconds(intervalMs))
        }
    }
}

/// `<executable> --health`: exits 0 when a heartbeat (anyone's) arrives through the bus within 3 s.
enum HealthCheck {
    static func run(endpoints: BusEndpoints) -> Bool {
        let context = BusContext()
        defer { context.terminate() }
        guard let subscriber = try? BusSubscriber(context: context, endpoint: endpoints.subscribe, prefixes: [Topic.Prefix.heartbeats]) else { return false }
        defer { subscriber.close() }
        let result = ResultBox()
        let semaphore = DispatchSemaphore(value: 0)
        Task {
            for await _ in subscriber.messages { result.set(); break }
            semaphore.signal()
        }
        _ = semaphore.wait(timeout: .now() + 3)
        return result.get()
    }

    final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.lock(); value = true; lock.unlock() }
        func get() -> Bool { lock.lock(); defer { lock.unlock() }; return value }
    }
}

/// Suspends until the process is asked to stop (SIGTERM/SIGINT), for bodies with no inbound loop.
public func waitForShutdown() async {
    try? await gracefulShutdown()
}
