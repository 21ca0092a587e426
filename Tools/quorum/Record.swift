import ArgumentParser
import Bus
import Foundation

/// `quorum record FILE [prefix ...]`: writes raw frames (with receive times) to a file.
struct Record: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record bus messages (raw frames) to a file.")

    @Argument(help: "Output file.")
    var file: String

    @Argument(help: "Topic prefixes; none = everything.")
    var prefixes: [String] = []

    @Option(help: "Stop after this many messages.")
    var count: Int?

    @Option(help: "Stop after this many seconds.")
    var seconds: Double?

    @OptionGroup var bus: BusOptions

    func run() async throws {
        guard FileManager.default.createFile(atPath: file, contents: Data(Recording.magic)), let handle = FileHandle(forWritingAtPath: file) else {
            throw ValidationError("cannot create \(file)")
        }
        handle.seekToEndOfFile()
        let context = BusContext()
        let subscriber = try BusSubscriber(context: context, endpoint: bus.subscribeEndpoint, prefixes: prefixes.isEmpty ? [""] : prefixes)
        if let seconds {
            Task { try? await Task.sleep(for: .milliseconds(Int(seconds * 1000))); subscriber.close() }
        }
        let signals = SignalStop { subscriber.close() }
        defer { signals.cancel() }
        var recorded = 0
        var buffer: [UInt8] = []
        for await message in subscriber.messages {
            Recording.append(message, receivedAt: WallClock.now().nanoseconds, to: &buffer)
            recorded += 1
            if buffer.count > 1 << 20 { handle.write(Data(buffer)); buffer.removeAll(keepingCapacity: true) }
            if let count, recorded >= count { break }
        }
        handle.write(Data(buffer))
        try handle.close()
        subscriber.close()
        context.terminate()
        FileHandle.standardError.write(Data("record: \(recorded) messages written to \(file)\n".utf8))
    }
}

/// `quorum replay FILE --speed X`: publishes a recording again, keeping its timing scaled by X.
struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Publish a recording to the bus again.")

    @Argument(help: "A file written by `quorum record`.")
    var file: String

    @Option(help: "Speed factor over the recorded timing; 0 = as fast as possible.")
    var speed: Double = 1

    @Option(help: "Milliseconds to wait after connecting, so subscribers' subscriptions reach this publisher.")
    var connectDelayMs: Int = 500

    @OptionGroup var bus: BusOptions

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
        let messages = try Recording.read(Array(data))
        let context = BusContext()
        let publisher = try BusPublisher(context: context, endpoint: bus.publishEndpoint, identity: PublisherIdentity(service: "replay", instance: "cli"))
        try await Task.sleep(for: .milliseconds(connectDelayMs))
        let start = WallClock.monotonicNanoseconds()
        let firstTime = messages.first?.receivedAt ?? 0
        for (receivedAt, message) in messages {
            if speed > 0 {
                let target = start + UInt64(Double(receivedAt - firstTime) / speed)
                let now = WallClock.monotonicNanoseconds()
                if target > now { try await Task.sleep(for: .nanoseconds(Int64(target - now))) }
            }
            try publisher.publishRaw(message)
        }
        publisher.close()
        context.terminate()
        FileHandle.standardError.write(Data("replay: \(messages.count) messages published\n".utf8))
    }
}
