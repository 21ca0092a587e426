import Foundation
import GradientBoosting

/// The on-disk model registry: `<directory>/<name>/<version>/metadata.json`, plus `model.txt`
/// (LightGBM's text format) beside it for tree models.
/// Loading without a version picks the lexicographically highest version directory.
public struct ModelRegistry: Sendable {
    public static let metadataFileName = "metadata.json"
    /// Tree models' LightGBM text, beside the metadata.
    public static let treesFileName = "model.txt"

    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public enum Error: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        case noSuchModel(name: String, directory: String)
        case noVersions(name: String, path: String)
        case missingFile(path: String)
        case unreadable(path: String, reason: String)
        case invalidJSON(path: String, reason: String)
        case invalidModel(path: String, ModelValidationError)
        /// `model.txt` is not a LightGBM model the evaluator can run.
        case invalidTrees(path: String, LightGBMModel.ParseError)
        /// The metadata's name or version is not the directory it is stored in.
        case locationMismatch(path: String, reason: String)
        case invalidName(String)
        case alreadyExists(path: String)
        case writeFailed(path: String, reason: String)

        public var description: String {
            switch self {
            case .noSuchModel(let name, let directory): return "no model \"\(name)\" in \(directory)"
            case .noVersions(let name, let path): return "model \"\(name)\" has no version directories in \(path)"
            case .missingFile(let path): return "missing model file \(path)"
            case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
            case .invalidJSON(let path, let reason): return "\(path) is not valid model metadata: \(reason)"
            case .invalidModel(let path, let error): return "\(path): \(error.description)"
            case .invalidTrees(let path, let error): return "\(path): \(error.description)"
            case .locationMismatch(let path, let reason): return "\(path): \(reason)"
            case .invalidName(let name):
                return "\"\(name)\" is not a usable model name or version (letters, digits, '.', '_', '-'; not '.' or '..')"
            case .alreadyExists(let path): return "\(path) already exists"
            case .writeFailed(let path, let reason): return "cannot write \(path): \(reason)"
            }
        }
    }

    /// Version directory names of a model, ascending (lexicographic).
    public func versions(of name: String) throws(Error) -> [String] {
        guard Self.isSafeComponent(name) else { throw .invalidName(name) }
        let path = modelPath(name)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .noSuchModel(name: name, directory: directory)
        }
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
        return entries.filter { entry in
            var isDir: ObjCBool = false
            return !entry.hasPrefix(".") && FileManager.default.fileExists(atPath: path + "/" + entry, isDirectory: &isDir) && isDir.boolValue
        }.sorted()
    }

    /// Loads a model; `version` nil or empty = the latest.
    public func load(name: String, version: String? = nil) throws(Error) -> Model {
        let chosen: String
        if let version, !version.isEmpty {
            guard Self.isSafeComponent(version) else { throw .invalidName(version) }
            chosen = version
        } else {
            guard let latest = try versions(of: name).last else { throw .noVersions(name: name, path: modelPath(name)) }
            chosen = latest
        }
        guard Self.isSafeComponent(name) else { throw .invalidName(name) }
        let path = metadataPath(name: name, version: chosen)
        let model = try Self.load(metadataAt: path)
        guard model.name == name, model.version == chosen else {
            throw .locationMismatch(
                path: path,
                reason: "metadata says \(model.name)/\(model.version) but is stored under \(name)/\(chosen)"
            )
        }
        return model
    }

    /// Reads and validates one metadata file, and for tree models the `model.txt` beside it.
    public static func load(metadataAt path: String) throws(Error) -> Model {
        let data = try read(path)
        let metadata = try decodeMetadata(data, path: path)
        var trees: LightGBMModel? = nil
        if let algorithm = ModelAlgorithm(rawValue: metadata.algorithm), algorithm.usesModelFile {
            let treesPath = (path as NSString).deletingLastPathComponent + "/" + treesFileName
            let text = String(decoding: try read(treesPath), as: UTF8.self)
            do {
                trees = try LightGBMModel(text: text)
            } catch {
                throw .invalidTrees(path: treesPath, error)
            }
        }
        do {
            return try Model(metadata: metadata, trees: trees)
        } catch {
            throw .invalidModel(path: path, error)
        }
    }

    static func read(_ path: String) throws(Error) -> Data {
        guard FileManager.default.fileExists(atPath: path) else { throw .missingFile(path: path) }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
    }

    /// Decodes and validates metadata JSON of a model stored inline (logistic regression); `path`
    /// only names the source in errors. Tree models fail here with a missing `model.txt`: use `load`.
    public static func decode(_ data: Data, path: String = "metadata.json") throws(Error) -> Model {
        let metadata = try decodeMetadata(data, path: path)
        do {
            return try Model(metadata: metadata)
        } catch {
            throw .invalidModel(path: path, error)
        }
    }

    /// Decodes metadata JSON without validating it as a model.
    public static func decodeMetadata(_ data: Data, path: String = "metadata.json") throws(Error) -> ModelMetadata {
        let metadata: ModelMetadata
        do {
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            metadata = try decoder.decode(ModelMetadata.self, from: data)
        } catch let error as DecodingError {
            throw .invalidJSON(path: path, reason: Self.explain(error))
        } catch {
            throw .invalidJSON(path: path, reason: String(describing: error))
        }
        return metadata
    }

    /// Pretty, key-sorted JSON of a model's metadata.
    public static func encode(_ model: Model) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return try encoder.encode(model.metadata)
        } catch {
            preconditionFailure("model metadata failed to encode: \(error)")
        }
    }

    /// Writes `<directory>/<name>/<version>/metadata.json` (and `model.txt` first for tree models),
    /// creating directories. Refuses to replace an existing version unless `overwrite`. Returns the
    /// metadata file's path.
    @discardableResult
    public func write(_ model: Model, overwrite: Bool = false) throws(Error) -> String {
        guard Self.isSafeComponent(model.name) else { throw .invalidName(model.name) }
        guard Self.isSafeComponent(model.version) else { throw .invalidName(model.version) }
        let versionPath = modelPath(model.name) + "/" + model.version
        let path = versionPath + "/" + Self.metadataFileName
        if FileManager.default.fileExists(atPath: path) && !overwrite { throw .alreadyExists(path: path) }
        do {
            try FileManager.default.createDirectory(atPath: versionPath, withIntermediateDirectories: true)
            if case .gradientBoosting(let trees) = model.parameters {
                try Data(trees.text.utf8).write(to: URL(fileURLWithPath: versionPath + "/" + Self.treesFileName), options: .atomic)
            }
            try Self.encode(model).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .writeFailed(path: path, reason: error.localizedDescription)
        }
        return path
    }

    public func metadataPath(name: String, version: String) -> String {
        modelPath(name) + "/" + version + "/" + Self.metadataFileName
    }

    func modelPath(_ name: String) -> String { directory + "/" + name }

    /// A name usable as one path component: `[A-Za-z0-9._-]+`, not `.` or `..`.
    public static func isSafeComponent(_ text: String) -> Bool {
        guard !text.isEmpty, text != ".", text != ".." else { return false }
        return text.utf8.allSatisfy { c in
            (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
                || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: ".") || c == UInt8(ascii: "_")
                || c == UInt8(ascii: "-")
        }
    }

    static func explain(_ error: DecodingError) -> String {
        func at(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "the top level" : path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key \"\(key.stringValue)\" at \(at(context.codingPath))"
        case .typeMismatch(let type, let context): return "expected \(type) at \(at(context.codingPath)): \(context.debugDescription)"
        case .valueNotFound(let type, let context): return "null where \(type) is needed at \(at(context.codingPath))"
        case .dataCorrupted(let context): return "\(context.debugDescription) at \(at(context.codingPath))"
        @unknown default: return String(describing: error)
        }
    }
}

public typealias ModelValidationError = Model.ValidationError
