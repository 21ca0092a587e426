import Synchronization

/// Prefixes lines with a padded process name (`bus-1              | ...`) and hands them to one sink,
/// one whole line at a time.
final class OutputMultiplexer: Sendable {
    private let sink: LineSink
    private let width: Int
    private let lock = Mutex(())

    init(sink: LineSink, labels: [String]) {
        self.sink = sink
        self.width = labels.map(\.count).max() ?? 0
    }

    func prefix(_ label: String) -> String {
        label.count >= width ? "\(label) | " : label + String(repeating: " ", count: width - label.count) + " | "
    }

    func emit(_ label: String, _ lines: [String]) {
        guard !lines.isEmpty else { return }
        let prefix = prefix(label)
        lock.withLock { _ in
            for line in lines { sink.write(prefix + line) }
        }
    }
}
