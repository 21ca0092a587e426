import Foundation

/// A test-only hook that kills the Executor with SIGKILL (no clean-up, exactly like `kill -9`) the
/// n-th time it reaches a named phase of order placement, so a crash test hits every phase
/// deterministically without sleeps. Env `EXECUTOR_CRASH_AT=<phase>:<n>` (unset: never).
///
/// Phases, in order: `received` (intent decoded, not journaled), `journaled` (intent and entry order
/// journaled, request not sent), `sent` (Binance answered the entry request, the answer not yet
/// journaled), `updated` (the answer journaled, exits not yet journaled), `exit_journaled` (exit
/// orders journaled, not sent), `exit_sent` (Binance answered the exit request, not journaled).
final class CrashHook: @unchecked Sendable {
    enum Phase: String, CaseIterable, Sendable {
        case received, journaled, sent, updated, exitJournaled = "exit_journaled", exitSent = "exit_sent"
    }

    private let lock = NSLock()
    private let phase: Phase?
    private let target: Int
    private var count = 0

    /// Reads `<phase>:<n>`; nil (and an error message) for anything else.
    init?(specification: String) {
        if specification.isEmpty {
            phase = nil
            target = 0
            return
        }
        let parts = specification.split(separator: ":")
        guard parts.count == 2, let phase = Phase(rawValue: String(parts[0])), let n = Int(parts[1]), n >= 1 else { return nil }
        self.phase = phase
        target = n
    }

    static let never = CrashHook(specification: "")!

    func reach(_ phase: Phase) {
        guard phase == self.phase else { return }
        lock.lock()
        count += 1
        let fire = count == target
        lock.unlock()
        if fire {
            FileHandle.standardError.write(Data("executor: crash hook: SIGKILL at phase \(phase.rawValue)\n".utf8))
            kill(getpid(), SIGKILL)
        }
    }
}
