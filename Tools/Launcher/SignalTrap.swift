import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
typealias sighandler_t = sig_t
#endif

/// Routes signals (SIGINT, SIGTERM) to a handler through dispatch sources while it is installed, ignores
/// others (SIGPIPE, so a closed output pipe cannot kill the launcher and orphan its children), and puts
/// the previous dispositions back when removed.
final class SignalTrap {
    private let sources: [any DispatchSourceSignal]
    private let previous: [(Int32, sighandler_t?)]

    private init(sources: [any DispatchSourceSignal], previous: [(Int32, sighandler_t?)]) {
        self.sources = sources
        self.previous = previous
    }

    /// Returns once every source is registered, so a signal sent after this returns is not lost.
    static func install(
        _ signals: [Int32], ignoring ignored: [Int32] = [], handler: @escaping @Sendable (Int32) -> Void
    ) async -> SignalTrap {
        let queue = DispatchQueue(label: "quorum.launcher.signals")
        var previous: [(Int32, sighandler_t?)] = ignored.map { ($0, signal($0, SIG_IGN)) }
        var sources: [any DispatchSourceSignal] = []
        var registrations: [OneShot<Void>] = []
        for number in signals {
            previous.append((number, signal(number, SIG_IGN)))
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            let registered = OneShot<Void>()
            source.setEventHandler { @Sendable in handler(number) }
            source.setRegistrationHandler { @Sendable in registered.fulfill(()) }
            source.resume()
            sources.append(source)
            registrations.append(registered)
        }
        for registered in registrations { _ = await registered.wait() }
        return SignalTrap(sources: sources, previous: previous)
    }

    func remove() {
        for source in sources { source.cancel() }
        for (number, handler) in previous { signal(number, handler) }
    }
}
