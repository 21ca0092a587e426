import Foundation

/// An ITB `talib` feature set (ITB.md §2.1): `columns`, `functions`, `windows`, optional `names`, and
/// the optional post-processing `parameters` (`rel_base`, `rel_func`, `percentage`, `log`).
///
/// It expands to one output per (function, window), named as ITB names them, and a per-bar transform
/// applied to the outputs of ONE function across its windows (in `windows` order), exactly as ITB's
/// `_convert_to_relative` and the final `np.log` do:
/// - `rel_base` `next`: output i relative to output i+1; `last`: to the last output; `prev`: to output
///   i−1; `first`: to the first output. The base itself (the last output for next/last, the first for
///   prev/first) is left as it is.
/// - `rel_func` `rel`: x/b, `diff`: x − b, `rel_diff`: (x − b)/b (required when `rel_base` is set).
/// - `percentage`: every output of the function ×100 (ITB multiplies the base too, and applies it
///   even without `rel_base`).
/// - `log`: ln of every output, last. Non-finite results (ln of ≤ 0, division by 0) are NaN, as ITB's
///   features stage turns ±inf into NaN.
///
/// ITB's `rel_base: "first"` actually divides by the LAST output (a bug); `itbFirstBaseBug` reproduces
/// it for ITB-compatible research, otherwise `first` means the first output.
public struct TalibFeatureSet: Sendable, Hashable {
    public enum RelativeBase: String, Sendable, Hashable, CaseIterable, Codable {
        case next, last, prev, first
    }

    public enum RelativeFunction: String, Sendable, Hashable, CaseIterable, Codable {
        case rel, diff
        case relDiff = "rel_diff"
    }

    /// ITB's `names`: a string goes between the function and the window (`close_SMA_<names>_3`);
    /// a list gives one name per window, verbatim.
    public enum Names: Sendable, Hashable {
        case infix(String)
        case list([String])
    }

    public var columns: [BarField]
    public var functions: [String]
    public var windows: [Int]
    public var names: Names?
    public var relativeBase: RelativeBase?
    public var relativeFunction: RelativeFunction?
    public var percentage: Bool
    public var log: Bool
    public var itbFirstBaseBug: Bool

    public init(
        columns: [BarField], functions: [String], windows: [Int], names: Names? = nil,
        relativeBase: RelativeBase? = nil, relativeFunction: RelativeFunction? = nil,
        percentage: Bool = false, log: Bool = false, itbFirstBaseBug: Bool = false
    ) {
        self.columns = columns
        self.functions = functions
        self.windows = windows
        self.names = names
        self.relativeBase = relativeBase
        self.relativeFunction = relativeFunction
        self.percentage = percentage
        self.log = log
        self.itbFirstBaseBug = itbFirstBaseBug
    }

    /// How the set is named in error messages.
    public var label: String {
        "talib set \(columns.map(\.rawValue).joined(separator: "_")) \(functions.joined(separator: ",")) \(windows.map(String.init).joined(separator: ","))"
    }

    /// The outputs' names, function by function, window by window.
    public var outputNames: [String] {
        let prefix = columns.map(\.rawValue).joined(separator: "_")
        return functions.flatMap { function in
            windows.enumerated().map { j, w in
                switch names {
                case nil: "\(prefix)_\(function)_\(w)"
                case .infix(let infix): "\(prefix)_\(function)_\(infix)_\(w)"
                case .list(let list): j < list.count ? list[j] : "\(prefix)_\(function)_\(w)"
                }
            }
        }
    }

    /// The outputs' specs (in `outputNames` order) and one transform per function, or every problem.
    func expand(catalog: FeatureCatalog) -> (specs: [FeatureSpec], transforms: [RelativeTransform], problems: [FeatureSpec.NameError]) {
        var problems: [FeatureSpec.NameError] = []
        func problem(_ reason: String) { problems.append(.init(name: label, reason: reason)) }
        if columns.isEmpty { problem("no columns") }
        if functions.isEmpty { problem("no functions") }
        if windows.isEmpty { problem("no windows") }
        if case .list(let list) = names, list.count != windows.count {
            problem("names lists \(list.count) names for \(windows.count) windows")
        }
        if case .infix(let infix) = names, infix.isEmpty { problem("names is an empty string") }
        if relativeBase != nil && relativeFunction == nil {
            problem("rel_base \(relativeBase!.rawValue) needs rel_func (one of \(RelativeFunction.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard problems.isEmpty else { return ([], [], problems) }
        let outputNames = self.outputNames
        var specs: [FeatureSpec] = []
        var transforms: [RelativeTransform] = []
        for (f, function) in functions.enumerated() {
            for (j, window) in windows.enumerated() {
                do {
                    specs.append(try FeatureSpec(name: outputNames[f * windows.count + j], inputs: columns, function: function, window: window, catalog: catalog))
                } catch {
                    problems.append(error)
                }
            }
            var transform = RelativeTransform(
                count: windows.count, base: relativeBase, function: relativeFunction ?? .rel,
                percentage: percentage, log: log, firstMeansLast: itbFirstBaseBug
            )
            transform.offset = f * windows.count
            if !transform.isIdentity { transforms.append(transform) }
        }
        return (specs, transforms, problems)
    }
}

/// ITB's post-processing of one function's outputs across its windows, applied per bar in place.
struct RelativeTransform: Sendable, Hashable {
    /// Index of the first output in the set's outputs (made absolute in the vector by the configuration).
    var offset = 0
    let count: Int
    let base: TalibFeatureSet.RelativeBase?
    let function: TalibFeatureSet.RelativeFunction
    let percentage: Bool
    let log: Bool
    let firstMeansLast: Bool

    init(count: Int, base: TalibFeatureSet.RelativeBase?, function: TalibFeatureSet.RelativeFunction, percentage: Bool, log: Bool, firstMeansLast: Bool) {
        self.count = count
        self.base = base
        self.function = function
        self.percentage = percentage
        self.log = log
        self.firstMeansLast = firstMeansLast
    }

    var isIdentity: Bool { base == nil && !percentage && !log }

    /// Transforms `values[offset ..< offset + count]` (raw indicator outputs) in place.
    func apply(_ values: UnsafeMutableBufferPointer<Double>) {
        // Bases are read from the raw outputs: keep them before overwriting (counts are small).
        withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { raw in
            for i in 0..<count { raw[i] = values[offset + i] }
            for i in 0..<count {
                var x = raw[i]
                if let base {
                    let b: Double?
                    switch base {
                    case .next: b = i == count - 1 ? nil : raw[i + 1]
                    case .last: b = i == count - 1 ? nil : raw[count - 1]
                    case .prev: b = i == 0 ? nil : raw[i - 1]
                    case .first: b = i == 0 ? nil : (firstMeansLast ? raw[count - 1] : raw[0])
                    }
                    if let b {
                        switch function {
                        case .rel: x = x / b
                        case .diff: x = x - b
                        case .relDiff: x = (x - b) / b
                        }
                    }
                }
                if percentage { x = x * 100.0 }
                if log { x = Foundation.log(x) }
                values[offset + i] = x.isFinite ? x : .nan
            }
        }
    }
}
