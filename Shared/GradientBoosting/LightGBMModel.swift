import Foundation

/// A LightGBM model read from its text format (`model.txt`, `LGBM_BoosterSaveModelToString`) and
/// evaluated natively, so that serving needs no LightGBM.
///
/// Decisions follow LightGBM's `Tree::NumericalDecision` and `Tree::CategoricalDecision`; inputs are
/// prepared as LightGBM's dense-matrix predictor prepares them (|x| ≤ kZeroThreshold becomes 0); each
/// row's raw score is the sum of its trees' leaf values in tree order, as `GBDT::PredictRaw` sums them,
/// so the result equals `LGBM_BoosterPredictForMat`'s to the last bit, not merely within a tolerance.
///
/// Trees are flattened into one contiguous node array (24-byte nodes). A leaf is a node whose
/// children are itself, so cursors can step in lockstep with compare-and-select instead of branches:
/// one row walks eight trees at once, and the batch walks eight rows through each tree at once,
/// overlapping the memory latency of the steps and avoiding mispredicted branches.
public struct LightGBMModel: Sendable {
    /// The model text as read; written back unchanged by the registry.
    public let text: String
    public let objective: Objective
    /// `feature_names`, in input order (LightGBM's `Column_<i>` when the trainer named none).
    public let featureNames: [String]
    /// Values per input row: `max_feature_idx + 1`.
    public let featureCount: Int
    /// Random forest (`boosting=rf`): the raw score is the mean of the trees, not their sum.
    public let averageOutput: Bool
    public let treeCount: Int

    /// The output transform named by the header's `objective` line.
    public enum Objective: Sendable, Hashable, CustomStringConvertible {
        /// `binary sigmoid:<s>`: p = 1 / (1 + exp(−s·raw)).
        case binary(sigmoid: Double)
        /// `cross_entropy` (alias `xentropy`): p = 1 / (1 + exp(−raw)).
        case crossEntropy

        public var description: String {
            switch self {
            case .binary(let sigmoid): "binary sigmoid:\(sigmoid)"
            case .crossEntropy: "cross_entropy"
            }
        }
    }

    /// One node of the flattened forest (24 bytes). A leaf has `left == right == ` its own index and
    /// its value in `threshold`.
    @usableFromInline
    struct Node: Sendable {
        @usableFromInline var threshold: Double
        @usableFromInline var left: Int32
        @usableFromInline var right: Int32
        @usableFromInline var feature: Int32
        @usableFromInline var flags: UInt32

        @usableFromInline static let leaf: UInt32 = 1
        @usableFromInline static let categorical: UInt32 = 2
        /// Where a NaN input goes (precomputed from the missing type, default_left and the threshold).
        @usableFromInline static let nanLeft: UInt32 = 4
        /// Missing type Zero: an input equal to 0 takes the default direction.
        @usableFromInline static let zeroIsMissing: UInt32 = 8
        @usableFromInline static let defaultLeft: UInt32 = 16
    }

    @usableFromInline let nodes: [Node]
    /// Index of each tree's root in `nodes`.
    @usableFromInline let roots: [Int32]
    /// Categorical splits: for a categorical node, `threshold` is an index `c` into these boundaries,
    /// and the bitset of categories going left is `categoryBits[boundaries[c] ..< boundaries[c+1]]`.
    @usableFromInline let categoryBoundaries: [Int32]
    @usableFromInline let categoryBits: [UInt32]
    /// Any node with missing type Zero (an input 0 then needs the general path).
    @usableFromInline let hasZeroMissing: Bool
    @usableFromInline let hasCategorical: Bool

    /// LightGBM's `kZeroThreshold` (declared `const double kZeroThreshold = 1e-35f`, hence the Float).
    public static let zeroThreshold = Double(Float(1e-35))

    // MARK: - Evaluation

    /// The probability (the objective's transform of the raw score) for one row of `featureCount` values.
    @inlinable
    public func probability(_ row: UnsafeBufferPointer<Double>) -> Double {
        transform(finish(rawScore(row)))
    }

    @inlinable
    public func probability(_ row: [Double]) -> Double {
        row.withUnsafeBufferPointer { probability($0) }
    }

    /// LightGBM's raw score for one row (`C_API_PREDICT_RAW_SCORE`): the sum of the trees. As in
    /// LightGBM, a random forest's raw score is this sum too; only the probability averages it.
    @inlinable
    public func rawScore(_ row: UnsafeBufferPointer<Double>) -> Double {
        precondition(row.count >= featureCount, "a row needs \(featureCount) values, got \(row.count)")
        return nodes.withUnsafeBufferPointer { nodes in
            rawSum(row.baseAddress!, nodes.baseAddress!)
        }
    }

    /// The trees' sum for one row, in tree order.
    @usableFromInline
    func rawSum(_ x: UnsafePointer<Double>, _ n: UnsafePointer<Node>) -> Double {
        roots.withUnsafeBufferPointer { roots in
            if isPlain(x) { return Self.plainSum(x, n, roots) }
            var sum = 0.0
            for root in roots {
                var i = Int(root)
                while n[i].flags & Node.leaf == 0 { i = Int(decide(n[i], x)) }
                sum += n[i].threshold
            }
            return sum
        }
    }

    /// One plain row through eight trees at a time: each step moves all eight cursors with a
    /// compare-and-select (a cursor at its leaf stays there) until all eight are at leaves, so the
    /// walks overlap instead of waiting on each other's loads and mispredicted branches. The eight
    /// leaf values are then added in tree order, as LightGBM adds them.
    @inline(__always)
    static func plainSum(_ x: UnsafePointer<Double>, _ n: UnsafePointer<Node>, _ roots: UnsafeBufferPointer<Int32>) -> Double {
        @inline(__always) func step(_ node: Node) -> Int {
            Int(x[Int(node.feature)] <= node.threshold ? node.left : node.right)
        }
        var sum = 0.0
        var t = 0
        let count = roots.count
        while t + 8 <= count {
            var i0 = Int(roots[t]), i1 = Int(roots[t + 1]), i2 = Int(roots[t + 2]), i3 = Int(roots[t + 3])
            var i4 = Int(roots[t + 4]), i5 = Int(roots[t + 5]), i6 = Int(roots[t + 6]), i7 = Int(roots[t + 7])
            while true {
                let a0 = n[i0], a1 = n[i1], a2 = n[i2], a3 = n[i3], a4 = n[i4], a5 = n[i5], a6 = n[i6], a7 = n[i7]
                if a0.flags & a1.flags & a2.flags & a3.flags & a4.flags & a5.flags & a6.flags & a7.flags & Node.leaf != 0 { break }
                i0 = step(a0); i1 = step(a1); i2 = step(a2); i3 = step(a3)
                i4 = step(a4); i5 = step(a5); i6 = step(a6); i7 = step(a7)
            }
            sum += n[i0].threshold; sum += n[i1].threshold; sum += n[i2].threshold; sum += n[i3].threshold
            sum += n[i4].threshold; sum += n[i5].threshold; sum += n[i6].threshold; sum += n[i7].threshold
            t += 8
        }
        while t < count {
            var i = Int(roots[t])
            while n[i].flags & Node.leaf == 0 { i = step(n[i]) }
            sum += n[i].threshold
            t += 1
        }
        return sum
    }

    /// Probabilities of `rowCount` rows stored row-major (`featureCount` values each) in `rows`, written to `output`.
    public func probabilities(rows: UnsafeBufferPointer<Double>, rowCount: Int, into output: UnsafeMutableBufferPointer<Double>) {
        rawScores(rows: rows, rowCount: rowCount, into: output)
        for r in 0..<rowCount { output[r] = transform(finish(output[r])) }
    }

    /// Probabilities of row-major rows (`rows.count` must be a multiple of `featureCount`).
    public func probabilities(rowMajor rows: [Double]) -> [Double] {
        precondition(rows.count % featureCount == 0, "\(rows.count) values are not whole rows of \(featureCount)")
        let count = rows.count / featureCount
        return [Double](unsafeUninitializedCapacity: count) { out, initialized in
            rows.withUnsafeBufferPointer { probabilities(rows: $0, rowCount: count, into: out) }
            initialized = count
        }
    }

    /// Probabilities of rows given as arrays of `featureCount` values.
    public func probabilities(_ rows: [[Double]]) -> [Double] {
        var flat: [Double] = []
        flat.reserveCapacity(rows.count * featureCount)
        for row in rows {
            precondition(row.count == featureCount, "a row needs \(featureCount) values, got \(row.count)")
            flat.append(contentsOf: row)
        }
        return probabilities(rowMajor: flat)
    }

    /// Raw scores (LightGBM's: the trees' sums) of row-major rows. Blocks of eight plain rows (no NaN, no value needing LightGBM's
    /// zero handling) go through each tree together; other rows take the one-row path.
    public func rawScores(rows: UnsafeBufferPointer<Double>, rowCount: Int, into output: UnsafeMutableBufferPointer<Double>) {
        let width = featureCount
        precondition(rows.count >= rowCount * width, "\(rows.count) values hold fewer than \(rowCount) rows of \(width)")
        precondition(output.count >= rowCount, "output holds \(output.count) of \(rowCount) results")
        guard rowCount > 0 else { return }
        let base = rows.baseAddress!
        let out = output.baseAddress!
        nodes.withUnsafeBufferPointer { nodes in
            let n = nodes.baseAddress!
            var start = 0
            while start < rowCount {
                var plainBlock = rowCount - start >= 8
                if plainBlock {
                    for r in 0..<8 where !isPlain(base + (start + r) * width) { plainBlock = false; break }
                }
                if plainBlock {
                    walkBlock(n, base + start * width, width, out + start)
                    start += 8
                } else {
                    out[start] = rawSum(base + start * width, n)
                    start += 1
                }
            }
        }
    }

    /// Eight plain rows through every tree together: each step moves the eight cursors with a
    /// compare-and-select (a cursor at its leaf stays there) until all are at leaves.
    @inline(__always)
    private func walkBlock(_ n: UnsafePointer<Node>, _ x: UnsafePointer<Double>, _ width: Int, _ out: UnsafeMutablePointer<Double>) {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0, s6 = 0.0, s7 = 0.0
        let x0 = x, x1 = x + width, x2 = x + 2 * width, x3 = x + 3 * width
        let x4 = x + 4 * width, x5 = x + 5 * width, x6 = x + 6 * width, x7 = x + 7 * width
        @inline(__always) func step(_ node: Node, _ x: UnsafePointer<Double>) -> Int {
            Int(x[Int(node.feature)] <= node.threshold ? node.left : node.right)
        }
        roots.withUnsafeBufferPointer { roots in
            for root in roots {
                var i0 = Int(root), i1 = i0, i2 = i0, i3 = i0, i4 = i0, i5 = i0, i6 = i0, i7 = i0
                while true {
                    let a0 = n[i0], a1 = n[i1], a2 = n[i2], a3 = n[i3], a4 = n[i4], a5 = n[i5], a6 = n[i6], a7 = n[i7]
                    if a0.flags & a1.flags & a2.flags & a3.flags & a4.flags & a5.flags & a6.flags & a7.flags & Node.leaf != 0 { break }
                    i0 = step(a0, x0); i1 = step(a1, x1); i2 = step(a2, x2); i3 = step(a3, x3)
                    i4 = step(a4, x4); i5 = step(a5, x5); i6 = step(a6, x6); i7 = step(a7, x7)
                }
                s0 += n[i0].threshold; s1 += n[i1].threshold; s2 += n[i2].threshold; s3 += n[i3].threshold
                s4 += n[i4].threshold; s5 += n[i5].threshold; s6 += n[i6].threshold; s7 += n[i7].threshold
            }
        }
        out[0] = s0; out[1] = s1; out[2] = s2; out[3] = s3; out[4] = s4; out[5] = s5; out[6] = s6; out[7] = s7
    }

    /// True when a plain `x <= threshold` decides every node for this row: the model has no
    /// categorical or zero-as-missing split, and no value is NaN or a nonzero within ±kZeroThreshold.
    @inlinable
    func isPlain(_ x: UnsafePointer<Double>) -> Bool {
        if hasCategorical { return false }
        let zero = Self.zeroThreshold
        for j in 0..<featureCount {
            let v = x[j]
            if v.isNaN { return false }
            if v.magnitude <= zero && (v != 0 || hasZeroMissing) { return false }
        }
        return true
    }

    /// LightGBM's `Tree::Decision` for one node and a row, with the predictor's input preparation.
    @inlinable
    func decide(_ node: Node, _ x: UnsafePointer<Double>) -> Int32 {
        var v = x[Int(node.feature)]
        if v.magnitude <= Self.zeroThreshold { v = 0 }  // the dense-row predictor drops such values (they read as 0)
        if node.flags & Node.categorical != 0 {
            // CategoricalDecision: NaN and negatives go right; others by the truncated integer's bit.
            guard !v.isNaN, v > -2_147_483_649.0, v < 2_147_483_648.0 else { return node.right }
            let category = Int32(v.rounded(.towardZero))
            guard category >= 0 else { return node.right }
            let c = Int(node.threshold)
            let lower = Int(categoryBoundaries[c]), upper = Int(categoryBoundaries[c + 1])
            let word = Int(category) / 32
            guard word < upper - lower else { return node.right }
            return (categoryBits[lower + word] >> UInt32(category % 32)) & 1 == 1 ? node.left : node.right
        }
        if v.isNaN { return node.flags & Node.nanLeft != 0 ? node.left : node.right }
        if v == 0 && node.flags & Node.zeroIsMissing != 0 {
            return node.flags & Node.defaultLeft != 0 ? node.left : node.right
        }
        return v <= node.threshold ? node.left : node.right
    }

    /// The score the objective transforms: the trees' sum, averaged for a random forest (`GBDT::Predict`).
    @inlinable
    func finish(_ sum: Double) -> Double {
        averageOutput ? sum / Double(treeCount) : sum
    }

    /// The objective's output transform of a raw score (LightGBM's `ConvertOutput`).
    @inlinable
    public func transform(_ raw: Double) -> Double {
        switch objective {
        case .binary(let sigmoid): 1.0 / (1.0 + exp(-sigmoid * raw))
        case .crossEntropy: 1.0 / (1.0 + exp(-raw))
        }
    }

    // MARK: - Construction

    init(
        text: String, objective: Objective, featureNames: [String], featureCount: Int, averageOutput: Bool,
        trees: [LightGBMTextParser.Tree]
    ) {
        self.text = text
        self.objective = objective
        self.featureNames = featureNames
        self.featureCount = featureCount
        self.averageOutput = averageOutput
        self.treeCount = trees.count
        var nodes: [Node] = []
        var roots: [Int32] = []
        var boundaries: [Int32] = [0]
        var bits: [UInt32] = []
        var zeroMissing = false
        var categorical = false
        for tree in trees {
            let base = nodes.count
            let internalCount = tree.leafValues.count - 1
            // Internal nodes first (LightGBM's indices), then leaves at base + internalCount + leaf.
            func index(_ child: Int) -> Int32 { Int32(child >= 0 ? base + child : base + internalCount + ~child) }
            let categoryOffset = Int32(boundaries.count - 1)
            for k in 0..<internalCount {
                let type = tree.decisionTypes[k]
                let missing = (type >> 2) & 3
                let isDefaultLeft = type & 2 != 0
                var flags: UInt32 = 0
                var threshold = tree.thresholds[k]
                if type & 1 != 0 {
                    flags |= Node.categorical
                    categorical = true
                    threshold = Double(Int32(threshold) + categoryOffset)
                } else {
                    // NaN: missing type NaN → default; Zero → becomes 0, which is missing → default;
                    // None → becomes 0, compared with the threshold.
                    let nanLeft = missing == 0 ? 0.0 <= threshold : isDefaultLeft
                    if nanLeft { flags |= Node.nanLeft }
                    if missing == 1 { flags |= Node.zeroIsMissing; zeroMissing = true }
                    if isDefaultLeft { flags |= Node.defaultLeft }
                }
                nodes.append(Node(
                    threshold: threshold, left: index(tree.leftChildren[k]), right: index(tree.rightChildren[k]),
                    feature: Int32(tree.splitFeatures[k]), flags: flags
                ))
            }
            for (leaf, value) in tree.leafValues.enumerated() {
                let own = Int32(base + internalCount + leaf)
                nodes.append(Node(threshold: value, left: own, right: own, feature: 0, flags: Node.leaf))
            }
            for b in tree.categoryBoundaries.dropFirst() { boundaries.append(Int32(bits.count) + Int32(b)) }
            bits.append(contentsOf: tree.categoryThresholds)
            roots.append(Int32(base))
        }
        self.nodes = nodes
        self.roots = roots
        self.categoryBoundaries = boundaries
        self.categoryBits = bits
        self.hasZeroMissing = zeroMissing
        self.hasCategorical = categorical
    }

    /// Parses LightGBM's text model format (version v2 to v4).
    public init(text: String) throws(ParseError) {
        self = try LightGBMTextParser.parse(text)
    }
}

extension LightGBMModel: Hashable {
    /// Two models are equal when their texts are: the text determines everything else.
    public static func == (lhs: LightGBMModel, rhs: LightGBMModel) -> Bool { lhs.text == rhs.text }
    public func hash(into hasher: inout Hasher) { hasher.combine(text) }
}
