import Binance
import Crypto
import Foundation

/// Verification of SIGNED requests (BINANCE.md §4): the payload is the query string followed by
/// the body, exactly as received, without the `signature` parameter (which must come last in
/// whichever part carries it).
enum RequestSignature {
    /// The signed payload and the (percent-decoded) signature, or nil when no signature was sent.
    static func split(rawQuery: String, body: String) -> (payload: String, signature: String)? {
        if let (query, signature) = BinanceSigning.splitSignature(rawQuery) { return (query + body, Params.percentDecode(Substring(signature))) }
        if let (rest, signature) = BinanceSigning.splitSignature(body) { return (rawQuery + rest, Params.percentDecode(Substring(signature))) }
        return nil
    }

    /// Whether `signature` signs `payload` for the key (HMAC hex in either case, or Ed25519 base64),
    /// with the same rules the client signs by (`BinanceSigning`).
    static func verify(_ signature: String, payload: String, verifier: SimConfiguration.APIKey.Verifier) -> Bool {
        switch verifier {
        case .hmac(let secret):
            return BinanceSigning.verifyHMAC(signatureHex: signature, payload: Data(payload.utf8), secretKey: secret)
        case .ed25519(let publicKey):
            guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
            return BinanceSigning.verifyEd25519(signatureBase64: signature, payload: Data(payload.utf8), publicKey: key)
        }
    }

    /// An Ed25519 public key from PEM (SubjectPublicKeyInfo), base64 DER, or 32 raw bytes in base64.
    static func ed25519PublicKey(_ text: String) -> [UInt8]? {
        (try? Curve25519.Signing.PublicKey.binance(pem: text)).map { [UInt8]($0.rawRepresentation) }
    }
}

extension SimConfiguration.APIKey {
    /// An Ed25519 key from PEM or base64 text (see ``RequestSignature``); nil when unreadable.
    public static func ed25519(key: String, publicKey text: String) -> SimConfiguration.APIKey? {
        RequestSignature.ed25519PublicKey(text).map { SimConfiguration.APIKey(key: key, verifier: .ed25519(publicKey: $0)) }
    }
}
