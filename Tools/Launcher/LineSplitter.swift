/// Cuts a byte stream into lines. A line longer than `maxLineLength` bytes is passed on in pieces
/// so that one runaway writer cannot hold unbounded memory. `\r\n` endings lose the `\r`.
struct LineSplitter {
    let maxLineLength: Int
    private var pending: [UInt8] = []

    init(maxLineLength: Int = 64 * 1024) {
        self.maxLineLength = maxLineLength
    }

    /// Appends bytes; returns the lines they complete.
    mutating func append(_ bytes: some Collection<UInt8>) -> [String] {
        var lines: [String] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                lines.append(Self.decode(pending))
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(byte)
                if pending.count >= maxLineLength {
                    lines.append(Self.decode(pending))
                    pending.removeAll(keepingCapacity: true)
                }
            }
        }
        return lines
    }

    /// What is left at end of stream, if anything.
    mutating func finish() -> String? {
        defer { pending.removeAll() }
        return pending.isEmpty ? nil : Self.decode(pending)
    }

    private static func decode(_ bytes: [UInt8]) -> String {
        var slice = bytes[...]
        if slice.last == UInt8(ascii: "\r") { slice = slice.dropLast() }
        return String(decoding: slice, as: UTF8.self)
    }
}
