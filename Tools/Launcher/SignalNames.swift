#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Signal names and numbers for log lines and `stop_signal`.
public enum SignalNames {
    private static let table: [(String, Int32)] = [
        ("HUP", SIGHUP), ("INT", SIGINT), ("QUIT", SIGQUIT), ("ILL", SIGILL), ("TRAP", SIGTRAP),
        ("ABRT", SIGABRT), ("BUS", SIGBUS), ("FPE", SIGFPE), ("KILL", SIGKILL), ("USR1", SIGUSR1),
        ("SEGV", SIGSEGV), ("USR2", SIGUSR2), ("PIPE", SIGPIPE), ("ALRM", SIGALRM), ("TERM", SIGTERM),
        ("CHLD", SIGCHLD), ("CONT", SIGCONT), ("STOP", SIGSTOP), ("TSTP", SIGTSTP), ("TTIN", SIGTTIN),
        ("TTOU", SIGTTOU), ("URG", SIGURG), ("XCPU", SIGXCPU), ("XFSZ", SIGXFSZ), ("VTALRM", SIGVTALRM),
        ("PROF", SIGPROF), ("WINCH", SIGWINCH), ("SYS", SIGSYS),
    ]

    /// `SIGTERM` for 15; `signal 42` for numbers without a name.
    public static func name(_ number: Int32) -> String {
        table.first { $0.1 == number }.map { "SIG\($0.0)" } ?? "signal \(number)"
    }

    /// Accepts `SIGTERM`, `TERM`, `sigterm` or `15`.
    public static func number(_ text: String) -> Int32? {
        if let number = Int32(text), number > 0 { return number }
        var upper = text.uppercased()
        if upper.hasPrefix("SIG") { upper.removeFirst(3) }
        return table.first { $0.0 == upper }?.1
    }
}
