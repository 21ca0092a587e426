import Crypto
import Foundation

/// Signed control messages (`ctl.<service>.`): HMAC-SHA256 with a shared key over the target, the
/// command, every argument and a timestamp, so that only holders of the key can pause, resume,
/// acknowledge or flatten, and a captured message cannot be replayed later.
///
/// The signature travels in the `Control` message's own arguments (no wire change): `ts_ms` (the
/// sender's wall clock, milliseconds), `nonce` (random, unique per message) and `sig` (lowercase
/// hex). The signed text is `quorum-control-v1` followed by the target, the command and every
/// argument but `sig`, sorted by key, each as `<utf8 length>:<bytes>` (unambiguous whatever the
/// values contain).
///
/// ```swift
/// let key = try ControlKey(text: ProcessInfo.processInfo.environment["QUORUM_CONTROL_KEY"] ?? "")
/// let arguments = ControlSignature.sign(target: "riskgate", command: "pause", arguments: [:], key: key, timestampMs: now, nonce: "n1")
/// var verifier = ControlVerifier(key: key)
/// try verifier.verify(target: "riskgate", command: "pause", arguments: arguments, nowMs: now)
/// ```
public enum ControlSignature {
    public static let timestampKey = "ts_ms"
    public static let nonceKey = "nonce"
    public static let signatureKey = "sig"

    /// The text that is signed.
    public static func canonical(target: String, command: String, arguments: [String: String]) -> String {
        func field(_ text: String) -> String { "\(text.utf8.count):\(text)" }
        var text = "quorum-control-v1" + field(target) + field(command)
        for (key, value) in arguments.filter({ $0.key != signatureKey }).sorted(by: { $0.key < $1.key }) {
            text += field(key) + field(value)
        }
        return text
    }

    /// The HMAC-SHA256 of the canonical text, lowercase hex.
    public static func signature(target: String, command: String, arguments: [String: String], key: ControlKey) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(canonical(target: target, command: command, arguments: arguments).utf8), using: key.symmetric)
        return code.map { String(format: "%02x", $0) }.joined()
    }

    /// `arguments` with the timestamp, the nonce and the signature added.
    public static func sign(target: String, command: String, arguments: [String: String], key: ControlKey, timestampMs: Int64, nonce: String) -> [String: String] {
        var signed = arguments
        signed[timestampKey] = String(timestampMs)
        signed[nonceKey] = nonce
        signed[signatureKey] = signature(target: target, command: command, arguments: signed, key: key)
        return signed
    }
}

/// The shared key (at least 16 bytes), from the environment or a file; never logged.
public struct ControlKey: Sendable, CustomStringConvertible {
    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        case missing(String)
        case tooShort(bytes: Int)
        public var description: String {
            switch self {
            case .missing(let variable): return "no control key: set \(variable) (or \(variable)_FILE) to a secret of at least 16 bytes"
            case .tooShort(let bytes): return "the control key has \(bytes) bytes; at least 16 are required"
            }
        }
    }

    private let bytes: [UInt8]

    var symmetric: SymmetricKey { SymmetricKey(data: bytes) }

    public init(text: String) throws(Failure) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 16 else { throw .tooShort(bytes: bytes.count) }
        self.bytes = bytes
    }

    /// Reads `variable`, or the file named by `variable_FILE` (trailing newlines trimmed).
    public static func fromEnvironment(_ variable: String = "QUORUM_CONTROL_KEY", environment: [String: String] = ProcessInfo.processInfo.environment) throws(Failure) -> ControlKey {
        if let text = environment[variable], !text.isEmpty { return try ControlKey(text: text) }
        if let path = environment["\(variable)_FILE"], !path.isEmpty,
           let contents = try? String(contentsOfFile: path, encoding: .utf8) {
            return try ControlKey(text: contents.trimmingCharacters(in: .newlines))
        }
        throw .missing(variable)
    }

    public var description: String { "ControlKey(redacted)" }
}

/// Checks control messages: signed with the key, fresh (|now − ts| ≤ `maxAgeMilliseconds`) and
/// not seen before (nonces are remembered for twice the age window). Rejections are typed.
public struct ControlVerifier: Sendable {
    public enum Rejection: Error, Sendable, Hashable, CustomStringConvertible {
        /// No signature, timestamp or nonce.
        case unsigned
        /// A field is malformed (e.g. the timestamp is not a number).
        case malformed(String)
        /// The signature does not match (wrong key, or the message was altered).
        case badSignature
        /// Older (or further in the future) than the window allows.
        case stale(ageMilliseconds: Int64)
        /// The nonce was already used.
        case replayed
        /// The receiver has no key: it accepts no control message.
        case noKey

        /// A stable code for counters and logs.
        public var code: String {
            switch self {
            case .unsigned: return "unsigned"
            case .malformed: return "malformed"
            case .badSignature: return "bad_signature"
            case .stale: return "stale"
            case .replayed: return "replayed"
            case .noKey: return "no_key"
            }
        }

        public var description: String {
            switch self {
            case .unsigned: return "unsigned control message"
            case .malformed(let detail): return "malformed control message: \(detail)"
            case .badSignature: return "bad signature"
            case .stale(let age): return "stale control message (\(age) ms)"
            case .replayed: return "replayed control message (nonce already used)"
            case .noKey: return "no control key configured: control messages are not accepted"
            }
        }
    }

    /// The key (nil: every message is rejected).
    public let key: ControlKey?
    public let maxAgeMilliseconds: Int64
    private var seen: [String: Int64] = [:]

    public init(key: ControlKey?, maxAgeMilliseconds: Int64 = 30_000) {
        self.key = key
        self.maxAgeMilliseconds = maxAgeMilliseconds
    }

    public mutating func verify(target: String, command: String, arguments: [String: String], nowMs: Int64) throws(Rejection) {
        guard let key else { throw .noKey }
        guard let signature = arguments[ControlSignature.signatureKey], let stamp = arguments[ControlSignature.timestampKey],
              let nonce = arguments[ControlSignature.nonceKey], !signature.isEmpty else { throw .unsigned }
        guard let timestamp = Int64(stamp) else { throw .malformed("ts_ms \"\(stamp)\" is not an integer") }
        guard !nonce.isEmpty, nonce.utf8.count <= 64 else { throw .malformed("nonce must have 1 to 64 bytes") }
        guard let given = Self.bytes(hex: signature), given.count == 32 else { throw .badSignature }
        let message = Data(ControlSignature.canonical(target: target, command: command, arguments: arguments).utf8)
        guard HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: message, using: key.symmetric) else { throw .badSignature }
        let age = nowMs - timestamp
        guard abs(age) <= maxAgeMilliseconds else { throw .stale(ageMilliseconds: age) }
        seen = seen.filter { nowMs - $0.value <= 2 * maxAgeMilliseconds }
        guard seen[nonce] == nil else { throw .replayed }
        seen[nonce] = timestamp
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        var i = 0
        while i < digits.count {
            guard let high = value(digits[i]), let low = value(digits[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
            i += 2
        }
        return bytes
    }
}
