/// Who publishes: the service name, the instance and the session (new at every process start).
public struct PublisherIdentity: Sendable, Hashable {
    public var service: String
    public var instance: String
    public var sessionID: String

    public init(service: String, instance: String, sessionID: String = PublisherIdentity.newSessionID()) {
        self.service = service
        self.instance = instance
        self.sessionID = sessionID
    }

    /// "service/instance", the header's publisher field.
    public var publisherName: String { "\(service)/\(instance)" }

    public static func newSessionID() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
