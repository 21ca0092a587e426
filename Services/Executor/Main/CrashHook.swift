import Runtime

/// The Executor's crash-test phases (`EXECUTOR_CRASH_AT=<phase>:<n>`), in order: `received`
/// (intent decoded, not journaled), `journaled` (intent and entry order journaled, request not
/// sent), `sent` (Binance answered the entry request, the answer not yet journaled), `updated` (the
/// answer journaled, exits not yet journaled), `exit_journaled` (exit orders journaled, not sent),
/// `exit_sent` (Binance answered the exit request, not journaled); closing a position on demand
/// (exit signal or time limit): `close_journaled` (the close order journaled, nothing cancelled),
/// `cancel_sent` (Binance answered the exits' cancel, the answer not journaled), `close_sent`
/// (Binance answered the close MARKET SELL, not journaled).
enum OrderPhase: String, CaseIterable, Sendable {
    case received, journaled, sent, updated, exitJournaled = "exit_journaled", exitSent = "exit_sent"
    case closeJournaled = "close_journaled", cancelSent = "cancel_sent", closeSent = "close_sent"
}

typealias CrashHook = Runtime.CrashHook<OrderPhase>
