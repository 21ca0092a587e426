import Foundation

/// TA-Lib's time for the same features, measured in the same run by scripts/bench_talib.py.
enum TALibBench {
    /// Median milliseconds printed by the script, or nil when Python or TA-Lib is missing.
    static func milliseconds(root: URL, csv: String, bars: Int) -> Double? {
        let script = root.appendingPathComponent("scripts/bench_talib.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, csv, String(bars)]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let text = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        return Double(text.trimmingCharacters(in: .whitespaces))
    }
}
