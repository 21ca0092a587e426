import Foundation

/// Where things are, found from this source file's location (Shared/TestKit/ in the repository).
public enum RepositoryPaths {
    /// The repository root.
    public static let root: URL = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }()

    /// ../shared beside the repository root (real Binance data and docs); nil when it is absent.
    public static var shared: URL? {
        let url = root.deletingLastPathComponent().appendingPathComponent("shared")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// Why a test that needs ../shared is skipped, or nil when it is there.
    public static var sharedMissingReason: String? {
        shared == nil ? "skipped: ../shared (real Binance data) does not exist beside \(root.path)" : nil
    }

    /// The debug build's executables.
    public static var debugBin: URL { root.appendingPathComponent(".build/debug") }

    /// The embedded sample (BTCUSDT 5m, July and August 2024).
    public static var sampleKlines: URL { root.appendingPathComponent("data/sample/BTCUSDT-5m-2024-07-08.csv") }

    public static func executable(_ name: String) -> URL { debugBin.appendingPathComponent(name) }
}
