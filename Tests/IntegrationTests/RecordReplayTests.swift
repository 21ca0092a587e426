import Bus
import Domain
import Foundation
import Testing
import TestKit
import Wire

extension Integration {
/// `quorum tap`, `quorum record` and `quorum replay` against a real proxy on loopback.
@Suite struct RecordReplayTests {
    @Test func recordThenReplayPublishesTheSameFrames() async throws {
        let context = BusContext()
        defer { context.terminate() }
        let proxy = try BusProxy(context: context, frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*")
        defer { proxy.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-rec-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("run.qrec").path
        let quorum = RepositoryPaths.executable("quorum")
        let recorder = try ServiceProcess(name: "record", executable: quorum, arguments: ["record", file, "md.", "--count", "50", "--sub", proxy.backendEndpoint], environment: [:], logDirectory: directory)
        let tap = try ServiceProcess(name: "tap", executable: quorum, arguments: ["tap", "md.", "--count", "50", "--sub", proxy.backendEndpoint], environment: [:], logDirectory: directory)
        let publisher = try BusPublisher(context: context, endpoint: proxy.frontendEndpoint, identity: PublisherIdentity(service: "collector", instance: "t"))
        defer { publisher.close() }
        var kline = Quorum_V1_Kline()
        kline.symbol = "BTCUSDT"; kline.interval = "5m"; kline.open = "61837.63000000"
        // Publish until both have their 50 messages (their subscriptions propagate asynchronously).
        var sent = 0
        while recorder.isRunning || tap.isRunning {
            kline.openTimeMs = Int64(sent) * 300_000
            publisher.publish(.kline(kline), topic: "md.kline.BTCUSDT.5m.", eventTime: Timestamp(milliseconds: Int64(sent)))
            publisher.publish(.kline(kline), topic: "sig.not.recorded.", eventTime: .zero)
            sent += 1
            try await Task.sleep(for: .milliseconds(5))
            if sent > 5_000 { Issue.record("record/tap never finished:\n\(recorder.log)\n\(tap.log)"); break }
        }
        // The tap printed one JSON line per message with the decimal string intact.
        let lines = tap.log.split(separator: "\n").filter { $0.hasPrefix("{\"topic\":\"md.kline.BTCUSDT.5m.\"") }
        #expect(lines.count == 50)
        #expect(lines.allSatisfy { $0.contains("\"open\":\"61837.63000000\"") && $0.contains("\"publisher\":\"collector/t\"") })
        #expect(recorder.log.contains("50 messages written"))

        // Replay into a fresh subscriber: the same frames, in order.
        let subscriber = try BusSubscriber(context: context, endpoint: proxy.backendEndpoint, prefixes: ["md."])
        defer { subscriber.close() }
        let collected = Collected()
        let listener = Task.detached { for await raw in subscriber.messages { collected.add(raw) } }
        defer { listener.cancel() }
        var replayedSeqs: [UInt64] = []
        // Replay waits for subscriptions to propagate before it publishes; repeat if this one missed them.
        for _ in 0..<5 where collected.count < 50 {
            collected.reset()
            let replay = try ServiceProcess(name: "replay", executable: quorum, arguments: ["replay", file, "--speed", "0", "--pub", proxy.frontendEndpoint], environment: [:], logDirectory: directory)
            try await poll("replay to finish", timeout: 30) { !replay.isRunning }
            try? await poll("replayed messages", timeout: 5) { collected.count >= 50 }
        }
        let messages = collected.all()
        #expect(messages.count == 50)
        replayedSeqs = messages.compactMap { try? Envelope.decode($0).header.seq }
        #expect(replayedSeqs == replayedSeqs.sorted())
        #expect(Set(replayedSeqs).count == 50)
    }

    final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var messages: [RawMessage] = []
        func add(_ m: RawMessage) { lock.lock(); messages.append(m); lock.unlock() }
        func reset() { lock.lock(); messages.removeAll(); lock.unlock() }
        var count: Int { lock.lock(); defer { lock.unlock() }; return messages.count }
        func all() -> [RawMessage] { lock.lock(); defer { lock.unlock() }; return messages }
    }
}
}
