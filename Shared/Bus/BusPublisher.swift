import CZeroMQ
import Domain
import Synchronization
import Wire

/// A PUB socket connected to the bus's frontend. Stamps every message's header (publisher,
/// session, seq, publish time) and sends it. Thread-safe: the socket is used under a mutex, and
/// sends never block (PUB drops at its high-water mark; receivers see the gap in `seq`).
public final class BusPublisher: Sendable {
    public let identity: PublisherIdentity
    private let state: Mutex<State>

    struct State: ~Copyable {
        var socket: ZMQSocket
        /// Sequence numbers run per topic, so a subscriber to some topics sees no false gaps.
        var seqByTopic: [String: UInt64] = [:]
        var published: UInt64 = 0
        var sendErrors: UInt64 = 0
    }

    /// Connects (or binds, when `bind` is true) a PUB socket to `endpoint`.
    public init(context: BusContext, endpoint: String, identity: PublisherIdentity, options: SocketOptions = .default, bind: Bool = false) throws(ZMQError) {
        let socket = try context.socket(ZMQ_PUB)
        do {
            try options.apply(to: socket)
            if bind { try socket.bind(endpoint) } else { try socket.connect(endpoint) }
        } catch {
            socket.close()
            throw error
        }
        self.identity = identity
        self.state = Mutex(State(socket: socket))
    }

    /// Publishes `payload` on `topic`; returns the sequence number it got (per topic, from 1).
    @discardableResult
    public func publish(
        _ payload: Payload, topic: String, eventTime: Timestamp, traceID: String = "", causationID: String = ""
    ) -> UInt64 {
        let body = payload.serializedBytes()
        return state.withLock { state in
            let seq = state.seqByTopic[topic, default: 0] + 1
            state.seqByTopic[topic] = seq
            state.published += 1
            var header = Quorum_V1_Header()
            header.schemaVersion = Envelope.schemaVersion
            header.type = payload.type
            header.publisher = identity.publisherName
            header.sessionID = identity.sessionID
            header.seq = seq
            header.tsEventNs = eventTime.nanoseconds
            header.tsPublishNs = WallClock.now().nanoseconds
            header.traceID = traceID
            header.causationID = causationID
            let headerBytes: [UInt8] = (try? header.serializedBytes()) ?? []
            do {
                try state.socket.send(Array(topic.utf8), more: true)
                try state.socket.send(headerBytes, more: true)
                try state.socket.send(body, more: false)
            } catch {
                state.sendErrors += 1
            }
            return seq
        }
    }

    /// Sends frames as they are (replay of a recording, fault tests). No header stamping.
    public func publishRaw(_ message: RawMessage) throws(ZMQError) {
        let failure: ZMQError? = state.withLock { state in
            for (index, frame) in message.frames.enumerated() {
                do { try state.socket.send(frame, more: index < message.frames.count - 1) } catch { return error as? ZMQError ?? ZMQError(code: EINVAL, operation: "zmq_send") }
            }
            return nil
        }
        if let failure { throw failure }
    }

    /// Messages published so far in this session (all topics).
    public var sequence: UInt64 { state.withLock { $0.published } }
    public var sendErrors: UInt64 { state.withLock { $0.sendErrors } }

    /// Closes the socket; queued messages are flushed when the context terminates (within linger).
    public func close() {
        state.withLock { $0.socket.close() }
    }
}
