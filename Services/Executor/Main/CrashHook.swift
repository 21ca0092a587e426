import Runtime

/// The Executor's crash-test phases (`EXECUTOR_CRASH_AT=<phase>:<n>`), in order: `received`
/// (intent decoded, not journaled), `journaled` (intent and entry order journaled, request not
/// sent), `sent` (Binance answered the entry request, the answer not yet journaled), `updated` (the
/// answer journaled, exits not yet journaled), `exit_journaled` (exit orders journaled, not sent),
/// `exit_sent` (Binance answered the exit request, not journaled).
enum OrderPhase: String, CaseIterable, Sendable {
    case received, journaled, sent, updated, exitJournaled = "exit_journaled", exitSent = "exit_sent"
}

typealias CrashHook = Runtime.CrashHook<OrderPhase>
