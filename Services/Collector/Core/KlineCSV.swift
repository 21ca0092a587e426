import Domain
import Foundation

/// The normalized kline CSV of `shared/data/klines` and `data/sample`:
///
///     open_time,open,high,low,close,volume,close_time,quote_volume,trades,taker_buy_base,taker_buy_quote
///     1709251200000,61130.99,61217.41,61126,61129.92,247.32385,1709251499999,,,,
///
/// Times are milliseconds since the epoch (UTC); prices and volumes are parsed exactly into
/// `Decimal8` (never through `Double`); the last four columns may be empty. Parsing works on UTF-8
/// bytes, one pass per line, with no per-field allocation beyond the decimal parser's.
/// Every parsed kline is closed (`isClosed == true`): a file holds finished bars only.
public enum KlineCSV {
    /// The header line, exactly.
    public static let header = Column.allCases.map(\.name).joined(separator: ",")

    /// The columns, in file order.
    public enum Column: Int, CaseIterable, Sendable, Hashable, CustomStringConvertible {
        case openTime, open, high, low, close, volume, closeTime, quoteVolume, trades, takerBuyBase, takerBuyQuote

        /// The column's name in the header.
        public var name: String {
            switch self {
            case .openTime: "open_time"
            case .open: "open"
            case .high: "high"
            case .low: "low"
            case .close: "close"
            case .volume: "volume"
            case .closeTime: "close_time"
            case .quoteVolume: "quote_volume"
            case .trades: "trades"
            case .takerBuyBase: "taker_buy_base"
            case .takerBuyQuote: "taker_buy_quote"
            }
        }

        public var description: String { name }

        /// The four columns that may be empty.
        public var isOptional: Bool { rawValue >= Column.quoteVolume.rawValue }
    }

    /// A line that is not a kline: names the 1-based line number and, when one field is at fault, the field.
    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        public enum Problem: Equatable, Sendable {
            /// The line does not have 11 comma-separated fields.
            case fieldCount(found: Int)
            /// The first line looks like a header but is not the expected one.
            case header(found: String)
            /// A required field is empty.
            case empty
            /// An integer field (times, trades) is not a base-10 integer in range.
            case invalidInteger(String)
            /// A decimal field was refused by `Decimal8(parsing:)`.
            case invalidDecimal(Decimal8.ParseError)
        }

        /// 1-based line number in the file or text (the header is line 1).
        public var line: Int
        /// The field at fault; nil for field-count and header problems.
        public var column: Column?
        public var problem: Problem

        public init(line: Int, column: Column?, problem: Problem) {
            self.line = line
            self.column = column
            self.problem = problem
        }

        public var description: String {
            let place = column.map { "line \(line), field \($0.name)" } ?? "line \(line)"
            switch problem {
            case .fieldCount(let found): return "\(place): expected \(Column.allCases.count) fields, found \(found)"
            case .header(let found): return "\(place): unexpected header \"\(found)\" (expected \"\(KlineCSV.header)\")"
            case .empty: return "\(place): empty value"
            case .invalidInteger(let text): return "\(place): not an integer: \"\(text)\""
            case .invalidDecimal(let error): return "\(place): \(error.description)"
            }
        }
    }

    /// Why a file could not be read into klines.
    public enum ReadError: Error, Equatable, Sendable, CustomStringConvertible {
        case unreadable(path: String, reason: String)
        /// No symbol/interval was given and the file name is not `SYMBOL-INTERVAL[...].csv`.
        case unknownSeries(path: String)
        case malformed(path: String, ParseError)

        public var description: String {
            switch self {
            case .unreadable(let path, let reason): return "cannot read kline file \(path): \(reason)"
            case .unknownSeries(let path):
                return "cannot tell symbol and interval of \(path): name it SYMBOL-INTERVAL[-...].csv or pass them"
            case .malformed(let path, let error): return "\(path): \(error.description)"
            }
        }
    }

    // MARK: - Writing

    /// One data line for `kline` in the normalized layout (no terminator); absent optional fields
    /// are empty, decimals in their shortest exact form.
    public static func line(for kline: Kline) -> String {
        var fields: [String] = [
            String(kline.openTime.milliseconds), kline.open.compactDescription, kline.high.compactDescription,
            kline.low.compactDescription, kline.close.compactDescription, kline.volume.compactDescription,
            String(kline.closeTime.milliseconds),
        ]
        fields.append(kline.quoteVolume?.compactDescription ?? "")
        fields.append(kline.trades.map(String.init) ?? "")
        fields.append(kline.takerBuyBase?.compactDescription ?? "")
        fields.append(kline.takerBuyQuote?.compactDescription ?? "")
        return fields.joined(separator: ",")
    }

    // MARK: - One line

    /// Parses one data line (no line terminator; a trailing "\r" is ignored).
    public static func parseLine(
        _ line: some StringProtocol, lineNumber: Int, symbol: String, interval: Interval
    ) throws(ParseError) -> Kline {
        var text = String(line)
        let result: Result<Kline, ParseError> = text.withUTF8 { bytes in
            do throws(ParseError) {
                return .success(try parseRecord(trimCR(bytes), line: lineNumber, symbol: symbol, interval: interval))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    // MARK: - Whole texts

    /// Calls `body` with every kline of a whole CSV text, in file order. An optional header line is
    /// checked; empty lines are skipped; `openTimes` keeps only klines whose open time is in the range
    /// (every line is still validated).
    public static func forEachKline(
        in data: Data, symbol: String, interval: Interval, openTimes: Range<Timestamp>? = nil,
        _ body: (Kline) -> Void
    ) throws(ParseError) {
        let result: Result<Void, ParseError> = data.withUnsafeBytes { raw in
            do throws(ParseError) {
                try scan(raw.bindMemory(to: UInt8.self), symbol: symbol, interval: interval, openTimes: openTimes, body)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Every kline of a whole CSV text, in file order (see `forEachKline`).
    public static func parse(
        _ data: Data, symbol: String, interval: Interval, openTimes: Range<Timestamp>? = nil
    ) throws(ParseError) -> [Kline] {
        var klines: [Kline] = []
        klines.reserveCapacity(max(16, data.count / 64))
        try forEachKline(in: data, symbol: symbol, interval: interval, openTimes: openTimes) { klines.append($0) }
        return klines
    }

    /// Reads a CSV file. Without `symbol`/`interval` they come from the file name
    /// (`BTCUSDT-5m.csv`, `BTCUSDT-5m-2024-07-08.csv`).
    public static func read(
        path: String, symbol: String? = nil, interval: Interval? = nil, openTimes: Range<Timestamp>? = nil
    ) throws(ReadError) -> [Kline] {
        var series = (symbol: symbol ?? "", interval: interval ?? .oneMinute)
        if symbol == nil || interval == nil {
            guard let named = Self.series(fileName: URL(fileURLWithPath: path).lastPathComponent) else {
                throw .unknownSeries(path: path)
            }
            series = (symbol ?? named.symbol, interval ?? named.interval)
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
        do {
            return try parse(data, symbol: series.symbol, interval: series.interval, openTimes: openTimes)
        } catch {
            throw .malformed(path: path, error)
        }
    }

    /// `SYMBOL-INTERVAL[-anything].csv` → (SYMBOL, INTERVAL), e.g. `BTCUSDT-5m-2024-07-08.csv`.
    public static func series(fileName: String) -> (symbol: String, interval: Interval)? {
        var name = Substring(fileName)
        if name.hasSuffix(".csv") { name = name.dropLast(4) }
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 2, !parts[0].isEmpty, let interval = Interval(String(parts[1])) else { return nil }
        return (String(parts[0]), interval)
    }

    // MARK: - Bytes

    static let comma = UInt8(ascii: ",")
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")

    static func trimCR(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        if let last = bytes.last, last == carriageReturn { return UnsafeBufferPointer(rebasing: bytes.dropLast()) }
        return bytes
    }

    static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>, symbol: String, interval: Interval, openTimes: Range<Timestamp>?,
        _ body: (Kline) -> Void
    ) throws(ParseError) {
        var lineStart = 0
        var lineNumber = 0
        let end = bytes.count
        while lineStart < end {
            lineNumber += 1
            var lineEnd = lineStart
            while lineEnd < end && bytes[lineEnd] != newline { lineEnd += 1 }
            let line = trimCR(UnsafeBufferPointer(rebasing: bytes[lineStart..<lineEnd]))
            lineStart = lineEnd + 1
            if line.isEmpty { continue }
            if lineNumber == 1, let first = line.first, !(first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) {
                let found = String(decoding: line, as: UTF8.self)
                guard found == header else { throw ParseError(line: 1, column: nil, problem: .header(found: found)) }
                continue
            }
            let kline = try parseRecord(line, line: lineNumber, symbol: symbol, interval: interval)
            if let openTimes, !openTimes.contains(kline.openTime) { continue }
            body(kline)
        }
    }

    /// Parses the 11 fields of one line in a single left-to-right pass.
    static func parseRecord(
        _ bytes: UnsafeBufferPointer<UInt8>, line: Int, symbol: String, interval: Interval
    ) throws(ParseError) -> Kline {
        var openTime: Int64 = 0, closeTime: Int64 = 0
        var open = Decimal8.zero, high = Decimal8.zero, low = Decimal8.zero, close = Decimal8.zero, volume = Decimal8.zero
        var quoteVolume: Decimal8?, trades: Int64?, takerBuyBase: Decimal8?, takerBuyQuote: Decimal8?
        let columnCount = Column.allCases.count
        var fieldIndex = 0
        var start = 0
        let end = bytes.count
        while true {
            var stop = start
            while stop < end && bytes[stop] != comma { stop += 1 }
            if fieldIndex == columnCount && stop >= end {
                // Binance's own header-less files have a 12th "ignore" column.
                fieldIndex += 1
                break
            }
            if fieldIndex >= columnCount {
                throw ParseError(line: line, column: nil, problem: .fieldCount(found: countFields(bytes)))
            }
            let field = UnsafeBufferPointer(rebasing: bytes[start..<stop])
            let column = Column(rawValue: fieldIndex)!
            if field.isEmpty && !column.isOptional {
                throw ParseError(line: line, column: column, problem: .empty)
            }
            switch column {
            case .openTime: openTime = try integer(field, line: line, column: column)
            case .open: open = try decimal(field, line: line, column: column)
            case .high: high = try decimal(field, line: line, column: column)
            case .low: low = try decimal(field, line: line, column: column)
            case .close: close = try decimal(field, line: line, column: column)
            case .volume: volume = try decimal(field, line: line, column: column)
            case .closeTime: closeTime = try integer(field, line: line, column: column)
            case .quoteVolume: if !field.isEmpty { quoteVolume = try decimal(field, line: line, column: column) }
            case .trades: if !field.isEmpty { trades = try integer(field, line: line, column: column) }
            case .takerBuyBase: if !field.isEmpty { takerBuyBase = try decimal(field, line: line, column: column) }
            case .takerBuyQuote: if !field.isEmpty { takerBuyQuote = try decimal(field, line: line, column: column) }
            }
            fieldIndex += 1
            if stop >= end { break }
            start = stop + 1
        }
        guard fieldIndex == columnCount || fieldIndex == columnCount + 1 else {
            throw ParseError(line: line, column: nil, problem: .fieldCount(found: fieldIndex))
        }
        // data.binance.vision writes spot times in microseconds since 2025: normalise to ms.
        if openTime >= 100_000_000_000_000 {
            openTime /= 1000
            closeTime /= 1000
        }
        return Kline(
            symbol: symbol, interval: interval,
            openTime: Timestamp(milliseconds: openTime), closeTime: Timestamp(milliseconds: closeTime),
            open: open, high: high, low: low, close: close, volume: volume,
            quoteVolume: quoteVolume, trades: trades, takerBuyBase: takerBuyBase, takerBuyQuote: takerBuyQuote,
            isClosed: true
        )
    }

    static func countFields(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 1
        for byte in bytes where byte == comma { count += 1 }
        return count
    }

    /// A base-10 integer with an optional leading "-", checked for overflow.
    static func integer(_ field: UnsafeBufferPointer<UInt8>, line: Int, column: Column) throws(ParseError) -> Int64 {
        var index = 0
        var negative = false
        if field.first == UInt8(ascii: "-") { negative = true; index = 1 }
        guard index < field.count else {
            throw ParseError(line: line, column: column, problem: .invalidInteger(String(decoding: field, as: UTF8.self)))
        }
        var value: Int64 = 0
        while index < field.count {
            let digit = field[index] &- UInt8(ascii: "0")
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(digit))
            guard digit <= 9, !o1, !o2 else {
                throw ParseError(line: line, column: column, problem: .invalidInteger(String(decoding: field, as: UTF8.self)))
            }
            value = a
            index += 1
        }
        return negative ? -value : value
    }

    /// Exact decimal through `Decimal8(parsing:)`; short fields become small (inline) strings.
    static func decimal(_ field: UnsafeBufferPointer<UInt8>, line: Int, column: Column) throws(ParseError) -> Decimal8 {
        do {
            return try Decimal8(utf8: field)
        } catch {
            throw ParseError(line: line, column: column, problem: .invalidDecimal(error))
        }
    }
}
