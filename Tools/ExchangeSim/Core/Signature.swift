import Crypto
import Foundation

/// Verification of SIGNED requests (BINANCE.md §4): the payload is the query string followed by
/// the body, exactly as received, without the `signature` parameter (which must come last in
/// whichever part carries it).
enum RequestSignature {
    /// The signed payload and the (percent-decoded) signature, or nil when no signature was sent.
    static func split(rawQuery: String, body: String) -> (payload: String, signature: String)? {
        func strip(_ text: String) -> (String, String)? {
            if text.hasPrefix("signature=") { return ("", String(text.dropFirst("signature=".count))) }
            guard let range = text.range(of: "&signature=", options: .backwards) else { return nil }
            let value = text[range.upperBound...]
            guard !value.contains("&") else { return nil }
            return (String(text[..<range.lowerBound]), String(value))
        }
        if let (query, signature) = strip(rawQuery) { return (query + body, Params.percentDecode(Substring(signature))) }
        if let (rest, signature) = strip(body) { return (rawQuery + rest, Params.percentDecode(Substring(signature))) }
        return nil
    }

    /// Whether `signature` signs `payload` for the key (HMAC hex in either case, or Ed25519 base64).
    static func verify(_ signature: String, payload: String, verifier: SimConfiguration.APIKey.Verifier) -> Bool {
        switch verifier {
        case .hmac(let secret):
            guard signature.utf8.count == 64, let bytes = hexBytes(signature) else { return false }
            return HMAC<SHA256>.isValidAuthenticationCode(bytes, authenticating: Data(payload.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        case .ed25519(let publicKey):
            guard let signatureBytes = Data(base64Encoded: signature), signatureBytes.count == 64,
                  let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
            return key.isValidSignature(signatureBytes, for: Data(payload.utf8))
        }
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let high = iterator.next() {
            guard let low = iterator.next(), let h = hexValue(high), let l = hexValue(low) else { return nil }
            bytes.append(h << 4 | l)
        }
        return bytes
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 65...70: c - 55
        case 97...102: c - 87
        default: nil
        }
    }

    /// An Ed25519 public key from PEM (SubjectPublicKeyInfo), base64 DER, or 32 raw bytes in base64.
    static func ed25519PublicKey(_ text: String) -> [UInt8]? {
        let body = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.hasPrefix("-----") }.joined()
        guard let der = Data(base64Encoded: body) else { return nil }
        let bytes = [UInt8](der)
        let spkiPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]
        if bytes.count == 44, Array(bytes.prefix(12)) == spkiPrefix { return Array(bytes.suffix(32)) }
        if bytes.count == 32 { return bytes }
        return nil
    }
}

extension SimConfiguration.APIKey {
    /// An Ed25519 key from PEM or base64 text (see ``RequestSignature``); nil when unreadable.
    public static func ed25519(key: String, publicKey text: String) -> SimConfiguration.APIKey? {
        RequestSignature.ed25519PublicKey(text).map { SimConfiguration.APIKey(key: key, verifier: .ed25519(publicKey: $0)) }
    }
}
