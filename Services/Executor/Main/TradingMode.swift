import Binance
import BinanceClient
import Foundation

/// Shadow or live, decided once at start. Live needs `ENABLE_LIVE_TRADING=1` **and** keys; anything
/// else is shadow. Keys come from the environment or from files and are never logged, published or
/// journaled: only whether they were found, and from where, is ever printed.
enum TradingMode: Sendable {
    case shadow(reason: String)
    case live(BinanceCredentials)

    var name: String {
        if case .live = self { return "live" }
        return "shadow"
    }

    /// Reads `ENABLE_LIVE_TRADING`, `BINANCE_API_KEY` (or `BINANCE_API_KEY_FILE`), and
    /// `BINANCE_API_SECRET` (or `BINANCE_API_SECRET_FILE`) for HMAC-SHA256, or
    /// `BINANCE_ED25519_KEY_FILE` (PKCS#8 PEM) for Ed25519.
    static func read(_ environment: [String: String]) -> TradingMode {
        guard environment["ENABLE_LIVE_TRADING"] == "1" else {
            return .shadow(reason: "ENABLE_LIVE_TRADING is not 1")
        }
        guard let apiKey = secret("BINANCE_API_KEY", environment) else {
            return .shadow(reason: "ENABLE_LIVE_TRADING=1 but no BINANCE_API_KEY (or BINANCE_API_KEY_FILE)")
        }
        if let pemPath = environment["BINANCE_ED25519_KEY_FILE"], !pemPath.isEmpty {
            guard let pem = try? String(contentsOfFile: pemPath, encoding: .utf8), let key = try? SigningKey.ed25519(pem: pem) else {
                return .shadow(reason: "ENABLE_LIVE_TRADING=1 but BINANCE_ED25519_KEY_FILE is not a readable Ed25519 PEM key")
            }
            return .live(BinanceCredentials(apiKey: apiKey, signingKey: key))
        }
        guard let secret = secret("BINANCE_API_SECRET", environment) else {
            return .shadow(reason: "ENABLE_LIVE_TRADING=1 but no BINANCE_API_SECRET (or BINANCE_API_SECRET_FILE, or BINANCE_ED25519_KEY_FILE)")
        }
        return .live(BinanceCredentials(apiKey: apiKey, signingKey: .hmac(secret: secret)))
    }

    /// `NAME` from the environment, else the trimmed contents of the file `NAME_FILE`.
    static func secret(_ name: String, _ environment: [String: String]) -> String? {
        if let value = environment[name], !value.isEmpty { return value }
        guard let path = environment[name + "_FILE"], !path.isEmpty, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }
}
