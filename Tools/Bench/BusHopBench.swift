import Bus
import CZeroMQ
import Domain
import Foundation
import Wire

/// One bus hop, PUB → proxy → SUB, one message in flight at a time, on tcp loopback:
/// - raw: three pre-encoded frames through zmq_send → zmq_proxy_steerable → zmq_msg_recv in the same thread;
/// - ours: BusPublisher (header stamping, protobuf encoding) → BusProxy → BusSubscriber's receive
///   thread → AsyncStream → an async consumer that decodes the envelope. As in the services
///   (`Inbound.onReceiveThread`), the consumer prefers the receive thread as its task executor, so
///   it runs there; BENCH_BUS_CONSUMER=cooperative runs it on the cooperative pool instead (the
///   old path: one more thread wake-up per message).
enum BusHopBench {
    static func payload() -> Payload {
        var kline = Quorum_V1_Kline()
        kline.symbol = "BTCUSDT"; kline.interval = "5m"; kline.openTimeMs = 1_722_816_000_000; kline.closeTimeMs = 1_722_816_299_999
        kline.open = "61837.63000000"; kline.high = "61900.00000000"; kline.low = "61800.01000000"; kline.close = "61850.50000000"
        kline.volume = "123.45678000"; kline.quoteVolume = "7634567.12345678"; kline.trades = 12345; kline.closed = true
        return .kline(kline)
    }

    static func run(messages: Int) async throws -> (raw: Samples, ours: Samples, bytes: Int) {
        let topic = "md.kline.BTCUSDT.5m."
        // A real envelope, to size the raw frames identically.
        var header = Quorum_V1_Header()
        header.schemaVersion = 1; header.type = .kline; header.publisher = "collector/bench"; header.sessionID = "0123456789abcdef"
        header.seq = 1; header.tsEventNs = 1; header.tsPublishNs = 1; header.traceID = "BTCUSDT.5m.1722816000000"
        let envelope = Envelope(topic: topic, header: header, payload: payload()).encode()
        let bytes = envelope.byteCount

        // Raw libzmq.
        let context = BusContext()
        let raw = try rawHop(frames: envelope.frames, messages: messages)

        // Ours.
        let proxy = try BusProxy(context: context, frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*")
        let subscriber = try BusSubscriber(context: context, endpoint: proxy.backendEndpoint, prefixes: ["md."])
        let publisher = try BusPublisher(context: context, endpoint: proxy.frontendEndpoint, identity: PublisherIdentity(service: "collector", instance: "bench"))
        let onReceiveThread = ProcessInfo.processInfo.environment["BENCH_BUS_CONSUMER"] != "cooperative"
        let loop = { () async throws -> Samples in
            var iterator = subscriber.messages.makeAsyncIterator()
            // Wait for the subscription to reach the publisher.
            let probing = Task {
                while !Task.isCancelled {
                    publisher.publish(payload(), topic: "md.probe.", eventTime: .zero)
                    try? await Task.sleep(for: .milliseconds(5))
                }
            }
            _ = await iterator.next()
            probing.cancel()
            _ = await probing.value
            var ours = Samples()
            let body = payload()
            for i in 0..<(messages + 1_000) {
                let start = DispatchTime.now().uptimeNanoseconds
                publisher.publish(body, topic: topic, eventTime: Timestamp(nanoseconds: Int64(i)), traceID: "BTCUSDT.5m.1722816000000")
                var decoded: Envelope
                repeat {
                    guard let message = await iterator.next() else { throw BenchError("subscriber ended") }
                    decoded = try Envelope.decode(message)
                } while decoded.topic != topic   // late probes
                let end = DispatchTime.now().uptimeNanoseconds
                precondition(decoded.topic == topic)
                if i >= 1_000 { ours.add(Double(end - start)) }   // the first 1,000 warm up
            }
            return ours
        }
        let ours = onReceiveThread ? try await subscriber.onReceiveThread(loop) : try await loop()
        subscriber.close()
        publisher.close()
        proxy.stop()
        context.terminate()
        return (raw, ours, bytes)
    }

    static func rawHop(frames: [[UInt8]], messages: Int) throws -> Samples {
        guard let ctx = zmq_ctx_new() else { throw BenchError("zmq_ctx_new") }
        defer { zmq_ctx_term(ctx) }
        guard let xsub = zmq_socket(ctx, ZMQ_XSUB), let xpub = zmq_socket(ctx, ZMQ_XPUB), let control = zmq_socket(ctx, ZMQ_PAIR) else { throw BenchError("zmq_socket") }
        var hwm: Int32 = 100_000
        for s in [xsub, xpub] {
            zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, 4); zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, 4)
        }
        guard zmq_bind(xsub, "tcp://127.0.0.1:*") == 0, zmq_bind(xpub, "tcp://127.0.0.1:*") == 0, zmq_bind(control, "inproc://raw-control") == 0 else { throw BenchError("bind") }
        let front = endpoint(xsub), back = endpoint(xpub)
        let sockets = RawSockets(xsub: xsub, xpub: xpub, control: control)
        let done = DispatchSemaphore(value: 0)
        Thread {
            _ = zmq_proxy_steerable(sockets.xsub, sockets.xpub, nil, sockets.control)
            zmq_close(sockets.xsub); zmq_close(sockets.xpub); zmq_close(sockets.control)
            done.signal()
        }.start()
        guard let pub = zmq_socket(ctx, ZMQ_PUB), let sub = zmq_socket(ctx, ZMQ_SUB) else { throw BenchError("zmq_socket") }
        zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "md.", 3)
        zmq_connect(pub, front); zmq_connect(sub, back)
        func send() { for (i, f) in frames.enumerated() { _ = f.withUnsafeBytes { zmq_send(pub, $0.baseAddress, $0.count, i < frames.count - 1 ? ZMQ_SNDMORE : 0) } } }
        var message = zmq_msg_t()
        func receive(dontWait: Bool) -> Bool {
            var got = false
            while true {
                zmq_msg_init(&message)
                let rc = zmq_msg_recv(&message, sub, dontWait && !got ? ZMQ_DONTWAIT : 0)
                if rc < 0 { zmq_msg_close(&message); return got }
                got = true
                let more = zmq_msg_more(&message) != 0
                zmq_msg_close(&message)
                if !more { return true }
            }
        }
        // Subscription propagation: send until one arrives.
        var arrived = false
        for _ in 0..<2_000 where !arrived { send(); usleep(2_000); arrived = receive(dontWait: true) }
        while receive(dontWait: true) {}
        var samples = Samples()
        for i in 0..<(messages + 1_000) {
            let start = DispatchTime.now().uptimeNanoseconds
            send()
            _ = receive(dontWait: false)
            let end = DispatchTime.now().uptimeNanoseconds
            if i >= 1_000 { samples.add(Double(end - start)) }
        }
        zmq_close(pub); zmq_close(sub)
        if let ctl = zmq_socket(ctx, ZMQ_PAIR) {
            zmq_connect(ctl, "inproc://raw-control")
            zmq_send(ctl, "TERMINATE", 9, 0)
            zmq_close(ctl)
        }
        done.wait()
        return samples
    }

    static func endpoint(_ socket: UnsafeMutableRawPointer) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, &buffer, &size)
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    struct RawSockets: @unchecked Sendable {
        let xsub: UnsafeMutableRawPointer, xpub: UnsafeMutableRawPointer, control: UnsafeMutableRawPointer
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

