import Domain
@testable import ExchangeSim
import Foundation
import TestKit
import Testing

@Suite(.serialized)
struct StreamTests {
    /// A local book kept by Binance's documented procedure (BINANCE.md §6).
    struct LocalBook {
        var bids: [String: String] = [:]
        var asks: [String: String] = [:]
        var lastUpdateID: Int64 = 0
        var synced = false
        var applied = 0

        mutating func load(_ snapshot: JSON) {
            bids = [:]; asks = [:]
            for level in snapshot["bids"]!.arrayValue! { bids[level[0]!.stringValue!] = level[1]!.stringValue! }
            for level in snapshot["asks"]!.arrayValue! { asks[level[0]!.stringValue!] = level[1]!.stringValue! }
            lastUpdateID = snapshot["lastUpdateId"]!.intValue!
            synced = true
        }

        /// Applies one event; returns false on a gap.
        mutating func apply(_ event: JSON) -> Bool {
            let first = event["U"]!.intValue!, last = event["u"]!.intValue!
            if last <= lastUpdateID { return true }
            if first > lastUpdateID + 1 { return false }
            for level in event["b"]!.arrayValue! {
                let p = level[0]!.stringValue!, q = level[1]!.stringValue!
                bids[p] = Decimal8(q)!.isZero ? nil : q
            }
            for level in event["a"]!.arrayValue! {
                let p = level[0]!.stringValue!, q = level[1]!.stringValue!
                asks[p] = Decimal8(q)!.isZero ? nil : q
            }
            lastUpdateID = last
            applied += 1
            return true
        }
    }

    @Test func depthSnapshotAndDiffsStayInSyncForThousandsOfEvents() async throws {
        let sim = try await SimHarness.start()
        defer { Task { await sim.stop() } }
        let recorder = StreamRecorder(url: sim.wsBase + "/stream?streams=btcusdt@depth@100ms/btcusdt@depth")
        defer { recorder.stop() }
        try await poll("the stream connection", timeout: 20) { try await sim.get("/sim/state").json["connections"]?.intValue == 1 }
        try await sim.advance(milliseconds: 20_000)
        try await recorder.waitFor("the first events") { $0.count >= 2 }
        // Steps 1-3 of the procedure: buffer, then the snapshot (it is never older than the first buffered event here).
        let snapshot = try await sim.get("/api/v3/depth", "symbol=BTCUSDT&limit=5000").json
        var fast = LocalBook(), slow = LocalBook()
        fast.load(snapshot)
        slow.load(snapshot)
        var consumed = 0
        var previousFinal: [String: Int64] = [:]
        func drain() throws {
            let frames = recorder.all
            for text in frames[consumed...] {
                let frame = try JSON.parse(text)
                let stream = frame["stream"]!.stringValue!, event = frame["data"]!
                if let previous = previousFinal[stream] {
                    #expect(event["U"]!.intValue! == previous + 1, "\(stream): U must follow the previous u")
                }
                previousFinal[stream] = event["u"]!.intValue!
                let inSync = stream == "btcusdt@depth@100ms" ? fast.apply(event) : slow.apply(event)
                #expect(inSync, "gap on \(stream)")
            }
            consumed = frames.count
        }
        // A few thousand steps, with market orders that take liquidity in between.
        for round in 0..<6 {
            try await sim.advance(milliseconds: 2_500_000)  // 500 steps of 5 s
            let side = round % 2 == 0 ? "BUY" : "SELL"
            let order = try await sim.signed("POST", "/api/v3/order", [("symbol", "BTCUSDT"), ("side", side), ("type", "MARKET"), ("quantity", "0.3")])
            #expect(order.status == 200, "\(order.text)")
        }
        try await sim.advance(milliseconds: 10_000)
        let final = try await sim.get("/api/v3/depth", "symbol=BTCUSDT&limit=5000").json
        let finalID = final["lastUpdateId"]!.intValue!
        try await poll("the events up to the snapshot", timeout: 30) {
            try drain()
            return fast.lastUpdateID >= finalID && slow.lastUpdateID >= finalID
        }
        #expect(fast.applied >= 3000, "only \(fast.applied) events")
        var expected = LocalBook()
        expected.load(final)
        #expect(fast.lastUpdateID == finalID && slow.lastUpdateID == finalID)
        #expect(fast.bids == expected.bids && fast.asks == expected.asks)
        #expect(slow.bids == expected.bids && slow.asks == expected.asks)
        #expect(!expected.bids.isEmpty && !expected.asks.isEmpty)
    }

    @Test func rawStreamsAndControlMessages() async throws {
        let sim = try await SimHarness.start()
        defer { Task { await sim.stop() } }
        let raw = StreamRecorder(url: sim.wsBase + "/ws/btcusdt@bookTicker")
        defer { raw.stop() }
        try await poll("the stream connection", timeout: 20) { try await sim.get("/sim/state").json["connections"]?.intValue == 1 }
        try await sim.advance(milliseconds: 10_000)
        try await raw.waitFor("a bookTicker") { !$0.isEmpty }
        let event = try JSON.parse(raw.all[0])
        #expect(event.keys == ["u", "s", "b", "B", "a", "A"])
        raw.send("{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@aggTrade\"],\"id\":\"abc\"}")
        raw.send("not json")
        raw.send("{\"method\":\"SUBSCRIBE\",\"params\":[\"ethusdt@aggTrade\"],\"id\":7}")
        try await raw.waitFor("three replies") { $0.filter { $0.contains("\"id\"") || $0.contains("\"code\"") }.count >= 3 }
        let replies = raw.all.filter { $0.contains("\"id\"") || $0.contains("\"code\"") }.map { try! JSON.parse($0) }
        #expect(replies[0] == JSON.object([("result", .null), ("id", .string("abc"))]))
        #expect(replies[1]["code"]?.intValue == 3)
        #expect(replies[2]["code"]?.intValue == 2)
        try await sim.advance(milliseconds: 10_000)
        try await raw.waitFor("an aggTrade") { $0.contains { $0.contains("\"e\":\"aggTrade\"") } }
        // Unknown streams are refused at the upgrade.
        let refused = try await sim.get("/ws/ethusdt@depth")
        #expect(refused.status >= 400)
    }

    @Test func faultsDropGarbageAndTruncatedFramesAnd5xx() async throws {
        let sim = try await SimHarness.start()
        defer { Task { await sim.stop() } }
        let recorder = StreamRecorder(url: sim.wsBase + "/stream?streams=btcusdt@depth@100ms")
        defer { recorder.stop() }
        try await poll("the stream connection", timeout: 20) { try await sim.get("/sim/state").json["connections"]?.intValue == 1 }
        let faults = try await sim.request("POST", "/sim/faults", body: "{\"garbageFrames\":2,\"truncatedJSON\":1,\"http5xx\":1,\"http429\":1}")
        #expect(faults.json["garbageFrames"]?.intValue == 2)
        try await sim.advance(milliseconds: 30_000)
        try await recorder.waitFor("six frames") { $0.count >= 6 }
        let unparsable = recorder.all.filter { (try? JSON.parse($0)) == nil }
        #expect(unparsable.count == 3, "two garbage frames and one truncated frame")
        let limited = try await sim.get("/api/v3/time")
        #expect(limited.status == 429 && limited.code == -1003 && limited.headers.first(name: "Retry-After") != nil)
        let down = try await sim.get("/api/v3/time")
        #expect(down.status == 503 && down.code == -1008)
        _ = try await sim.request("POST", "/sim/faults", body: "{\"truncatedBodies\":1}")
        let truncated = try await sim.get("/api/v3/exchangeInfo")
        #expect(truncated.status == 200 && (try? JSON.parse(truncated.text)) == nil)
        #expect(try await sim.get("/api/v3/time").status == 200)
        // A fixed Retry-After for injected 429s (tests that must not depend on the weight minute).
        _ = try await sim.request("POST", "/sim/faults", body: "{\"http429\":1,\"http429RetryAfter\":3}")
        let fixed = try await sim.get("/api/v3/time")
        #expect(fixed.status == 429 && fixed.headers.first(name: "Retry-After") == "3")
        // An order executed but answered 503: the client must reconcile by client order id.
        _ = try await sim.request("POST", "/sim/faults", body: "{\"http5xxAfterExecute\":1}")
        let unknown = try await sim.signed("POST", "/api/v3/order", [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "MARKET"), ("quantity", "0.001"), ("newClientOrderId", "maybe")])
        #expect(unknown.status == 503)
        let found = try await sim.signed("GET", "/api/v3/order", [("symbol", "BTCUSDT"), ("origClientOrderId", "maybe")])
        #expect(found.json["status"]?.stringValue == "FILLED")
        // Dropping the streams closes the connection after a serverShutdown event.
        _ = try await sim.request("POST", "/sim/faults", body: "{\"dropStreams\":true,\"serverShutdown\":true}")
        try await poll("the connection to close", timeout: 20) { recorder.isClosed }
        #expect(recorder.all.last?.contains("serverShutdown") == true)
    }

    @Test func theMarketIsDeterministicForASeed() throws {
        var configuration = SimConfiguration(klineFiles: [.init(path: RepositoryPaths.sampleKlines.path)])
        configuration.speed = 0
        configuration.start = Timestamp(utcDate: "2024-08-05")
        let wall = ContinuousClock.now
        var a = try ExchangeState(configuration: configuration, wall: wall)
        var b = try ExchangeState(configuration: configuration, wall: wall)
        let target = Timestamp(utcDate: "2024-08-05")!.adding(milliseconds: 3 * 3_600_000)
        a.advance(to: target)
        b.advance(to: target)
        #expect(a.markets["BTCUSDT"]!.bids == b.markets["BTCUSDT"]!.bids)
        #expect(a.markets["BTCUSDT"]!.lastUpdateID == b.markets["BTCUSDT"]!.lastUpdateID)
        configuration.seed = 2
        var c = try ExchangeState(configuration: configuration, wall: wall)
        c.advance(to: target)
        #expect(c.markets["BTCUSDT"]!.bids != a.markets["BTCUSDT"]!.bids)
    }
}
