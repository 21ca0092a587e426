import Domain
import EnsembleCore
import ExecutorCore
import FeatureServiceCore
import PredictorCore
import RiskGateCore

/// All cores chained in one process over recorded klines: the backtest, and the reference that
/// the suite of real executables over the real bus must reproduce decision for decision
/// (ARCHITECTURE.md §3). Messages travel through a FIFO queue in the order a bus would carry
/// them: for each kline, the Executor sees it first (fills and exits of that bar), then the
/// features, predictions, the ensemble's decision, the risk gate and the Executor again.
public struct Backtest: Sendable {
    public struct Configuration: Sendable {
        /// The FeatureService's (TA) features.
        public var features: [String]
        public var models: [Model]
        public var ensemble: EnsembleCore.Configuration
        public var risk: RiskGateCore.Configuration
        public var executor: ExecutorCore.Configuration
        /// Order-flow features appended to each bar's vector; nil = none.
        public var orderFlow: OrderFlowFeed?
        /// The quoted spread of bars (basis points, by bar open time in ms), where recorded books
        /// give it: the Executor slips taker fills on the next bar by half of it
        /// (``ExecutorCore/Input/spread(_:)``) instead of the configured bps. Empty: none known.
        public var spreads: [Int64: Double]

        public init(
            features: [String], models: [Model], ensemble: EnsembleCore.Configuration, risk: RiskGateCore.Configuration,
            executor: ExecutorCore.Configuration, orderFlow: OrderFlowFeed? = nil, spreads: [Int64: Double] = [:]
        ) {
            self.features = features
            self.models = models
            self.ensemble = ensemble
            self.risk = risk
            self.executor = executor
            self.orderFlow = orderFlow
            self.spreads = spreads
        }
    }

    /// Order-flow features per bar (from the captures, by `OrderFlowAggregator`: the code a live
    /// shell feeds with md.depth / md.trade), appended to the FeatureService's vector of the bar.
    /// A bar without them (no valid book for its whole length) gets no vector at all, as a
    /// FeatureService computing them would publish none: its models cannot predict it.
    public struct OrderFlowFeed: Sendable {
        public var names: [String]
        /// Values of `names` by bar open time (ms); only bars where every value is defined.
        public var values: [Int64: [Double]]

        public init(names: [String], values: [Int64: [Double]]) {
            self.names = names
            self.values = values
        }
    }

    /// Everything the run decided, in decision order.
    public struct Result: Sendable {
        public var klines = 0
        public var vectors = 0
        /// Vectors withheld because the bar had no order-flow features (`Configuration.orderFlow`).
        public var vectorsWithoutBook = 0
        public var predictions = 0
        public var signals: [EnsembleSignal] = []
        public var intents: [TradeIntent] = []
        public var denied: [RiskDenied] = []
        public var acks: [IntentAck] = []
        public var reports: [ExecutionReport] = []
        public var finalState: RiskState?
        /// Every breaker trip and clearing, alert, capital shift and recovery step the RiskGate
        /// published (the events of its `risk.state.` messages), in order.
        public var riskEvents: [RiskEvent] = []

        /// Round trips closed (exit reports).
        public var exits: [ExecutionReport] { reports.filter(\.isExit) }
        public var realizedPnL: Decimal8 { exits.reduce(Decimal8.zero) { $0 + $1.realizedPnL } }
        public var wins: Int { exits.filter { $0.realizedPnL > .zero }.count }
    }

    enum Message {
        case kline(Kline)
        case vector(FeatureVector)
        case prediction(Prediction)
        case signal(EnsembleSignal)
        case intent(TradeIntent)
        case executorOutput(ExecutorCore.Output)
    }

    public let configuration: Configuration
    private var features: FeatureServiceCore
    private var predictors: [PredictorCore]
    private var ensemble: EnsembleCore
    private var risk: RiskGateCore
    private var executor: ExecutorCore
    private var nextID: UInt64 = 0
    public private(set) var result = Result()

    public init(configuration: Configuration) throws {
        self.configuration = configuration
        self.features = FeatureServiceCore(configuration: try FeatureServiceCore.Configuration(features: configuration.features))
        self.predictors = configuration.models.map { PredictorCore(configuration: .init(model: $0)) }
        try configuration.ensemble.validate()
        try configuration.risk.validate()
        try configuration.executor.validate()
        self.ensemble = EnsembleCore(configuration: configuration.ensemble)
        self.risk = RiskGateCore(configuration: configuration.risk)
        self.executor = ExecutorCore(configuration: configuration.executor)
    }

    /// Replaces the predictors (a walk-forward step's freshly trained models) between two klines.
    /// The ensemble keeps its configuration: a retrained model keeps its registry name, so its
    /// weight and place in the vote stay. An empty list silences the predictors (warm-up).
    public mutating func replaceModels(_ models: [Model]) {
        predictors = models.map { PredictorCore(configuration: .init(model: $0)) }
    }

    /// Runs every kline through the chain.
    public mutating func run(_ klines: some Sequence<Kline>) {
        for kline in klines { feed(kline) }
        result.finalState = risk.state
    }

    public mutating func feed(_ kline: Kline) {
        result.klines += 1
        var queue: [Message] = []
        var head = 0
        let now = kline.closeTime
        // The Executor's kline subscription and the FeatureService's are both one hop from the
        // Collector; the Executor's outputs of this kline reach the risk gate before any signal of
        // this bar can (that signal takes four hops), and the barrier enforces it anyway.
        for output in executor.handle(.kline(kline), now: now) { queue.append(.executorOutput(output)) }
        // This bar's spread is known once it has closed: it applies to fills on the next kline.
        if kline.isClosed, let bps = configuration.spreads[kline.openTime.milliseconds], bps.isFinite, bps >= 0, bps < 10_000 {
            _ = executor.handle(.spread(.init(bar: kline.bar, bps: Decimal8(bps, rounding: .up))), now: now)
        }
        queue.append(.kline(kline))
        while head < queue.count {
            let message = queue[head]
            head += 1
            switch message {
            case .kline(let kline):
                for case .vector(var vector) in features.handle(.kline(kline), now: now) {
                    if let flow = configuration.orderFlow {
                        guard let extra = flow.values[vector.bar.openTime.milliseconds] else {
                            result.vectorsWithoutBook += 1
                            continue
                        }
                        vector = FeatureVector(bar: vector.bar, close: vector.close, high: vector.high, low: vector.low, names: vector.names + flow.names, values: vector.values + extra)
                    }
                    result.vectors += 1
                    queue.append(.vector(vector))
                }
            case .vector(let vector):
                for output in ensemble.handle(.features(vector), now: now) { route(output, into: &queue) }
                for index in predictors.indices {
                    for case .prediction(let prediction) in predictors[index].handle(.features(vector), now: now) {
                        result.predictions += 1
                        queue.append(.prediction(prediction))
                    }
                }
            case .prediction(let prediction):
                for output in ensemble.handle(.prediction(prediction), now: now) { route(output, into: &queue) }
            case .signal(let signal):
                result.signals.append(signal)
                nextID += 1
                let id = IntentID(milliseconds: signal.bar.closeTime.milliseconds, random: nextID)
                routeRisk(risk.handle(.signal(signal, newIntentID: id), now: now), into: &queue)
            case .intent(let intent):
                for output in executor.handle(.intent(intent), now: now) { queue.append(.executorOutput(output)) }
            case .executorOutput(let output):
                switch output {
                case .journalIntent:
                    break
                case .ack(let ack):
                    result.acks.append(ack)
                    routeRisk(risk.handle(.ack(ack), now: now), into: &queue)
                case .report(let report):
                    result.reports.append(report)
                    routeRisk(risk.handle(.report(report), now: now), into: &queue)
                case .watermark(let mark):
                    routeRisk(risk.handle(.watermark(mark), now: now), into: &queue)
                }
            }
            // Every message this kline causes has been handled: a bar some model has moved past
            // that still waits for another model will never get it (as the service's wall-clock
            // timeout concludes), so the ensemble stops waiting.
            if head == queue.count, ensemble.hasLaggingBars {
                for output in ensemble.handle(.timeout, now: now) { route(output, into: &queue) }
            }
        }
    }

    private mutating func route(_ output: EnsembleCore.Output, into queue: inout [Message]) {
        if case .signal(let signal) = output { queue.append(.signal(signal)) }
    }

    private mutating func routeRisk(_ outputs: [RiskGateCore.Output], into queue: inout [Message]) {
        for output in outputs {
            switch output {
            case .intent(let intent):
                result.intents.append(intent)
                queue.append(.intent(intent))
            case .denied(let denied):
                result.denied.append(denied)
            case .state(let state):
                result.riskEvents += state.events
            case .republish, .held, .duplicateSignal:
                break
            }
        }
    }
}
