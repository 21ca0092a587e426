import Binance
import BinanceClient
import CollectorCore
import Domain
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Synchronization
import TestKit
import Testing

/// The Binance client against the real exchange simulator (a separate process on loopback): the
/// same code paths as against Binance, with other base URLs.
extension Integration {
    @Suite struct BinanceClientSimulatorTests {
        final class Simulator {
            let port = freeLocalPort()
            let directory: URL
            let process: ServiceProcess

            init(start: String, extra: [String] = []) throws {
                directory = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-sim-\(UUID().uuidString.prefix(8))")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                let path = RepositoryPaths.executable("quorum-exchange-sim")
                guard FileManager.default.isExecutableFile(atPath: path.path) else {
                    throw MissingExecutable(path: path.path)
                }
                process = try ServiceProcess(name: "sim", executable: path, arguments: [
                    "--klines", RepositoryPaths.sampleKlines.path, "--port", String(port), "--speed", "0", "--start", start,
                    "--book-levels", "50", "--log-level", "warning",
                ] + extra, environment: [:], logDirectory: directory)
            }

            var endpoints: BinanceEndpoints { .simulator(port: port) }

            func waitUntilUp(_ client: BinanceRESTClient) async throws {
                try await poll("the simulator to answer /api/v3/ping", timeout: 30) {
                    do { try await client.ping(); return true } catch { return false }
                }
            }

            func admin(_ path: String, _ json: String) async throws {
                var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
                request.httpMethod = "POST"
                request.httpBody = Data(json.utf8)
                request.setValue("application/json", forHTTPHeaderField: "content-type")
                let (data, response) = try await URLSession.shared.data(for: request)
                #expect((response as? HTTPURLResponse)?.statusCode == 200, "\(path): \(String(decoding: data, as: UTF8.self))")
            }

            deinit { process.stop() }
        }

        static func quietLogger() -> Logger {
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            return logger
        }

        @Test func restServesTheRecordedKlinesExactlyAndSurvivesFaults() async throws {
            let sim = try Simulator(start: "2024-07-10")
            let client = BinanceRESTClient(
                endpoints: sim.endpoints, policy: RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(10), maxDelay: .milliseconds(100), maxRetryAfter: .seconds(5)),
                logger: Self.quietLogger()
            )
            do {
                try await sim.waitUntilUp(client)
                // The simulator's clock is the replay clock: the measured offset puts us at 2024-07-10.
                try await client.synchronizeClock()
                let serverNow = client.estimatedServerTime()
                #expect(abs(serverNow.milliseconds - Timestamp(utcDate: "2024-07-10")!.milliseconds) < 60_000)

                let info = try await client.exchangeInfo(symbols: ["BTCUSDT"])
                let btc = try #require(info.symbol("BTCUSDT"))
                #expect(btc.tickSize > .zero && btc.stepSize > .zero && btc.status == "TRADING")

                // Paged klines equal the CSV rows (every field the source has).
                var served: [Kline] = []
                try await client.allKlines(symbol: "BTCUSDT", interval: .fiveMinutes, from: Timestamp(utcDate: "2024-07-01")!, to: Timestamp(utcDate: "2024-07-09")!) {
                    served += $0
                }
                let recorded = try KlineCSV.read(path: RepositoryPaths.sampleKlines.path, openTimes: Timestamp(utcDate: "2024-07-01")!..<Timestamp(utcDate: "2024-07-09")!)
                #expect(served.count == recorded.count && served.count == 8 * 288)
                #expect(zip(served, recorded).allSatisfy { KlineCSVReader.sameAsSource($0, $1) })

                let depth = try await client.depth(symbol: "BTCUSDT", limit: 20)
                #expect(depth.bids.count == 20 && depth.asks.count == 20)
                #expect(depth.bids[0].price < depth.asks[0].price)
                #expect(client.usedWeight["1M"] ?? 0 > 0)

                // 5xx on reads: retried with backoff, then the answer.
                try await sim.admin("/sim/faults", #"{"http5xx": 2}"#)
                let afterErrors = try await client.klines(symbol: "BTCUSDT", interval: .fiveMinutes, startTime: Timestamp(utcDate: "2024-07-02")!, limit: 5)
                #expect(afterErrors.count == 5)
                #expect(client.counters["http_5xx"] == 2 && client.counters["retries"] ?? 0 >= 2)
                // A truncated body: a decode error naming the payload, and the next request works.
                try await sim.admin("/sim/faults", #"{"truncatedBodies": 1}"#)
                await #expect(throws: BinanceClientError.self) {
                    _ = try await client.klines(symbol: "BTCUSDT", interval: .fiveMinutes, startTime: Timestamp(utcDate: "2024-07-02")!, limit: 5)
                }
                let recovered = try await client.klines(symbol: "BTCUSDT", interval: .fiveMinutes, startTime: Timestamp(utcDate: "2024-07-02")!, limit: 5)
                #expect(recovered == Array(afterErrors))
                // A Binance error body becomes a typed API error.
                await #expect(throws: BinanceClientError.self) { _ = try await client.depth(symbol: "NOPEUSDT", limit: 5) }
                // 429 with a Retry-After beyond what a read may wait (this client waits for none):
                // raised with the server's Retry-After, and nothing is sent until that window has
                // passed. (The simulator's Retry-After is the rest of its weight minute, 1...60 s.)
                let strict = BinanceRESTClient(
                    endpoints: sim.endpoints, policy: RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(10), maxDelay: .milliseconds(100), maxRetryAfter: .zero),
                    logger: Self.quietLogger()
                )
                try await sim.admin("/sim/faults", #"{"http429": 1}"#)
                do {
                    _ = try await strict.serverTime()
                    Issue.record("a 429 was not raised")
                } catch {
                    if case .rateLimited(let after, let apiError) = error {
                        #expect((after ?? 0) > 0 && apiError?.code == -1003)
                    } else {
                        Issue.record("got \(error)")
                    }
                }
                do {
                    _ = try await strict.serverTime()
                    Issue.record("a request went out during the 429 back-off")
                } catch {
                    if case .rateLimited = error {} else { Issue.record("got \(error)") }
                }
                #expect(strict.counters["http_429"] == 1 && strict.counters["requests_held_by_429"] == 1)
                await strict.shutdown()
            } catch {
                print("client state at failure: weight \(client.usedWeight), counters \(client.counters)")
                await client.shutdown()
                throw error
            }
            await client.shutdown()
        }

        @Test func downloadWritesTheKlinesTheSimulatorServes() async throws {
            let sim = try Simulator(start: "2024-07-10")
            let probe = BinanceRESTClient(endpoints: sim.endpoints, logger: Self.quietLogger())
            try await sim.waitUntilUp(probe)
            await probe.shutdown()
            let out = sim.directory.appendingPathComponent("BTCUSDT-5m.csv").path
            func download(to day: String) async throws -> String {
                let result = try await CommandRunner.run(RepositoryPaths.executable("quorum"), [
                    "download", "--symbol", "BTCUSDT", "--interval", "5m", "--from", "2024-07-01", "--to", day,
                    "--out", out, "--binance", "sim:\(sim.port)", "--quiet",
                ])
                #expect(result.status == 0, "\(result.output)")
                return result.output
            }
            // Two runs: the second resumes after the first's last row.
            _ = try await download(to: "2024-07-04")
            let second = try await download(to: "2024-07-09")
            #expect(second.contains("already present"))
            let written = try KlineCSV.read(path: out, symbol: "BTCUSDT", interval: .fiveMinutes)
            let recorded = try KlineCSV.read(path: RepositoryPaths.sampleKlines.path, openTimes: Timestamp(utcDate: "2024-07-01")!..<Timestamp(utcDate: "2024-07-09")!)
            #expect(written.count == recorded.count)
            #expect(zip(written, recorded).allSatisfy { KlineCSVReader.sameAsSource($0, $1) })
        }

        /// `quorum collect-book` records the simulator's streams in Quorum's capture format, and
        /// `quorum book verify` rebuilds the book from it: every bookTicker point matches.
        @Test func collectBookWritesACaptureThatVerifies() async throws {
            let sim = try Simulator(start: "2024-08-01", extra: ["--book-step-ms", "1000"])
            let probe = BinanceRESTClient(endpoints: sim.endpoints, logger: Self.quietLogger())
            try await sim.waitUntilUp(probe)
            await probe.shutdown()
            try await sim.admin("/sim/clock", #"{"speed": 60}"#)
            let out = sim.directory.appendingPathComponent("captures")
            func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
                let result = try await CommandRunner.run(RepositoryPaths.executable("quorum"), arguments)
                return (result.status, result.output)
            }
            let collected = try await run(["collect-book", "--symbols", "BTCUSDT", "--duration", "4s", "--out", out.path, "--binance", "sim:\(sim.port)"])
            #expect(collected.status == 0, "\(collected.output)")
            let files = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".jsonl") }
            #expect(files.count == 1)
            let verified = try await run(["book", "verify"] + files.flatMap { ["--capture", out.appendingPathComponent($0).path] })
            #expect(verified.status == 0, "\(verified.output)")
            #expect(verified.output.contains("PASS") && !verified.output.contains("reached 0,"))
        }

        @Test func streamClientReceivesKlinesAndBooksAndReconnects() async throws {
            let sim = try Simulator(start: "2024-08-01")
            let probe = BinanceRESTClient(endpoints: sim.endpoints, logger: Self.quietLogger())
            try await sim.waitUntilUp(probe)
            await probe.shutdown()
            var configuration = BinanceStreamClient.Configuration()
            configuration.reconnectBaseDelay = .milliseconds(50)
            configuration.reconnectMaxDelay = .milliseconds(200)
            let client = BinanceStreamClient(
                endpoints: sim.endpoints,
                streams: [StreamNames.kline("BTCUSDT", .fiveMinutes), StreamNames.depth("BTCUSDT"), StreamNames.bookTicker("BTCUSDT")],
                configuration: configuration, logger: Self.quietLogger()
            )
            let seen = Seen()
            let task = Task { await client.run { event in seen.record(event) } }
            defer { task.cancel() }
            try await poll("a connection", timeout: 20) { seen.value.connections >= 1 }
            // Move the replay clock: closed klines, depth diffs and tickers arrive.
            try await sim.admin("/sim/clock", #"{"advanceMs": 1800000}"#)
            try await poll("6 closed klines and depth diffs", timeout: 20) { seen.value.closedKlines >= 6 && seen.value.depthUpdates > 0 }
            // Garbage frames are counted and passed on; the connection survives them.
            try await sim.admin("/sim/faults", #"{"garbageFrames": 2}"#)
            try await sim.admin("/sim/clock", #"{"advanceMs": 600000}"#)
            try await poll("2 undecodable frames", timeout: 20) { seen.value.undecodable >= 2 }
            #expect(seen.value.connections == 1)
            // The simulator drops the socket: the client reconnects and streams again.
            try await sim.admin("/sim/faults", #"{"dropStreams": true}"#)
            try await poll("a second connection", timeout: 20) { seen.value.connections >= 2 }
            let before = seen.value.closedKlines
            try await sim.admin("/sim/clock", #"{"advanceMs": 600000}"#)
            try await poll("klines after the reconnect", timeout: 20) { seen.value.closedKlines > before }
            #expect(client.counters["disconnects"] ?? 0 >= 1)
        }
    }
}

struct MissingExecutable: Error, CustomStringConvertible {
    let path: String
    var description: String { "\(path) is missing: build it first (swift build --product \(URL(fileURLWithPath: path).lastPathComponent))" }
}

/// What the stream test saw (updated from the client's task).
final class Seen: Sendable {
    struct Value { var connections = 0; var closedKlines = 0; var depthUpdates = 0; var undecodable = 0 }
    let state = Mutex(Value())
    var value: Value { state.withLock { $0 } }

    func record(_ event: BinanceStreamClient.Event) {
        state.withLock { v in
            switch event {
            case .connected: v.connections += 1
            case .message(let m, _, _):
                switch m.event {
                case .kline(let k) where k.isClosed: v.closedKlines += 1
                case .depthUpdate: v.depthUpdates += 1
                default: break
                }
            case .undecodable: v.undecodable += 1
            default: break
            }
        }
    }
}

/// Comparison of served klines with the recorded source.
enum KlineCSVReader {
    /// Equal in every field the source has (the sample CSV lacks the last four columns, which a
    /// Binance-shaped answer must still fill).
    static func sameAsSource(_ served: Kline, _ source: Kline) -> Bool {
        served.symbol == source.symbol && served.openTime == source.openTime && served.closeTime == source.closeTime
            && served.open == source.open && served.high == source.high && served.low == source.low && served.close == source.close
            && served.volume == source.volume && served.isClosed
            && (source.quoteVolume == nil || served.quoteVolume == source.quoteVolume)
            && (source.trades == nil || served.trades == source.trades)
            && (source.takerBuyBase == nil || served.takerBuyBase == source.takerBuyBase)
            && (source.takerBuyQuote == nil || served.takerBuyQuote == source.takerBuyQuote)
    }
}
