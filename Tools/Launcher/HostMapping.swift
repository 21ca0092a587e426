/// Rewrites compose service names used as URL hosts (`tcp://bus:5555`, `http://collector:8080/x`,
/// `ws://user@sim`) to a local address, so that processes started side by side find each other.
///
/// Only host positions count: right after `//` (or after `user@` following `//`), and the whole
/// host-name token must equal a service name. `tcp://busy:1`, `tcp://bus.example.com` and a bare
/// `bus` are left alone. Names compare case-insensitively, as DNS does.
public struct HostMapping: Sendable {
    public var hosts: Set<String>
    public var address: String

    public init(hosts: some Sequence<String>, address: String = "127.0.0.1") {
        self.hosts = Set(hosts.map { $0.lowercased() })
        self.address = address
    }

    public func rewrite(_ value: String) -> String {
        guard value.contains("//"), !hosts.isEmpty else { return value }
        let chars = Array(value)
        var out = ""
        out.reserveCapacity(value.count)
        var i = 0
        while i < chars.count {
            guard chars[i] == "/", i + 1 < chars.count, chars[i + 1] == "/" else {
                out.append(chars[i])
                i += 1
                continue
            }
            out += "//"
            i += 2
            // The authority runs to the first '/', '?', '#', whitespace or ','; a host follows its last '@'.
            var end = i
            while end < chars.count, !"/?#,".contains(chars[end]), !chars[end].isWhitespace { end += 1 }
            var hostStart = i
            if let at = chars[i..<end].lastIndex(of: "@") { hostStart = at + 1 }
            out += String(chars[i..<hostStart])
            var hostEnd = hostStart
            while hostEnd < chars.count, Self.isHostChar(chars[hostEnd]) { hostEnd += 1 }
            let host = String(chars[hostStart..<hostEnd])
            out += hosts.contains(host.lowercased()) ? address : host
            i = hostEnd
        }
        return out
    }

    static func isHostChar(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "." || c == "_")
    }
}
