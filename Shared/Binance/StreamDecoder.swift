import Domain

/// One market-stream event, decoded (BINANCE.md §6 "Payloads").
public enum StreamEvent: Sendable, Hashable {
    case depthUpdate(DepthUpdate)
    /// `<symbol>@depth<N>[@100ms]`: a top-N snapshot (no symbol in the payload: taken from the stream name).
    case partialDepth(DepthSnapshot)
    case bookTicker(BookTicker)
    case aggTrade(AggTrade)
    /// A raw `<symbol>@trade` event mapped to the aggregated form: aggregate id = first = last = trade id.
    case trade(AggTrade)
    case kline(Kline)
    case serverShutdown(eventTime: Timestamp)
    /// A stream this decoder does not model (tickers, avgPrice...): kept by name, not an error.
    case unknown(stream: String)
}

/// A combined-stream frame `{"stream": name, "data": payload}`.
public struct CombinedStreamMessage: Sendable, Hashable {
    public var stream: String
    public var event: StreamEvent

    public init(stream: String, event: StreamEvent) {
        self.stream = stream
        self.event = event
    }
}

/// What a stream name says about its payload.
public struct StreamName: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case depth, partialDepth(levels: Int), bookTicker, aggTrade, trade, kline(Interval), serverShutdown, other
    }

    public var symbol: String
    public var kind: Kind

    /// Parses "btcusdt@depth@100ms", "ethusdt@kline_5m", "btcusdt@depth20@100ms", "!serverShutdown".
    public init(_ name: String) {
        var copy = name
        self = copy.withUTF8 { StreamName(utf8: $0) }
    }

    /// The same from UTF-8 bytes, without intermediate strings (the decoders' hot path).
    init(utf8 b: UnsafeBufferPointer<UInt8>) {
        let at = b.firstIndex(of: UInt8(ascii: "@")) ?? b.count
        if at == b.count {
            symbol = ""
            kind = StreamName.equals(b, "!serverShutdown") ? .serverShutdown : .other
            return
        }
        // The symbol, ASCII-uppercased (Binance writes stream names in lowercase).
        symbol = String(unsafeUninitializedCapacity: at) { out in
            for i in 0..<at {
                let c = b[i]
                out[i] = (c >= 0x61 && c <= 0x7A) ? c - 0x20 : c
            }
            return at
        }
        var channelEnd = at + 1
        while channelEnd < b.count && b[channelEnd] != UInt8(ascii: "@") { channelEnd += 1 }
        let channel = UnsafeBufferPointer(rebasing: b[(at + 1)..<channelEnd])
        if StreamName.equals(channel, "depth") {
            kind = .depth
        } else if StreamName.equals(channel, "bookTicker") {
            kind = .bookTicker
        } else if StreamName.equals(channel, "aggTrade") {
            kind = .aggTrade
        } else if StreamName.equals(channel, "trade") {
            kind = .trade
        } else if channel.count > 6, StreamName.equals(UnsafeBufferPointer(rebasing: channel[0..<6]), "kline_"),
                  let interval = Interval.named(utf8: UnsafeBufferPointer(rebasing: channel[6...])) {
            kind = .kline(interval)
        } else if channel.count > 5, StreamName.equals(UnsafeBufferPointer(rebasing: channel[0..<5]), "depth"),
                  let n = Int(String(decoding: UnsafeBufferPointer(rebasing: channel[5...]), as: UTF8.self)) {
            kind = .partialDepth(levels: n)
        } else {
            kind = .other
        }
    }

    static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        let p = literal.utf8Start
        for i in 0..<bytes.count where bytes[i] != p[i] { return false }
        return true
    }
}

/// Decoders for Binance's market streams and depth snapshots. Tolerant of Binance's conventions
/// (unknown fields are skipped, decimals are strings) and strict on malformed input: every error is
/// a `BinanceDecodeError` naming the payload and the field.
public enum BinanceDecoder {
    /// Decodes a combined-stream frame; the payload is dispatched on the stream name (partial depth
    /// and bookTicker carry no event type), falling back to the `e` field.
    public static func combined(_ bytes: UnsafeRawBufferPointer) throws(BinanceDecodeError) -> CombinedStreamMessage {
        var c = JSONCursor(bytes, payload: "stream")
        try c.beginObject()
        var first = true
        var stream: String?
        var streamName: StreamName?
        var dataStart: Int?
        var event: StreamEvent?
        while let key = try c.nextKey(first: &first) {
            if c.key(key, is: "stream") {
                let range = try c.rawString("stream")
                let bytes = UnsafeBufferPointer(start: c.base + range.lowerBound, count: range.count)
                stream = bytes.contains(UInt8(ascii: "\\")) ? try c.unescaped(range, field: "stream") : String(decoding: bytes, as: UTF8.self)
                streamName = StreamName(utf8: bytes)
            } else if c.key(key, is: "data") {
                if let name = stream {
                    event = try decodeEvent(&c, name: streamName ?? StreamName(name), streamText: name)
                } else {
                    dataStart = c.index
                    try c.skipValue("data")
                }
            } else {
                try c.skip(key: key)
            }
        }
        try c.finish()
        guard let stream else { throw c.error("stream", .missing) }
        if event == nil, let start = dataStart {
            var inner = JSONCursor(base: c.base, start: start, end: c.end, payload: "stream")
            event = try decodeEvent(&inner, name: streamName ?? StreamName(stream), streamText: stream)
        }
        guard let event else { throw c.error("data", .missing) }
        return CombinedStreamMessage(stream: stream, event: event)
    }

    public static func combined(_ text: String) throws(BinanceDecodeError) -> CombinedStreamMessage {
        var copy = text
        let result: Result<_, BinanceDecodeError> = copy.withUTF8 { buffer in Result { () throws(BinanceDecodeError) in try combined(UnsafeRawBufferPointer(buffer)) } }
        return try result.get()
    }

    public static func combined(_ bytes: [UInt8]) throws(BinanceDecodeError) -> CombinedStreamMessage {
        let result: Result<CombinedStreamMessage, BinanceDecodeError> = bytes.withUnsafeBytes { raw in
            Result { () throws(BinanceDecodeError) in try combined(raw) }
        }
        return try result.get()
    }

    public static func event(_ bytes: [UInt8], stream: String? = nil) throws(BinanceDecodeError) -> StreamEvent {
        let result: Result<StreamEvent, BinanceDecodeError> = bytes.withUnsafeBytes { raw in
            Result { () throws(BinanceDecodeError) in try event(raw, stream: stream) }
        }
        return try result.get()
    }

    /// Decodes a raw-stream payload (`/ws/<stream>`); `stream` names it when known (bookTicker and
    /// partial depth have no event type), otherwise the `e` field decides.
    public static func event(_ bytes: UnsafeRawBufferPointer, stream: String? = nil) throws(BinanceDecodeError) -> StreamEvent {
        var c = JSONCursor(bytes, payload: "event")
        let event = try decodeEvent(&c, name: stream.map(StreamName.init), streamText: stream ?? "")
        try c.finish()
        return event
    }

    /// `GET /api/v3/depth` (or a partial-depth payload): `{lastUpdateId, bids, asks}`.
    public static func depthSnapshot(_ bytes: UnsafeRawBufferPointer, symbol: String) throws(BinanceDecodeError) -> DepthSnapshot {
        var c = JSONCursor(bytes, payload: "depth")
        let snapshot = try depthSnapshot(&c, symbol: symbol)
        try c.finish()
        return snapshot
    }

    public static func depthSnapshot(_ text: String, symbol: String) throws(BinanceDecodeError) -> DepthSnapshot {
        var copy = text
        let result: Result<_, BinanceDecodeError> = copy.withUTF8 { buffer in Result { () throws(BinanceDecodeError) in try depthSnapshot(UnsafeRawBufferPointer(buffer), symbol: symbol) } }
        return try result.get()
    }

    // MARK: dispatch

    static func decodeEvent(_ c: inout JSONCursor, name: StreamName?, streamText: String) throws(BinanceDecodeError) -> StreamEvent {
        if let name {
            switch name.kind {
            case .depth: return .depthUpdate(try depthUpdate(&c, streamSymbol: name.symbol))
            case .partialDepth: return .partialDepth(try depthSnapshot(&c, symbol: name.symbol))
            case .bookTicker: return .bookTicker(try bookTicker(&c, streamSymbol: name.symbol))
            case .aggTrade: return .aggTrade(try aggTrade(&c, streamSymbol: name.symbol))
            case .trade: return .trade(try trade(&c, streamSymbol: name.symbol))
            case .kline: return .kline(try kline(&c))
            case .serverShutdown: return .serverShutdown(eventTime: try serverShutdown(&c))
            case .other: break
            }
        }
        // No usable stream name: look at the event type.
        let start = c.index
        let type = try eventType(&c)
        c.index = start
        switch type {
        case "depthUpdate": return .depthUpdate(try depthUpdate(&c, streamSymbol: name?.symbol))
        case "aggTrade": return .aggTrade(try aggTrade(&c, streamSymbol: name?.symbol))
        case "trade": return .trade(try trade(&c, streamSymbol: name?.symbol))
        case "kline": return .kline(try kline(&c))
        case "serverShutdown": return .serverShutdown(eventTime: try serverShutdown(&c))
        case "bookTicker": return .bookTicker(try bookTicker(&c, streamSymbol: name?.symbol))
        case nil where name == nil:
            // bookTicker has no `e`; recognise it by its keys.
            if try looksLikeBookTicker(&c) {
                c.index = start
                return .bookTicker(try bookTicker(&c, streamSymbol: nil))
            }
            c.index = start
            try c.skipValue("data")
            return .unknown(stream: streamText)
        default:
            try c.skipValue("data")
            return .unknown(stream: streamText.isEmpty ? (type ?? "") : streamText)
        }
    }

    static func eventType(_ c: inout JSONCursor) throws(BinanceDecodeError) -> String? {
        try c.beginObject("data")
        var first = true
        var type: String?
        while let key = try c.nextKey(first: &first) {
            if c.singleByteKey(key) == UInt8(ascii: "e") { type = try c.string("e") } else { try c.skip(key: key) }
        }
        return type
    }

    static func looksLikeBookTicker(_ c: inout JSONCursor) throws(BinanceDecodeError) -> Bool {
        try c.beginObject("data")
        var first = true
        var seen = 0
        while let key = try c.nextKey(first: &first) {
            switch c.singleByteKey(key) {
            case UInt8(ascii: "u"), UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "a"), UInt8(ascii: "A"): seen += 1
            default: break
            }
            try c.skip(key: key)
        }
        return seen == 5
    }

    // MARK: payloads

    static func depthUpdate(_ c: inout JSONCursor, streamSymbol: String?) throws(BinanceDecodeError) -> DepthUpdate {
        try c.beginObject("depthUpdate")
        var first = true
        var symbol: String?
        var eventTime: Int64 = 0
        var firstID: Int64?
        var finalID: Int64?
        var previous: Int64?
        var bids: [PriceLevel] = []
        var asks: [PriceLevel] = []
        bids.reserveCapacity(32)
        asks.reserveCapacity(32)
        var sawBids = false
        var sawAsks = false
        while let key = try c.nextKey(first: &first) {
            switch c.singleByteKey(key) {
            case UInt8(ascii: "E"): eventTime = try c.milliseconds("E")
            case UInt8(ascii: "s"): symbol = try c.string("s")
            case UInt8(ascii: "U"): firstID = try c.int64("U")
            case UInt8(ascii: "u"): finalID = try c.int64("u")
            case UInt8(ascii: "b"): try c.levels("b", into: &bids); sawBids = true
            case UInt8(ascii: "a"): try c.levels("a", into: &asks); sawAsks = true
            default:
                if c.key(key, is: "pu") { previous = try c.int64("pu") } else { try c.skip(key: key) }
            }
        }
        guard let firstID else { throw c.error("U", .missing) }
        guard let finalID else { throw c.error("u", .missing) }
        guard sawBids else { throw c.error("b", .missing) }
        guard sawAsks else { throw c.error("a", .missing) }
        guard firstID <= finalID || previous != nil else { throw c.error("U", .invalidValue("U \(firstID) > u \(finalID)")) }
        guard let symbol = symbol ?? streamSymbol else { throw c.error("s", .missing) }
        return DepthUpdate(
            symbol: symbol, eventTime: Timestamp(milliseconds: eventTime), firstUpdateID: firstID, finalUpdateID: finalID,
            previousFinalUpdateID: previous, bids: bids, asks: asks
        )
    }

    static func depthSnapshot(_ c: inout JSONCursor, symbol: String) throws(BinanceDecodeError) -> DepthSnapshot {
        try c.beginObject("depth")
        var first = true
        var lastUpdateID: Int64?
        var bids: [PriceLevel] = []
        var asks: [PriceLevel] = []
        var sawBids = false
        var sawAsks = false
        bids.reserveCapacity(64)
        asks.reserveCapacity(64)
        while let key = try c.nextKey(first: &first) {
            if c.key(key, is: "lastUpdateId") {
                lastUpdateID = try c.lenientInt64("lastUpdateId")
            } else if c.key(key, is: "bids") {
                try c.levels("bids", into: &bids); sawBids = true
            } else if c.key(key, is: "asks") {
                try c.levels("asks", into: &asks); sawAsks = true
            } else {
                try c.skip(key: key)
            }
        }
        guard let lastUpdateID else { throw c.error("lastUpdateId", .missing) }
        guard sawBids else { throw c.error("bids", .missing) }
        guard sawAsks else { throw c.error("asks", .missing) }
        return DepthSnapshot(symbol: symbol, lastUpdateID: lastUpdateID, bids: bids, asks: asks)
    }

    static func bookTicker(_ c: inout JSONCursor, streamSymbol: String?) throws(BinanceDecodeError) -> BookTicker {
        try c.beginObject("bookTicker")
        var first = true
        var symbol: String?
        var updateID: Int64?
        var bid: Decimal8?, bidQty: Decimal8?, ask: Decimal8?, askQty: Decimal8?
        while let key = try c.nextKey(first: &first) {
            switch c.singleByteKey(key) {
            case UInt8(ascii: "u"): updateID = try c.int64("u")
            case UInt8(ascii: "s"): symbol = try c.string("s")
            case UInt8(ascii: "b"): bid = try c.decimal("b")
            case UInt8(ascii: "B"): bidQty = try c.decimal("B")
            case UInt8(ascii: "a"): ask = try c.decimal("a")
            case UInt8(ascii: "A"): askQty = try c.decimal("A")
            default: try c.skip(key: key)
            }
        }
        guard let updateID else { throw c.error("u", .missing) }
        guard let bid else { throw c.error("b", .missing) }
        guard let bidQty else { throw c.error("B", .missing) }
        guard let ask else { throw c.error("a", .missing) }
        guard let askQty else { throw c.error("A", .missing) }
        guard let symbol = symbol ?? streamSymbol else { throw c.error("s", .missing) }
        return BookTicker(symbol: symbol, updateID: updateID, bidPrice: bid, bidQuantity: bidQty, askPrice: ask, askQuantity: askQty)
    }

    static func aggTrade(_ c: inout JSONCursor, streamSymbol: String?) throws(BinanceDecodeError) -> AggTrade {
        try c.beginObject("aggTrade")
        var first = true
        var symbol: String?
        var eventTime: Int64 = 0
        var id: Int64?, firstID: Int64?, lastID: Int64?, time: Int64?
        var price: Decimal8?, quantity: Decimal8?
        var maker: Bool?
        while let key = try c.nextKey(first: &first) {
            switch c.singleByteKey(key) {
            case UInt8(ascii: "E"): eventTime = try c.milliseconds("E")
            case UInt8(ascii: "s"): symbol = try c.string("s")
            case UInt8(ascii: "a"): id = try c.int64("a")
            case UInt8(ascii: "p"): price = try c.decimal("p")
            case UInt8(ascii: "q"): quantity = try c.decimal("q")
            case UInt8(ascii: "f"): firstID = try c.int64("f")
            case UInt8(ascii: "l"): lastID = try c.int64("l")
            case UInt8(ascii: "T"): time = try c.milliseconds("T")
            case UInt8(ascii: "m"): maker = try c.bool("m")
            default: try c.skip(key: key)
            }
        }
        guard let id else { throw c.error("a", .missing) }
        guard let price else { throw c.error("p", .missing) }
        guard let quantity else { throw c.error("q", .missing) }
        guard let firstID else { throw c.error("f", .missing) }
        guard let lastID else { throw c.error("l", .missing) }
        guard let time else { throw c.error("T", .missing) }
        guard let maker else { throw c.error("m", .missing) }
        guard let symbol = symbol ?? streamSymbol else { throw c.error("s", .missing) }
        return AggTrade(
            symbol: symbol, eventTime: Timestamp(milliseconds: eventTime), aggregateID: id, price: price, quantity: quantity,
            firstTradeID: firstID, lastTradeID: lastID, tradeTime: Timestamp(milliseconds: time), buyerIsMaker: maker
        )
    }

    static func trade(_ c: inout JSONCursor, streamSymbol: String?) throws(BinanceDecodeError) -> AggTrade {
        try c.beginObject("trade")
        var first = true
        var symbol: String?
        var eventTime: Int64 = 0
        var id: Int64?, time: Int64?
        var price: Decimal8?, quantity: Decimal8?
        var maker: Bool?
        while let key = try c.nextKey(first: &first) {
            switch c.singleByteKey(key) {
            case UInt8(ascii: "E"): eventTime = try c.milliseconds("E")
            case UInt8(ascii: "s"): symbol = try c.string("s")
            case UInt8(ascii: "t"): id = try c.int64("t")
            case UInt8(ascii: "p"): price = try c.decimal("p")
            case UInt8(ascii: "q"): quantity = try c.decimal("q")
            case UInt8(ascii: "T"): time = try c.milliseconds("T")
            case UInt8(ascii: "m"): maker = try c.bool("m")
            default: try c.skip(key: key)
            }
        }
        guard let id else { throw c.error("t", .missing) }
        guard let price else { throw c.error("p", .missing) }
        guard let quantity else { throw c.error("q", .missing) }
        guard let time else { throw c.error("T", .missing) }
        guard let maker else { throw c.error("m", .missing) }
        guard let symbol = symbol ?? streamSymbol else { throw c.error("s", .missing) }
        return AggTrade(
            symbol: symbol, eventTime: Timestamp(milliseconds: eventTime), aggregateID: id, price: price, quantity: quantity,
            firstTradeID: id, lastTradeID: id, tradeTime: Timestamp(milliseconds: time), buyerIsMaker: maker
        )
    }

    static func kline(_ c: inout JSONCursor) throws(BinanceDecodeError) -> Kline {
        try c.beginObject("kline")
        var first = true
        var kline: Kline?
        var outerSymbol: String?
        while let key = try c.nextKey(first: &first) {
            if c.singleByteKey(key) == UInt8(ascii: "k") {
                kline = try klineBody(&c)
            } else if c.singleByteKey(key) == UInt8(ascii: "s") {
                outerSymbol = try c.string("s")
            } else {
                try c.skip(key: key)
            }
        }
        guard var kline else { throw c.error("k", .missing) }
        if kline.symbol.isEmpty, let outerSymbol { kline.symbol = outerSymbol }
        guard !kline.symbol.isEmpty else { throw c.error("k.s", .missing) }
        return kline
    }

    static func klineBody(_ c: inout JSONCursor) throws(BinanceDecodeError) -> Kline {
        try c.beginObject("k")
        var first = true
        var symbol = ""
        var interval: Interval?
        var openTime: Int64?, closeTime: Int64?, trades: Int64?
        var open: Decimal8?, high: Decimal8?, low: Decimal8?, close: Decimal8?, volume: Decimal8?
        var quoteVolume: Decimal8?, takerBase: Decimal8?, takerQuote: Decimal8?
        var closed: Bool?
        while let key = try c.nextKey(first: &first) {
            switch c.singleByteKey(key) {
            case UInt8(ascii: "t"): openTime = try c.milliseconds("k.t")
            case UInt8(ascii: "T"): closeTime = try c.milliseconds("k.T")
            case UInt8(ascii: "s"): symbol = try c.string("k.s")
            case UInt8(ascii: "i"):
                let range = try c.rawString("k.i")
                guard let iv = Interval.named(utf8: UnsafeBufferPointer(start: c.base + range.lowerBound, count: range.count)) else {
                    throw c.error("k.i", .invalidValue(c.keyText(range)))
                }
                interval = iv
            case UInt8(ascii: "o"): open = try c.decimal("k.o")
            case UInt8(ascii: "c"): close = try c.decimal("k.c")
            case UInt8(ascii: "h"): high = try c.decimal("k.h")
            case UInt8(ascii: "l"): low = try c.decimal("k.l")
            case UInt8(ascii: "v"): volume = try c.decimal("k.v")
            case UInt8(ascii: "n"): trades = try c.int64("k.n")
            case UInt8(ascii: "x"): closed = try c.bool("k.x")
            case UInt8(ascii: "q"): quoteVolume = try c.decimal("k.q")
            case UInt8(ascii: "V"): takerBase = try c.decimal("k.V")
            case UInt8(ascii: "Q"): takerQuote = try c.decimal("k.Q")
            default: try c.skip(key: key, prefix: "k.")
            }
        }
        guard let openTime else { throw c.error("k.t", .missing) }
        guard let closeTime else { throw c.error("k.T", .missing) }
        guard let interval else { throw c.error("k.i", .missing) }
        guard let open else { throw c.error("k.o", .missing) }
        guard let high else { throw c.error("k.h", .missing) }
        guard let low else { throw c.error("k.l", .missing) }
        guard let close else { throw c.error("k.c", .missing) }
        guard let volume else { throw c.error("k.v", .missing) }
        guard let closed else { throw c.error("k.x", .missing) }
        return Kline(
            symbol: symbol, interval: interval, openTime: Timestamp(milliseconds: openTime), closeTime: Timestamp(milliseconds: closeTime),
            open: open, high: high, low: low, close: close, volume: volume, quoteVolume: quoteVolume, trades: trades,
            takerBuyBase: takerBase, takerBuyQuote: takerQuote, isClosed: closed
        )
    }

    static func serverShutdown(_ c: inout JSONCursor) throws(BinanceDecodeError) -> Timestamp {
        try c.beginObject("serverShutdown")
        var first = true
        var time: Int64 = 0
        while let key = try c.nextKey(first: &first) {
            if c.singleByteKey(key) == UInt8(ascii: "E") { time = try c.milliseconds("E") } else { try c.skip(key: key) }
        }
        return Timestamp(milliseconds: time)
    }
}
