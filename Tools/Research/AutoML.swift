import Foundation

/// Quorum's automatic model search (the configs' `automl`, and `vertex_automl`, which runs here,
/// locally, not on Google Cloud): candidates drawn from several model families and their
/// hyperparameters, each scored by purged, embargoed time-series cross-validation
/// (`WalkForward.purgedKFold`) on the configured objective, within a time budget. Every candidate
/// is kept on the leaderboard, failures included; the winner is refitted on all rows by the caller.
///
/// Deterministic for a seed up to the budget: candidates are drawn in a fixed order and evaluated
/// one after another until the budget or `maxCandidates` runs out; the first candidate of each
/// family (its defaults) is always evaluated first, so a short budget still compares families.
public enum AutoML {
    public enum Objective: Sendable, Hashable, CustomStringConvertible {
        /// Best precision at a threshold whose recall is at least the floor (higher is better).
        case precisionAtRecall(floor: Double)
        case auc
        /// Mean log-loss (lower is better; scored as its negative).
        case logLoss

        public var description: String {
            switch self {
            case .precisionAtRecall(let floor): "maximize-precision-at-recall (recall ≥ \(floor))"
            case .auc: "maximize-auc"
            case .logLoss: "minimize-log-loss"
            }
        }

        /// The score of out-of-fold probabilities; higher is better. nil when undefined (one class).
        public func score(probabilities: [Double], labels: [Bool]) -> Double? {
            switch self {
            case .precisionAtRecall(let floor):
                ClassificationMetrics.precisionAtRecall(scores: probabilities, labels: labels, recallFloor: floor)?.precision
            case .auc:
                ClassificationMetrics.auc(scores: probabilities, labels: labels)
            case .logLoss:
                ClassificationMetrics.logLoss(probabilities: probabilities, labels: labels).map { -$0 }
            }
        }
    }

    /// Hyperparameters of one candidate, as the family's trainer takes them (strings, as in configs).
    public typealias Parameters = [String: String]

    /// A fitted candidate: probability of the positive class for one row of features.
    public typealias Scorer = @Sendable ([Double]) -> Double

    /// A model family: how to draw its hyperparameters and how to fit them.
    public struct Family: Sendable {
        public var name: String
        /// The family's defaults, evaluated first.
        public var defaults: Parameters
        /// Draws one candidate's parameters.
        public var sample: @Sendable (inout SplitMix64) -> Parameters
        /// Fits on the rows and returns the scorer; throws when the parameters or data do not fit.
        public var fit: @Sendable (_ rows: [[Double]], _ labels: [Bool], _ parameters: Parameters) throws -> Scorer

        public init(
            name: String, defaults: Parameters, sample: @escaping @Sendable (inout SplitMix64) -> Parameters,
            fit: @escaping @Sendable (_ rows: [[Double]], _ labels: [Bool], _ parameters: Parameters) throws -> Scorer
        ) {
            self.name = name
            self.defaults = defaults
            self.sample = sample
            self.fit = fit
        }
    }

    public struct Options: Sendable {
        public var objective: Objective
        /// Wall-clock budget for the whole search.
        public var budget: Duration
        public var maxCandidates: Int
        public var folds: Int
        /// The label horizon (rows purged before each test block).
        public var labelHorizon: Int
        /// Rows left out after each test block.
        public var embargo: Int
        public var seed: UInt64

        public init(objective: Objective = .precisionAtRecall(floor: 0.2), budget: Duration, maxCandidates: Int = 1_000, folds: Int = 4, labelHorizon: Int, embargo: Int? = nil, seed: UInt64 = 1) {
            self.objective = objective
            self.budget = budget
            self.maxCandidates = maxCandidates
            self.folds = folds
            self.labelHorizon = labelHorizon
            self.embargo = embargo ?? labelHorizon
            self.seed = seed
        }
    }

    /// One line of the leaderboard.
    public struct Entry: Sendable, Hashable, Codable {
        public var rank: Int
        public var family: String
        public var parameters: [String: String]
        /// Objective per fold (nil where undefined) and their mean over the defined ones.
        public var foldScores: [Double?]
        public var score: Double?
        /// Out-of-fold AUC over every tested row, for comparison across objectives.
        public var auc: Double?
        public var seconds: Double
        public var error: String?
    }

    public struct Leaderboard: Sendable, Hashable, Codable {
        public var objective: String
        public var entries: [Entry]
        public var families: [String]
        public var budgetSeconds: Double
        public var elapsedSeconds: Double
        /// Why the search stopped: "budget", "max_candidates" or "exhausted".
        public var stoppedBy: String

        public var winner: Entry? { entries.first { $0.error == nil && $0.score != nil } }

        /// CSV: rank, family, score, auc, seconds, parameters, error.
        public var csv: String {
            var lines = ["rank,family,score,auc,seconds,parameters,error"]
            for e in entries {
                let params = e.parameters.keys.sorted().map { "\($0)=\(e.parameters[$0]!)" }.joined(separator: " ")
                let fields = ["\(e.rank)", e.family, e.score.map { String(format: "%.6f", $0) } ?? "", e.auc.map { String(format: "%.6f", $0) } ?? "",
                              String(format: "%.3f", e.seconds), params, e.error ?? ""]
                lines.append(fields.map { $0.contains(",") || $0.contains("\"") ? "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : $0 }.joined(separator: ","))
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }

    public struct SearchError: Error, Sendable, CustomStringConvertible {
        public var reason: String
        public var description: String { "automl: \(reason)" }
    }

    /// Runs the search over `rows` (time order) and their labels.
    public static func search(rows: [[Double]], labels: [Bool], families: [Family], options: Options, progress: (@Sendable (Entry) -> Void)? = nil) throws -> Leaderboard {
        guard !families.isEmpty else { throw SearchError(reason: "no model family to search") }
        guard rows.count == labels.count else { throw SearchError(reason: "\(rows.count) rows but \(labels.count) labels") }
        let splits: [(train: [Range<Int>], test: Range<Int>)]
        do {
            splits = try WalkForward.purgedKFold(rows: rows.count, k: options.folds, labelHorizon: options.labelHorizon, embargo: options.embargo)
        } catch {
            throw SearchError(reason: error.description)
        }
        let clock = ContinuousClock()
        let started = clock.now
        var rng = SplitMix64(seed: options.seed)
        // Defaults of every family first, then random draws round-robin over the families.
        var queue: [(Family, Parameters)] = families.map { ($0, $0.defaults) }
        var entries: [Entry] = []
        var stoppedBy = "max_candidates"
        var drawn = 0
        while entries.count < options.maxCandidates {
            if clock.now - started >= options.budget { stoppedBy = "budget"; break }
            if queue.isEmpty {
                let family = families[drawn % families.count]
                drawn += 1
                queue.append((family, family.sample(&rng)))
            }
            let (family, parameters) = queue.removeFirst()
            let began = clock.now
            var foldScores: [Double?] = []
            var oof: [(Double, Bool)] = []
            var failure: String?
            for split in splits {
                var trainRows: [[Double]] = []
                var trainLabels: [Bool] = []
                for range in split.train { trainRows += rows[range]; trainLabels += labels[range] }
                do {
                    let scorer = try family.fit(trainRows, trainLabels, parameters)
                    let probabilities = split.test.map { scorer(rows[$0]) }
                    let testLabels = Array(labels[split.test])
                    foldScores.append(options.objective.score(probabilities: probabilities, labels: testLabels))
                    oof += zip(probabilities, testLabels).map { ($0, $1) }
                } catch {
                    failure = "\(error)"
                    break
                }
            }
            let defined = foldScores.compactMap { $0 }
            let entry = Entry(
                rank: 0, family: family.name, parameters: parameters, foldScores: foldScores,
                score: failure == nil && !defined.isEmpty ? defined.reduce(0, +) / Double(defined.count) : nil,
                auc: failure == nil ? ClassificationMetrics.auc(scores: oof.map(\.0), labels: oof.map(\.1)) : nil,
                seconds: (clock.now - began).seconds, error: failure
            )
            entries.append(entry)
            progress?(entry)
        }
        // Rank: scored entries by score (ties: earlier first), then unscored ones.
        let ranked = entries.enumerated().sorted { a, b in
            switch (a.element.score, b.element.score) {
            case let (x?, y?): return x > y || (x == y && a.offset < b.offset)
            case (.some, .none): return true
            case (.none, .some): return false
            case (.none, .none): return a.offset < b.offset
            }
        }.map(\.element)
        return Leaderboard(
            objective: options.objective.description,
            entries: ranked.enumerated().map { var e = $1; e.rank = $0 + 1; return e },
            families: families.map(\.name), budgetSeconds: options.budget.seconds,
            elapsedSeconds: (clock.now - started).seconds, stoppedBy: stoppedBy
        )
    }
}

/// A small, fast, seedable generator (SplitMix64) for reproducible hyperparameter draws.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 10^u with u uniform in [log10(low), log10(high)].
    public mutating func logUniform(_ low: Double, _ high: Double) -> Double {
        pow(10, Double.random(in: log10(low)...log10(high), using: &self))
    }
}

extension Duration {
    /// This duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
