import Bus
import Domain
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import TestKit
import Wire

/// The live Executor (release build) against the exchange simulator on loopback: intents published
/// on the bus one at a time (each waits for its ack), MARKET entries, take-profits far away. Two
/// figures per intent: intent received → order request sent, measured inside the Executor (its
/// debug log line `latency.intent_to_send_us`: decode, journal the intent, build and journal the
/// order with fsync, sign), and bus publish → ack received here (the whole round trip: bus hop,
/// all of the above, the simulator's answer, the journal update, the ack's bus hop).
enum ExecutorBench {
    struct Result {
        var intentToSend = Samples()
        var publishToAck = Samples()
    }

    static func run(bin: URL, sample: String, intents: Int) async throws -> Result {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-bench-exec-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("data"), withIntermediateDirectories: true)
        let front = "tcp://127.0.0.1:\(freeLocalPort())", back = "tcp://127.0.0.1:\(freeLocalPort())", simPort = freeLocalPort()
        var processes: [ServiceProcess] = []
        defer { for p in processes.reversed() { p.stop() } }
        processes.append(try ServiceProcess(name: "bus", executable: bin.appendingPathComponent("quorum-bus"),
                                            environment: ["BUS_FRONTEND_BIND": front, "BUS_BACKEND_BIND": back, "LOG_LEVEL": "warning"], logDirectory: dir))
        processes.append(try ServiceProcess(name: "sim", executable: bin.appendingPathComponent("quorum-exchange-sim"), arguments: [
            "--klines", sample, "--port", String(simPort), "--speed", "0", "--start", "2024-08-02", "--book-levels", "500",
            "--timestamp-clock", "wall", "--weight-limit", "100000000", "--balance", "USDT=100000000", "--api-key", "benchKey", "--api-secret", "benchSecret",
            "--log-level", "warning",
        ], environment: [:], logDirectory: dir))
        let context = BusContext()
        defer { context.terminate() }
        let publisher = try BusPublisher(context: context, endpoint: front, identity: PublisherIdentity(service: "riskgate", instance: "bench"))
        defer { publisher.close() }
        let subscriber = try BusSubscriber(context: context, endpoint: back, prefixes: [Topic.intentAck])
        defer { subscriber.close() }
        let acks = Mutex<[String: UInt64]>([:])
        let listener = Task.detached {
            for await raw in subscriber.messages {
                if let envelope = try? Envelope.decode(raw), case .intentAck(let ack) = envelope.payload, ack.status != "duplicate" {
                    acks.withLock { $0[ack.intentID] = $0[ack.intentID] ?? DispatchTime.now().uptimeNanoseconds }
                }
            }
        }
        defer { listener.cancel() }
        try await poll("the simulator", timeout: 30, every: .milliseconds(50)) {
            (try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(simPort)/api/v3/ping")!)) != nil
        }
        let executor = try ServiceProcess(name: "executor", executable: bin.appendingPathComponent("quorum-executor"), environment: [
            "BUS_PUB_ENDPOINT": front, "BUS_SUB_ENDPOINT": back, "LOG_LEVEL": "debug", "SERVICE_INSTANCE": "executor",
            "DATA_DIR": dir.appendingPathComponent("data").path, "ENABLE_LIVE_TRADING": "1", "BINANCE_API_KEY": "benchKey",
            "BINANCE_API_SECRET": "benchSecret", "BINANCE": "sim:\(simPort)", "BINANCE_CLOCK_SYNC": "false",
            "ENTRY_TYPE": "MARKET", "EXIT_MODE": "limit+watch", "POLL_MS": "60000",
        ], logDirectory: dir)
        processes.append(executor)
        var result = Result()
        let bar = BarKey(symbol: "BTCUSDT", interval: .fiveMinutes, openTime: Timestamp(utcDate: "2024-08-02")!)
        for n in 0..<(intents + 20) {
            let now = WallClock.now()
            let intent = TradeIntent(
                id: IntentID(milliseconds: now.milliseconds, random: UInt64(n) &* 7919), bar: bar, side: .buy, division: "bench",
                quantity: Decimal8("0.001")!, referencePrice: Decimal8("65000")!, takeProfit: Decimal8("500000")!, stopLoss: Decimal8("100")!,
                createdAt: now, expiresAt: now.adding(milliseconds: 600_000), shadow: false)
            let sent = DispatchTime.now().uptimeNanoseconds
            var acked: UInt64?
            // Re-published every 100 ms until acknowledged (the first intents wait for the subscription).
            while acked == nil {
                _ = publisher.publish(.intent(Quorum_V1_TradeIntent(intent)), topic: Topic.intent(symbol: "BTCUSDT"), eventTime: now)
                let deadline = DispatchTime.now().uptimeNanoseconds + 100_000_000
                while acked == nil && DispatchTime.now().uptimeNanoseconds < deadline {
                    acked = acks.withLock { $0[intent.id.rawValue] }
                    if acked == nil { try await Task.sleep(for: .microseconds(50)) }
                }
            }
            // The first 20 warm up (connections, caches) and are left out.
            if n >= 20, let acked { result.publishToAck.add(Double(acked - sent)) }
        }
        executor.stop()
        let values = executor.log.split(separator: "\n").compactMap { line -> Double? in
            guard let range = line.range(of: "latency.intent_to_send_us=") else { return nil }
            return Double(line[range.upperBound...].prefix { $0.isNumber }).map { $0 * 1000 }
        }
        result.intentToSend = Samples(values: Array(values.dropFirst(20)))
        return result
    }
}
