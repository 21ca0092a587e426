/// The Executor's receipt of an intent, published after the intent is journaled.
public struct IntentAck: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, Codable {
        /// Journaled for the first time; it will be executed (or expire unexecuted).
        case accepted
        /// Seen before: not executed again.
        case duplicate
        /// Its entry could not be made before its expiry; never executed.
        case expired
        /// Refused (e.g. live trading disabled, unknown symbol); `reason` says why.
        case rejected
    }

    public var intentID: IntentID
    public var symbol: String
    public var status: Status
    public var reason: String

    public init(intentID: IntentID, symbol: String, status: Status, reason: String = "") {
        self.intentID = intentID
        self.symbol = symbol
        self.status = status
        self.reason = reason
    }
}
