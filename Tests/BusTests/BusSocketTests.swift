import Bus
import BusCore
import Domain
import Foundation
import Logging
import Runtime
import Testing
import TestKit
import Wire

/// Real ZeroMQ sockets on loopback: publisher → proxy → subscriber.
@Suite(.serialized) struct BusSocketTests {
    @Test func messagesCrossTheProxyInOrderWithHeaders() async throws {
        let context = BusContext()
        let proxy = try BusProxy(context: context, frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*")
        let subscriber = try BusSubscriber(context: context, endpoint: proxy.backendEndpoint, prefixes: ["md."])
        let publisher = try BusPublisher(context: context, endpoint: proxy.frontendEndpoint, identity: PublisherIdentity(service: "test", instance: "1"))
        // Subscriptions reach the publisher asynchronously: send probes until one arrives.
        var iterator = subscriber.messages.makeAsyncIterator()
        let probeTask = Task {
            for _ in 0..<500 {
                publisher.publish(.heartbeat(Quorum_V1_Heartbeat()), topic: "md.probe.", eventTime: .zero)
                try? await Task.sleep(for: .milliseconds(10))
                if Task.isCancelled { return }
            }
        }
        let probe = await iterator.next()
        probeTask.cancel()
        _ = await probeTask.value
        #expect(probe != nil)
        var kline = Quorum_V1_Kline(); kline.symbol = "BTCUSDT"
        for i in 0..<1_000 {
            kline.openTimeMs = Int64(i)
            publisher.publish(.kline(kline), topic: "md.kline.BTCUSDT.5m.", eventTime: Timestamp(milliseconds: Int64(i)), traceID: "t\(i)")
        }
        publisher.publish(.kline(kline), topic: "sig.ignored.", eventTime: .zero)
        var received: [Envelope] = []
        while received.count < 1_000, let raw = await iterator.next() {
            let envelope = try Envelope.decode(raw)
            if envelope.topic == "md.probe." { continue }
            received.append(envelope)
        }
        #expect(received.map(\.header.seq) == Array(1...1_000))
        #expect(received.allSatisfy { $0.header.publisher == "test/1" && $0.header.schemaVersion == 1 })
        #expect(received.last?.header.traceID == "t999")
        subscriber.close()
        publisher.close()
        proxy.stop()
        context.terminate()
    }

    @Test func garbageIsCountedAndIgnored() async throws {
        let context = BusContext()
        let proxy = try BusProxy(context: context, frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*")
        let node = try BusNode(identity: PublisherIdentity(service: "victim", instance: "1"), endpoints: BusEndpoints(publish: proxy.frontendEndpoint, subscribe: proxy.backendEndpoint), logger: Logger(label: "test"))
        let inbound = try node.subscribe(["x."])
        let attacker = try BusPublisher(context: context, endpoint: proxy.frontendEndpoint, identity: PublisherIdentity(service: "attacker", instance: "1"))
        let consumer = Task {
            var valid = 0
            for await envelope in inbound where envelope.topic == "x.valid." { valid += 1; if valid == 1 { break } }
            return valid
        }
        // Until the subscription has propagated, keep sending a round of garbage then one valid message.
        var rounds = 0
        while !consumer.isCancelled {
            rounds += 1
            try attacker.publishRaw(RawMessage(frames: [Array("x.one-frame.".utf8)]))
            try attacker.publishRaw(RawMessage(frames: [Array("x.bad.".utf8), [0xFF, 0xEE], [1]]))
            try attacker.publishRaw(RawMessage(frames: [Array("x.four.".utf8), [], [], []]))
            attacker.publish(.heartbeat(Quorum_V1_Heartbeat()), topic: "x.valid.", eventTime: .zero)
            try await Task.sleep(for: .milliseconds(20))
            if node.counters["received"] >= 1 { break }
            if rounds > 500 { Issue.record("subscription never propagated"); break }
        }
        #expect(await consumer.value == 1)
        try await poll("drop counters", timeout: 5) {
            node.counters["dropped_wrong_frame_count"] >= 2 && node.counters["dropped_bad_header"] >= 1
        }
        node.shutdown()
        attacker.close()
        proxy.stop()
        context.terminate()
    }

    /// A subscription used for a while and closed ends its stream; the node forgets it.
    @Test func closingASubscriptionEndsItsStream() async throws {
        let context = BusContext()
        let proxy = try BusProxy(context: context, frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*")
        let node = try BusNode(identity: PublisherIdentity(service: "t", instance: "1"), endpoints: BusEndpoints(publish: proxy.frontendEndpoint, subscribe: proxy.backendEndpoint), logger: Logger(label: "test"))
        let inbound = try node.subscribe(["hb."])
        let ended = Task { for await _ in inbound {}; return true }
        inbound.close()
        #expect(await ended.value)
        node.shutdown()
        proxy.stop()
        context.terminate()
    }

    @Test func busConfigurationListsEveryProblem() {
        let bad = BusConfiguration(frontendBind: "udp://x", backendBind: "tcp://*:99999", captureBind: "tcp://*:99999")
        let problems = bad.violations()
        #expect(problems.count == 4)
        #expect(problems.contains { $0.contains("BUS_CAPTURE_BIND") && $0.contains("collides") })
        #expect(problems.contains { $0.contains("BUS_FRONTEND_BIND") && $0.contains("unsupported transport") })
        #expect(problems.contains { $0.contains("BUS_BACKEND_BIND") && $0.contains("invalid port") })
        #expect(BusConfiguration().violations().isEmpty)
        #expect(BusConfiguration.connectEndpoint(forBind: "tcp://*:5555") == "tcp://127.0.0.1:5555")
    }
}
