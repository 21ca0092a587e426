import Domain
import Foundation

extension ModelConfig {
    /// The outcome of looking for a config's data on disk (`checkFiles`).
    public struct FileCheck: Sendable, Hashable {
        public var violations: [Violation]
        public var notes: [String]
        /// The kline file found, if any.
        public var klines: KlineSource?
        /// Recorded books for each order-flow feature set, in order.
        public var orderbookFiles: [[String]]

        public var isValid: Bool { violations.isEmpty }
    }

    /// A kline file and the interval of its bars when known from its name (`BTCUSDT-5m.csv`).
    public struct KlineSource: Sendable, Hashable {
        public var path: String
        /// nil when the name does not say (ITB's `klines.csv`): assumed to be the config's interval.
        public var interval: Interval?
        /// The bars are finer than the config's freq and are resampled with `KlineResampler`.
        public var needsResampling: Bool
    }

    /// Looks for the data this config needs, without reading it: the kline file (the override, else
    /// in `data_folder`: ITB's `<SYMBOL>/klines.csv`, or Quorum's `<SYMBOL>-<interval>.csv`, a finer
    /// interval that divides `freq` being resampled) and the order-flow captures. Relative paths are
    /// resolved against `overrides.baseDirectory` (default: the current directory).
    public func checkFiles(overrides: ConfigOverrides = .none) -> FileCheck {
        let fm = FileManager.default
        let base = overrides.baseDirectory ?? fm.currentDirectoryPath
        func absolute(_ path: String) -> String { ((path.hasPrefix("/") ? path : (base as NSString).appendingPathComponent(path)) as NSString).standardizingPath }
        func isFile(_ path: String) -> Bool {
            var isDirectory: ObjCBool = false
            return fm.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        var check = FileCheck(violations: [], notes: [], klines: nil, orderbookFiles: [])

        if let override = overrides.klinesBySymbol[symbol] ?? overrides.klinesFile {
            let path = absolute(override)
            if isFile(path) {
                let named = Self.seriesInterval(fileName: (path as NSString).lastPathComponent, symbol: symbol)
                check.klines = source(path: path, interval: named, check: &check, origin: "--klines")
            } else {
                check.violations.append(Violation(file: file, path: "--klines", message: "kline file \(override) does not exist (in \(base))"))
            }
        } else {
            let folder = absolute(dataFolder ?? ".")
            var tried: [String] = []
            var found: (String, Interval?)?
            let itb = dataSources.first.map { ($0.folder, $0.file) } ?? (symbol, "klines")
            let itbPath = (folder as NSString).appendingPathComponent("\(itb.0)/\(itb.1).csv")
            tried.append(itbPath)
            if isFile(itbPath) { found = (itbPath, nil) }
            if found == nil {
                let finer = Interval.all.filter { $0.milliseconds >= 60_000 && $0.milliseconds <= interval.milliseconds && interval.milliseconds % $0.milliseconds == 0 }.reversed()
                outer: for candidate in finer {
                    let exact = (folder as NSString).appendingPathComponent("\(symbol)-\(candidate.name).csv")
                    tried.append(exact)
                    if isFile(exact) { found = (exact, candidate); break }
                    let dated = CapturePatternResolver.glob((folder as NSString).appendingPathComponent("\(symbol)-\(candidate.name)-*.csv"))
                    if dated.count == 1 { found = (dated[0], candidate); break outer }
                    if dated.count > 1 {
                        check.violations.append(Violation(file: file, path: "data_folder", message: "\(dated.count) kline files match \(symbol)-\(candidate.name)-*.csv in \(folder); choose one with --klines FILE"))
                        break outer
                    }
                }
            }
            if let (path, named) = found {
                check.klines = source(path: path, interval: named, check: &check, origin: "data_folder")
            } else if check.violations.isEmpty {
                let parquet = (folder as NSString).appendingPathComponent("\(itb.0)/\(itb.1).parquet")
                let hint = isFile(parquet) ? " (\(parquet) exists, but Quorum reads kline CSV files, not Parquet)" : ""
                check.violations.append(Violation(
                    file: file, path: "data_folder",
                    message: "no kline file for \(symbol) \(interval): looked for \(tried.map { CapturePatternResolver.relative($0, to: base) }.joined(separator: ", "))\(hint); pass --data-folder DIR or --klines FILE"
                ))
            }
        }

        for (i, set) in featureSets.enumerated() {
            guard case .orderFlow(let flow) = set.generator else { continue }
            do {
                let resolution = try CapturePatternResolver.resolve(pattern: flow.orderbookPattern, relativeTo: base)
                check.orderbookFiles.append(resolution.files)
                if let note = resolution.note { check.notes.append("feature_sets[\(i)].config.orderbook_pattern: " + note) }
            } catch {
                check.orderbookFiles.append([])
                check.violations.append(contentsOf: error.violations.map {
                    Violation(file: file, path: "feature_sets[\(i)].config.\($0.path)", message: $0.message)
                })
            }
        }
        return check
    }

    func source(path: String, interval named: Interval?, check: inout FileCheck, origin: String) -> KlineSource? {
        guard let named else { return KlineSource(path: path, interval: nil, needsResampling: false) }
        if named == interval { return KlineSource(path: path, interval: named, needsResampling: false) }
        if let reason = KlineResampler.check(source: named, target: interval) {
            check.violations.append(Violation(file: file, path: origin, message: "\((path as NSString).lastPathComponent) holds \(named) bars: \(reason)"))
            return nil
        }
        check.notes.append("\((path as NSString).lastPathComponent) holds \(named) bars: resampled to \(interval) exactly as Binance aggregates klines (incomplete buckets dropped)")
        return KlineSource(path: path, interval: named, needsResampling: true)
    }

    /// `SYMBOL-INTERVAL[-anything].csv` of this symbol → the interval.
    static func seriesInterval(fileName: String, symbol: String) -> Interval? {
        var name = Substring(fileName)
        for ext in [".gz", ".csv"] where name.hasSuffix(ext) { name = name.dropLast(ext.count) }
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0] == symbol else { return nil }
        return Interval(String(parts[1]))
    }
}
