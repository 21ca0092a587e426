import SwiftProtobuf
import Wire

/// The raw frames of one message, as they cross the socket.
public struct RawMessage: Sendable, Hashable {
    public var frames: [[UInt8]]

    public init(frames: [[UInt8]]) { self.frames = frames }
    public init(topic: String, header: [UInt8], payload: [UInt8]) { self.frames = [Array(topic.utf8), header, payload] }

    public var byteCount: Int { frames.reduce(0) { $0 + $1.count } }
}

/// A payload, one case per wire message type.
public enum Payload: Sendable, Equatable {
    case kline(Quorum_V1_Kline)
    case bookDelta(Quorum_V1_BookDelta)
    case bookSnapshot(Quorum_V1_BookSnapshot)
    case trade(Quorum_V1_Trade)
    case features(Quorum_V1_FeatureVector)
    case prediction(Quorum_V1_Prediction)
    case signal(Quorum_V1_EnsembleSignal)
    case intent(Quorum_V1_TradeIntent)
    case intentAck(Quorum_V1_IntentAck)
    case riskDenied(Quorum_V1_RiskDenied)
    case riskState(Quorum_V1_RiskState)
    case executionReport(Quorum_V1_ExecutionReport)
    case executionWatermark(Quorum_V1_ExecutionWatermark)
    case heartbeat(Quorum_V1_Heartbeat)
    case control(Quorum_V1_Control)

    public var type: Quorum_V1_MessageType {
        switch self {
        case .kline: .kline
        case .bookDelta: .bookDelta
        case .bookSnapshot: .bookSnapshot
        case .trade: .trade
        case .features: .featureVector
        case .prediction: .prediction
        case .signal: .ensembleSignal
        case .intent: .tradeIntent
        case .intentAck: .intentAck
        case .riskDenied: .riskDenied
        case .riskState: .riskState
        case .executionReport: .executionReport
        case .executionWatermark: .executionWatermark
        case .heartbeat: .heartbeat
        case .control: .control
        }
    }

    var message: any SwiftProtobuf.Message {
        switch self {
        case .kline(let m): m
        case .bookDelta(let m): m
        case .bookSnapshot(let m): m
        case .trade(let m): m
        case .features(let m): m
        case .prediction(let m): m
        case .signal(let m): m
        case .intent(let m): m
        case .intentAck(let m): m
        case .riskDenied(let m): m
        case .riskState(let m): m
        case .executionReport(let m): m
        case .executionWatermark(let m): m
        case .heartbeat(let m): m
        case .control(let m): m
        }
    }

    public func serializedBytes() -> [UInt8] {
        // Serializing a proto3 message without required fields cannot fail.
        (try? message.serializedBytes()) ?? []
    }

    public static func decode(type: Quorum_V1_MessageType, bytes: [UInt8]) throws -> Payload {
        switch type {
        case .kline: return .kline(try Quorum_V1_Kline(serializedBytes: bytes))
        case .bookDelta: return .bookDelta(try Quorum_V1_BookDelta(serializedBytes: bytes))
        case .bookSnapshot: return .bookSnapshot(try Quorum_V1_BookSnapshot(serializedBytes: bytes))
        case .trade: return .trade(try Quorum_V1_Trade(serializedBytes: bytes))
        case .featureVector: return .features(try Quorum_V1_FeatureVector(serializedBytes: bytes))
        case .prediction: return .prediction(try Quorum_V1_Prediction(serializedBytes: bytes))
        case .ensembleSignal: return .signal(try Quorum_V1_EnsembleSignal(serializedBytes: bytes))
        case .tradeIntent: return .intent(try Quorum_V1_TradeIntent(serializedBytes: bytes))
        case .intentAck: return .intentAck(try Quorum_V1_IntentAck(serializedBytes: bytes))
        case .riskDenied: return .riskDenied(try Quorum_V1_RiskDenied(serializedBytes: bytes))
        case .riskState: return .riskState(try Quorum_V1_RiskState(serializedBytes: bytes))
        case .executionReport: return .executionReport(try Quorum_V1_ExecutionReport(serializedBytes: bytes))
        case .executionWatermark: return .executionWatermark(try Quorum_V1_ExecutionWatermark(serializedBytes: bytes))
        case .heartbeat: return .heartbeat(try Quorum_V1_Heartbeat(serializedBytes: bytes))
        case .control: return .control(try Quorum_V1_Control(serializedBytes: bytes))
        case .unspecified, .UNRECOGNIZED: throw Envelope.DecodeError.unknownType
        }
    }

    /// The payload as proto3 canonical JSON (field names as in the .proto file).
    public func jsonString() -> String {
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = true
        return (try? message.jsonString(options: options)) ?? "{}"
    }
}

/// One decoded message: topic, header and payload.
public struct Envelope: Sendable, Equatable {
    public static let schemaVersion: UInt32 = 1

    public var topic: String
    public var header: Quorum_V1_Header
    public var payload: Payload

    public init(topic: String, header: Quorum_V1_Header, payload: Payload) {
        self.topic = topic
        self.header = header
        self.payload = payload
    }

    /// Why a received message was dropped. The raw values are the counter names.
    public enum DecodeError: String, Error, Sendable, CaseIterable {
        case wrongFrameCount = "wrong_frame_count"
        case badTopic = "bad_topic"
        case badHeader = "bad_header"
        case unsupportedSchema = "unsupported_schema"
        case unknownType = "unknown_type"
        case badPayload = "bad_payload"
    }

    /// How a message caused by this one names it (docs/wire-protocol.md: `<publisher>@<session_id>#<seq>`).
    public var causationID: String { "\(header.publisher)@\(header.sessionID)#\(header.seq)" }

    public func encode() -> RawMessage {
        let header = (try? self.header.serializedBytes() as [UInt8]) ?? []
        return RawMessage(topic: topic, header: header, payload: payload.serializedBytes())
    }

    public static func decode(_ raw: RawMessage) throws(DecodeError) -> Envelope {
        guard raw.frames.count == 3 else { throw .wrongFrameCount }
        guard let topic = String(validating: raw.frames[0], as: UTF8.self), Topic.isValid(topic) else { throw .badTopic }
        let header: Quorum_V1_Header
        do { header = try Quorum_V1_Header(serializedBytes: raw.frames[1]) } catch { throw .badHeader }
        guard header.schemaVersion == schemaVersion else {
            throw header.schemaVersion == 0 ? .badHeader : .unsupportedSchema
        }
        switch header.type {
        case .unspecified, .UNRECOGNIZED: throw .unknownType
        default: break
        }
        do {
            return Envelope(topic: topic, header: header, payload: try Payload.decode(type: header.type, bytes: raw.frames[2]))
        } catch {
            throw .badPayload
        }
    }
}
