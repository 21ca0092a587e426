import CollectorCore
import Domain
import Foundation
import Testing

/// The team's real klines (`../shared/data/klines` beside the repository root), located from this
/// source file. Tests that need them are skipped, with a printed reason, when they are absent.
enum SharedKlineFixture {
    static let directory: URL = {
        // Tests/CoreTests/<file>.swift → repository root → ../shared/data/klines
        let file = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        let root = file.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.deletingLastPathComponent().appendingPathComponent("shared/data/klines")
    }()

    static let btcFiveMinutePath = directory.appendingPathComponent("BTCUSDT-5m.csv").path

    static let isAvailable: Bool = {
        let present = FileManager.default.fileExists(atPath: btcFiveMinutePath)
        if !present {
            print("SKIPPED: real-data tests skipped because \(btcFiveMinutePath) does not exist (the shared data folder is not beside this checkout)")
        }
        return present
    }()

    static let skipReason: Comment = "needs the real klines ../shared/data/klines/BTCUSDT-5m.csv beside the repository root, which do not exist here"

    /// All BTCUSDT 5m klines, parsed once per test process.
    static let btcFiveMinute: [Kline] = {
        guard isAvailable else { return [] }
        do {
            return try KlineCSV.read(path: btcFiveMinutePath)
        } catch {
            Issue.record("cannot read \(btcFiveMinutePath): \(error)")
            return []
        }
    }()
}

@Suite struct KlineCSVTests {
    let header = "open_time,open,high,low,close,volume,close_time,quote_volume,trades,taker_buy_base,taker_buy_quote"

    @Test func headerConstantMatchesTheFileFormat() {
        #expect(KlineCSV.header == header)
    }

    @Test func parsesRowsWithEmptyOptionalColumnsExactly() throws {
        let text = header + "\n1709251200000,61130.99,61217.41,61126,61129.92,247.32385,1709251499999,,,,\n"
        let klines = try KlineCSV.parse(Data(text.utf8), symbol: "BTCUSDT", interval: .fiveMinutes)
        #expect(klines.count == 1)
        let k = try #require(klines.first)
        #expect(k.symbol == "BTCUSDT")
        #expect(k.interval == .fiveMinutes)
        #expect(k.openTime == Timestamp(milliseconds: 1_709_251_200_000))
        #expect(k.closeTime == Timestamp(milliseconds: 1_709_251_499_999))
        #expect(k.open.units == 6_113_099_000_000)
        #expect(k.high.units == 6_121_741_000_000)
        #expect(k.low.units == 6_112_600_000_000)
        #expect(k.close.units == 6_112_992_000_000)
        #expect(k.volume.units == 24_732_385_000)
        #expect(k.quoteVolume == nil && k.trades == nil && k.takerBuyBase == nil && k.takerBuyQuote == nil)
        #expect(k.isClosed)
    }

    @Test func parsesFilledOptionalColumns() throws {
        let line = "1709251200000,1.5,2,1,1.75,10.00000001,1709251499999,17.5,42,3.25,5.125"
        let k = try KlineCSV.parseLine(line, lineNumber: 7, symbol: "ETHUSDT", interval: .oneMinute)
        #expect(k.quoteVolume == Decimal8("17.5"))
        #expect(k.trades == 42)
        #expect(k.takerBuyBase == Decimal8("3.25"))
        #expect(k.takerBuyQuote == Decimal8("5.125"))
        #expect(k.volume.units == 1_000_000_001)
    }

    @Test func malformedDecimalNamesLineAndField() throws {
        let text = header + "\n"
            + "1709251200000,61130.99,61217.41,61126,61129.92,247.32385,1709251499999,,,,\n"
            + "1709251500000,61129.91,61x38.72,61129.91,61297.55,168.70388,1709251799999,,,,\n"
        let error = try #require(throws: KlineCSV.ParseError.self) {
            try KlineCSV.parse(Data(text.utf8), symbol: "BTCUSDT", interval: .fiveMinutes)
        }
        #expect(error.line == 3)
        #expect(error.column == .high)
        #expect(error.problem == .invalidDecimal(.invalidCharacter("61x38.72")))
        #expect(error.description.contains("line 3"))
        #expect(error.description.contains("field high"))
    }

    @Test func malformedIntegerAndEmptyRequiredFieldsNameTheField() throws {
        let badTime = try #require(throws: KlineCSV.ParseError.self) {
            try KlineCSV.parseLine("17092512OO000,1,1,1,1,1,1709251499999,,,,", lineNumber: 5, symbol: "X", interval: .oneMinute)
        }
        #expect(badTime.line == 5 && badTime.column == .openTime)
        let badTrades = try #require(throws: KlineCSV.ParseError.self) {
            try KlineCSV.parseLine("1709251200000,1,1,1,1,1,1709251499999,1,4.5,1,1", lineNumber: 9, symbol: "X", interval: .oneMinute)
        }
        #expect(badTrades.column == .trades)
        #expect(badTrades.description.contains("field trades"))
        let emptyClose = try #require(throws: KlineCSV.ParseError.self) {
            try KlineCSV.parseLine("1709251200000,1,1,1,,1,1709251499999,,,,", lineNumber: 2, symbol: "X", interval: .oneMinute)
        }
        #expect(emptyClose.column == .close && emptyClose.problem == .empty)
        let tooPrecise = try #require(throws: KlineCSV.ParseError.self) {
            try KlineCSV.parseLine("1709251200000,1,1,1,1.000000001,1,1709251499999,,,,", lineNumber: 2, symbol: "X", interval: .oneMinute)
        }
        #expect(tooPrecise.column == .close)
        let overflow = try #require(throws: KlineCSV.ParseError.self) {
            try KlineCSV.parseLine("99999999999999999999,1,1,1,1,1,1,,,,", lineNumber: 2, symbol: "X", interval: .oneMinute)
        }
        #expect(overflow.column == .openTime)
    }

    @Test func wrongFieldCountIsReportedWithTheCount() throws {
        let short = try #require(throws: KlineCSV.ParseError.self) {
            try KlineCSV.parseLine("1709251200000,1,1,1,1,1,1709251499999", lineNumber: 4, symbol: "X", interval: .oneMinute)
        }
        #expect(short == KlineCSV.ParseError(line: 4, column: nil, problem: .fieldCount(found: 7)))
        let long = try #require(throws: KlineCSV.ParseError.self) {
            try KlineCSV.parseLine("1709251200000,1,1,1,1,1,1709251499999,,,,,,", lineNumber: 4, symbol: "X", interval: .oneMinute)
        }
        #expect(long.problem == .fieldCount(found: 13))
    }

    /// Binance's own files (data.binance.vision): no header, 12 columns (the last is "ignore"), and
    /// since 2025 spot times in microseconds, normalised to milliseconds.
    @Test func binanceTwelveColumnFilesAreRead() throws {
        let text = "1709251200000,61130.99,61217.41,61126,61129.92,247.32385,1709251499999,15118925.1,3912,120.5,7366019.2,0\n"
            + "1735689600000000,93576.00,93610.93,93537.50,93610.93,8.21827,1735689659999999,769000.5,1000,4.1,383000.2,0\n"
        let klines = try KlineCSV.parse(Data(text.utf8), symbol: "BTCUSDT", interval: .fiveMinutes)
        #expect(klines.count == 2)
        #expect(klines[0].trades == 3912 && klines[0].takerBuyQuote == Decimal8("7366019.2")!)
        #expect(klines[1].openTime == Timestamp(milliseconds: 1_735_689_600_000))
        #expect(klines[1].closeTime == Timestamp(milliseconds: 1_735_689_659_999))
    }

    @Test func unexpectedHeaderIsRefused() throws {
        let text = "timestamp,open,high,low,close,volume\n1,1,1,1,1,1,1,,,,\n"
        let error = try #require(throws: KlineCSV.ParseError.self) {
            try KlineCSV.parse(Data(text.utf8), symbol: "X", interval: .oneMinute)
        }
        #expect(error.line == 1)
        #expect(error.problem == .header(found: "timestamp,open,high,low,close,volume"))
    }

    @Test func acceptsCRLFBlankLinesAndNoHeader() throws {
        let text = "60000,1,2,0.5,1.5,3,119999,,,,\r\n\r\n120000,1.5,2,1,1,1,179999,,,,\r\n"
        let klines = try KlineCSV.parse(Data(text.utf8), symbol: "X", interval: .oneMinute)
        #expect(klines.map(\.openTime.milliseconds) == [60_000, 120_000])
        #expect(klines[1].close == Decimal8(1))
    }

    @Test func filtersByOpenTimeRange() throws {
        var text = header + "\n"
        for i in 0..<10 { text += "\(i * 60_000),1,1,1,1,1,\(i * 60_000 + 59_999),,,,\n" }
        let range = Timestamp(milliseconds: 3 * 60_000)..<Timestamp(milliseconds: 6 * 60_000)
        let klines = try KlineCSV.parse(Data(text.utf8), symbol: "X", interval: .oneMinute, openTimes: range)
        #expect(klines.map(\.openTime.milliseconds) == [180_000, 240_000, 300_000])
        var streamed: [Int64] = []
        try KlineCSV.forEachKline(in: Data(text.utf8), symbol: "X", interval: .oneMinute) { streamed.append($0.openTime.milliseconds) }
        #expect(streamed.count == 10)
    }

    @Test func seriesFromFileName() {
        let plain = KlineCSV.series(fileName: "BTCUSDT-5m.csv")
        #expect(plain?.symbol == "BTCUSDT" && plain?.interval == .fiveMinutes)
        let dated = KlineCSV.series(fileName: "BTCUSDT-5m-2024-07-08.csv")
        #expect(dated?.symbol == "BTCUSDT" && dated?.interval == .fiveMinutes)
        #expect(KlineCSV.series(fileName: "ETHUSDT-1h.csv")?.interval == Interval("1h"))
        #expect(KlineCSV.series(fileName: "klines.csv") == nil)
        #expect(KlineCSV.series(fileName: "BTCUSDT-7m.csv") == nil)
    }

    @Test func readReportsMissingFileAndUnknownSeries() {
        #expect(throws: KlineCSV.ReadError.unknownSeries(path: "/nonexistent/klines.csv")) {
            try KlineCSV.read(path: "/nonexistent/klines.csv")
        }
        #expect {
            try KlineCSV.read(path: "/nonexistent/BTCUSDT-5m.csv")
        } throws: { error in
            if case .unreadable(let path, _) = error as? KlineCSV.ReadError { return path == "/nonexistent/BTCUSDT-5m.csv" }
            return false
        }
    }

    /// Every field of the real file, parsed by the byte parser, equals an independent parse of the
    /// same line split with Foundation and parsed field by field with `Decimal8(parsing:)`.
    @Test(.enabled(if: SharedKlineFixture.isAvailable, SharedKlineFixture.skipReason))
    func realFileMatchesAnIndependentFieldByFieldParse() throws {
        let klines = SharedKlineFixture.btcFiveMinute
        #expect(klines.count == 210_375)
        let text = try String(contentsOfFile: SharedKlineFixture.btcFiveMinutePath, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count == klines.count + 1)
        for (index, line) in lines.dropFirst().enumerated() where index % 7 == 0 || index < 1000 {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let k = klines[index]
            #expect(k.openTime.milliseconds == Int64(f[0])!)
            #expect(k.open == (try Decimal8(parsing: f[1])))
            #expect(k.high == (try Decimal8(parsing: f[2])))
            #expect(k.low == (try Decimal8(parsing: f[3])))
            #expect(k.close == (try Decimal8(parsing: f[4])))
            #expect(k.volume == (try Decimal8(parsing: f[5])))
            #expect(k.closeTime.milliseconds == Int64(f[6])!)
        }
        for i in klines.indices.dropFirst() {
            if klines[i].openTime <= klines[i - 1].openTime {
                Issue.record("open times not increasing at \(i)")
                break
            }
        }
    }
}
