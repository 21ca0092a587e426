import Domain
import Foundation

/// Combines the models' predictions for each bar into one decision, in event time.
///
/// A bar (symbol, interval, open time) is **complete** when every configured model's prediction
/// and the bar's feature vector (its close is the reference price) have arrived. It is decided when
/// it is complete, or once every model has either predicted it or predicted a later bar of the
/// series (and at least one has moved past it), whichever comes first; at most once. Each model's
/// predictions arrive in bar order, so a model that predicted a later bar will never predict this
/// one (a predictor skips a bar whose features it lacks): the decision depends on which messages
/// exist for the bar, not on which predictor runs ahead. A model that stops predicting (its
/// predictor is down) would hold the series back: ``Input/timeout`` (the shell sends it when bars
/// have waited for a lagging model too long in wall time, ``hasLaggingBars``) decides every bar
/// some model has moved past, with the models present. Decided bars are forgotten and closed:
/// predictions for them are late and dropped.
///
/// Only predictions close earlier bars, not feature vectors: the vector of bar B+1 takes one hop
/// fewer than the prediction of bar B (collector → features → ensemble, against collector →
/// features → predictor → ensemble), so in a fast replay it routinely overtakes it, and letting it
/// close bar B would make decisions depend on timing. A model's predictions arrive in bar order, so
/// with every model alive the decision depends on which messages exist for the bar, not on when
/// they arrive. While no prediction comes (every predictor down), bars known only from their vector
/// wait; past ``maxPendingBars`` per series the oldest is decided (as `noPredictions`).
///
/// Decision (``Configuration/Mode``): in `vote` mode the weighted average of the entry models'
/// probabilities present (weights renormalized over the models present, summed in model-name
/// order; a missing model's weight is renormalised away). In `route` and `route_then_vote` the
/// reference symbol's σ (its `vol_sigma`, ``Configuration/Router``) picks the division allowed to
/// open positions: calm → the calm division, normal → the normal division, storm → only the storm
/// models (none by default); `route` lets the division's leading models decide, `route_then_vote`
/// its weighted vote. In `route` modes a bar is complete only once the reference bar that routes it
/// has arrived. `stack` feeds the entry probabilities to a logistic-regression meta-model.
/// The "low" models veto an entry when their weighted probability exceeds the veto threshold, and
/// make the bar an exit signal when it exceeds the exit threshold (``Configuration/Veto``).
/// With a probability strictly above the threshold, no veto and a known close, the bar yields
/// ``Output/signal(_:)`` carrying its attribution; otherwise ``Output/noSignal(_:)`` says why.
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
        /// Stop waiting for lagging models: decide every pending bar that some model has already
        /// moved past, with the predictions present (the missing models are counted).
        case timeout
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
        public enum Reason: String, Sendable, Hashable, CaseIterable {
            /// The weighted probability did not exceed the threshold.
            case belowThreshold = "below_threshold"
            /// No configured model's prediction arrived for the bar (only its feature vector).
            case noPredictions = "no_predictions"
            /// The probability exceeded the threshold but the bar's feature vector (its close, the
            /// reference price) never arrived, so the signal could not be priced.
            case noReferencePrice = "no_reference_price"
            /// The entry vote passed but the "low" models' weighted probability exceeded the veto threshold.
            case vetoed
            /// Route modes: the reference symbol's σ for the bar never arrived (or lacked the feature).
            case noRegime = "no_regime"
            /// Route modes: σ is in the storm regime and no model may open positions there.
            case stormHalt = "storm_halt"
            /// Route modes: no model of the division the regime allows had a prediction for the bar.
            case noModelForRegime = "no_model_for_regime"
            /// Stack mode: an input of the meta-model had no prediction for the bar.
            case stackInputMissing = "stack_input_missing"
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
    private let modelsByName: [String: Configuration.Model]
    private let modelNamesInOrder: [String]
    /// Route mode: each division's leading entry models.
    private let leaders: [String: Set<String>]
    private var series: [SeriesKey: SeriesState] = [:]
    /// Route modes: σ of the reference symbol by the open time (ms) of its bar; nil = the vector
    /// arrived without the σ feature (or with a non-finite value). Bounded (oldest dropped).
    private var referenceSigmas: [Int64: Double?] = [:]
    /// Reference open times in arrival order, to bound ``referenceSigmas``.
    private var referenceOrder: [Int64] = []
    /// Per series and model: the newest bar (open time) the model predicted.
    private var latestPrediction: [SeriesKey: [String: Timestamp]] = [:]
    /// Per series: models a timeout gave up on; waited for again from their next prediction.
    private var downModels: [SeriesKey: Set<String>] = [:]
    /// Per series and model: how many consecutive decided bars lacked the model's prediction.
    private var consecutiveMisses: [SeriesKey: [String: Int]] = [:]
    /// Per model: decided bars that lacked its prediction (for heartbeat counters).
    public private(set) var missingCounts: [String: Int] = [:]

    /// How many reference σ values are kept (about 14 days of 5m bars).
    public static let referenceHistory = 4096

    /// A core for a valid configuration. An invalid one is a broken invariant (the shell validates
    /// first and exits listing the violations).
    public init(configuration: Configuration) {
        do { try configuration.validate() } catch { preconditionFailure(error.description) }
        self.configuration = configuration
        var byName: [String: Configuration.Model] = [:]
        for model in configuration.models { byName[model.name] = model }
        self.modelsByName = byName
        self.modelNamesInOrder = byName.keys.sorted()
        var leaders: [String: Set<String>] = [:]
        let entries = configuration.models.filter { $0.role == .entry }
        for division in Set(entries.compactMap(\.division)) {
            let members = entries.filter { $0.division == division }
            let marked = members.filter(\.leads)
            leaders[division] = Set((marked.isEmpty ? members : marked).map(\.name))
        }
        self.leaders = leaders
    }

    /// Handles one message. `now` is not used: every decision depends on event time only.
    public mutating func handle(_ input: Input, now: Timestamp) -> [Output] {
        switch input {
        case .prediction(let prediction):
            return receive(prediction)
        case .features(let vector):
            return receive(vector)
        case .timeout:
            var outputs: [Output] = []
            let keys = series.keys.sorted { ($0.symbol, $0.intervalMilliseconds) < ($1.symbol, $1.intervalMilliseconds) }
            for key in keys {
                guard let newest = latestPrediction[key]?.values.max() else { continue }
                if let first = series[key]?.pending.first, first.bar.openTime < newest {
                    let latest = latestPrediction[key] ?? [:]
                    for model in modelNamesInOrder where first.probabilities[model] == nil {
                        if latest[model].map({ $0 <= first.bar.openTime }) ?? true { downModels[key, default: []].insert(model) }
                    }
                }
                closeBars(before: newest, of: key, into: &outputs)
            }
            return outputs
        }
    }

    /// Whether some bar waits for a model that others have moved past (the shell times this out).
    public var hasLaggingBars: Bool {
        series.contains { key, state in
            guard let first = state.pending.first, let newest = latestPrediction[key]?.values.max() else { return false }
            return first.bar.openTime < newest
        }
    }

    /// Number of series with an undecided bar (for metrics and tests).
    public var pendingBarCount: Int { series.values.reduce(0) { $0 + $1.pending.count } }

    /// Models missing from at least ``Configuration/staleAfterBars`` consecutive decided bars of
    /// some series, in name order (named in the heartbeat).
    public var staleModels: [String] {
        var stale: Set<String> = []
        for misses in consecutiveMisses.values {
            for (model, count) in misses where count >= configuration.staleAfterBars { stale.insert(model) }
        }
        return stale.sorted()
    }

    private mutating func receive(_ prediction: Prediction) -> [Output] {
        guard modelsByName[prediction.model] != nil else { return [.ignored(prediction, .unknownModel)] }
        let p = prediction.probability
        guard p.isFinite, p >= 0, p <= 1 else { return [.ignored(prediction, .invalidProbability)] }
        var outputs: [Output] = []
        let key = SeriesKey(prediction.bar)
        let previous = latestPrediction[key]?[prediction.model]
        if previous == nil || previous! < prediction.bar.openTime {
            latestPrediction[key, default: [:]][prediction.model] = prediction.bar.openTime
        }
        downModels[key]?.remove(prediction.model)
        guard let index = open(prediction.bar, into: &outputs) else { return outputs + [.late(prediction)] }
        if series[key]!.pending[index].probabilities[prediction.model] != nil {
            outputs.append(.duplicate(prediction))
            decideReady(key, into: &outputs)
            return outputs
        }
        series[key]!.pending[index].probabilities[prediction.model] = p
        decideReady(key, into: &outputs)
        return outputs
    }

    private mutating func receive(_ vector: FeatureVector) -> [Output] {
        var outputs: [Output] = []
        let router = configuration.router
        let isReference = configuration.routes && vector.bar.symbol == router.referenceSymbol
            && vector.bar.interval == router.referenceInterval
        if isReference, referenceSigmas[vector.bar.openTime.milliseconds] == nil {
            let sigma = vector.value(named: router.sigmaFeature).flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
            let key = vector.bar.openTime.milliseconds
            referenceSigmas[key] = .some(sigma)
            referenceOrder.append(key)
            if referenceOrder.count > Self.referenceHistory {
                referenceSigmas.removeValue(forKey: referenceOrder.removeFirst())
            }
        }
        if let index = open(vector.bar, into: &outputs) {
            let key = SeriesKey(vector.bar)
            // A repeated vector for the bar is ignored: the first one prices it.
            if series[key]!.pending[index].close == nil {
                series[key]!.pending[index].close = vector.close
                decideReady(key, into: &outputs)
            }
        }
        if isReference {
            // Bars of other series that waited for this σ, in series order (deterministic).
            let waiting = series.keys.filter { $0 != SeriesKey(vector.bar) }.sorted { ($0.symbol, $0.intervalMilliseconds) < ($1.symbol, $1.intervalMilliseconds) }
            for key in waiting { decideReady(key, into: &outputs) }
        }
        return outputs
    }

    /// The open time (ms) of the reference bar whose σ routes `bar`: the reference bar ending at the
    /// latest multiple of the reference interval not after `bar`'s end.
    private func referenceOpen(for bar: BarKey) -> Int64 {
        let step = configuration.router.referenceInterval.milliseconds
        let end = bar.openTime.milliseconds + bar.interval.milliseconds
        let floored = end >= 0 ? end / step * step : -((-end + step - 1) / step) * step
        return floored - step
    }

    /// Decides every pending bar of the series that opens before `openTime`, oldest first, and
    /// closes the series before it.
    private mutating func closeBars(before openTime: Timestamp, of key: SeriesKey, into outputs: inout [Output]) {
        guard var state = series[key], openTime > state.closedBefore else { return }
        var decided: [PendingBar] = []
        while let first = state.pending.first, first.bar.openTime < openTime {
            decided.append(first)
            state.pending.removeFirst()
        }
        state.closedBefore = openTime
        series[key] = state
        for pending in decided { outputs.append(decide(pending)) }
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
        var oldest: PendingBar?
        if state.pending.count > Self.maxPendingBars {
            oldest = state.pending.removeFirst()
            state.closedBefore = state.pending[0].bar.openTime
            insertAt -= 1
        }
        series[key] = state
        if let oldest { outputs.append(decide(oldest)) }
        return insertAt >= 0 ? insertAt : nil
    }

    /// Decides the series' pending bars from the oldest while each is ready: its vector (the
    /// close) and, in route modes, its reference σ have arrived, and every model has predicted it,
    /// or some model has predicted a later bar and every awaited model has predicted it or a later
    /// bar. Awaited: every configured model that a timeout has not given up on (a model that never
    /// speaks, like a sequence model not deployed yet, holds the series back once, until the first
    /// timeout, and then no more until it speaks). The oldest bar that is not ready holds the ones
    /// behind it (``Input/timeout`` releases it).
    private mutating func decideReady(_ key: SeriesKey, into outputs: inout [Output]) {
        guard var state = series[key] else { return }
        let latest = latestPrediction[key] ?? [:]
        let down = downModels[key] ?? []
        var decided: [PendingBar] = []
        while let first = state.pending.first {
            guard first.close != nil,
                  !configuration.routes || referenceSigmas[referenceOpen(for: first.bar)] != nil else { break }
            let open = first.bar.openTime
            let complete = first.probabilities.count == modelsByName.count
            let passed = latest.values.contains { $0 > open } && modelNamesInOrder.allSatisfy { model in
                if down.contains(model) || first.probabilities[model] != nil { return true }
                return latest[model].map { $0 > open } ?? false
            }
            guard complete || passed else { break }
            decided.append(first)
            state.pending.removeFirst()
            state.closedBefore = max(state.closedBefore, Timestamp(milliseconds: open.milliseconds + 1))
        }
        series[key] = state
        for pending in decided { outputs.append(decide(pending)) }
    }

    /// The decision for one bar, from what arrived for it; counts the models it lacked.
    private mutating func decide(_ pending: PendingBar) -> Output {
        let key = SeriesKey(pending.bar)
        var misses = consecutiveMisses[key] ?? [:]
        for name in modelNamesInOrder {
            if pending.probabilities[name] == nil {
                misses[name, default: 0] += 1
                missingCounts[name, default: 0] += 1
            } else {
                misses[name] = 0
            }
        }
        consecutiveMisses[key] = misses
        return Self.decision(pending, configuration: configuration, models: modelsByName, names: modelNamesInOrder,
                             leaders: leaders, sigma: configuration.routes ? referenceSigmas[referenceOpen(for: pending.bar)] : nil)
    }

    /// The pure decision rule (documented on ``Configuration/Veto`` and ``Configuration/Mode``).
    /// `sigma`: nil = not routed or not arrived; `.some(nil)` = arrived without a usable σ.
    static func decision(
        _ pending: PendingBar, configuration: Configuration, models: [String: Configuration.Model], names: [String],
        leaders: [String: Set<String>], sigma: Double??
    ) -> Output {
        let bar = pending.bar
        var entries: [(Configuration.Model, Double)] = []
        var vetoes: [(Configuration.Model, Double)] = []
        for name in names {
            guard let p = pending.probabilities[name], let model = models[name] else { continue }
            if model.role == .entry { entries.append((model, p)) } else { vetoes.append((model, p)) }
        }
        let present = (entries + vetoes).map(\.0.name).sorted()
        guard !present.isEmpty else {
            return .noSignal(NoSignal(bar: bar, probability: nil, models: [], reason: .noPredictions))
        }
        let mode = configuration.mode.rawValue
        let (vetoProbability, vetoVotes) = weighted(vetoes, role: .veto)

        // Regime (route modes).
        var regimeSigma: Double?
        var regime: Int?
        if configuration.routes {
            guard let arrived = sigma, let s = arrived else {
                return .noSignal(NoSignal(bar: bar, probability: nil, models: present, reason: .noRegime))
            }
            regimeSigma = s
            regime = configuration.router.regime(of: s)
        }

        // Exit: the low models' vote crossed the exit threshold (any regime, any mode).
        if let exitThreshold = configuration.veto.exitThreshold, let v = vetoProbability, v > exitThreshold {
            guard let close = pending.close else {
                return .noSignal(NoSignal(bar: bar, probability: v, models: present, reason: .noReferencePrice))
            }
            return .signal(EnsembleSignal(
                bar: bar, side: configuration.side == .buy ? .sell : .buy, probability: v, threshold: exitThreshold,
                models: vetoes.map(\.0.name), referencePrice: close, action: .exit, division: "", mode: mode,
                sigma: regimeSigma, regime: regime, votes: vetoVotes, vetoProbability: v
            ))
        }

        // Which entry models decide.
        var division: String?
        var candidates = entries
        if let regime {
            let router = configuration.router
            if regime == 2 {
                guard !router.stormModels.isEmpty else {
                    return .noSignal(NoSignal(bar: bar, probability: nil, models: present, reason: .stormHalt))
                }
                candidates = entries.filter { router.stormModels.contains($0.0.name) }
            } else {
                let name = regime == 0 ? router.calmDivision : router.normalDivision
                division = name
                let allowed = configuration.mode == .route ? (leaders[name] ?? []) : Set(entries.filter { $0.0.division == name }.map(\.0.name))
                candidates = entries.filter { allowed.contains($0.0.name) }
            }
            if candidates.isEmpty {
                return .noSignal(NoSignal(bar: bar, probability: nil, models: present, reason: .noModelForRegime))
            }
        }
        guard !candidates.isEmpty else {
            return .noSignal(NoSignal(bar: bar, probability: nil, models: present, reason: .noPredictions))
        }

        let probability: Double
        var votes: [EnsembleSignal.Vote]
        if configuration.mode == .stack, let stacking = configuration.stacking {
            var z = stacking.intercept
            votes = []
            for (j, input) in stacking.inputs.enumerated() {
                guard let p = pending.probabilities[input] else {
                    return .noSignal(NoSignal(bar: bar, probability: nil, models: present, reason: .stackInputMissing))
                }
                z += stacking.coefficients[j] * (p - stacking.means[j]) / stacking.stds[j]
                votes.append(.init(model: input, probability: p, weight: stacking.coefficients[j], role: .entry))
            }
            probability = z >= 0 ? 1 / (1 + (-z).exp) : z.exp / (1 + z.exp)
            votes.sort { $0.model < $1.model }
        } else {
            let (p, entryVotes) = weighted(candidates, role: .entry)
            probability = p ?? 0
            votes = entryVotes
        }
        let counted = votes.map(\.model)
        guard probability > configuration.threshold else {
            return .noSignal(NoSignal(bar: bar, probability: probability, models: counted, reason: .belowThreshold))
        }
        if let v = vetoProbability, v > configuration.veto.vetoThreshold {
            return .noSignal(NoSignal(bar: bar, probability: probability, models: counted, reason: .vetoed))
        }
        guard let close = pending.close else {
            return .noSignal(NoSignal(bar: bar, probability: probability, models: counted, reason: .noReferencePrice))
        }
        return .signal(EnsembleSignal(
            bar: bar, side: configuration.side, probability: probability, threshold: configuration.threshold,
            models: counted, referencePrice: close, action: .enter, division: division ?? "", mode: mode,
            sigma: regimeSigma, regime: regime, votes: votes + vetoVotes, vetoProbability: vetoProbability
        ))
    }

    /// The weighted average (weights renormalised over the models given, summed in the given
    /// name order) and each model's vote; nil when none.
    private static func weighted(_ models: [(Configuration.Model, Double)], role: EnsembleSignal.Vote.Role) -> (Double?, [EnsembleSignal.Vote]) {
        guard !models.isEmpty else { return (nil, []) }
        var weightSum = 0.0
        var weightedSum = 0.0
        for (model, p) in models {
            weightSum += model.weight
            weightedSum += model.weight * p
        }
        let votes = models.map { EnsembleSignal.Vote(model: $0.0.name, probability: $0.1, weight: $0.0.weight / weightSum, role: role) }
        return (weightedSum / weightSum, votes)
    }
}

private extension Double {
    var exp: Double { Foundation.exp(self) }
}
