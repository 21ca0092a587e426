import Foundation

/// Resolves a config's `orderbook_pattern` (a glob such as `DATA_ORDERBOOK/SOLUSDT_orderbook_*.parquet`)
/// to recorded book files.
///
/// `*` matches any run of characters within one path component and `?` one character; wildcards
/// may appear in any component. Relative patterns are resolved against `relativeTo`.
///
/// Quorum reads its own capture format (Shared/Capture/README.md: JSON lines, `.jsonl` or
/// `.jsonl.gz`), not Parquet. When nothing matches a pattern in another format, the resolver looks
/// in the same folder for Quorum captures of the same stem (`SOLUSDT_orderbook_*.jsonl[.gz]`), then
/// for the files `quorum collect-book` writes for the symbol the stem names
/// (`capture-SOLUSDT-2026-04-15.jsonl`, `capture-BNBUSDT_SOLUSDT-….jsonl`), and says so in the note.
public enum CapturePatternResolver {
    public struct Resolution: Sendable, Hashable {
        /// Matching files, sorted by path (so a capture split by day is read in order).
        public var files: [String]
        /// Set when the files are not what the pattern literally names.
        public var note: String?
    }

    /// Extensions of Quorum's capture format.
    public static let quorumExtensions = [".jsonl", ".jsonl.gz"]

    public static func resolve(pattern: String, relativeTo baseDirectory: String) throws(ConfigError) -> Resolution {
        let absolute = pattern.hasPrefix("/") ? pattern : (baseDirectory as NSString).appendingPathComponent(pattern)
        let direct = glob(absolute)
        if !direct.isEmpty { return Resolution(files: direct, note: nil) }

        let directory = (absolute as NSString).deletingLastPathComponent
        let name = (absolute as NSString).lastPathComponent
        if quorumExtensions.contains(where: { name.hasSuffix($0) }) {
            throw ConfigError(Violation(path: "orderbook_pattern", message: "no files match \"\(pattern)\" (in \(baseDirectory))"))
        }
        let stem = Self.stem(name)
        let format = Self.formatName(name)
        var tried: [String] = []
        for ext in quorumExtensions {
            let candidate = (directory as NSString).appendingPathComponent(stem + ext)
            tried.append(candidate)
            let files = glob(candidate)
            if !files.isEmpty {
                return Resolution(files: files, note: "no \(format) files match \(pattern); using \(files.count) Quorum capture\(files.count == 1 ? "" : "s") matching \(relative(candidate, to: baseDirectory)) (Quorum reads its own capture format)")
            }
        }
        if let symbol = Self.symbol(in: stem) {
            let collected = glob((directory as NSString).appendingPathComponent("capture-*.jsonl")) + glob((directory as NSString).appendingPathComponent("capture-*.jsonl.gz"))
            let files = collected.filter { file in
                let base = (file as NSString).lastPathComponent
                let parts = base.dropFirst("capture-".count).split(separator: "-", maxSplits: 1)
                return parts.first.map { $0.split(separator: "_").contains(Substring(symbol)) } ?? false
            }.sorted()
            let collectPattern = relative((directory as NSString).appendingPathComponent("capture-*\(symbol)*-YYYY-MM-DD.jsonl[.gz]"), to: baseDirectory)
            tried.append(collectPattern)
            if !files.isEmpty {
                return Resolution(files: files, note: "no \(format) files match \(pattern); using \(files.count) Quorum capture\(files.count == 1 ? "" : "s") of \(symbol) written by quorum collect-book (\(collectPattern))")
            }
        }
        let triedText = tried.map { relative($0, to: baseDirectory) }.joined(separator: " or ")
        throw ConfigError(Violation(
            path: "orderbook_pattern",
            message: "no files match \"\(pattern)\", and no Quorum captures match \(triedText) (in \(baseDirectory)); record books with `quorum collect-book --symbols … --out \(relative(directory, to: baseDirectory))`"
        ))
    }

    /// The name without its extension(s): `x.parquet` → `x`, `x.csv.gz` → `x`.
    static func stem(_ name: String) -> String {
        var stem = name
        for ext in [".gz", ".zst", ".bz2"] where stem.hasSuffix(ext) { stem.removeLast(ext.count) }
        if let dot = stem.lastIndex(of: "."), dot != stem.startIndex { stem = String(stem[..<dot]) }
        return stem
    }

    static func formatName(_ name: String) -> String {
        if name.hasSuffix(".parquet") { return "Parquet" }
        let ext = (name as NSString).pathExtension
        return ext.isEmpty ? "matching" : ".\(ext)"
    }

    /// The first token that looks like a Binance symbol (uppercase letters and digits, ≥ 5, ending in a quote asset).
    static func symbol(in stem: String) -> String? {
        let tokens = stem.split(whereSeparator: { !($0.isUppercase || $0.isNumber) || !$0.isASCII })
        let quotes = ["USDT", "USDC", "FDUSD", "BTC", "ETH", "BNB", "EUR", "TRY"]
        return tokens.first { token in token.count >= 5 && quotes.contains { token.hasSuffix($0) && token.count > $0.count } }.map(String.init)
    }

    static func relative(_ path: String, to base: String) -> String {
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }

    /// Expands `*` and `?` in every component of an absolute or relative path; sorted.
    public static func glob(_ pattern: String) -> [String] {
        let isAbsolute = pattern.hasPrefix("/")
        let components = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var paths = [isAbsolute ? "/" : "."]
        for (i, component) in components.enumerated() {
            let last = i == components.count - 1
            var next: [String] = []
            for base in paths {
                if component.contains("*") || component.contains("?") {
                    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: base) else { continue }
                    for entry in entries.sorted() where !entry.hasPrefix(".") && matches(entry, component) {
                        next.append(join(base, entry, isAbsolute: isAbsolute))
                    }
                } else {
                    next.append(join(base, component, isAbsolute: isAbsolute))
                }
            }
            paths = next.filter { path in
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return false }
                return last ? !isDirectory.boolValue : isDirectory.boolValue
            }
        }
        return paths.sorted()
    }

    static func join(_ base: String, _ entry: String, isAbsolute: Bool) -> String {
        if base == "/" { return "/" + entry }
        if base == "." && !isAbsolute { return entry }
        return base + "/" + entry
    }

    /// Glob match of one name against one pattern component (`*`, `?`, literal otherwise).
    public static func matches(_ name: String, _ pattern: String) -> Bool {
        let n = Array(name.unicodeScalars), p = Array(pattern.unicodeScalars)
        var i = 0, j = 0
        var star = -1, mark = 0
        while i < n.count {
            if j < p.count, p[j] == "?" || p[j] == n[i] {
                i += 1; j += 1
            } else if j < p.count, p[j] == "*" {
                star = j; mark = i; j += 1
            } else if star >= 0 {
                j = star + 1; mark += 1; i = mark
            } else {
                return false
            }
        }
        while j < p.count, p[j] == "*" { j += 1 }
        return j == p.count
    }
}
