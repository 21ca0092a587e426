import Bus
import CollectorCore
import Domain
import Foundation
import Runtime
import Wire

// quorum-collector, two modes (Services/Collector/README.md):
// - replay (the default without BINANCE): publishes the closed klines of a recorded CSV on
//   md.kline.<SYM>.<iv>. as if live, at REPLAY_SPEED bars per second. Before replaying it waits
//   until every service named in REPLAY_WAIT_FOR_SUBSCRIBERS has been up (heartbeating) for
//   REPLAY_SETTLE_MS, so no kline is published before its subscribers listen.
// - live (MODE=live, or BINANCE set): Binance (or the simulator) through REST and the combined
//   stream: klines exactly once, books, trades, the SQLite history and its REP socket (LiveMode.swift).
await ServiceMain.run(service: "collector") { env in
    let binance = env.string("BINANCE", default: "", "live mode: production, testnet, sim:<port>, sim:<host>:<port> or <rest-url>|<ws-url>")
    let mode = env.string("MODE", default: binance.isEmpty ? "replay" : "live", "replay (a kline CSV) or live (Binance or the simulator)")
    switch mode {
    case "live":
        return LiveMode.configure(&env, binance: binance.isEmpty ? "production" : binance)
    case "replay":
        return replayMode(&env)
    default:
        env.fail("MODE=\"\(mode)\" must be replay or live")
        return { _ in }
    }
}

func replayMode(_ env: inout EnvironmentReader) -> ServiceMain.Body {
    let file = env.requiredString("REPLAY_FILE", "kline CSV to replay (Binance layout)")
    let symbol = env.string("SYMBOL", default: "BTCUSDT", "symbol of the series")
    let interval = env.interval("INTERVAL", default: .fiveMinutes, "kline interval of the series")
    let speed = env.double("REPLAY_SPEED", default: 1000, range: 0...1_000_000, "bars per second; 0 = as fast as possible")
    let fromText = env.string("REPLAY_FROM", default: "", "first UTC day to replay (YYYY-MM-DD), inclusive")
    let toText = env.string("REPLAY_TO", default: "", "UTC day to stop before (YYYY-MM-DD), exclusive")
    let waitFor = env.list("REPLAY_WAIT_FOR_SUBSCRIBERS", default: [], "services whose heartbeats must be seen before replaying: service or service:N (N distinct instances, e.g. predictor:2 for two models)")
    var waitCounts: [String: Int] = [:]
    for entry in waitFor {
        let parts = entry.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 1, !parts[0].isEmpty { waitCounts[parts[0]] = max(waitCounts[parts[0]] ?? 0, 1); continue }
        if parts.count == 2, !parts[0].isEmpty, let n = Int(parts[1]), n >= 1 { waitCounts[parts[0]] = max(waitCounts[parts[0]] ?? 0, n); continue }
        env.fail("REPLAY_WAIT_FOR_SUBSCRIBERS: \"\(entry)\" is not service or service:N (N ≥ 1)")
    }
    let settleMs = env.int("REPLAY_SETTLE_MS", default: 500, range: 0...60_000, "uptime a waited-for service must report")
    let waitTimeoutMs = env.int("REPLAY_WAIT_TIMEOUT_MS", default: 60_000, range: 0...3_600_000, "give up waiting after this long and replay anyway")
    var from: Timestamp? = nil, to: Timestamp? = nil
    if !fromText.isEmpty { from = Timestamp(utcDate: fromText); if from == nil { env.fail("REPLAY_FROM=\"\(fromText)\" is not a YYYY-MM-DD date") } }
    if !toText.isEmpty { to = Timestamp(utcDate: toText); if to == nil { env.fail("REPLAY_TO=\"\(toText)\" is not a YYYY-MM-DD date") } }
    if let from, let to, from >= to { env.fail("REPLAY_FROM must be before REPLAY_TO") }
    if !file.isEmpty && !FileManager.default.fileExists(atPath: file) { env.fail("REPLAY_FILE=\"\(file)\" does not exist") }

    let range = (from ?? Timestamp(nanoseconds: Int64.min))..<(to ?? Timestamp(nanoseconds: Int64.max))
    let awaited = waitCounts
    return { node in
        let klines: [Kline]
        do {
            klines = try KlineCSV.read(path: file, symbol: symbol, interval: interval, openTimes: range)
        } catch {
            node.logger.critical("cannot read the replay file", metadata: ["error": "\(error)"])
            throw error
        }
        node.logger.info("replay loaded", metadata: ["replay.klines": "\(klines.count)", "replay.file": "\(file)", "replay.speed": "\(speed)"])
        ServiceMain.status.set("waiting")
        if !awaited.isEmpty {
            await waitForServices(node: node, counts: awaited, settleMs: Int64(settleMs), timeoutMs: waitTimeoutMs)
        }
        ServiceMain.status.set("replaying")
        var replay = KlineReplay(klines: klines, barsPerSecond: speed)
        var guardian = KlineSeriesGuard()
        let topic = Topic.kline(symbol: symbol, interval: interval.name)
        while !replay.isFinished && !Task.isCancelled {
            let now = WallClock.monotonicNanoseconds()
            let due = replay.due(atMonotonic: now)
            for kline in due {
                switch guardian.check(kline) {
                case .accept:
                    node.publish(.kline(Quorum_V1_Kline(kline)), topic: topic, eventTime: kline.closeTime,
                                 traceID: "\(kline.symbol).\(kline.interval.name).\(kline.openTime.milliseconds)")
                    node.counters.increment("klines_published")
                case .reject(let reason):
                    node.drop(reason: reason, detail: "kline \(kline.bar)")
                }
            }
            if let offset = replay.nextDueOffsetNanoseconds(), let start = replay.startedAt {
                let target = start + offset
                let current = WallClock.monotonicNanoseconds()
                if target > current { try? await Task.sleep(for: .nanoseconds(Int64(target - current))) }
            } else {
                await Task.yield()
            }
        }
        node.counters.set("series_gaps", to: UInt64(guardian.gaps))
        ServiceMain.status.set("done")
        node.logger.info("replay done", metadata: ["replay.published": "\(node.counters["klines_published"])"])
        await waitForShutdown()
    }
}

/// Waits until each named service has heartbeated with at least `settleMs` of uptime, from at
/// least its count of distinct instances.
func waitForServices(node: BusNode, counts: [String: Int], settleMs: Int64, timeoutMs: Int) async {
    guard let inbound = try? node.subscribe([Topic.Prefix.heartbeats]) else { return }
    let deadline = WallClock.monotonicNanoseconds() + UInt64(timeoutMs) * 1_000_000
    let ready = ReadySet(counts: counts)
    let timeout = Task {
        while WallClock.monotonicNanoseconds() < deadline && !Task.isCancelled { try? await Task.sleep(for: .milliseconds(100)) }
        if !Task.isCancelled { ready.timedOut() }
    }
    await inbound.onReceiveThread {
        for await envelope in inbound {
            if ready.isTimedOut { break }
            guard case .heartbeat(let hb) = envelope.payload, counts[hb.service] != nil, hb.uptimeMs >= settleMs else { continue }
            if ready.insert(service: hb.service, instance: hb.instance) { break }
        }
    }
    timeout.cancel()
    inbound.close()
    let names = counts.keys.sorted().map { counts[$0]! > 1 ? "\($0):\(counts[$0]!)" : $0 }
    if ready.isTimedOut {
        node.logger.warning("replaying without every subscriber", metadata: ["missing": "\(ready.missing)"])
    } else {
        node.logger.info("subscribers ready", metadata: ["services": "\(names)"])
    }
}

/// Instances seen per awaited service.
final class ReadySet: @unchecked Sendable {
    private let lock = NSLock()
    private let counts: [String: Int]
    private var seen: [String: Set<String>] = [:]
    private var expired = false
    init(counts: [String: Int]) { self.counts = counts }
    /// Records a heartbeat; true once every service has its count of instances.
    func insert(service: String, instance: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        seen[service, default: []].insert(instance)
        return counts.allSatisfy { (seen[$0.key]?.count ?? 0) >= $0.value }
    }
    /// Services short of their count, with how many instances were seen.
    var missing: [String] {
        lock.lock(); defer { lock.unlock() }
        return counts.keys.sorted().compactMap { name in
            let have = seen[name]?.count ?? 0
            return have >= counts[name]! ? nil : "\(name) (\(have)/\(counts[name]!))"
        }
    }
    func timedOut() { lock.lock(); expired = true; lock.unlock() }
    var isTimedOut: Bool { lock.lock(); defer { lock.unlock() }; return expired }
}
