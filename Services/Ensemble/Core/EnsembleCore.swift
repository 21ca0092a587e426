import Domain

/// Combines the models' predictions for each bar into one decision, in event time.
///
/// A bar (symbol, interval, open time) is **complete** when every configured model's prediction
/// and the bar's feature vector (its close is the reference price) have arrived. It is decided when
/// it is complete, or when a prediction for a later bar of the same series arrives, whichever comes
/// first; at most once. Decided bars are forgotten, and every bar before the newest predicted bar
/// is closed: predictions for them are late and dropped.
///
/// Only predictions close earlier bars, not feature vectors: the vector of bar B+1 takes one hop
/// fewer than the prediction of bar B (collector → features → ensemble, against collector →
/// features → predictor → ensemble), so in a fast replay it routinely overtakes it, and letting it
/// close bar B would make decisions depend on timing. A model's predictions arrive in bar order, so
/// with every model alive the decision depends on which messages exist for the bar, not on when
/// they arrive. While no prediction comes (every predictor down), bars known only from their vector
/// wait; past ``maxPendingBars`` per series the oldest is decided (as `noPredictions`).
///
/// Decision: the weighted average of the probabilities present (weights renormalized over the
/// models present, summed in model-name order). With at least one model present, a probability
/// strictly above the threshold and a known close, the bar yields ``Output/signal(_:)``; otherwise
/// ``Output/noSignal(_:)`` says why.
///
/// ```swift
/// var core = EnsembleCore(configuration: .init(models: [.init(name: "a"), .init(name: "b")]))
/// _ = core.handle(.features(vector), now: now)      // the bar exists, close known
/// _ = core.handle(.prediction(fromA), now: now)     // waiting for b
/// let outputs = core.handle(.prediction(fromB), now: now)  // complete: [.signal(...)] or [.noSignal(...)]
/// ```
public struct EnsembleCore: Sendable {
    /// A message the ensemble reads.
    public enum Input: Sendable, Hashable {
        /// One model's probability for one bar (`pred.<SYM>.<iv>.<model>.`).
        case prediction(Prediction)
        /// The bar's features: tells that the bar exists and carries its close (`feat.<SYM>.<iv>.`).
        case features(FeatureVector)
    }

    /// What the ensemble did with an input.
    public enum Output: Sendable, Hashable {
        /// The bar's weighted probability exceeded the threshold: publish on `sig.<SYM>.<iv>.`.
        case signal(EnsembleSignal)
        /// The bar was decided without a signal (for taps and counting).
        case noSignal(NoSignal)
        /// A second prediction of one model for one bar (a replica): the first one counts.
        case duplicate(Prediction)
        /// A prediction that cannot count: an unconfigured model or an invalid probability.
        case ignored(Prediction, IgnoredReason)
        /// A prediction for a bar that is already decided (or closed by a later bar).
        case late(Prediction)
    }

    /// A decided bar that gave no signal.
    public struct NoSignal: Sendable, Hashable {
        /// Why no signal.
        public enum Reason: String, Sendable, Hashable {
            /// The weighted probability did not exceed the threshold.
            case belowThreshold = "below_threshold"
            /// No configured model's prediction arrived for the bar (only its feature vector).
            case noPredictions = "no_predictions"
            /// The probability exceeded the threshold but the bar's feature vector (its close, the
            /// reference price) never arrived, so the signal could not be priced.
            case noReferencePrice = "no_reference_price"
        }

        public var bar: BarKey
        /// The weighted probability; nil when no prediction was present.
        public var probability: Double?
        /// The models counted, in name order.
        public var models: [String]
        public var reason: Reason

        public init(bar: BarKey, probability: Double?, models: [String], reason: Reason) {
            self.bar = bar
            self.probability = probability
            self.models = models
            self.reason = reason
        }
    }

    /// Why a prediction was ignored.
    public enum IgnoredReason: String, Sendable, Hashable {
        /// Its model is not in the configuration.
        case unknownModel = "unknown_model"
        /// Its probability is not a finite number in [0, 1].
        case invalidProbability = "invalid_probability"
    }

    /// A symbol and interval: the bars of one series are decided in order.
    struct SeriesKey: Hashable, Sendable {
        var symbol: String
        var intervalMilliseconds: Int64

        init(_ bar: BarKey) {
            symbol = bar.symbol
            intervalMilliseconds = bar.interval.milliseconds
        }
    }

    /// Undecided bars per series beyond which the oldest is decided without waiting.
    public static let maxPendingBars = 256

    /// An undecided bar of a series and what has arrived for it.
    struct PendingBar: Sendable {
        var bar: BarKey
        /// First probability per model name.
        var probabilities: [String: Double] = [:]
        var close: Price?
    }

    struct SeriesState: Sendable {
        /// Every bar that opens before this is decided (or was never seen and is closed).
        var closedBefore: Timestamp
        /// Undecided bars in open-time order.
        var pending: [PendingBar] = []

        func index(of openTime: Timestamp) -> Int? { pending.firstIndex { $0.bar.openTime == openTime } }
    }

    public let configuration: Configuration
    private let weights: [String: Double]
    private let modelNamesInOrder: [String]
    private var series: [SeriesKey: SeriesState] = [:]

    /// A core for a valid configuration. An invalid one is a broken invariant (the shell validates
    /// first and exits listing the violations).
    public init(configuration: Configuration) {
        do { try configuration.validate() } catch { preconditionFailure(error.description) }
        self.configuration = configuration
        var weights: [String: Double] = [:]
        for model in configuration.models { weights[model.name] = model.weight }
        self.weights = weights
        self.modelNamesInOrder = weights.keys.sorted()
    }

    /// Handles one message. `now` is not used: every decision depends on event time only.
    public mutating func handle(_ input: Input, now: Timestamp) -> [Output] {
        switch input {
        case .prediction(let prediction):
            return receive(prediction)
        case .features(let vector):
            return receive(vector)
        }
    }

    /// Number of series with an undecided bar (for metrics and tests).
    public var pendingBarCount: Int { series.values.reduce(0) { $0 + $1.pending.count } }

    private mutating func receive(_ prediction: Prediction) -> [Output] {
        guard weights[prediction.model] != nil else { return [.ignored(prediction, .unknownModel)] }
        let p = prediction.probability
        guard p.isFinite, p >= 0, p <= 1 else { return [.ignored(prediction, .invalidProbability)] }
        var outputs: [Output] = []
        let key = SeriesKey(prediction.bar)
        // A prediction for this bar closes every earlier bar of the series.
        closeBars(before: prediction.bar.openTime, of: key, into: &outputs)
        guard let index = open(prediction.bar, into: &outputs) else { return [.late(prediction)] }
        if series[key]!.pending[index].probabilities[prediction.model] != nil {
            outputs.append(.duplicate(prediction))
            return outputs
        }
        series[key]!.pending[index].probabilities[prediction.model] = p
        decideIfComplete(key, index: index, into: &outputs)
        return outputs
    }

    private mutating func receive(_ vector: FeatureVector) -> [Output] {
        var outputs: [Output] = []
        guard let index = open(vector.bar, into: &outputs) else { return [] }
        let key = SeriesKey(vector.bar)
        // A repeated vector for the bar is ignored: the first one prices it.
        if series[key]!.pending[index].close == nil {
            series[key]!.pending[index].close = vector.close
            decideIfComplete(key, index: index, into: &outputs)
        }
        return outputs
    }

    /// Decides every pending bar of the series that opens before `openTime`, oldest first, and
    /// closes the series before it.
    private mutating func closeBars(before openTime: Timestamp, of key: SeriesKey, into outputs: inout [Output]) {
        guard var state = series[key], openTime > state.closedBefore else { return }
        while let first = state.pending.first, first.bar.openTime < openTime {
            outputs.append(decide(first))
            state.pending.removeFirst()
        }
        state.closedBefore = openTime
        series[key] = state
    }

    /// The index of `bar` among its series' pending bars, adding it when new. Nil when the bar is
    /// already decided or closed (late).
    private mutating func open(_ bar: BarKey, into outputs: inout [Output]) -> Int? {
        let key = SeriesKey(bar)
        guard var state = series[key] else {
            series[key] = SeriesState(closedBefore: bar.openTime, pending: [PendingBar(bar: bar)])
            return 0
        }
        if bar.openTime < state.closedBefore { return nil }
        if let index = state.index(of: bar.openTime) { return index }
        var insertAt = state.pending.endIndex
        if let later = state.pending.firstIndex(where: { $0.bar.openTime > bar.openTime }) { insertAt = later }
        state.pending.insert(PendingBar(bar: bar), at: insertAt)
        // Bound memory while no prediction closes bars: decide the oldest.
        if state.pending.count > Self.maxPendingBars {
            let oldest = state.pending.removeFirst()
            outputs.append(decide(oldest))
            state.closedBefore = state.pending[0].bar.openTime
            insertAt -= 1
        }
        series[key] = state
        return insertAt >= 0 ? insertAt : nil
    }

    private mutating func decideIfComplete(_ key: SeriesKey, index: Int, into outputs: inout [Output]) {
        guard let pending = series[key]?.pending[index],
              pending.close != nil,
              pending.probabilities.count == weights.count
        else { return }
        // Earlier bars still pending (waiting for a vector or a model) are decided first, in order.
        for earlier in series[key]!.pending[..<index] { outputs.append(decide(earlier)) }
        outputs.append(decide(pending))
        series[key]!.pending.removeFirst(index + 1)
        series[key]!.closedBefore = pending.bar.next.openTime
    }

    /// The decision for one bar, from what arrived for it.
    private func decide(_ pending: PendingBar) -> Output {
        var weightSum = 0.0
        var weighted = 0.0
        var models: [String] = []
        for name in modelNamesInOrder {
            guard let p = pending.probabilities[name], let w = weights[name] else { continue }
            weightSum += w
            weighted += w * p
            models.append(name)
        }
        guard !models.isEmpty else {
            return .noSignal(NoSignal(bar: pending.bar, probability: nil, models: [], reason: .noPredictions))
        }
        let probability = weighted / weightSum
        guard probability > configuration.threshold else {
            return .noSignal(NoSignal(bar: pending.bar, probability: probability, models: models, reason: .belowThreshold))
        }
        guard let close = pending.close else {
            return .noSignal(NoSignal(bar: pending.bar, probability: probability, models: models, reason: .noReferencePrice))
        }
        return .signal(EnsembleSignal(
            bar: pending.bar, side: configuration.side, probability: probability,
            threshold: configuration.threshold, models: models, referencePrice: close
        ))
    }
}
