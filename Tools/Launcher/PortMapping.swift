/// One `ports:` entry. `hostPort` is nil when only a container port is given (docker picks the host port).
public struct PortMapping: Sendable, Equatable, CustomStringConvertible {
    public var hostIP: String?
    public var hostPort: String?
    public var containerPort: String
    public var proto: String?
    /// The entry as the file wrote it.
    public var raw: String

    public init(hostIP: String? = nil, hostPort: String? = nil, containerPort: String, proto: String? = nil, raw: String) {
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.containerPort = containerPort
        self.proto = proto
        self.raw = raw
    }

    /// Parses the short syntax: `8080`, `8080:80`, `127.0.0.1:8080:80`, `127.0.0.1::80`, `5555:5555/tcp`.
    public init?(short text: String) {
        var body = Substring(text)
        var proto: String?
        if let slash = body.lastIndex(of: "/") {
            proto = String(body[body.index(after: slash)...])
            body = body[..<slash]
        }
        // An IPv6 host address is bracketed: [::1]:8080:80.
        var hostIP: String?
        if body.hasPrefix("["), let close = body.firstIndex(of: "]") {
            hostIP = String(body[body.index(after: body.startIndex)..<close])
            body = body[body.index(after: close)...]
            guard body.hasPrefix(":") else { return nil }
            body = body.dropFirst()
        }
        let parts = body.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch (parts.count, hostIP) {
        case (1, nil):
            self.init(containerPort: parts[0], proto: proto, raw: text)
        case (2, _):
            self.init(hostIP: hostIP, hostPort: parts[0].isEmpty ? nil : parts[0], containerPort: parts[1], proto: proto, raw: text)
        case (3, nil):
            self.init(
                hostIP: parts[0].isEmpty ? nil : parts[0], hostPort: parts[1].isEmpty ? nil : parts[1],
                containerPort: parts[2], proto: proto, raw: text)
        default:
            return nil
        }
        if containerPort.isEmpty { return nil }
    }

    public var description: String { raw }
}
