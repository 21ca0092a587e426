import Bus
import Domain
import Foundation
import Logging
import Runtime
import Testing
import TestKit
import Wire

/// The receive thread as a task executor: a consumer that prefers it runs on it, and jobs enqueued
/// from other threads (a sleep ending, a callback on a dispatch queue) wake it.
@Suite(.serialized) struct ReceiveThreadExecutorTests {
    /// What the consumer saw at each point: was it on the receive thread, and which thread it was.
    struct Observation: Sendable {
        var point: String
        var onReceiveThread: Bool
        var thread: UInt64
    }

    @Test func consumerPreferringTheReceiveThreadRunsThereAndAwaitsComeBackToIt() async throws {
        let context = BusContext()
        let proxy = try BusProxy(context: context, frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*")
        let subscriber = try BusSubscriber(context: context, endpoint: proxy.backendEndpoint, prefixes: ["md."])
        let publisher = try BusPublisher(context: context, endpoint: proxy.frontendEndpoint, identity: PublisherIdentity(service: "test", instance: "1"))
        // Subscriptions reach the publisher asynchronously: a task (not preferring the receive
        // thread) sends probes until one arrives.
        let probing = Task {
            var threads: [Observation] = []
            for _ in 0..<500 where !Task.isCancelled {
                threads.append(Observation(point: "probe", onReceiveThread: subscriber.executor.isCurrent, thread: currentThreadID()))
                publisher.publish(.heartbeat(Quorum_V1_Heartbeat()), topic: "md.probe.", eventTime: .zero)
                try? await Task.sleep(for: .milliseconds(10))
            }
            return threads
        }
        #expect(!subscriber.executor.isCurrent)

        let observations = try await subscriber.onReceiveThread { () async throws -> [Observation] in
            var observations: [Observation] = []
            func observe(_ point: String) {
                observations.append(Observation(point: point, onReceiveThread: subscriber.executor.isCurrent, thread: currentThreadID()))
            }
            observe("start")
            var iterator = subscriber.messages.makeAsyncIterator()
            #expect(await iterator.next() != nil)
            probing.cancel()
            observe("probe received")
            var kline = Quorum_V1_Kline(); kline.symbol = "BTCUSDT"
            for i in 0..<20 {
                kline.openTimeMs = Int64(i)
                publisher.publish(.kline(kline), topic: "md.kline.BTCUSDT.5m.", eventTime: Timestamp(milliseconds: Int64(i)))
                var envelope: Envelope
                repeat {
                    guard let raw = await iterator.next() else { throw TestFailure("stream ended") }
                    envelope = try Envelope.decode(raw)
                } while envelope.topic == "md.probe."
                guard case .kline(let received) = envelope.payload, received.openTimeMs == Int64(i) else { throw TestFailure("wrong message \(i)") }
                observe("message \(i)")
                // Resumed by a timer on another thread: the job is enqueued from there and must wake the receive thread.
                try await Task.sleep(for: .milliseconds(1))
                observe("after sleep \(i)")
                // Resumed from a dispatch queue's thread.
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    DispatchQueue.global().async { continuation.resume() }
                }
                observe("after dispatch \(i)")
            }
            return observations
        }
        let probes = await probing.value

        #expect(observations.count == 2 + 20 * 3)
        #expect(observations.filter { !$0.onReceiveThread }.map(\.point) == [])
        #expect(Set(observations.map(\.thread)).count == 1, "every step ran on one thread, the receive thread")
        #expect(!probes.isEmpty && probes.allSatisfy { !$0.onReceiveThread }, "a task without the preference runs elsewhere")
        #expect(probes.allSatisfy { $0.thread != observations[0].thread })
        #expect(!subscriber.executor.isCurrent, "the preference ends with the scope")

        subscriber.close()
        publisher.close()
        proxy.stop()
        context.terminate()
    }

    @Test func closeFromTheReceiveThreadClosesAtOnceAndJobsStillRunAfterwards() async throws {
        let context = BusContext()
        let subscriber = try BusSubscriber(context: context, endpoint: "inproc://executor-close-\(UUID().uuidString)", prefixes: [""], bind: true)
        let (finished, stillOnThread) = await subscriber.onReceiveThread { () async -> (Bool, Bool) in
            // On the receive thread, close() cannot wait for the thread: it closes the socket itself.
            subscriber.close()
            var received = 0
            for await _ in subscriber.messages { received += 1 }
            // The socket is closed; the thread still runs the jobs of tasks that prefer it.
            try? await Task.sleep(for: .milliseconds(1))
            return (received == 0, subscriber.executor.isCurrent)
        }
        #expect(finished)
        #expect(stillOnThread)
        subscriber.close()   // idempotent, from another thread
        context.terminate()  // returns only because the socket is closed
    }

    @Test func inboundLoopOnTheReceiveThreadEndsWhenTheNodeStopsReceiving() async throws {
        let context = BusContext()
        let proxy = try BusProxy(context: context, frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*")
        let node = try BusNode(identity: PublisherIdentity(service: "consumer", instance: "1"), endpoints: BusEndpoints(publish: proxy.frontendEndpoint, subscribe: proxy.backendEndpoint), logger: Logger(label: "test"))
        let inbound = try node.subscribe(["x."])
        let consumer = Task {
            try await inbound.onReceiveThread { () async throws -> (Int, Bool) in
                var received = 0
                var allOnThread = true
                for await envelope in inbound where envelope.topic == "x.valid." {
                    received += 1
                    allOnThread = allOnThread && inbound.executor.isCurrent
                }
                return (received, allOnThread && inbound.executor.isCurrent)
            }
        }
        // Until the subscription has propagated, keep publishing; then stop the node's receive threads.
        var rounds = 0
        while node.counters["received"] < 3 {
            rounds += 1
            node.publish(.heartbeat(Quorum_V1_Heartbeat()), topic: "x.valid.", eventTime: .zero)
            _ = try? await poll("a message", timeout: 0.05) { node.counters["received"] >= 3 }
            if rounds > 200 { Issue.record("subscription never propagated"); break }
        }
        node.stopReceiving()
        let (received, allOnThread) = try await consumer.value
        #expect(received >= 3)
        #expect(allOnThread)
        node.shutdown()
        proxy.stop()
        context.terminate()
    }
}

private struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The calling thread's identity (a plain function: `Thread.current` is not for async code).
private func currentThreadID() -> UInt64 {
    #if canImport(Darwin)
    UInt64(UInt(bitPattern: pthread_self()))
    #else
    UInt64(pthread_self())
    #endif
}
