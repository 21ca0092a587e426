extension LightGBMModel {
    /// Why a text is not a LightGBM model this evaluator can run: the line (1-based, 0 = the text as a
    /// whole), the field, and the problem.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var line: Int
        public var field: String
        public var reason: String

        public init(line: Int, field: String, reason: String) {
            self.line = line
            self.field = field
            self.reason = reason
        }

        public var description: String {
            line > 0 ? "LightGBM model text, line \(line), \"\(field)\": \(reason)" : "LightGBM model text, \"\(field)\": \(reason)"
        }
    }
}

/// Reads LightGBM's text model format: a header of `key=value` lines (and the bare `average_output`
/// flag), then one block per tree starting at `Tree=<i>`, up to `end of trees`. What follows
/// (feature importances, parameters) is not needed for prediction and is ignored.
enum LightGBMTextParser {
    typealias ParseError = LightGBMModel.ParseError

    struct Tree {
        var splitFeatures: [Int] = []
        var thresholds: [Double] = []
        var decisionTypes: [Int] = []
        var leftChildren: [Int] = []
        var rightChildren: [Int] = []
        var leafValues: [Double] = []
        var categoryBoundaries: [Int] = [0]
        var categoryThresholds: [UInt32] = []
        var depth = 0
    }

    /// A `key=value` line with its 1-based number.
    struct Field {
        var line: Int
        var value: Substring
    }

    static func parse(_ text: String) throws(ParseError) -> LightGBMModel {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            line.hasSuffix("\r") ? line.dropLast() : line
        }
        guard let first = lines.first(where: { !$0.isEmpty }), first == "tree" else {
            throw ParseError(line: 1, field: "tree", reason: "the text does not start with LightGBM's \"tree\" line")
        }
        // Header: up to the first "Tree=" line.
        var header: [String: Field] = [:]
        var averageOutput = false
        var index = 0
        while index < lines.count, !lines[index].hasPrefix("Tree=") {
            let line = lines[index]
            if line == "end of trees" { break }
            if line == "average_output" { averageOutput = true }
            if let eq = line.firstIndex(of: "=") {
                header[String(line[..<eq])] = Field(line: index + 1, value: line[line.index(after: eq)...])
            }
            index += 1
        }
        func required(_ key: String) throws(ParseError) -> Field {
            guard let field = header[key] else { throw ParseError(line: 0, field: key, reason: "missing from the header") }
            return field
        }
        let version = try required("version")
        guard ["v2", "v3", "v4"].contains(version.value) else {
            throw ParseError(line: version.line, field: "version", reason: "\"\(version.value)\" is not a supported model format (v2, v3, v4)")
        }
        for key in ["num_class", "num_tree_per_iteration"] {
            if let field = header[key], field.value != "1" {
                throw ParseError(line: field.line, field: key, reason: "\(field.value): only single-output models (binary) are supported")
            }
        }
        let maxFeature = try required("max_feature_idx")
        guard let maxFeatureIndex = Int(maxFeature.value), maxFeatureIndex >= 0 else {
            throw ParseError(line: maxFeature.line, field: "max_feature_idx", reason: "\"\(maxFeature.value)\" is not a non-negative integer")
        }
        let objective = try parseObjective(try required("objective"))
        var featureNames = (0...maxFeatureIndex).map { "Column_\($0)" }
        if let names = header["feature_names"] {
            let parts = names.value.split(separator: " ").map(String.init)
            guard parts.count == maxFeatureIndex + 1 else {
                throw ParseError(line: names.line, field: "feature_names", reason: "\(parts.count) names for \(maxFeatureIndex + 1) features")
            }
            featureNames = parts
        }

        // Trees.
        var trees: [LightGBMTree] = []
        while index < lines.count, lines[index].hasPrefix("Tree=") {
            let start = index
            var fields: [String: Field] = [:]
            index += 1
            while index < lines.count, !lines[index].isEmpty, !lines[index].hasPrefix("Tree="), lines[index] != "end of trees" {
                let line = lines[index]
                if let eq = line.firstIndex(of: "=") {
                    fields[String(line[..<eq])] = Field(line: index + 1, value: line[line.index(after: eq)...])
                }
                index += 1
            }
            trees.append(LightGBMTree(startLine: start + 1, fields: fields))
            while index < lines.count, lines[index].isEmpty { index += 1 }
        }
        guard index < lines.count, lines[index] == "end of trees" else {
            throw ParseError(line: min(index + 1, lines.count), field: "end of trees", reason: "expected a \"Tree=\" block or \"end of trees\" (truncated text?)")
        }
        guard !trees.isEmpty else { throw ParseError(line: index + 1, field: "Tree", reason: "the model has no trees") }
        var parsed: [Tree] = []
        parsed.reserveCapacity(trees.count)
        for tree in trees { parsed.append(try tree.parse(featureCount: maxFeatureIndex + 1)) }
        return LightGBMModel(
            text: text, objective: objective, featureNames: featureNames, featureCount: maxFeatureIndex + 1,
            averageOutput: averageOutput, trees: parsed
        )
    }

    /// `binary sigmoid:1`, `cross_entropy`, `xentropy`; anything else is refused.
    static func parseObjective(_ field: Field) throws(ParseError) -> LightGBMModel.Objective {
        let parts = field.value.split(separator: " ")
        guard let name = parts.first else { throw ParseError(line: field.line, field: "objective", reason: "empty") }
        switch name {
        case "binary":
            var sigmoid = 1.0
            for part in parts.dropFirst() where part.hasPrefix("sigmoid:") {
                guard let value = Double(part.dropFirst("sigmoid:".count)), value.isFinite, value > 0 else {
                    throw ParseError(line: field.line, field: "objective", reason: "\"\(part)\" is not a positive sigmoid")
                }
                sigmoid = value
            }
            return .binary(sigmoid: sigmoid)
        case "cross_entropy", "xentropy":
            return .crossEntropy
        default:
            throw ParseError(
                line: field.line, field: "objective",
                reason: "\"\(name)\" is not supported (supported: binary, cross_entropy/xentropy)"
            )
        }
    }
}

/// One `Tree=` block's fields, validated into a `LightGBMTextParser.Tree`.
struct LightGBMTree {
    typealias ParseError = LightGBMModel.ParseError
    typealias Field = LightGBMTextParser.Field

    var startLine: Int
    var fields: [String: Field]

    func field(_ key: String) throws(ParseError) -> Field {
        guard let field = fields[key] else {
            throw ParseError(line: startLine, field: key, reason: "missing from the tree starting here")
        }
        return field
    }

    func integer(_ key: String) throws(ParseError) -> Int {
        let f = try field(key)
        guard let value = Int(f.value) else { throw ParseError(line: f.line, field: key, reason: "\"\(f.value)\" is not an integer") }
        return value
    }

    func array<T>(_ key: String, count: Int, _ convert: (Substring) -> T?) throws(ParseError) -> [T] {
        let f = try field(key)
        let parts = f.value.split(separator: " ")
        guard parts.count == count else {
            throw ParseError(line: f.line, field: key, reason: "\(parts.count) values where \(count) are needed")
        }
        var values: [T] = []
        values.reserveCapacity(count)
        for part in parts {
            guard let value = convert(part) else { throw ParseError(line: f.line, field: key, reason: "\"\(part)\" is not a valid value") }
            values.append(value)
        }
        return values
    }

    func parse(featureCount: Int) throws(ParseError) -> LightGBMTextParser.Tree {
        var tree = LightGBMTextParser.Tree()
        let leaves = try integer("num_leaves")
        guard leaves >= 1 else {
            throw ParseError(line: try field("num_leaves").line, field: "num_leaves", reason: "\(leaves) (must be ≥ 1)")
        }
        if let linear = fields["is_linear"], linear.value != "0" {
            throw ParseError(line: linear.line, field: "is_linear", reason: "linear trees (linear_tree=true) are not supported")
        }
        let categories = try fields["num_cat"] == nil ? 0 : integer("num_cat")
        let splits = leaves - 1
        tree.leafValues = try array("leaf_value", count: leaves) { Double($0) }
        if let bad = tree.leafValues.firstIndex(where: { !$0.isFinite }) {
            throw ParseError(line: try field("leaf_value").line, field: "leaf_value", reason: "value \(bad) is not finite")
        }
        guard splits > 0 else { return tree }
        tree.splitFeatures = try array("split_feature", count: splits) { Int($0) }
        tree.thresholds = try array("threshold", count: splits) { Double($0) }
        tree.decisionTypes = try array("decision_type", count: splits) { Int($0) }
        tree.leftChildren = try array("left_child", count: splits) { Int($0) }
        tree.rightChildren = try array("right_child", count: splits) { Int($0) }
        if let bad = tree.splitFeatures.firstIndex(where: { $0 < 0 || $0 >= featureCount }) {
            throw ParseError(
                line: try field("split_feature").line, field: "split_feature",
                reason: "feature \(tree.splitFeatures[bad]) at node \(bad) is outside 0..<\(featureCount)"
            )
        }
        if let bad = tree.decisionTypes.firstIndex(where: { $0 < 0 || $0 > 15 || ($0 >> 2) & 3 == 3 }) {
            throw ParseError(
                line: try field("decision_type").line, field: "decision_type",
                reason: "\(tree.decisionTypes[bad]) at node \(bad) is not a known decision type"
            )
        }
        if let bad = tree.thresholds.firstIndex(where: \.isNaN) {
            throw ParseError(line: try field("threshold").line, field: "threshold", reason: "NaN at node \(bad)")
        }
        let hasCategorical = tree.decisionTypes.contains { $0 & 1 != 0 }
        if hasCategorical || categories > 0 {
            tree.categoryBoundaries = try array("cat_boundaries", count: categories + 1) { Int($0) }
            let boundaries = tree.categoryBoundaries
            guard boundaries.first == 0, zip(boundaries, boundaries.dropFirst()).allSatisfy({ $0 <= $1 }) else {
                throw ParseError(line: try field("cat_boundaries").line, field: "cat_boundaries", reason: "must start at 0 and not decrease")
            }
            tree.categoryThresholds = try array("cat_threshold", count: boundaries.last ?? 0) { UInt32($0) }
            for k in 0..<splits where tree.decisionTypes[k] & 1 != 0 {
                let c = tree.thresholds[k]
                guard c >= 0, c < Double(categories), c == c.rounded() else {
                    throw ParseError(
                        line: try field("threshold").line, field: "threshold",
                        reason: "categorical node \(k) names bitset \(c), but there are \(categories)"
                    )
                }
            }
        }
        // Structure: every internal node and leaf reached exactly once from the root.
        let childLine = try field("left_child").line
        var seenNodes = [Bool](repeating: false, count: splits)
        var seenLeaves = [Bool](repeating: false, count: leaves)
        var stack: [(node: Int, depth: Int)] = [(0, 0)]
        seenNodes[0] = true
        while let (node, depth) = stack.popLast() {
            for child in [tree.leftChildren[node], tree.rightChildren[node]] {
                if child >= 0 {
                    guard child < splits, !seenNodes[child] else {
                        throw ParseError(line: childLine, field: "left_child/right_child", reason: "node \(node) has child \(child): out of range or reached twice")
                    }
                    seenNodes[child] = true
                    stack.append((child, depth + 1))
                } else {
                    let leaf = ~child
                    guard leaf < leaves, !seenLeaves[leaf] else {
                        throw ParseError(line: childLine, field: "left_child/right_child", reason: "node \(node) has leaf \(leaf): out of range or reached twice")
                    }
                    seenLeaves[leaf] = true
                    tree.depth = max(tree.depth, depth + 1)
                }
            }
        }
        guard !seenNodes.contains(false), !seenLeaves.contains(false) else {
            throw ParseError(line: childLine, field: "left_child/right_child", reason: "some nodes or leaves are not reachable from the root")
        }
        return tree
    }
}
