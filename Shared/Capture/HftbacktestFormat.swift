import Domain

/// hftbacktest's Binance spot/futures collector files: one `<receive ns> <json>` line per message,
/// where the JSON is either a REST depth snapshot `{"lastUpdateId":..}` or a combined-stream message.
/// The files carry no symbol for snapshots: it comes from the file name (`btcusdt_20240808.gz` →
/// BTCUSDT) unless given.
enum HftbacktestFormat {
    static func parse(_ line: UnsafeRawBufferPointer, symbol: String?, location: CaptureLocation) -> ParsedLine {
        if Framing.isBlank(line) { return .blank }
        var i = 0
        guard let ns = Framing.integer(line, &i) else { return .malformed("expected a receive time in ns at the start of the line") }
        guard i < line.count, line[i] == UInt8(ascii: " ") else { return .malformed("expected a space after the receive time") }
        i += 1
        let json = UnsafeRawBufferPointer(rebasing: line[i...])
        guard let kind = Framing.payloadKind(json) else { return .malformed("expected a JSON object after the receive time") }
        if kind == .snapshot, symbol == nil { return .malformed("a depth snapshot, but the file name names no symbol") }
        return .record(CaptureRecord(
            receiveTime: Timestamp(nanoseconds: ns), kind: kind, symbol: kind == .snapshot ? symbol : nil,
            payload: Framing.array(line, from: i), location: location
        ))
    }

    /// `btcusdt_20240808.gz` → "BTCUSDT"; nil when the name does not start with letters and digits.
    static func symbol(fromFileName path: String) -> String? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let stem = name.split(whereSeparator: { $0 == "_" || $0 == "." || $0 == "-" }).first.map(String.init) ?? ""
        guard !stem.isEmpty, stem.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }), stem.contains(where: \.isLetter) else { return nil }
        return stem.uppercased()
    }
}

/// cryptofeed's raw Binance capture (its `raw_data_collection` files):
/// - `wss://stream.binance.com:9443/stream?streams=... <-> 1617566590.378895`: a connection;
/// - `1617566591.326123: {"stream":..,"data":..}`: a combined-stream message;
/// - `https://.../depth?symbol=BTCUSDT&limit=1000 -> 1617566592.339385: {"lastUpdateId":..}`: a
///   REST depth snapshot (in the same file, or in a separate `*.http.*` file beside a `*.ws.*` one).
/// Times are seconds with a fraction, converted to exact nanoseconds.
enum CryptofeedFormat {
    static func parse(_ line: UnsafeRawBufferPointer, location: CaptureLocation) -> ParsedLine {
        if Framing.isBlank(line) { return .blank }
        if Framing.hasPrefix(line, "wss://") || Framing.hasPrefix(line, "ws://") {
            guard let arrow = Framing.find(line, " <-> ") else { return .malformed("a WebSocket URL line without \" <-> <time>\"") }
            var i = arrow + 5
            guard let time = Framing.seconds(line, &i) else { return .malformed("expected a time after \" <-> \"") }
            return .record(CaptureRecord(
                receiveTime: time, kind: .connect, url: Framing.string(line, 0..<arrow), payload: [], location: location
            ))
        }
        var i = 0
        var url: String?
        if Framing.hasPrefix(line, "http") {
            guard let arrow = Framing.find(line, " -> ") else { return .malformed("an HTTP URL line without \" -> <time>: <json>\"") }
            url = Framing.string(line, 0..<arrow)
            i = arrow + 4
        }
        guard let time = Framing.seconds(line, &i) else { return .malformed("expected a receive time (seconds) at column \(i + 1)") }
        guard Framing.hasPrefix(line, ": ", at: i) else { return .malformed("expected \": \" after the receive time") }
        i += 2
        let json = UnsafeRawBufferPointer(rebasing: line[i...])
        guard let kind = Framing.payloadKind(json) else { return .malformed("expected a JSON object after the receive time") }
        var symbol: String?
        if kind == .snapshot {
            guard let url, let s = Framing.symbolParameter(url) else { return .malformed("a depth snapshot without a request URL naming its symbol") }
            symbol = s
        }
        return .record(CaptureRecord(receiveTime: time, kind: kind, symbol: symbol, url: url, payload: Framing.array(line, from: i), location: location))
    }
}
