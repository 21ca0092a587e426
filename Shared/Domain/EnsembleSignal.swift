/// The ensemble's decision for one bar: enter (the weighted probability of the entry models crossed
/// the threshold and no veto), or exit (the "low" models' weighted probability crossed the exit
/// threshold). It carries its attribution: which models voted, with what probability and weight,
/// the volatility σ and regime that routed it, and the mode (the trace id rides in the envelope).
public struct EnsembleSignal: Sendable, Hashable {
    /// Open a position, or close the symbol's open positions.
    public enum Action: String, Sendable, Hashable, CaseIterable {
        case enter
        case exit
    }

    /// One model's part in the decision.
    public struct Vote: Sendable, Hashable {
        /// Whether the model votes for entries (a "high" label) or vetoes them (a "low" label).
        public enum Role: String, Sendable, Hashable, CaseIterable {
            case entry
            case veto
        }

        public var model: String
        public var probability: Double
        /// The weight after renormalisation over the models counted with the same role (sums to 1).
        public var weight: Double
        public var role: Role

        public init(model: String, probability: Double, weight: Double, role: Role) {
            self.model = model
            self.probability = probability
            self.weight = weight
            self.role = role
        }
    }

    public var bar: BarKey
    public var side: Side
    /// The weighted probability of the entry models (for an exit: of the veto models).
    public var probability: Double
    /// The threshold it exceeded.
    public var threshold: Double
    /// The models whose predictions were counted, in name order.
    public var models: [String]
    /// The bar's close: the reference price for sizing.
    public var referencePrice: Price
    public var action: Action
    /// The division the signal is for: the one whose models decided (route modes). The RiskGate
    /// sizes it with that division's capital and rules; empty (vote mode, or an exit for every
    /// division holding the symbol): the RiskGate picks the division that lists the symbol, else its first one.
    public var division: String
    /// The ensemble's mode: `vote`, `route`, `route_then_vote`, `stack`.
    public var mode: String
    /// The reference symbol's volatility (percent per hour) that routed the decision; nil when not routed.
    public var sigma: Double?
    /// The regime of ``sigma``: 0 calm, 1 normal, 2 storm; nil when not routed.
    public var regime: Int?
    /// Every counted model, entry votes first, each group in name order.
    public var votes: [Vote]
    /// The weighted probability of the veto models present; nil when none was present.
    public var vetoProbability: Double?

    public init(
        bar: BarKey, side: Side, probability: Double, threshold: Double, models: [String], referencePrice: Price,
        action: Action = .enter, division: String = "", mode: String = "vote", sigma: Double? = nil,
        regime: Int? = nil, votes: [Vote] = [], vetoProbability: Double? = nil
    ) {
        self.bar = bar
        self.side = side
        self.probability = probability
        self.threshold = threshold
        self.models = models
        self.referencePrice = referencePrice
        self.action = action
        self.division = division
        self.mode = mode
        self.sigma = sigma
        self.regime = regime
        self.votes = votes
        self.vetoProbability = vetoProbability
    }
}
