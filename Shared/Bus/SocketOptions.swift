import CZeroMQ

/// Explicit socket settings. Every socket the Bus creates sets all of them on purpose.
public struct SocketOptions: Sendable, Hashable {
    /// Messages queued per peer before PUB drops (silently: gaps show up in header sequences).
    public var sendHighWaterMark: Int32
    public var receiveHighWaterMark: Int32
    /// How long close waits to flush queued messages; -1 waits forever.
    public var lingerMilliseconds: Int32
    public var reconnectIntervalMilliseconds: Int32
    public var reconnectIntervalMaxMilliseconds: Int32
    public var tcpKeepalive: Bool
    public var tcpKeepaliveIdleSeconds: Int32
    public var tcpKeepaliveIntervalSeconds: Int32
    /// Transport security. CURVE arrives with the deployment issue; the field is here so that
    /// callers already pass it and the wiring does not change.
    public var security: Security

    public enum Security: Sendable, Hashable {
        case none
        /// CURVE with Z85 keys (40 characters): a server has its secret key, a client knows the
        /// server's public key and has its own key pair.
        case curveServer(secretKey: String)
        case curveClient(serverPublicKey: String, publicKey: String, secretKey: String)
    }

    public init(
        sendHighWaterMark: Int32 = 100_000,
        receiveHighWaterMark: Int32 = 100_000,
        lingerMilliseconds: Int32 = 2_000,
        reconnectIntervalMilliseconds: Int32 = 100,
        reconnectIntervalMaxMilliseconds: Int32 = 5_000,
        tcpKeepalive: Bool = true,
        tcpKeepaliveIdleSeconds: Int32 = 60,
        tcpKeepaliveIntervalSeconds: Int32 = 10,
        security: Security = .none
    ) {
        self.sendHighWaterMark = sendHighWaterMark
        self.receiveHighWaterMark = receiveHighWaterMark
        self.lingerMilliseconds = lingerMilliseconds
        self.reconnectIntervalMilliseconds = reconnectIntervalMilliseconds
        self.reconnectIntervalMaxMilliseconds = reconnectIntervalMaxMilliseconds
        self.tcpKeepalive = tcpKeepalive
        self.tcpKeepaliveIdleSeconds = tcpKeepaliveIdleSeconds
        self.tcpKeepaliveIntervalSeconds = tcpKeepaliveIntervalSeconds
        self.security = security
    }

    public static let `default` = SocketOptions()

    func apply(to socket: ZMQSocket) throws(ZMQError) {
        try socket.set(ZMQ_SNDHWM, sendHighWaterMark)
        try socket.set(ZMQ_RCVHWM, receiveHighWaterMark)
        try socket.set(ZMQ_LINGER, lingerMilliseconds)
        try socket.set(ZMQ_RECONNECT_IVL, reconnectIntervalMilliseconds)
        try socket.set(ZMQ_RECONNECT_IVL_MAX, reconnectIntervalMaxMilliseconds)
        try socket.set(ZMQ_TCP_KEEPALIVE, tcpKeepalive ? 1 : 0)
        if tcpKeepalive {
            try socket.set(ZMQ_TCP_KEEPALIVE_IDLE, tcpKeepaliveIdleSeconds)
            try socket.set(ZMQ_TCP_KEEPALIVE_INTVL, tcpKeepaliveIntervalSeconds)
        }
        switch security {
        case .none:
            break
        case .curveServer(let secretKey):
            try socket.set(ZMQ_CURVE_SERVER, 1)
            try socket.set(ZMQ_CURVE_SECRETKEY, bytes: Array(secretKey.utf8) + [0])
        case .curveClient(let serverPublicKey, let publicKey, let secretKey):
            try socket.set(ZMQ_CURVE_SERVERKEY, bytes: Array(serverPublicKey.utf8) + [0])
            try socket.set(ZMQ_CURVE_PUBLICKEY, bytes: Array(publicKey.utf8) + [0])
            try socket.set(ZMQ_CURVE_SECRETKEY, bytes: Array(secretKey.utf8) + [0])
        }
    }
}
