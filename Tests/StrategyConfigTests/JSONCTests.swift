import TestKit
import Testing
@testable import StrategyConfig

@Suite struct JSONCTests {
    func object(_ text: String) throws -> [JSONC.Member] {
        let node = try JSONC.parse(text)
        guard case .object(let members) = node.value else { Issue.record("not an object"); return [] }
        return members
    }

    @Test func commentsOutsideStringsAreSkippedAndURLsInStringsSurvive() throws {
        let members = try object("""
        // a header comment
        {
          "url": "https://api.binance.com/api/v3", // trailing comment
          /* block
             comment */ "text": "a /* not a comment */ here",
          "slashes": "//"
        }
        """)
        #expect(members.map(\.key) == ["url", "text", "slashes"])
        #expect(members[0].value.value == .string("https://api.binance.com/api/v3"))
        #expect(members[1].value.value == .string("a /* not a comment */ here"))
        #expect(members[2].value.value == .string("//"))
    }

    @Test func trailingCommasAreTolerated() throws {
        let members = try object(#"{"a": [1, 2, ], "b": {"c": true,},}"#)
        guard case .array(let items) = members[0].value.value else { Issue.record("a"); return }
        #expect(items.map(\.value) == [.number("1"), .number("2")])
    }

    @Test func numbersKeepTheirLiteralText() throws {
        let members = try object(#"{"C": 1.0, "n": 300, "e": -2.5e-3}"#)
        #expect(members.map(\.value.value) == [.number("1.0"), .number("300"), .number("-2.5e-3")])
    }

    @Test func positionsAreLineAndColumnOfEachValue() throws {
        let members = try object("{\n  \"a\": 1,\n  \"bé\":   \"x\"\n}")
        #expect(members[0].keyPosition == SourcePosition(line: 2, column: 3))
        #expect(members[0].value.position == SourcePosition(line: 2, column: 8))
        // "é" counts as one column.
        #expect(members[1].value.position == SourcePosition(line: 3, column: 11))
    }

    @Test func everyDuplicateKeyIsReportedWithBothPositions() {
        do {
            _ = try JSONC.parse("{\"a\": 1,\n \"b\": {\"x\": 1, \"x\": 2},\n \"a\": 3}")
            Issue.record("duplicates accepted")
        } catch {
            #expect(error.problems.count == 2)
            #expect(error.problems[0].message.contains("duplicate key \"x\""))
            #expect(error.problems[0].position == SourcePosition(line: 2, column: 16))
            #expect(error.problems[1].message.contains("duplicate key \"a\" (first at line 1, column 2)"))
            #expect(error.problems[1].position == SourcePosition(line: 3, column: 2))
        }
    }

    @Test(arguments: [
        ("{\"a\": 1 \"b\": 2}", 1, 9, "is a comma missing"),
        ("{\"a\": 'x'}", 1, 7, "double quotes"),
        ("{\"a\": 01}", 1, 8, "leading zeros"),
        ("{\"a\": [1,, 2]}", 1, 10, "two commas"),
        ("{\"a\": 1 /* open", 1, 9, "never closed"),
        ("{\"a\": \"abc", 1, 7, "never closed"),
        ("{\"a\": tru}", 1, 7, "expected true"),
        ("{\"a\": 1}}", 1, 9, "after the end"),
        ("", 1, 1, "empty"),
        ("{\"a\": \"\\q\"}", 1, 9, "unknown escape"),
    ])
    func syntaxErrorsSayWhere(text: String, line: Int, column: Int, fragment: String) {
        do {
            _ = try JSONC.parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.problems.count == 1)
            #expect(error.problems[0].position == SourcePosition(line: line, column: column), "\(error)")
            #expect(error.problems[0].message.contains(fragment), "\(error)")
        }
    }

    @Test func invalidUTF8IsRefusedWithItsPosition() {
        let bytes: [UInt8] = Array("{\n \"a\": \"".utf8) + [0xC3, 0x28] + Array("\"}".utf8)
        do {
            _ = try JSONC.parse(bytes)
            Issue.record("accepted")
        } catch {
            #expect(error.problems[0].message.contains("not valid UTF-8"))
            #expect(error.problems[0].position == SourcePosition(line: 2, column: 8))
        }
    }

    @Test func escapesAndSurrogatesDecode() throws {
        let members = try object(#"{"s": "a\"b\\c\/d\n\u00e9\ud83d\ude00"}"#)
        #expect(members[0].value.value == .string("a\"b\\c/d\né😀"))
    }

    @Test func jsonTextRoundTrips() throws {
        let text = #"{"a":[1,"x\"y",true,null],"b":{"c":1.50}}"#
        let node = try JSONC.parse(text)
        #expect(node.jsonText == text)
        #expect(try JSONC.parse(node.jsonText) == node)
    }

    @Test func suggestionsUseDamerauLevenshtein() {
        #expect(KeySuggestion.distance("trian_features", "train_features") == 1)
        #expect(KeySuggestion.distance("kitten", "sitting") == 3)
        #expect(KeySuggestion.nearest(to: "trian_features", in: ModelConfig.modelledKeys) == "train_features")
        #expect(KeySuggestion.nearest(to: "budget", in: ["budget_hours", "families"]) == "budget_hours")
        #expect(KeySuggestion.nearest(to: "zzzzzz", in: ["symbol", "freq"]) == nil)
    }
}

/// Mutated configs (bytes flipped, dropped, duplicated) never crash the reader or the validator:
/// each load either succeeds or throws a `ConfigError` with at least one positioned violation.
@Suite struct MutationTests {
    static let text = """
    // a config
    {
      "symbol": "SOLUSDT", "freq": "5m", "data_folder": "./DATA", /* block */
      "labels": ["high_040_4", "low_040_4"],
      "train_features": ["imbalance_5", "close_SMA_3", "vol_regime"],
      "feature_sets": [{"generator": "gen_features_orderflow", "config": {"orderbook_pattern": "B/*.parquet", "depths": [5], "freq": "5T"}}],
      "algorithms": [{"name": "a", "algo": "vertex_automl", "train": {"budget_hours": 1, "optimization_objective": "maximize-precision-at-recall"}},
                     {"name": "l", "algo": "lgbm", "train": {"num_leaves": 31, "learning_rate": 0.05}}],
      "cloud": "gcp", "description": "é \\u00e9 https://x.y"
    }
    """

    @Test func mutatedConfigsNeverCrash() {
        var g = SeededGenerator(seed: 42)
        let original = Array(Self.text.utf8)
        let alphabet = Array("{}[],:\"/*\\ \n0123456789.-eE_abcdefghijklmnopqrstuvwxyz".utf8) + [0xC3, 0xA9, 0xFF, 0x00]
        var accepted = 0
        for _ in 0..<2_000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &g) {
                let i = Int.random(in: 0..<bytes.count, using: &g)
                switch Int.random(in: 0..<3, using: &g) {
                case 0: bytes[i] = alphabet.randomElement(using: &g)!
                case 1: bytes.remove(at: i)
                default: bytes.insert(alphabet.randomElement(using: &g)!, at: i)
                }
                if bytes.isEmpty { bytes = [0x7B] }
            }
            do {
                _ = try StrategyConfig.load(bytes: bytes, file: "m.jsonc")
                accepted += 1
            } catch {
                #expect(!error.violations.isEmpty)
            }
        }
        #expect(accepted > 0) // some mutations are harmless (inside comments or strings)
    }
}
