import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// LightGBM's C API, loaded at run time with `dlopen` from the `lightgbm` pip wheel's
/// `lib_lightgbm.so` (TOOLCHAIN.md §6): research trains through it; serving never needs it.
///
/// Found, in order: the `LIGHTGBM_LIB` environment variable (a path to the .so); the installed Python
/// package (`python3 -c "import lightgbm"`); a few usual site-packages locations. The library stays
/// loaded for the life of the process.
public final class LightGBMLibrary: @unchecked Sendable {
    // Immutable after init: the function pointers of one dlopen'ed library.
    public typealias Handle = UnsafeMutableRawPointer

    public static let environmentVariable = "LIGHTGBM_LIB"
    public static let dtypeFloat32: Int32 = 0
    public static let dtypeFloat64: Int32 = 1
    public static let predictNormal: Int32 = 0
    public static let predictRaw: Int32 = 1

    public let path: String

    typealias GetLastError = @convention(c) () -> UnsafePointer<CChar>?
    typealias DatasetCreateFromMat = @convention(c) (
        UnsafeRawPointer?, Int32, Int32, Int32, Int32, UnsafePointer<CChar>?, Handle?, UnsafeMutablePointer<Handle?>?
    ) -> Int32
    typealias DatasetSetField = @convention(c) (Handle?, UnsafePointer<CChar>?, UnsafeRawPointer?, Int32, Int32) -> Int32
    typealias DatasetSetFeatureNames = @convention(c) (Handle?, UnsafeMutablePointer<UnsafePointer<CChar>?>?, Int32) -> Int32
    typealias BoosterCreate = @convention(c) (Handle?, UnsafePointer<CChar>?, UnsafeMutablePointer<Handle?>?) -> Int32
    typealias BoosterUpdateOneIter = @convention(c) (Handle?, UnsafeMutablePointer<Int32>?) -> Int32
    typealias BoosterSaveModelToString = @convention(c) (
        Handle?, Int32, Int32, Int32, Int64, UnsafeMutablePointer<Int64>?, UnsafeMutablePointer<CChar>?
    ) -> Int32
    typealias BoosterLoadModelFromString = @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Handle?>?) -> Int32
    typealias BoosterPredictForMat = @convention(c) (
        Handle?, UnsafeRawPointer?, Int32, Int32, Int32, Int32, Int32, Int32, Int32, UnsafePointer<CChar>?,
        UnsafeMutablePointer<Int64>?, UnsafeMutablePointer<Double>?
    ) -> Int32
    typealias Free = @convention(c) (Handle?) -> Int32

    let getLastError: GetLastError
    let datasetCreateFromMat: DatasetCreateFromMat
    let datasetSetField: DatasetSetField
    let datasetSetFeatureNames: DatasetSetFeatureNames
    let datasetFree: Free
    let boosterCreate: BoosterCreate
    let boosterUpdateOneIter: BoosterUpdateOneIter
    let boosterSaveModelToString: BoosterSaveModelToString
    let boosterLoadModelFromString: BoosterLoadModelFromString
    let boosterPredictForMat: BoosterPredictForMat
    let boosterFree: Free

    public enum LoadError: Error, Sendable, Hashable, CustomStringConvertible {
        /// No library found: the places tried.
        case notFound(tried: [String])
        case dlopenFailed(path: String, reason: String)
        case missingSymbol(path: String, symbol: String)

        public var description: String {
            switch self {
            case .notFound(let tried):
                return "LightGBM's lib_lightgbm.so is not available (run scripts/bootstrap.sh, which installs the pip package lightgbm==4.7.0, "
                    + "or set \(LightGBMLibrary.environmentVariable)=/path/to/lib_lightgbm.so); tried: \(tried.joined(separator: "; "))"
            case .dlopenFailed(let path, let reason): return "cannot load LightGBM from \(path): \(reason)"
            case .missingSymbol(let path, let symbol): return "\(path) does not export \(symbol) (LightGBM 4.x is needed)"
            }
        }
    }

    /// A failed C API call: the function and `LGBM_GetLastError()`.
    public struct CallError: Error, Sendable, Hashable, CustomStringConvertible {
        public var function: String
        public var message: String
        public var description: String { "LightGBM \(function) failed: \(message)" }
    }

    private static let cache = Cache()

    private final class Cache: @unchecked Sendable {
        let lock = NSLock()
        var byPath: [String: LightGBMLibrary] = [:]
        var discovered: Result<String, LoadError>?
    }

    /// The library at `path`, or the discovered one when nil. Loaded once per path and process.
    public static func load(path: String? = nil) throws(LoadError) -> LightGBMLibrary {
        let resolved: String
        if let path {
            resolved = path
        } else {
            cache.lock.lock()
            let known = cache.discovered
            cache.lock.unlock()
            let result = known ?? discover()
            cache.lock.lock()
            cache.discovered = result
            cache.lock.unlock()
            resolved = try result.get()
        }
        cache.lock.lock()
        defer { cache.lock.unlock() }
        if let library = cache.byPath[resolved] { return library }
        let library = try LightGBMLibrary(path: resolved)
        cache.byPath[resolved] = library
        return library
    }

    /// Whether a library can be found and loaded, and why not when it cannot (for tests that skip).
    public static var unavailableReason: String? {
        do {
            _ = try load()
            return nil
        } catch {
            return error.description
        }
    }

    /// Where the library is: `LIGHTGBM_LIB`, then Python's `lightgbm` package, then usual paths.
    static func discover() -> Result<String, LoadError> {
        var tried: [String] = []
        func isFile(_ path: String) -> Bool {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        if let path = ProcessInfo.processInfo.environment[environmentVariable], !path.isEmpty {
            if isFile(path) { return .success(path) }
            tried.append("\(environmentVariable)=\(path) (no such file)")
        } else {
            tried.append("\(environmentVariable) (not set)")
        }
        if let path = askPython() {
            if isFile(path) { return .success(path) }
            tried.append("python3 lightgbm package: \(path) (no such file)")
        } else {
            tried.append("python3 -c \"import lightgbm\" (failed)")
        }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? "/root"
        let patterns = [
            "/usr/local/lib/python3*/dist-packages/lightgbm/lib/lib_lightgbm.so",
            "/usr/lib/python3/dist-packages/lightgbm/lib/lib_lightgbm.so",
            "\(home)/.local/lib/python3*/site-packages/lightgbm/lib/lib_lightgbm.so",
            "\(home)/.pyenv/versions/*/lib/python3*/site-packages/lightgbm/lib/lib_lightgbm.so",
            "/usr/local/lib/lib_lightgbm.so",
        ]
        for pattern in patterns {
            if let path = glob(pattern).last { return .success(path) }
            tried.append(pattern)
        }
        return .failure(.notFound(tried: tried))
    }

    /// `lib/lib_lightgbm.so` beside the `lightgbm` package that `python3` imports, or nil.
    static func askPython() -> String? {
        ProcessOutput.firstLine([
            "python3", "-c",
            "import lightgbm, os; print(os.path.join(os.path.dirname(lightgbm.__file__), 'lib', 'lib_lightgbm.so'))",
        ])
    }

    static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { i in result.gl_pathv[i].map { String(cString: $0) } }.sorted()
    }

    private init(path: String) throws(LoadError) {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw .dlopenFailed(path: path, reason: dlerror().map { String(cString: $0) } ?? "unknown")
        }
        func symbol<T>(_ name: String, _: T.Type) throws(LoadError) -> T {
            guard let pointer = dlsym(handle, name) else { throw .missingSymbol(path: path, symbol: name) }
            return unsafeBitCast(pointer, to: T.self)
        }
        self.path = path
        getLastError = try symbol("LGBM_GetLastError", GetLastError.self)
        datasetCreateFromMat = try symbol("LGBM_DatasetCreateFromMat", DatasetCreateFromMat.self)
        datasetSetField = try symbol("LGBM_DatasetSetField", DatasetSetField.self)
        datasetSetFeatureNames = try symbol("LGBM_DatasetSetFeatureNames", DatasetSetFeatureNames.self)
        datasetFree = try symbol("LGBM_DatasetFree", Free.self)
        boosterCreate = try symbol("LGBM_BoosterCreate", BoosterCreate.self)
        boosterUpdateOneIter = try symbol("LGBM_BoosterUpdateOneIter", BoosterUpdateOneIter.self)
        boosterSaveModelToString = try symbol("LGBM_BoosterSaveModelToString", BoosterSaveModelToString.self)
        boosterLoadModelFromString = try symbol("LGBM_BoosterLoadModelFromString", BoosterLoadModelFromString.self)
        boosterPredictForMat = try symbol("LGBM_BoosterPredictForMat", BoosterPredictForMat.self)
        boosterFree = try symbol("LGBM_BoosterFree", Free.self)
    }

    /// Throws the last error when `rc` is not 0.
    func check(_ rc: Int32, _ function: String) throws(CallError) {
        guard rc != 0 else { return }
        let message = getLastError().map { String(cString: $0) } ?? "unknown error"
        throw CallError(function: function, message: message)
    }

    // MARK: - Calls

    /// Builds a dataset from row-major float64 rows and float32 labels (LightGBM's label type).
    func createDataset(
        rows: UnsafeBufferPointer<Double>, rowCount: Int, columnCount: Int, labels: [Float], featureNames: [String]?,
        parameters: String
    ) throws(CallError) -> Handle {
        var dataset: Handle? = nil
        try check(
            datasetCreateFromMat(
                rows.baseAddress, Self.dtypeFloat64, Int32(rowCount), Int32(columnCount), 1, parameters, nil, &dataset
            ),
            "LGBM_DatasetCreateFromMat"
        )
        guard let dataset else { throw CallError(function: "LGBM_DatasetCreateFromMat", message: "no handle returned") }
        do {
            try check(labels.withUnsafeBytes { datasetSetField(dataset, "label", $0.baseAddress, Int32(labels.count), Self.dtypeFloat32) },
                      "LGBM_DatasetSetField(label)")
            if let featureNames {
                let copies = featureNames.map { strdup($0) }
                defer { copies.forEach { free($0) } }
                var pointers: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) }
                try check(datasetSetFeatureNames(dataset, &pointers, Int32(pointers.count)), "LGBM_DatasetSetFeatureNames")
            }
        } catch {
            _ = datasetFree(dataset)
            throw error
        }
        return dataset
    }

    /// The booster's model text (all iterations).
    func modelText(_ booster: Handle) throws(CallError) -> String {
        var length: Int64 = 0
        var capacity: Int64 = 1 << 20
        var buffer = [CChar](repeating: 0, count: Int(capacity))
        try check(boosterSaveModelToString(booster, 0, -1, 0, capacity, &length, &buffer), "LGBM_BoosterSaveModelToString")
        if length > capacity {
            capacity = length
            buffer = [CChar](repeating: 0, count: Int(capacity))
            try check(boosterSaveModelToString(booster, 0, -1, 0, capacity, &length, &buffer), "LGBM_BoosterSaveModelToString")
        }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// LightGBM's own predictions (`predictType` 0: transformed, 1: raw) for row-major float64 rows of
    /// a model text, through `LGBM_BoosterLoadModelFromString` and `LGBM_BoosterPredictForMat`.
    public func predict(
        modelText: String, rows: [Double], columnCount: Int, predictType: Int32 = LightGBMLibrary.predictNormal, numThreads: Int = 1
    ) throws(CallError) -> [Double] {
        var booster: Handle? = nil
        var iterations: Int32 = 0
        try check(boosterLoadModelFromString(modelText, &iterations, &booster), "LGBM_BoosterLoadModelFromString")
        defer { _ = boosterFree(booster) }
        let rowCount = columnCount > 0 ? rows.count / columnCount : 0
        var output = [Double](repeating: .nan, count: rowCount)
        var length: Int64 = 0
        let rc = rows.withUnsafeBytes { x in
            output.withUnsafeMutableBufferPointer { out in
                boosterPredictForMat(
                    booster, x.baseAddress, Self.dtypeFloat64, Int32(rowCount), Int32(columnCount), 1, predictType, 0, -1,
                    "num_threads=\(numThreads)", &length, out.baseAddress
                )
            }
        }
        try check(rc, "LGBM_BoosterPredictForMat")
        return output
    }

    /// A loaded booster for repeated predictions (the benchmark's comparison).
    public final class Booster: @unchecked Sendable {
        let library: LightGBMLibrary
        let handle: Handle

        public init(library: LightGBMLibrary, modelText: String) throws(CallError) {
            var booster: Handle? = nil
            var iterations: Int32 = 0
            try library.check(library.boosterLoadModelFromString(modelText, &iterations, &booster), "LGBM_BoosterLoadModelFromString")
            self.library = library
            self.handle = booster!
        }

        deinit { _ = library.boosterFree(handle) }

        /// Predictions of `rowCount` row-major float64 rows into `output`.
        public func predict(
            rows: UnsafeBufferPointer<Double>, rowCount: Int, columnCount: Int, into output: UnsafeMutableBufferPointer<Double>,
            parameters: String = "num_threads=1"
        ) throws(CallError) {
            var length: Int64 = 0
            try library.check(
                library.boosterPredictForMat(
                    handle, rows.baseAddress, LightGBMLibrary.dtypeFloat64, Int32(rowCount), Int32(columnCount), 1,
                    LightGBMLibrary.predictNormal, 0, -1, parameters, &length, output.baseAddress
                ),
                "LGBM_BoosterPredictForMat"
            )
        }
    }
}
