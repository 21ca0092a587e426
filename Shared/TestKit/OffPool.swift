import Foundation

/// Runs CPU-heavy synchronous test work (training, a month-long backtest) on a thread of its own
/// and awaits it, so that it does not occupy one of the Swift concurrency pool's threads: on a
/// 2-core machine two such tests would otherwise hold the whole pool for seconds, and every test
/// that waits on async work (a simulator starting, the launcher spawning a process) would starve.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try body() })
        }
    }
}
