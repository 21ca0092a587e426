import CZeroMQ
import Foundation
import Synchronization

/// The bus itself: an XSUB socket that publishers connect to, an XPUB socket that subscribers
/// connect to, joined by zmq_proxy_steerable on a dedicated thread. Optionally every message is
/// also copied to a capture PUB socket. `stop()` ends the proxy through its control socket.
public final class BusProxy: Sendable {
    public let frontendEndpoint: String
    public let backendEndpoint: String
    public let captureEndpoint: String?
    private let context: BusContext
    private let controlEndpoint: String
    private let finished = DispatchSemaphore(value: 0)
    private let stopped = Atomic<Bool>(false)

    /// Binds both sides (and the capture socket) and starts proxying.
    /// Use "tcp://127.0.0.1:*" to bind an ephemeral port; the endpoints then tell the real ones.
    public init(context: BusContext, frontend: String, backend: String, capture: String? = nil, options: SocketOptions = .default) throws(ZMQError) {
        let xsub = try context.socket(ZMQ_XSUB)
        let xpub = try context.socket(ZMQ_XPUB)
        let control = try context.socket(ZMQ_PAIR)
        var captureSocket: ZMQSocket? = nil
        do {
            try options.apply(to: xsub)
            try options.apply(to: xpub)
            try xsub.bind(frontend)
            try xpub.bind(backend)
            if let capture {
                let socket = try context.socket(ZMQ_PUB)
                captureSocket = socket
                try options.apply(to: socket)
                try socket.bind(capture)
            }
            let name = "inproc://bus-proxy-control-\(UInt64.random(in: 0...UInt64.max))"
            try control.bind(name)
            self.controlEndpoint = name
        } catch {
            xsub.close(); xpub.close(); control.close(); captureSocket?.close()
            throw error
        }
        self.context = context
        self.frontendEndpoint = xsub.lastEndpoint()
        self.backendEndpoint = xpub.lastEndpoint()
        self.captureEndpoint = captureSocket?.lastEndpoint()
        let capturedSocket = captureSocket
        let thread = Thread { [finished] in
            _ = zmq_proxy_steerable(xsub.raw, xpub.raw, capturedSocket?.raw, control.raw)
            xsub.close(); xpub.close(); control.close(); capturedSocket?.close()
            finished.signal()
        }
        thread.name = "bus-proxy"
        thread.start()
    }

    /// Stops the proxy and closes its sockets; returns when they are closed. Idempotent.
    public func stop() {
        guard stopped.exchange(true, ordering: .acquiringAndReleasing) == false else { return }
        if let control = try? context.socket(ZMQ_PAIR) {
            try? control.set(ZMQ_LINGER, 1000)
            if (try? control.connect(controlEndpoint)) != nil {
                try? control.send(Array("TERMINATE".utf8), more: false, dontWait: false)
            }
            control.close()
        }
        finished.wait()
    }

    /// Blocks until the proxy ends (after `stop()`, or when the context is terminated).
    public func wait() { finished.wait(); finished.signal() }
}
