import ArgumentParser
import Bus
import ControlAuth
import Domain
import Foundation
import Wire

/// `quorum risk status | pause | resume | ack | flatten [--division NAME]`: signed control of the
/// RiskGate over the bus (`ctl.riskgate.`). The message is signed with HMAC-SHA256 over its
/// content and a timestamp with the shared key of `QUORUM_CONTROL_KEY` (or the file named by
/// `QUORUM_CONTROL_KEY_FILE`); the gate rejects unsigned, badly signed, replayed and stale
/// messages. The gate answers with its states on `risk.state.`, which this command prints.
struct RiskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "risk",
        abstract: "Show or control the RiskGate: status, pause, resume, ack, flatten (signed with QUORUM_CONTROL_KEY).",
        subcommands: [Status.self, Pause.self, Resume.self, Ack.self, Flatten.self]
    )

    struct Options: ParsableArguments {
        @Option(help: "The division (default: the whole portfolio).")
        var division: String?

        @Option(help: "Seconds to wait for the gate's answer.")
        var timeout: Double = 5

        @Option(help: "Environment variable holding the shared control key.")
        var keyVariable: String = "QUORUM_CONTROL_KEY"

        @Option(help: "Milliseconds to wait after connecting, so the subscription is in place before sending.")
        var connectDelayMs: Int = 500

        @OptionGroup var bus: BusOptions
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print each division's state, capital, open positions and breakers.")
        @OptionGroup var options: Options
        func run() async throws { try await RiskCommand.send("status", options: options) }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Exits only (REDUCING) until resume.")
        @OptionGroup var options: Options
        func run() async throws { try await RiskCommand.send("pause", options: options) }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lift a pause or a manual halt; release the drawdown latch (portfolio).")
        @OptionGroup var options: Options
        func run() async throws { try await RiskCommand.send("resume", options: options) }
    }

    struct Ack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Acknowledge the win-rate latch (portfolio) or a division's retrain flag.")
        @OptionGroup var options: Options
        func run() async throws { try await RiskCommand.send("ack", options: options) }
    }

    struct Flatten: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Halt and ask the Executor to close the positions, until resume.")
        @OptionGroup var options: Options
        func run() async throws { try await RiskCommand.send("flatten", options: options) }
    }

    static func send(_ command: String, options: Options) async throws {
        let key: ControlKey
        do { key = try ControlKey.fromEnvironment(options.keyVariable) } catch { throw ValidationError(error.description) }
        let context = BusContext()
        defer { context.terminate() }
        let subscriber = try BusSubscriber(context: context, endpoint: options.bus.subscribeEndpoint, prefixes: [Topic.riskState])
        let publisher = try BusPublisher(
            context: context, endpoint: options.bus.publishEndpoint,
            identity: PublisherIdentity(service: "cli", instance: "risk-\(ProcessInfo.processInfo.processIdentifier)")
        )
        try await Task.sleep(for: .milliseconds(options.connectDelayMs))
        var control = Quorum_V1_Control()
        control.target = "riskgate"
        control.command = command
        if let division = options.division { control.arguments["division"] = division }
        let now = WallClock.now()
        control.arguments = ControlSignature.sign(
            target: control.target, command: command, arguments: control.arguments, key: key,
            timestampMs: now.milliseconds, nonce: String(UInt64.random(in: 0...UInt64.max), radix: 36)
        )
        publisher.publish(.control(control), topic: Topic.control(service: "riskgate"), eventTime: now)

        // Collect states until the gate confirmed the command and went quiet, or the timeout.
        let deadline = Task {
            try? await Task.sleep(for: .milliseconds(Int(options.timeout * 1000)))
            subscriber.close()
        }
        var latest: [String: RiskState] = [:]
        var order: [String] = []
        var confirmation: RiskEvent?
        var quiet: Task<Void, Never>?
        for await raw in subscriber.messages {
            guard let envelope = try? Envelope.decode(raw), case .riskState(let wire) = envelope.payload, let state = try? wire.domain() else { continue }
            if latest[state.division] == nil { order.append(state.division) }
            latest[state.division] = state
            if let event = state.events.first(where: { ($0.kind == .control || $0.kind == .controlRejected) && $0.code == command }) {
                confirmation = event
            }
            if confirmation != nil {
                // Every division answers in one burst: stop shortly after it.
                quiet?.cancel()
                quiet = Task {
                    try? await Task.sleep(for: .milliseconds(300))
                    if !Task.isCancelled { subscriber.close() }
                }
            }
        }
        deadline.cancel()
        publisher.close()
        let states = order.compactMap { latest[$0] }
        print(RiskStatusFormat.table(states))
        guard let confirmation else {
            throw RiskControlFailure(description: "no answer from the RiskGate within \(options.timeout) s: is it running, and does it have the same QUORUM_CONTROL_KEY? (rejections are counted as control_rejected in its heartbeat and logged)")
        }
        if confirmation.kind == .controlRejected { throw RiskControlFailure(description: "the RiskGate refused \(command): \(confirmation.detail)") }
        if command != "status" { print("\(command): \(confirmation.detail)") }
    }
}

/// A command the gate did not confirm (no usage text: the arguments were fine).
struct RiskControlFailure: Error, CustomStringConvertible {
    let description: String
}

/// The status table: one row per division in the gate's order (the portfolio last), then the events.
enum RiskStatusFormat {
    static func table(_ states: [RiskState]) -> String {
        guard !states.isEmpty else { return "no risk state received" }
        let header = ["division", "state", "equity", "marked", "free", "share", "open", "pnl today", "recovery", "retrain", "breakers"]
        var rows = [header]
        let sorted = states.filter { $0.division != RiskState.portfolio } + states.filter { $0.division == RiskState.portfolio }
        for s in sorted {
            rows.append([
                s.division, s.tradingState.rawValue, s.equity.compactDescription, s.markedEquity?.compactDescription ?? "-", s.freeCapital.compactDescription,
                s.capitalShare.compactDescription, String(s.openPositions), s.realizedPnLToday.compactDescription,
                s.recovery.isEmpty ? "-" : s.recovery, s.retrainRequested ? "yes" : "no", s.causes.isEmpty ? "-" : s.causes.joined(separator: ","),
            ])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in
            row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        let events = sorted.flatMap(\.events).filter { $0.kind != .control }
        for event in events {
            lines.append("  \(event.time) \(event.kind.rawValue) \(event.division.isEmpty ? "portfolio" : event.division) \(event.code): \(event.detail)")
        }
        return lines.joined(separator: "\n")
    }
}
