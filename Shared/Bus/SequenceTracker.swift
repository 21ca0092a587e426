/// Tracks header sequence numbers per (publisher, session, topic): counts gaps (messages lost
/// between a publisher and this subscriber) and restarts (a new session of a publisher).
/// Publishers number each topic separately, so subscribing to some topics shows no false gaps.
public struct SequenceTracker: Sendable {
    public enum Observation: Sendable, Equatable {
        /// First message seen from this publisher (we may have joined late: not a gap).
        case first
        case inOrder
        /// `missed` messages never arrived before this one.
        case gap(missed: UInt64)
        /// The publisher restarted (new session id).
        case restart
        /// A sequence number at or below one already seen in the same session.
        case duplicate
    }

    private var last: [String: (session: String, seq: UInt64)] = [:]
    public private(set) var missedMessages: UInt64 = 0
    public private(set) var gapEvents: UInt64 = 0
    public private(set) var restarts: UInt64 = 0
    public private(set) var duplicates: UInt64 = 0

    public init() {}

    public mutating func observe(publisher: String, topic: String, session: String, seq: UInt64) -> Observation {
        let key = publisher + "\u{1F}" + topic
        guard let previous = last[key] else {
            last[key] = (session, seq)
            return .first
        }
        if previous.session != session {
            last[key] = (session, seq)
            restarts += 1
            return .restart
        }
        if seq == previous.seq + 1 {
            last[key] = (session, seq)
            return .inOrder
        }
        if seq <= previous.seq {
            duplicates += 1
            return .duplicate
        }
        let missed = seq - previous.seq - 1
        last[key] = (session, seq)
        missedMessages += missed
        gapEvents += 1
        return .gap(missed: missed)
    }

    /// Publishers seen so far.
    public var publishers: [String] { Array(Set(last.keys.map { String($0.split(separator: "\u{1F}").first ?? "") })).sorted() }
}
