/// The bus's bind addresses, validated.
public struct BusConfiguration: Sendable, Hashable {
    /// XSUB: publishers connect here.
    public var frontendBind: String
    /// XPUB: subscribers connect here.
    public var backendBind: String
    /// Optional PUB that receives a copy of every message (a capture tap).
    public var captureBind: String?

    public init(frontendBind: String = "tcp://*:5555", backendBind: String = "tcp://*:5556", captureBind: String? = nil) {
        self.frontendBind = frontendBind
        self.backendBind = backendBind
        self.captureBind = captureBind
    }

    /// Every problem with the endpoints.
    public func violations() -> [String] {
        var problems: [String] = []
        for (key, value) in [("BUS_FRONTEND_BIND", frontendBind), ("BUS_BACKEND_BIND", backendBind), ("BUS_CAPTURE_BIND", captureBind ?? "")] {
            if key == "BUS_CAPTURE_BIND" && value.isEmpty { continue }
            if let problem = Self.problem(with: value) { problems.append("\(key)=\"\(value)\": \(problem)") }
        }
        if frontendBind == backendBind { problems.append("BUS_FRONTEND_BIND and BUS_BACKEND_BIND are the same endpoint \"\(frontendBind)\"") }
        if let captureBind, captureBind == frontendBind || captureBind == backendBind {
            problems.append("BUS_CAPTURE_BIND \"\(captureBind)\" collides with another bind")
        }
        return problems
    }

    static func problem(with endpoint: String) -> String? {
        let parts = endpoint.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return "expected transport://address, e.g. tcp://*:5555" }
        let transport = parts[0]
        let address = parts[1]
        guard ["tcp", "ipc", "inproc"].contains(transport) else { return "unsupported transport \"\(transport)\" (tcp, ipc, inproc)" }
        guard !address.isEmpty else { return "empty address" }
        if transport == "tcp" {
            guard let colon = address.lastIndex(of: ":") else { return "tcp address needs a port" }
            let port = address[address.index(after: colon)...]
            if port != "*", Int(port).map({ (1...65535).contains($0) }) != true { return "invalid port \"\(port)\"" }
        }
        return nil
    }

    /// The address a local client connects to for a bind address: "tcp://*:5555" → "tcp://127.0.0.1:5555".
    public static func connectEndpoint(forBind bind: String) -> String {
        for wildcard in ["tcp://*:", "tcp://0.0.0.0:"] where bind.hasPrefix(wildcard) {
            return "tcp://127.0.0.1:" + bind.dropFirst(wildcard.count)
        }
        return bind
    }
}
