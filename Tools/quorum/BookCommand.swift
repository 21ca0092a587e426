import ArgumentParser
import Capture
import Domain
import Foundation
import OrderBook

/// `quorum book`: order-book tools over recorded captures.
struct BookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "book",
        abstract: "Order-book tools over recorded captures (Quorum's, hftbacktest's, cryptofeed's).",
        subcommands: [Verify.self]
    )

    /// `quorum book verify`: rebuild every symbol's book from a capture by Binance's snapshot + diff
    /// procedure and compare it, exactly, with each bookTicker whose update id the book reached.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild the order book from a capture and check it against the bookTicker stream, exactly.",
            discussion: """
                A capture is one or more files read as one: separate them with commas \
                (--capture btcusdt_20240808.gz,btcusdt_20240809.gz; --capture BINANCE.ws.1.0.txt,BINANCE.http.0.0.txt). \
                Repeat --capture for several captures. A bookTicker point is reached when the rebuilt book stood at \
                exactly its update id u (the end of an applied diff or the snapshot); it matches when the best bid and \
                ask prices and quantities are equal. Exit status 0 only when every capture passes: no malformed line, \
                no decode error, no mismatch, and at least one matched point (a capture without any bookTicker \
                message passes on continuity alone, and says so).
                """
        )

        @Option(name: .customLong("capture"), help: ArgumentHelp("A capture: one file, or several comma-separated files read as one.", valueName: "path[,path...]"))
        var captures: [String]

        @Option(help: "File format: auto, quorum, hftbacktest or cryptofeed.")
        var format: String = "auto"

        @Option(help: "Symbol of hftbacktest files (default: from each file name, btcusdt_20240808.gz → BTCUSDT).")
        var symbol: String?

        @Flag(help: "USD-M futures chaining: each diff's pu must equal the previous u.")
        var futures = false

        @Flag(help: "Step 5 as the 2025-11-12 docs word it: the first diff must satisfy U ≤ lastUpdateId ≤ u (default: U ≤ lastUpdateId + 1 ≤ u).")
        var strictFirstEvent = false

        @Flag(help: "Keep a crossed book instead of resyncing.")
        var allowCrossed = false

        func validate() throws {
            var problems: [String] = []
            if captures.isEmpty { problems.append("give at least one --capture") }
            if CaptureFormat(rawValue: format) == nil { problems.append("--format \"\(format)\": expected auto, quorum, hftbacktest or cryptofeed") }
            for capture in captures {
                for file in Self.files(capture) where !FileManager.default.fileExists(atPath: file) {
                    problems.append("--capture: \(file) does not exist")
                }
            }
            if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
        }

        static func files(_ capture: String) -> [String] {
            capture.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }

        func run() throws {
            var configuration = BookVerifier.Configuration()
            configuration.synchronizer.market = futures ? .usdMFutures : .spot
            configuration.synchronizer.strictFirstEvent = strictFirstEvent
            configuration.synchronizer.resyncOnCrossedBook = !allowCrossed
            var allPassed = true
            for capture in captures {
                let files = Self.files(capture)
                let started = Date()
                let report: VerifyReport
                do {
                    report = try CaptureReplay.verify(files: files, format: CaptureFormat(rawValue: format)!, symbol: symbol, configuration: configuration)
                } catch {
                    print("\(capture): \(error)")
                    allPassed = false
                    continue
                }
                print(Self.describe(report, seconds: Date().timeIntervalSince(started)))
                allPassed = allPassed && report.verdict.passed
            }
            if !allPassed { throw ExitCode.failure }
        }

        static func describe(_ report: VerifyReport, seconds: Double) -> String {
            let names = report.files.map { URL(fileURLWithPath: $0).lastPathComponent }
            let formats = Set(report.formats.map(\.rawValue)).sorted().joined(separator: "/")
            let verdict = report.verdict
            var lines = [String(
                format: "%@ (%@): %d records in %.2f s — %@: %@",
                names.joined(separator: " + "), formats, report.records, seconds, verdict.passed ? "PASS" : "FAIL", verdict.reason
            )]
            for s in report.symbols {
                let sync = s.synchronizer
                lines.append(
                    "  \(s.symbol): bookTicker points reached \(s.reached), matched \(s.matched), mismatched \(s.mismatched)"
                        + " (of \(s.bookTickers) bookTickers; \(s.unreached) stepped over, \(s.pendingAtEnd) beyond the end)"
                        + " | diffs applied \(sync.diffsApplied), stale \(sync.staleIgnored), dropped by snapshot \(sync.droppedBySnapshot),"
                        + " gaps \(sync.gaps), crossed \(sync.crossed), resyncs \(sync.resyncs), snapshots \(sync.snapshotsAccepted)/\(sync.snapshotsReceived) accepted"
                        + (sync.snapshotsTooOld + sync.snapshotsNotFollowed > 0 ? " (\(sync.snapshotsTooOld) too old, \(sync.snapshotsNotFollowed) not followed)" : "")
                        + ", decode errors \(s.decodeErrors)"
                        + (s.finalUpdateID.map { " | book at \($0), \(s.bidLevels) bids / \(s.askLevels) asks" } ?? " | not in sync at the end")
                )
                for mismatch in s.mismatches { lines.append("    mismatch \(mismatch)") }
            }
            for problem in report.problems.prefix(5) { lines.append("  malformed \(problem)") }
            if report.problemCount > 5 { lines.append("  ... \(report.problemCount - 5) more malformed lines") }
            for error in report.decodeErrors { lines.append("  decode error \(error)") }
            return lines.joined(separator: "\n")
        }
    }
}
