import Crypto
import Foundation

/// A key that signs Binance requests (BINANCE.md §4). The secret never appears in a description.
public enum SigningKey: Sendable, CustomStringConvertible {
    /// HMAC-SHA256 with the API secret; the signature is lowercase hex.
    case hmac(secret: String)
    /// Ed25519 (Binance's recommendation); the signature is base64 of 64 bytes, percent-encoded in requests.
    case ed25519(Ed25519PrivateKey)

    public var description: String {
        switch self {
        case .hmac: return "HMAC-SHA256 key (secret redacted)"
        case .ed25519: return "Ed25519 key (private key redacted)"
        }
    }

    /// Reads an Ed25519 private key from PEM (PKCS#8, as Binance's key generator writes it) or
    /// from 32 raw bytes in base64.
    public static func ed25519(pem text: String) throws -> SigningKey {
        .ed25519(try Ed25519PrivateKey(pem: text))
    }
}

/// An Ed25519 private key (kept as its 32 raw bytes, so that it is Sendable).
public struct Ed25519PrivateKey: Sendable, CustomStringConvertible {
    let raw: Data

    public init(_ key: Curve25519.Signing.PrivateKey) { raw = key.rawRepresentation }

    /// A new random key (tests, the simulator's key generator).
    public static func generate() -> Ed25519PrivateKey { Ed25519PrivateKey(Curve25519.Signing.PrivateKey()) }

    /// PEM with a PKCS#8 body (`-----BEGIN PRIVATE KEY-----`, as Binance's key generator writes
    /// it), or the 32 raw bytes in base64.
    public init(pem text: String) throws {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        let body = lines.filter { !$0.hasPrefix("-----") }.joined()
        guard let der = Data(base64Encoded: body) else { throw SigningError.unreadableKey }
        // PKCS#8 for Ed25519 (RFC 8410): a fixed 16-byte prefix, then the 32-byte key.
        let prefix: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]
        let bytes = [UInt8](der)
        if bytes.count == 48, Array(bytes.prefix(16)) == prefix {
            raw = Data(bytes.suffix(32))
        } else if bytes.count == 32 {
            raw = der
        } else {
            throw SigningError.unreadableKey
        }
        _ = try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
    }

    public var privateKey: Curve25519.Signing.PrivateKey {
        // The raw bytes were validated at construction.
        try! Curve25519.Signing.PrivateKey(rawRepresentation: raw)
    }

    public var publicKey: Curve25519.Signing.PublicKey { privateKey.publicKey }

    /// The public key as PEM (SubjectPublicKeyInfo), as Binance asks to register it.
    public var publicKeyPEM: String {
        let prefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]
        let der = Data(prefix) + publicKey.rawRepresentation
        return "-----BEGIN PUBLIC KEY-----\n" + der.base64EncodedString() + "\n-----END PUBLIC KEY-----\n"
    }

    /// The private key as PEM (PKCS#8).
    public var pem: String {
        let prefix: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]
        return "-----BEGIN PRIVATE KEY-----\n" + (Data(prefix) + raw).base64EncodedString() + "\n-----END PRIVATE KEY-----\n"
    }

    public var description: String { "Ed25519 private key (redacted)" }
}

extension Curve25519.Signing.PublicKey {
    /// Reads a public key from PEM (SubjectPublicKeyInfo) or 32 raw bytes in base64.
    public static func binance(pem text: String) throws -> Curve25519.Signing.PublicKey {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        let body = lines.filter { !$0.hasPrefix("-----") }.joined()
        guard let der = Data(base64Encoded: body) else { throw SigningError.unreadableKey }
        let bytes = [UInt8](der)
        // SubjectPublicKeyInfo for Ed25519 (RFC 8410): a fixed 12-byte prefix, then the 32-byte key.
        let prefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]
        if bytes.count == 44, Array(bytes.prefix(12)) == prefix { return try Curve25519.Signing.PublicKey(rawRepresentation: Data(bytes.suffix(32))) }
        if bytes.count == 32 { return try Curve25519.Signing.PublicKey(rawRepresentation: der) }
        throw SigningError.unreadableKey
    }
}

public enum SigningError: Error, Equatable, CustomStringConvertible {
    case unreadableKey
    public var description: String { "the Ed25519 key is neither PEM (PKCS#8 / SubjectPublicKeyInfo) nor 32 bytes of base64" }
}

/// Binance's signing rules (BINANCE.md §4 and §7), one implementation for the client and the simulator.
public enum BinanceSigning {
    /// HMAC-SHA256 of `payload` with `secretKey`, lowercase hex: the REST and WS-API HMAC signature.
    public static func hmacSHA256Hex(payload: some DataProtocol, secretKey: String) -> String {
        let key = SymmetricKey(data: Data(secretKey.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: payload, using: key)
        return hex(mac)
    }

    public static func hmacSHA256Hex(payload: String, secretKey: String) -> String {
        hmacSHA256Hex(payload: Data(payload.utf8), secretKey: secretKey)
    }

    /// Constant-time check of a hex HMAC signature; Binance accepts either case.
    public static func verifyHMAC(signatureHex: String, payload: some DataProtocol, secretKey: String) -> Bool {
        guard let given = bytes(fromHex: signatureHex), given.count == 32 else { return false }
        let key = SymmetricKey(data: Data(secretKey.utf8))
        return HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: payload, using: key)
    }

    /// The Ed25519 signature of `payload`, base64 (88 characters), not yet percent-encoded.
    public static func ed25519Base64(payload: some DataProtocol, key: Curve25519.Signing.PrivateKey) throws -> String {
        try key.signature(for: payload).base64EncodedString()
    }

    public static func verifyEd25519(signatureBase64: String, payload: some DataProtocol, publicKey: Curve25519.Signing.PublicKey) -> Bool {
        guard let signature = Data(base64Encoded: signatureBase64), signature.count == 64 else { return false }
        return publicKey.isValidSignature(signature, for: payload)
    }

    /// The request's signature parameter value for `payload` (already percent-encoded where the
    /// key type needs it: Ed25519's base64 holds `+`, `/` and `=`).
    public static func signature(payload: String, key: SigningKey) throws -> String {
        switch key {
        case .hmac(let secret): return hmacSHA256Hex(payload: payload, secretKey: secret)
        case .ed25519(let key): return percentEncode(try ed25519Base64(payload: Data(payload.utf8), key: key.privateKey))
        }
    }

    /// Percent-encodes a parameter name or value as Binance's REST signing requires since
    /// 2026-01-15: UTF-8 bytes, every byte outside RFC 3986's unreserved set (A–Z a–z 0–9 - _ . ~)
    /// as %XX in uppercase hex. ASCII-only decimals, symbols and enums are unchanged.
    public static func percentEncode(_ text: String) -> String {
        var needs = false
        for b in text.utf8 where !isUnreserved(b) { needs = true; break }
        if !needs { return text }
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count * 3)
        let digits = Array("0123456789ABCDEF".utf8)
        for b in text.utf8 {
            if isUnreserved(b) {
                out.append(b)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(digits[Int(b >> 4)])
                out.append(digits[Int(b & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `name=value` pairs in the given order, values percent-encoded, joined with `&`: exactly the
    /// bytes that are both sent and signed.
    public static func encodedQuery(_ parameters: [(String, String)]) -> String {
        var text = ""
        for (i, (name, value)) in parameters.enumerated() {
            if i > 0 { text += "&" }
            text += percentEncode(name) + "=" + percentEncode(value)
        }
        return text
    }

    /// The WebSocket-API payload (BINANCE.md §7): every parameter but `signature`, sorted by name,
    /// `k=v` joined with `&`, raw UTF-8 without percent-encoding.
    public static func webSocketAPIPayload(_ parameters: [String: String]) -> String {
        parameters.filter { $0.key != "signature" }
            .sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            .map { "\($0.key)=\($0.value)" }
            .joined(separator: "&")
    }

    /// Splits a received query string or form body at the final `signature=` parameter: the
    /// signed payload is everything before `&signature=` (BINANCE.md §4: the signature goes last).
    public static func splitSignature(_ payload: String) -> (signed: String, signature: String)? {
        guard let range = payload.range(of: "&signature=", options: .backwards) ?? (payload.hasPrefix("signature=") ? payload.range(of: "signature=") : nil) else {
            return nil
        }
        let signed = String(payload[..<range.lowerBound])
        let value = String(payload[range.upperBound...])
        guard !value.contains("&") else { return nil }
        return (signed, value)
    }

    /// Reverses `percentEncode` (and `+` is left as is, as Binance does not use form-style spaces).
    public static func percentDecode(_ text: String) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        var out = [UInt8]()
        var bytes = Array(text.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "%") {
                guard bytes.count >= 2, let hi = hexValue(bytes.removeFirst()), let lo = hexValue(bytes.removeFirst()) else { return nil }
                out.append(hi << 4 | lo)
            } else {
                out.append(b)
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    static func isUnreserved(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
            || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "~")
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    static func bytes(fromHex text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = hexValue(chars[i]), let lo = hexValue(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
