import Domain

/// The capture file formats this module reads (Shared/Capture/README.md describes each).
public enum CaptureFormat: String, Sendable, Hashable, CaseIterable {
    /// Decide per file from its first non-empty line.
    case auto
    /// Quorum's own JSON lines (`CaptureWriter`).
    case quorum
    /// hftbacktest's Binance collector: `<recv ns> <json>`; the symbol comes from the file name.
    case hftbacktest
    /// cryptofeed's raw capture: `<recv s.frac>: <json>`, `https://..depth?symbol=X.. -> <s.frac>: <json>`,
    /// `wss://.. <-> <s.frac>` lines, in one file or split into ws and http files.
    case cryptofeed

    /// Recognises a format from one line; nil when no format matches.
    public static func detect(line: UnsafeRawBufferPointer) -> CaptureFormat? {
        let bytes = line
        if Framing.hasPrefix(bytes, "{\"t\":") { return .quorum }
        if Framing.hasPrefix(bytes, "wss://") || Framing.hasPrefix(bytes, "ws://") || Framing.hasPrefix(bytes, "http") { return .cryptofeed }
        var i = 0
        while i < bytes.count, Framing.isDigit(bytes[i]) { i += 1 }
        guard i > 0, i < bytes.count else { return nil }
        if bytes[i] == UInt8(ascii: " ") { return .hftbacktest }
        if bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: ":") { return .cryptofeed }
        return nil
    }
}

/// What one line of a capture holds.
enum ParsedLine {
    case record(CaptureRecord)
    case blank
    case malformed(String)
}

/// Byte-level helpers for the capture framings (timestamps, prefixes). The Binance JSON itself is
/// never parsed here: it is kept verbatim and decoded by the Binance module.
enum Framing {
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    static func hasPrefix(_ bytes: UnsafeRawBufferPointer, _ prefix: StaticString, at offset: Int = 0) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard bytes.count - offset >= n else { return false }
        let p = prefix.utf8Start
        for i in 0..<n where bytes[offset + i] != p[i] { return false }
        return true
    }

    /// The first index ≥ `from` where `needle` starts, or nil.
    static func find(_ bytes: UnsafeRawBufferPointer, _ needle: StaticString, from: Int = 0) -> Int? {
        let n = needle.utf8CodeUnitCount
        guard n > 0, bytes.count >= n else { return nil }
        var i = from
        while i <= bytes.count - n {
            if hasPrefix(bytes, needle, at: i) { return i }
            i += 1
        }
        return nil
    }

    /// An unsigned decimal integer at `index`; advances past it.
    static func integer(_ bytes: UnsafeRawBufferPointer, _ index: inout Int) -> Int64? {
        var value: Int64 = 0
        let start = index
        while index < bytes.count, isDigit(bytes[index]) {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(bytes[index] - 0x30))
            if o1 || o2 { return nil }
            value = a
            index += 1
        }
        return index > start ? value : nil
    }

    /// Seconds with an optional fraction ("1617566591.326123") as exact nanoseconds (fraction
    /// digits beyond the ninth are dropped); advances past it.
    static func seconds(_ bytes: UnsafeRawBufferPointer, _ index: inout Int) -> Timestamp? {
        guard let whole = integer(bytes, &index), whole < 9_000_000_000 else { return nil }
        var ns: Int64 = 0
        var digits = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < bytes.count, isDigit(bytes[index]) {
                if digits < 9 { ns = ns * 10 + Int64(bytes[index] - 0x30); digits += 1 }
                index += 1
            }
            if index == start { return nil }
        }
        while digits < 9 { ns *= 10; digits += 1 }
        return Timestamp(nanoseconds: whole * 1_000_000_000 + ns)
    }

    static func string(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    static func array(_ bytes: UnsafeRawBufferPointer, from: Int, to: Int? = nil) -> [UInt8] {
        Array(UnsafeRawBufferPointer(rebasing: bytes[from..<(to ?? bytes.count)]))
    }

    static func isBlank(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 }
    }

    /// The JSON payload kind: a combined-stream message or a REST depth snapshot.
    static func payloadKind(_ json: UnsafeRawBufferPointer) -> CaptureRecord.Kind? {
        var i = 0
        while i < json.count, json[i] == 0x20 { i += 1 }
        guard i < json.count, json[i] == UInt8(ascii: "{") else { return nil }
        if hasPrefix(json, "{\"stream\"", at: i) { return .stream }
        if hasPrefix(json, "{\"lastUpdateId\"", at: i) { return .snapshot }
        // Other key orders: look further (rare; snapshots are big, so search only the start).
        let head = UnsafeRawBufferPointer(rebasing: json[i..<min(json.count, i + 64)])
        if find(head, "\"lastUpdateId\"") != nil, find(head, "\"stream\"") == nil { return .snapshot }
        return .stream
    }

    /// The `symbol=` query parameter of a URL, uppercased.
    static func symbolParameter(_ url: String) -> String? {
        guard let query = url.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0] == "symbol" { return parts[1].uppercased() }
        }
        return nil
    }
}
