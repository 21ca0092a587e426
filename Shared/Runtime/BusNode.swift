import Bus
import Domain
import Foundation
import Logging
import Synchronization
import Wire

/// Where a service's sockets connect: publishers to the bus frontend, subscribers to its backend.
public struct BusEndpoints: Sendable, Hashable {
    public var publish: String
    public var subscribe: String

    public init(publish: String = "tcp://127.0.0.1:5555", subscribe: String = "tcp://127.0.0.1:5556") {
        self.publish = publish
        self.subscribe = subscribe
    }

    public static func read(_ env: inout EnvironmentReader) -> BusEndpoints {
        BusEndpoints(
            publish: env.string("BUS_PUB_ENDPOINT", default: "tcp://127.0.0.1:5555", "bus frontend (XSUB) that this service publishes to"),
            subscribe: env.string("BUS_SUB_ENDPOINT", default: "tcp://127.0.0.1:5556", "bus backend (XPUB) that this service subscribes to")
        )
    }
}

/// One service's connection to the bus: a context, one publisher and its subscribers, the
/// sequence tracker and drop ledger of everything it receives, and its counters.
public final class BusNode: Sendable {
    public let identity: PublisherIdentity
    public let context: BusContext
    public let publisher: BusPublisher
    public let counters: Counters
    public let logger: Logger
    public let endpoints: BusEndpoints
    public let startedAt: Timestamp
    private let subscribers = Mutex<[BusSubscriber]>([])
    private let tracker = Mutex(SequenceTracker())
    private let drops = Mutex(DropLedger())
    private let shutDown = Atomic<Bool>(false)

    public init(identity: PublisherIdentity, endpoints: BusEndpoints, logger: Logger, options: SocketOptions = .default) throws(ZMQError) {
        self.identity = identity
        self.endpoints = endpoints
        self.logger = logger
        self.context = BusContext()
        self.counters = Counters(service: identity.service)
        self.startedAt = WallClock.now()
        do {
            self.publisher = try BusPublisher(context: context, endpoint: endpoints.publish, identity: identity, options: options)
        } catch {
            context.terminate()
            throw error
        }
    }

    /// Publishes a payload; the header is stamped by the publisher.
    @discardableResult
    public func publish(_ payload: Payload, topic: String, eventTime: Timestamp, traceID: String = "", causationID: String = "") -> UInt64 {
        counters.increment("published")
        return publisher.publish(payload, topic: topic, eventTime: eventTime, traceID: traceID, causationID: causationID)
    }

    /// Subscribes to topic prefixes. Malformed messages are dropped and counted by reason (and
    /// logged at most once per reason per minute); sequence gaps and restarts are counted.
    /// Iterate the result inside `inbound.onReceiveThread { ... }` so that the loop runs on the
    /// subscription's receive thread (one thread wake-up per message instead of two).
    public func subscribe(_ prefixes: [String], options: SocketOptions = .default) throws(ZMQError) -> Inbound {
        let subscriber = try BusSubscriber(context: context, endpoint: endpoints.subscribe, prefixes: prefixes, options: options)
        subscribers.withLock { $0.append(subscriber) }
        return Inbound(raw: subscriber.messages, executor: subscriber.executor, node: self, subscriber: subscriber)
    }

    /// Closes one subscription (its stream finishes) and forgets it.
    func unsubscribe(_ subscriber: BusSubscriber) {
        subscribers.withLock { list in list.removeAll { $0 === subscriber } }
        subscriber.close()
    }

    func accept(_ raw: RawMessage) -> Envelope? {
        let envelope: Envelope
        do {
            envelope = try Envelope.decode(raw)
        } catch {
            drop(reason: error.rawValue, detail: "frames=\(raw.frames.count) bytes=\(raw.byteCount)")
            return nil
        }
        counters.increment("received")
        let observation = tracker.withLock {
            $0.observe(publisher: envelope.header.publisher, topic: envelope.topic, session: envelope.header.sessionID, seq: envelope.header.seq)
        }
        switch observation {
        case .gap(let missed):
            counters.increment("gap_messages", by: missed)
            counters.increment("gap_events")
            logger.warning("sequence gap", metadata: [
                "msg.publisher": "\(envelope.header.publisher)", "msg.missed": "\(missed)", "msg.topic": "\(envelope.topic)",
            ])
        case .restart:
            counters.increment("publisher_restarts")
            logger.notice("publisher restarted", metadata: ["msg.publisher": "\(envelope.header.publisher)"])
        case .duplicate:
            counters.increment("duplicate_seq")
        case .first, .inOrder:
            break
        }
        return envelope
    }

    /// Records a dropped input (malformed frame, invalid payload, rejected value).
    public func drop(reason: String, detail: String) {
        counters.increment("dropped_\(reason)")
        let shouldLog = drops.withLock { $0.record(reason: reason, now: WallClock.now()) }
        if shouldLog {
            let total = counters["dropped_\(reason)"]
            logger.warning("dropped message", metadata: ["drop.reason": "\(reason)", "drop.detail": "\(detail)", "drop.count": "\(total)"])
        }
    }

    /// Drops a well-formed message of a type this service does not read on that topic.
    public func dropUnexpected(_ envelope: Envelope) {
        drop(reason: "unexpected_type", detail: "\(envelope.header.type) on \(envelope.topic)")
    }

    public var sequenceTracker: SequenceTracker { tracker.withLock { $0 } }

    /// Stops every receive thread (their streams finish), so consumers end their loops.
    public func stopReceiving() {
        let all = subscribers.withLock { $0 }
        for subscriber in all { subscriber.close() }
    }

    /// Closes every socket and terminates the context, flushing queued messages (within linger).
    public func shutdown() {
        guard shutDown.exchange(true, ordering: .acquiringAndReleasing) == false else { return }
        stopReceiving()
        publisher.close()
        context.terminate()
    }

    /// Makes the heartbeat payload from the current counters.
    public func heartbeat(status: String) -> Payload {
        var hb = Quorum_V1_Heartbeat()
        hb.service = identity.service
        hb.instance = identity.instance
        hb.status = status
        hb.uptimeMs = (WallClock.now().nanoseconds - startedAt.nanoseconds) / 1_000_000
        var counters = self.counters.snapshot()
        let drops = subscribers.withLock { $0.reduce(0) { $0 + $1.droppedForSlowConsumer } }
        if drops > 0 { counters["dropped_slow_consumer"] = drops }
        counters["seq"] = publisher.sequence
        hb.counters = counters
        return .heartbeat(hb)
    }
}

/// Decoded, validated envelopes from one subscription.
///
/// Iterate it inside `onReceiveThread`:
///
///     let inbound = try node.subscribe(prefixes)
///     try await inbound.onReceiveThread {
///         for await envelope in inbound { ... }
///     }
///
/// Iterating it anywhere else works too; each message then costs a second thread wake-up.
public struct Inbound: AsyncSequence, Sendable {
    public typealias Element = Envelope
    let raw: AsyncStream<RawMessage>
    /// The subscription's receive thread, as a task executor.
    public let executor: SocketThreadExecutor
    let node: BusNode
    let subscriber: BusSubscriber

    /// Ends this subscription: the socket is closed and the stream finishes. A subscription used
    /// only for a while (waiting for peers at start) must be closed, or what it keeps receiving
    /// piles up unread.
    public func close() { node.unsubscribe(subscriber) }

    /// Runs `body` with the receive thread as the task's preferred executor: the consumer loop
    /// inside is resumed on the receive thread right after each message arrives, and whatever it
    /// awaits (a sleep, a database write) resumes on that thread too. While the loop works, the
    /// thread does not receive: messages wait in libzmq's queue (receive high-water mark). Code
    /// isolated to an actor with its own executor (e.g. the main actor) still runs there.
    public func onReceiveThread<T, Failure: Error>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws(Failure) -> T
    ) async throws(Failure) -> T {
        try await withTaskExecutorPreference(executor, isolation: isolation, operation: body)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<RawMessage>.AsyncIterator
        let node: BusNode

        public mutating func next() async -> Envelope? {
            while let raw = await base.next() {
                if let envelope = node.accept(raw) { return envelope }
            }
            return nil
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: raw.makeAsyncIterator(), node: node) }
}
