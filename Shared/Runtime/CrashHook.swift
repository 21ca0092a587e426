import Foundation

/// A test-only hook that kills the process with SIGKILL (no clean-up, exactly like `kill -9`) the
/// n-th time it reaches a named phase, so a crash test hits every phase deterministically without
/// sleeps. A service reads `<phase>:<n>` from its own key (`EXECUTOR_CRASH_AT`,
/// `RISKGATE_CRASH_AT`); empty means never.
public final class CrashHook<Phase: RawRepresentable & CaseIterable & Sendable>: @unchecked Sendable where Phase.RawValue == String {
    private let lock = NSLock()
    private let phase: Phase?
    private let target: Int
    private let service: String
    private var count = 0

    /// Reads `<phase>:<n>`; nil for anything else (the service lists the phases in its error).
    public init?(specification: String, service: String) {
        self.service = service
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

    /// A hook that never fires.
    public static var never: CrashHook { CrashHook(specification: "", service: "")! }

    /// The phase names, for error messages.
    public static var phaseNames: [String] { Phase.allCases.map(\.rawValue) }

    public func reach(_ phase: Phase) {
        guard let armed = self.phase, armed.rawValue == phase.rawValue else { return }
        lock.lock()
        count += 1
        let fire = count == target
        lock.unlock()
        if fire {
            FileHandle.standardError.write(Data("\(service): crash hook: SIGKILL at phase \(phase.rawValue)\n".utf8))
            kill(getpid(), SIGKILL)
        }
    }
}
