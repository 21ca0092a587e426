import Bus
import Domain
import ExecutorCore
import Foundation
import Runtime
import Wire

// quorum-executor (shadow mode): intents in (intent.), klines in (md.kline.). Journals every
// intent in SQLite before acting (an intent received twice is executed once), paper-fills entries
// at the next kline's open with a fee, exits at take-profit or stop (the stop first when both are
// touched in one bar), and publishes exec.ack., exec.report.<SYM>. and exec.mark.<SYM>.
await ServiceMain.run(service: "executor") { env in
    let mode = env.string("MODE", default: "shadow", "shadow (paper fills); live arrives with the orders issue")
    let feeRate = env.decimal("FEE_RATE", default: Decimal8("0.001")!, range: Decimal8.zero...Decimal8("0.1")!, "fee per side as a fraction of notional")
    let dataDirectory = env.string("DATA_DIR", default: "./var/data", "folder of the journal (executor.sqlite)")
    let symbols = env.list("SYMBOLS", default: [], "only these symbols (empty = all)")
    if mode != "shadow" {
        env.fail("MODE=\(mode): only shadow mode exists so far; live trading arrives with the decisions-and-orders issue")
    }
    let configuration = ExecutorCore.Configuration(feeRate: feeRate)
    do { try configuration.validate() } catch let error as ExecutorCore.Configuration.ValidationError {
        for violation in error.violations { env.fail(violation) }
    }
    return { node in
        let path = (dataDirectory as NSString).appendingPathComponent("executor.sqlite")
        let journal = try Journal(path: path)
        let (intents, finished) = try journal.load()
        var core = ExecutorCore(configuration: configuration, journal: intents, finished: finished)
        node.logger.info("journal opened", metadata: ["journal.path": "\(path)", "journal.intents": "\(intents.count)", "journal.finished": "\(finished.count)"])
        let prefixes = symbols.isEmpty
            ? [Topic.Prefix.intents, Topic.Prefix.klines]
            : symbols.flatMap { [Topic.intent(symbol: $0), "\(Topic.Prefix.klines)\($0)."] }
        let inbound = try node.subscribe(prefixes + [Topic.control(service: "executor")])
        try await inbound.onReceiveThread {
            for await envelope in inbound {
                let input: ExecutorCore.Input
                do {
                    switch envelope.payload {
                    case .intent(let wire): input = .intent(try wire.domain())
                    case .kline(let wire): input = .kline(try wire.domain())
                    case .control(let control):
                        node.logger.notice("control received", metadata: ["ctl.command": "\(control.command)"])
                        continue
                    default:
                        node.dropUnexpected(envelope)
                        continue
                    }
                } catch {
                    node.drop(reason: "invalid_payload", detail: "\(error)")
                    continue
                }
                let trace = envelope.header.traceID
                let cause = envelope.causationID
                for output in core.handle(input, now: WallClock.now()) {
                    switch output {
                    case .journalIntent(let intent):
                        // Journal before acting: if this write fails, nothing after it happens.
                        let inserted = try await journal.record(intent, receivedAt: WallClock.now())
                        node.counters.increment(inserted ? "intents_journaled" : "intents_already_journaled")
                    case .ack(let ack):
                        try await journal.record(ack)
                        node.publish(.intentAck(Quorum_V1_IntentAck(ack)), topic: Topic.intentAck, eventTime: WallClock.now(), traceID: trace, causationID: cause)
                        node.counters.increment("acks_\(ack.status.rawValue)")
                    case .report(let report):
                        try await journal.record(report)
                        node.publish(.executionReport(Quorum_V1_ExecutionReport(report)), topic: Topic.executionReport(symbol: report.symbol),
                                     eventTime: report.eventTime, traceID: trace, causationID: cause)
                        node.counters.increment("fills_\(report.leg == .entry ? "entry" : report.leg == .takeProfit ? "take_profit" : "stop")")
                    case .watermark(let mark):
                        node.publish(.executionWatermark(Quorum_V1_ExecutionWatermark(mark)), topic: Topic.executionWatermark(symbol: mark.symbol),
                                     eventTime: mark.through, traceID: trace, causationID: cause)
                    }
                }
            }
        }
    }
}
