import Domain

/// Quorum's capture format: JSON lines, one message per line, keys in this fixed order:
///
///     {"t":<receive ns>,"kind":"snapshot","symbol":"BTCUSDT","url":"https://...","data":<REST depth body>}
///     {"t":<receive ns>,"kind":"stream","data":<combined-stream message>}
///     {"t":<receive ns>,"kind":"connect","url":"wss://..."}
///
/// `symbol` and `url` are optional (a snapshot needs `symbol`); `data` is last and holds the raw
/// Binance bytes verbatim, so the reader takes everything between `"data":` and the line's final
/// `}` without parsing it. Shared/Capture/README.md is the specification.
enum QuorumCaptureFormat {
    static func parse(_ line: UnsafeRawBufferPointer, location: CaptureLocation) -> ParsedLine {
        if Framing.isBlank(line) { return .blank }
        var end = line.count
        while end > 0, line[end - 1] == 0x20 || line[end - 1] == 0x09 { end -= 1 }
        guard Framing.hasPrefix(line, "{\"t\":"), end > 0, line[end - 1] == UInt8(ascii: "}") else {
            return .malformed("expected {\"t\":..} on one line")
        }
        var i = 5
        guard let ns = Framing.integer(line, &i) else { return .malformed("\"t\" is not an integer of nanoseconds") }
        guard Framing.hasPrefix(line, ",\"kind\":\"", at: i) else { return .malformed("expected \"kind\" after \"t\"") }
        i += 9
        guard let kindText = quoted(line, &i), let kind = CaptureRecord.Kind(rawValue: kindText) else {
            return .malformed("\"kind\" is not snapshot, stream or connect")
        }
        var symbol: String?
        var url: String?
        if Framing.hasPrefix(line, ",\"symbol\":\"", at: i) {
            i += 11
            guard let s = quoted(line, &i) else { return .malformed("\"symbol\" is not a plain string") }
            symbol = s
        }
        if Framing.hasPrefix(line, ",\"url\":\"", at: i) {
            i += 8
            guard let u = quoted(line, &i) else { return .malformed("\"url\" is not a plain string") }
            url = u
        }
        var payload: [UInt8] = []
        if Framing.hasPrefix(line, ",\"data\":", at: i) {
            i += 8
            guard i < end - 1 else { return .malformed("\"data\" is empty") }
            payload = Framing.array(line, from: i, to: end - 1)
        } else if i != end - 1 {
            return .malformed("unexpected text at column \(i + 1) (keys must be t, kind, symbol, url, data in this order)")
        }
        switch kind {
        case .snapshot:
            if symbol == nil { return .malformed("a snapshot without \"symbol\"") }
            if payload.isEmpty { return .malformed("a snapshot without \"data\"") }
        case .stream:
            if payload.isEmpty { return .malformed("a stream message without \"data\"") }
        case .connect:
            break
        }
        return .record(CaptureRecord(receiveTime: Timestamp(nanoseconds: ns), kind: kind, symbol: symbol, url: url, payload: payload, location: location))
    }

    /// A JSON string without escapes, starting after its opening quote; advances past the closing one.
    private static func quoted(_ line: UnsafeRawBufferPointer, _ i: inout Int) -> String? {
        let start = i
        while i < line.count, line[i] != UInt8(ascii: "\"") {
            if line[i] == UInt8(ascii: "\\") || line[i] < 0x20 { return nil }
            i += 1
        }
        guard i < line.count else { return nil }
        defer { i += 1 }
        return Framing.string(line, start..<i)
    }

    /// The line for one record, newline included. Throws when the payload would break the framing.
    static func line(
        receiveTime: Timestamp, kind: CaptureRecord.Kind, symbol: String?, url: String?, payload: UnsafeRawBufferPointer
    ) throws(CaptureError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 96)
        out.append(contentsOf: "{\"t\":\(receiveTime.nanoseconds),\"kind\":\"\(kind.rawValue)\"".utf8)
        if let symbol {
            try checkPlain(symbol, "symbol")
            out.append(contentsOf: ",\"symbol\":\"\(symbol)\"".utf8)
        }
        if let url {
            try checkPlain(url, "url")
            out.append(contentsOf: ",\"url\":\"\(url)\"".utf8)
        }
        switch kind {
        case .snapshot, .stream:
            if kind == .snapshot, symbol == nil { throw .invalidRecord("a snapshot needs its symbol") }
            var first = 0, last = payload.count
            while first < last, payload[first] == 0x20 { first += 1 }
            while last > first, payload[last - 1] == 0x20 { last -= 1 }
            guard last > first, payload[first] == UInt8(ascii: "{"), payload[last - 1] == UInt8(ascii: "}") else {
                throw .invalidRecord("the payload is not a JSON object")
            }
            if payload.contains(0x0A) || payload.contains(0x0D) { throw .invalidRecord("the payload contains a line break") }
            out.append(contentsOf: ",\"data\":".utf8)
            out.append(contentsOf: payload)
        case .connect:
            if !payload.isEmpty { throw .invalidRecord("a connect record has no payload") }
        }
        out.append(contentsOf: "}\n".utf8)
        return out
    }

    private static func checkPlain(_ text: String, _ field: String) throws(CaptureError) {
        if text.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }) {
            throw .invalidRecord("\(field) contains a quote, a backslash or a control character")
        }
    }
}
