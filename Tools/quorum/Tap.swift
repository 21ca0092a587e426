import ArgumentParser
import Bus
import Foundation
import SwiftProtobuf
import Wire

/// `quorum tap [prefix ...]`: one JSON line per message: topic, header fields, payload (proto3 JSON).
struct Tap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print bus messages as JSON lines.")

    @Argument(help: "Topic prefixes (e.g. md. feat.BTCUSDT. intent.); none = everything.")
    var prefixes: [String] = []

    @Option(help: "Stop after this many messages.")
    var count: Int?

    @Option(help: "Stop after this many seconds.")
    var seconds: Double?

    @OptionGroup var bus: BusOptions

    func run() async throws {
        let context = BusContext()
        let subscriber = try BusSubscriber(context: context, endpoint: bus.subscribeEndpoint, prefixes: prefixes.isEmpty ? [""] : prefixes)
        let stop = StopFlag()
        if let seconds {
            Task { try? await Task.sleep(for: .milliseconds(Int(seconds * 1000))); stop.stop(); subscriber.close() }
        }
        let signals = SignalStop { subscriber.close() }
        defer { signals.cancel() }
        var printed = 0
        var malformed = 0
        let out = FileHandle.standardOutput
        for await raw in subscriber.messages {
            do {
                let envelope = try Envelope.decode(raw)
                out.write(Data((TapFormat.jsonLine(envelope) + "\n").utf8))
            } catch {
                malformed += 1
                let line = "{\"dropped\":\"\(error.rawValue)\",\"frames\":\(raw.frames.count),\"bytes\":\(raw.byteCount)}\n"
                FileHandle.standardError.write(Data(line.utf8))
                continue
            }
            printed += 1
            if let count, printed >= count { break }
        }
        subscriber.close()
        context.terminate()
        if malformed > 0 { FileHandle.standardError.write(Data("tap: \(malformed) malformed messages dropped\n".utf8)) }
    }
}

enum TapFormat {
    static func jsonLine(_ envelope: Envelope) -> String {
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = true
        options.alwaysPrintEnumsAsInts = false
        let header = (try? envelope.header.jsonString(options: options)) ?? "{}"
        return "{\"topic\":\(quote(envelope.topic)),\"header\":\(header),\"payload\":\(envelope.payload.jsonString())}"
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}

final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    func stop() { lock.lock(); stopped = true; lock.unlock() }
    var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }
}

/// Runs `action` once on SIGINT or SIGTERM.
final class SignalStop: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []

    init(_ action: @escaping @Sendable () -> Void) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler(handler: action)
            source.resume()
            sources.append(source)
        }
    }

    func cancel() { for source in sources { source.cancel() } }
}
