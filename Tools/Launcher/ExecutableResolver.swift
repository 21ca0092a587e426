import Foundation

/// Finds a command's executable: a name with a `/` is a path (relative to the working directory);
/// a plain name is looked up in the bin directory, then in each `PATH` entry.
struct ExecutableResolver: Sendable {
    let binDirectory: URL?
    let path: String
    let workingDirectory: URL?

    var searchPath: [String] {
        (binDirectory.map { [$0.path] } ?? []) + path.split(separator: ":").map(String.init).filter { !$0.isEmpty }
    }

    func resolve(_ program: String) -> URL? {
        if program.contains("/") {
            let url = program.hasPrefix("/")
                ? URL(fileURLWithPath: program)
                : URL(fileURLWithPath: program, relativeTo: workingDirectory ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL
            return Self.isExecutableFile(url.path) ? url : nil
        }
        for folder in searchPath {
            let candidate = URL(fileURLWithPath: folder).appendingPathComponent(program)
            if Self.isExecutableFile(candidate.path) { return candidate.standardizedFileURL }
        }
        return nil
    }

    static func isExecutableFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
            && FileManager.default.isExecutableFile(atPath: path)
    }
}
