import Domain

/// The RiskGate's circuit breakers, latches, recovery protocol and weekly rebalancing: a pure,
/// event-driven state machine. It reads closed trades (event time, P&L, division), the passing of
/// event time (UTC day and week boundaries), health reports and control commands, and answers
/// what each division may do. It never reads a clock: the same events give the same states, so a
/// replay decides like the backtest.
///
/// Per division:
/// - **daily loss**: the UTC day's realized P&L ≤ −`maxDailyLoss` × the day's starting equity →
///   REDUCING (`daily_loss_breaker`) until the next UTC day;
/// - **losing days**: `rules.losingDaysForRetrain` consecutive losing days (days with trades) →
///   the retrain flag (cleared by a day that is not losing, or by `ack`);
/// - **weekly win rate** below `minWeeklyWinRate` over a week with ≥ `rules.weeklyMinTrades`
///   trades → REDUCING for the next week (`weekly_win_rate_breaker`), or a capital shift
///   (`WeeklyAction.shiftCapital`);
/// - **divergence**: over the last `rules.divergenceWindowTrades` trades, the live win rate and
///   `backtestWinRate` differ by more than `rules.divergenceGap` → an alert (once per excursion);
/// - **feed failure** of one of its symbols (order flow is blind) → that symbol is denied
///   (`feed_failure`) and the division's capital share moves to `feedFallback` until every feed
///   of the division is healthy again, when the same share moves back.
///
/// Portfolio:
/// - the UTC day's realized P&L of all divisions ≤ −`rules.portfolioDailyLoss` × the day's
///   starting portfolio equity → HALTED (`portfolio_loss_halt`) until the next UTC day;
/// - the combined win rate over the last `rules.combinedWindowDays` UTC days (≥
///   `rules.combinedMinTrades` trades) below `rules.combinedMinWinRate` → HALTED, latched until
///   `ack` (`win_rate_halt`);
/// - equity ≤ (1 − `rules.maxDrawdown`) × its peak → HALTED, latched until `resume` (`drawdown_halt`);
/// - an unhealthy component (exchange unreachable, API errors, stale market data) → REDUCING
///   (`unhealthy`) until every component is healthy;
/// - `pause` → REDUCING (`manual_pause`), `flatten` → HALTED (`manual_halt`), both until `resume`
///   (globally, or for the `--division` named).
///
/// **Recovery.** When the last halt of a division clears, it trades shadow only (its intents are
/// paper and do not touch its capital) for `rules.recoveryShadowDays` UTC days; then, if its
/// shadow win rate is at least its `minWeeklyWinRate`, at `rules.recoveryCapitalFraction` of its
/// capital for `rules.recoveryReducedDays` days, then in full. A shadow period without a recovered
/// win rate (or without trades) starts another one.
///
/// **Rebalancing** at each UTC week boundary (weeks start on Monday): among the divisions with ≥
/// `rules.rebalanceMinTrades` trades in the week, when the best and the worst differ by more than
/// `rules.rebalanceWinRateGap` in win rate (or `rules.rebalanceSharpeGap` in per-trade Sharpe ratio,
/// `rules.rebalanceMetric`), `rules.rebalanceStep` of the portfolio's capital moves from the worst
/// to the best, within their floors and caps. Every shift is an event with its reason.
///
/// Outputs: ``drainEvents()`` (published on `risk.state.`, logged, journaled) and
/// ``drainShifts()`` (the core moves the capital between its ledgers).
public struct Breakers: Sendable, Hashable, Codable {
    /// Portfolio-wide thresholds; every one configurable, defaulting to the specification's value.
    public struct Rules: Sendable, Hashable, Codable {
        public enum Metric: String, Sendable, Hashable, Codable, CaseIterable {
            case winRate = "win_rate"
            case sharpe
        }

        /// Portfolio daily loss that halts everything (0.05).
        public var portfolioDailyLoss = Decimal8("0.05")!
        /// Combined win-rate floor (0.50) over `combinedWindowDays` (5) with at least `combinedMinTrades` (20) trades.
        public var combinedMinWinRate = Decimal8("0.5")!
        public var combinedWindowDays = 5
        public var combinedMinTrades = 20
        /// Drawdown from the equity peak that halts until a manual resume (0.15).
        public var maxDrawdown = Decimal8("0.15")!
        /// Consecutive losing days that raise the retrain flag (3).
        public var losingDaysForRetrain = 3
        /// A week needs this many trades for its win rate to count (10).
        public var weeklyMinTrades = 10
        /// Live vs backtest win-rate gap that raises an alert (0.05), over this many trades (50).
        public var divergenceGap = Decimal8("0.05")!
        public var divergenceWindowTrades = 50
        /// Recovery: shadow days (N = 3), reduced-capital days (M = 3), the reduced fraction (0.5).
        public var recoveryShadowDays = 3
        public var recoveryReducedDays = 3
        public var recoveryCapitalFraction = Decimal8("0.5")!
        /// Weekly rebalancing: on by default; by win rate (gap 0.05) or Sharpe (gap 0.3); step 0.10 of capital.
        public var rebalance = true
        public var rebalanceMetric: Metric = .winRate
        public var rebalanceWinRateGap = Decimal8("0.05")!
        public var rebalanceSharpeGap = 0.3
        public var rebalanceStep = Decimal8("0.1")!
        public var rebalanceMinTrades = 10

        public init() {}

        /// The spine's rules, for a single-division gate (``RiskGateCore/Configuration/init(division:)``,
        /// the research backtests): the division's daily-loss breaker and the retrain flag only —
        /// no portfolio halts, latches, weekly pauses or rebalancing, so a backtest is never
        /// latched for good by a losing week nobody acknowledges.
        public static var spine: Rules {
            var rules = Rules()
            rules.portfolioDailyLoss = .one
            rules.maxDrawdown = .one
            rules.combinedMinTrades = Int.max
            rules.weeklyMinTrades = Int.max
            rules.rebalance = false
            return rules
        }

        /// Every violation, each prefixed with `prefix`.
        public func violations(prefix: String) -> [String] {
            var violations: [String] = []
            func fraction(_ key: String, _ value: Decimal8) {
                if value <= .zero || value > .one { violations.append("\(prefix).\(key): must be in (0, 1], got \(value.compactDescription)") }
            }
            func atLeast(_ key: String, _ value: Int, _ minimum: Int) {
                if value < minimum { violations.append("\(prefix).\(key): must be ≥ \(minimum), got \(value)") }
            }
            fraction("portfolioDailyLoss", portfolioDailyLoss)
            fraction("combinedMinWinRate", combinedMinWinRate)
            atLeast("combinedWindowDays", combinedWindowDays, 1)
            atLeast("combinedMinTrades", combinedMinTrades, 1)
            fraction("maxDrawdown", maxDrawdown)
            atLeast("losingDaysForRetrain", losingDaysForRetrain, 1)
            atLeast("weeklyMinTrades", weeklyMinTrades, 1)
            fraction("divergenceGap", divergenceGap)
            atLeast("divergenceWindowTrades", divergenceWindowTrades, 1)
            atLeast("recoveryShadowDays", recoveryShadowDays, 0)
            atLeast("recoveryReducedDays", recoveryReducedDays, 0)
            fraction("recoveryCapitalFraction", recoveryCapitalFraction)
            fraction("rebalanceWinRateGap", rebalanceWinRateGap)
            if !(rebalanceSharpeGap > 0) || !rebalanceSharpeGap.isFinite {
                violations.append("\(prefix).rebalanceSharpeGap: must be > 0, got \(rebalanceSharpeGap)")
            }
            fraction("rebalanceStep", rebalanceStep)
            atLeast("rebalanceMinTrades", rebalanceMinTrades, 1)
            return violations
        }
    }

    /// A division's own thresholds (from its configuration).
    public struct DivisionRules: Sendable, Hashable, Codable {
        public var name: String
        public var maxDailyLoss: Decimal8
        public var minWeeklyWinRate: Decimal8
        public var weeklyAction: RiskGateCore.WeeklyAction
        public var backtestWinRate: Decimal8?
        public var capitalShare: Decimal8
        public var capitalFloor: Decimal8
        public var capitalCap: Decimal8
        public var feedFallback: String?

        public init(_ division: RiskGateCore.Division) {
            name = division.name
            maxDailyLoss = division.maxDailyLoss
            minWeeklyWinRate = division.minWeeklyWinRate
            weeklyAction = division.weeklyAction
            backtestWinRate = division.backtestWinRate
            capitalShare = division.capitalShare
            capitalFloor = division.capitalFloor
            capitalCap = division.capitalCap
            feedFallback = division.feedFallback
        }
    }

    /// Why a division may not open positions, most severe first (the raw value is the stable code,
    /// also a ``RiskDenied/Reason``).
    public enum Cause: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
        case portfolioLossHalt = "portfolio_loss_halt"
        case drawdownHalt = "drawdown_halt"
        case winRateHalt = "win_rate_halt"
        case manualHalt = "manual_halt"
        case unhealthy = "unhealthy"
        case manualPause = "manual_pause"
        case dailyLossBreaker = "daily_loss_breaker"
        case weeklyWinRateBreaker = "weekly_win_rate_breaker"

        /// Halts make a division HALTED (and the recovery protocol follows); the rest are pauses.
        public var isHalt: Bool { self <= .manualHalt }

        public var reason: RiskDenied.Reason { RiskDenied.Reason(rawValue: rawValue)! }

        public static func < (lhs: Cause, rhs: Cause) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// A control command (`quorum risk …`).
    public enum Command: String, Sendable, Hashable, Codable, CaseIterable {
        case status, pause, resume, ack, flatten
    }

    /// A capital share to move from one division to another (the core moves share × the
    /// portfolio's equity, within the giver's free capital).
    public struct CapitalShift: Sendable, Hashable, Codable {
        public var from: String
        public var to: String
        public var share: Decimal8
        /// `rebalance_win_rate`, `rebalance_sharpe`, `weekly_win_rate_breaker`, `feed_failure`, `feed_restored`.
        public var reason: String
        public var time: Timestamp
        public var detail: String
        /// The numbers behind it (win rates, gap, shares before and after).
        public var figures: [String: Decimal8]
    }

    public enum RecoveryPhase: String, Sendable, Hashable, Codable {
        case shadow
        case reduced
    }

    struct Recovery: Sendable, Hashable, Codable {
        var phase: RecoveryPhase
        /// The UTC day on which the phase ends.
        var untilDay: Int64
        var wins = 0
        var trades = 0
    }

    struct DivisionState: Sendable, Hashable, Codable {
        var rules: DivisionRules
        var share: Decimal8
        var startOfDayEquity: Decimal8
        var dayPnL: Decimal8 = .zero
        var dayTrades = 0
        var dailyTrippedDay: Int64?
        var losingDays = 0
        var retrain = false
        var weekWins = 0
        var weekTrades = 0
        var weekReturns: [Double] = []
        var weeklyPausedWeek: Int64?
        var manualPause = false
        var manualHalt = false
        /// The latest trades' outcomes (true: a win), at most `divergenceWindowTrades`.
        var recent: [Bool] = []
        var divergenceAlerted = false
        var recovery: Recovery?
        var failingSymbols: Set<String> = []
        /// The share moved to `feedFallback` while a feed fails.
        var lentShare: Decimal8 = .zero
    }

    struct DayOutcome: Sendable, Hashable, Codable {
        var day: Int64
        var wins: Int
        var trades: Int
    }

    public private(set) var rules: Rules
    private(set) var divisions: [DivisionState]
    /// The current UTC day and week (nil before the first event).
    public private(set) var day: Int64?
    public private(set) var week: Int64?
    private var startOfDayPortfolio: Decimal8
    private var portfolioDayPnL: Decimal8 = .zero
    private var dayWins = 0
    private var dayTrades = 0
    private var portfolioHaltDay: Int64?
    public private(set) var peakEquity: Decimal8
    private var winRateLatched = false
    private var drawdownLatched = false
    /// Completed UTC days, newest last, at most `combinedWindowDays`.
    private var pastDays: [DayOutcome] = []
    /// Unhealthy components and why.
    public private(set) var unhealthy: [String: String] = [:]
    private var manualPause = false
    private var manualHalt = false
    /// Not stored: drained after every input, before the state is saved.
    private var events: [RiskEvent] = []
    private var shifts: [CapitalShift] = []

    enum CodingKeys: String, CodingKey {
        case rules, divisions, day, week, startOfDayPortfolio, portfolioDayPnL, dayWins, dayTrades, portfolioHaltDay, peakEquity
        case winRateLatched, drawdownLatched, pastDays, unhealthy, manualPause, manualHalt, shifts
    }

    /// Breakers for `divisions` with their starting equities and the portfolio's.
    public init(rules: Rules, divisions: [RiskGateCore.Division], portfolioEquity: Decimal8) {
        self.rules = rules
        self.divisions = divisions.map { DivisionState(rules: DivisionRules($0), share: $0.capitalShare, startOfDayEquity: $0.equity) }
        self.startOfDayPortfolio = portfolioEquity
        self.peakEquity = portfolioEquity
    }

    /// Takes new thresholds after a restart, keeping every state (latches, pauses, shares, recovery).
    mutating func reconfigure(rules: Rules, divisions configured: [RiskGateCore.Division]) {
        self.rules = rules
        for i in divisions.indices {
            if let division = configured.first(where: { $0.name == divisions[i].rules.name }) {
                divisions[i].rules = DivisionRules(division)
            }
        }
    }

    // MARK: Queries

    public var divisionNames: [String] { divisions.map(\.rules.name) }

    /// The causes that keep `division` from opening positions in `symbol` (nil: any symbol), most
    /// severe first; `feed_failure` is per symbol and reported separately (``isFeedFailing(_:division:)``).
    public func causes(for division: String) -> [Cause] {
        guard let d = divisions.first(where: { $0.rules.name == division }) else { return [] }
        var causes = portfolioCauses
        if d.manualHalt { causes.append(.manualHalt) }
        if d.manualPause { causes.append(.manualPause) }
        if let tripped = d.dailyTrippedDay, tripped == day { causes.append(.dailyLossBreaker) }
        if let paused = d.weeklyPausedWeek, paused == week { causes.append(.weeklyWinRateBreaker) }
        return Array(Set(causes)).sorted()
    }

    /// The portfolio-wide causes, most severe first.
    public var portfolioCauses: [Cause] {
        var causes: [Cause] = []
        if let halted = portfolioHaltDay, halted == day { causes.append(.portfolioLossHalt) }
        if drawdownLatched { causes.append(.drawdownHalt) }
        if winRateLatched { causes.append(.winRateHalt) }
        if manualHalt { causes.append(.manualHalt) }
        if !unhealthy.isEmpty { causes.append(.unhealthy) }
        if manualPause { causes.append(.manualPause) }
        return causes
    }

    public static func state(of causes: [Cause]) -> TradingState {
        if causes.contains(where: \.isHalt) { return .halted }
        return causes.isEmpty ? .active : .reducing
    }

    public func tradingState(for division: String) -> TradingState { Self.state(of: causes(for: division)) }
    public var portfolioState: TradingState { Self.state(of: portfolioCauses) }

    public func isFeedFailing(_ symbol: String, division: String) -> Bool {
        divisions.first { $0.rules.name == division }?.failingSymbols.contains(symbol) ?? false
    }

    /// Whether any order-book feed of `division` is failing.
    public func divisionFeedFailing(_ division: String) -> Bool { !(state(division)?.failingSymbols.isEmpty ?? true) }

    /// The recovery step of `division`: nil, shadow or reduced.
    public func recovery(of division: String) -> RecoveryPhase? { state(division)?.recovery?.phase }
    /// The fraction of its capital `division` may use (recovery's reduced step: 0.5).
    public func capitalFraction(of division: String) -> Decimal8 {
        recovery(of: division) == .reduced ? rules.recoveryCapitalFraction : .one
    }
    public func retrainRequested(_ division: String) -> Bool { state(division)?.retrain ?? false }
    public func share(of division: String) -> Decimal8 { state(division)?.share ?? .zero }
    /// Start of the current UTC day's realized P&L of `division`.
    public func dayPnL(of division: String) -> Decimal8 { state(division)?.dayPnL ?? .zero }
    public func dailyLossLimit(of division: String) -> Decimal8 {
        guard let d = state(division) else { return .zero }
        return d.rules.maxDailyLoss.multiplied(by: d.startOfDayEquity, rounding: .down)
    }

    private func state(_ name: String) -> DivisionState? { divisions.first { $0.rules.name == name } }
    private func index(_ name: String) -> Int? { divisions.firstIndex { $0.rules.name == name } }

    /// The UTC week (from Monday) of a UTC day.
    public static func week(ofDay day: Int64) -> Int64 {
        let shifted = day + 3  // 1970-01-01 was a Thursday
        return shifted >= 0 ? shifted / 7 : (shifted - 6) / 7
    }

    // MARK: Outputs

    public mutating func drainEvents() -> [RiskEvent] {
        defer { events.removeAll() }
        return events
    }

    public mutating func drainShifts() -> [CapitalShift] {
        defer { shifts.removeAll() }
        return shifts
    }

    private mutating func emit(_ kind: RiskEvent.Kind, _ division: String, _ code: String, _ time: Timestamp, _ detail: String, _ figures: [String: Decimal8] = [:]) {
        events.append(RiskEvent(kind: kind, division: division, code: code, time: time, detail: detail, figures: figures))
    }

    // MARK: Time

    /// Moves event time to `time` (never back): at a new UTC day, closes the previous day (losing
    /// days, the combined window, daily breakers end, recovery steps) and records each division's
    /// starting equity; at a new week, evaluates the week (win-rate breakers, rebalancing).
    public mutating func advance(to time: Timestamp, equities: [String: Decimal8], portfolio: Decimal8) {
        let newDay = time.utcDay
        guard let current = day else {
            day = newDay
            week = Self.week(ofDay: newDay)
            startDay(equities: equities, portfolio: portfolio)
            return
        }
        guard newDay > current else { return }
        let dayStart = Timestamp(milliseconds: newDay * 86_400_000)
        closeDay(current, at: dayStart)
        let newWeek = Self.week(ofDay: newDay)
        let weekChanged = newWeek != week
        if weekChanged { closeWeek(at: dayStart, newWeek: newWeek) }
        let haltsBefore = divisions.map { Self.state(of: causes(for: $0.rules.name)) == .halted }
        // A day breaker ends when its day does, even when event time next moves days later (a
        // division without signals for a while): the event carries the day's end, not the jump's.
        let dayEnd = Timestamp(milliseconds: (current + 1) * 86_400_000)
        day = newDay
        week = newWeek
        for (i, d) in divisions.enumerated() {
            if let tripped = d.dailyTrippedDay, tripped == current {
                emit(.breakerCleared, d.rules.name, Cause.dailyLossBreaker.rawValue, dayEnd, "a new UTC day")
            }
            if weekChanged, let paused = d.weeklyPausedWeek, paused < newWeek {
                divisions[i].weeklyPausedWeek = nil
                emit(.breakerCleared, d.rules.name, Cause.weeklyWinRateBreaker.rawValue, dayStart, "a new UTC week")
            }
        }
        if let halted = portfolioHaltDay, halted == current {
            portfolioHaltDay = nil
            emit(.breakerCleared, "", Cause.portfolioLossHalt.rawValue, dayEnd, "a new UTC day")
        }
        startRecoveries(wasHalted: haltsBefore, at: dayStart)
        startDay(equities: equities, portfolio: portfolio)
    }

    private mutating func startDay(equities: [String: Decimal8], portfolio: Decimal8) {
        for i in divisions.indices {
            divisions[i].startOfDayEquity = equities[divisions[i].rules.name] ?? divisions[i].startOfDayEquity
            divisions[i].dayPnL = .zero
            divisions[i].dayTrades = 0
        }
        startOfDayPortfolio = portfolio
        portfolioDayPnL = .zero
        dayWins = 0
        dayTrades = 0
    }

    private mutating func closeDay(_ closing: Int64, at time: Timestamp) {
        for i in divisions.indices where divisions[i].dayTrades > 0 {
            if divisions[i].dayPnL.isNegative {
                divisions[i].losingDays += 1
                if divisions[i].losingDays >= rules.losingDaysForRetrain && !divisions[i].retrain {
                    divisions[i].retrain = true
                    emit(.retrainRequested, divisions[i].rules.name, "losing_days", time,
                         "\(divisions[i].losingDays) consecutive losing days", ["losing_days": Decimal8(divisions[i].losingDays)])
                }
            } else {
                divisions[i].losingDays = 0
                divisions[i].retrain = false
            }
        }
        pastDays.append(DayOutcome(day: closing, wins: dayWins, trades: dayTrades))
        if pastDays.count > rules.combinedWindowDays { pastDays.removeFirst(pastDays.count - rules.combinedWindowDays) }
    }

    private static func rate(_ wins: Int, _ trades: Int) -> Decimal8 {
        trades == 0 ? .zero : Decimal8(wins).divided(by: Decimal8(trades), rounding: .down)
    }

    private static func sharpe(_ returns: [Double]) -> Double {
        guard returns.count > 1 else { return 0 }
        let mean = returns.reduce(0, +) / Double(returns.count)
        let variance = returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(returns.count - 1)
        return variance > 0 ? mean / variance.squareRoot() : 0
    }

    private mutating func closeWeek(at time: Timestamp, newWeek: Int64) {
        // Win-rate floors.
        for i in divisions.indices {
            let d = divisions[i]
            guard d.weekTrades >= rules.weeklyMinTrades else { continue }
            let rate = Self.rate(d.weekWins, d.weekTrades)
            guard rate < d.rules.minWeeklyWinRate else { continue }
            let figures = ["win_rate": rate, "floor": d.rules.minWeeklyWinRate, "trades": Decimal8(d.weekTrades)]
            switch d.rules.weeklyAction {
            case .pause:
                divisions[i].weeklyPausedWeek = newWeek
                emit(.breakerTripped, d.rules.name, Cause.weeklyWinRateBreaker.rawValue, time,
                     "weekly win rate \(rate.compactDescription) below \(d.rules.minWeeklyWinRate.compactDescription): paused for the week", figures)
            case .shiftCapital:
                let rates = divisions.map { Self.rate($0.weekWins, $0.weekTrades) }
                let others = divisions.indices.filter { $0 != i }.sorted { rates[$0] != rates[$1] ? rates[$0] > rates[$1] : $0 < $1 }
                if let to = others.first, shift(from: i, to: to, reason: Cause.weeklyWinRateBreaker.rawValue, at: time, figures: figures) == nil {
                    // Nothing could move (floors and caps): pause instead.
                    divisions[i].weeklyPausedWeek = newWeek
                    emit(.breakerTripped, d.rules.name, Cause.weeklyWinRateBreaker.rawValue, time,
                         "weekly win rate \(rate.compactDescription) below the floor and no capital could move: paused for the week", figures)
                }
            }
        }
        // Rebalancing.
        if rules.rebalance {
            let eligible = divisions.indices.filter { divisions[$0].weekTrades >= rules.rebalanceMinTrades }
            if eligible.count >= 2 {
                let rates = divisions.map { Self.rate($0.weekWins, $0.weekTrades) }
                let sharpes = divisions.map { Self.sharpe($0.weekReturns) }
                func winRate(_ i: Int) -> Decimal8 { rates[i] }
                func sharpe(_ i: Int) -> Double { sharpes[i] }
                switch rules.rebalanceMetric {
                case .winRate:
                    let ranked = eligible.sorted { winRate($0) != winRate($1) ? winRate($0) > winRate($1) : $0 < $1 }
                    let best = ranked.first!, worst = ranked.last!
                    let gap = winRate(best) - winRate(worst)
                    if gap > rules.rebalanceWinRateGap {
                        _ = shift(from: worst, to: best, reason: "rebalance_win_rate", at: time, figures: [
                            "win_rate_from": winRate(worst), "win_rate_to": winRate(best), "gap": gap, "threshold": rules.rebalanceWinRateGap,
                        ])
                    }
                case .sharpe:
                    let ranked = eligible.sorted { sharpe($0) != sharpe($1) ? sharpe($0) > sharpe($1) : $0 < $1 }
                    let best = ranked.first!, worst = ranked.last!
                    let gap = sharpe(best) - sharpe(worst)
                    if gap > rules.rebalanceSharpeGap {
                        _ = shift(from: worst, to: best, reason: "rebalance_sharpe", at: time, figures: [
                            "sharpe_from": Decimal8(sharpe(worst)), "sharpe_to": Decimal8(sharpe(best)), "gap": Decimal8(gap),
                        ])
                    }
                }
            }
        }
        for i in divisions.indices {
            divisions[i].weekWins = 0
            divisions[i].weekTrades = 0
            divisions[i].weekReturns = []
        }
    }

    /// Moves up to `rules.rebalanceStep` of share from `from` to `to` within the floor of one and
    /// the cap of the other (or exactly `requested`, at most the giver's share); nil when nothing
    /// could move. The core moves the capital and publishes the `capital_shifted` event.
    @discardableResult
    private mutating func shift(from: Int, to: Int, reason: String, at time: Timestamp, figures: [String: Decimal8], share requested: Decimal8? = nil) -> Decimal8? {
        let giver = divisions[from], taker = divisions[to]
        var amount = requested ?? rules.rebalanceStep
        if requested == nil {
            amount = min(amount, giver.share - giver.rules.capitalFloor, taker.rules.capitalCap - taker.share)
        }
        amount = min(amount, giver.share)
        guard amount > .zero else { return nil }
        divisions[from].share -= amount
        divisions[to].share += amount
        var all = figures
        all["share"] = amount
        all["share_from"] = divisions[from].share
        all["share_to"] = divisions[to].share
        shifts.append(CapitalShift(
            from: giver.rules.name, to: taker.rules.name, share: amount, reason: reason, time: time,
            detail: "\(amount.compactDescription) of the portfolio's capital from \(giver.rules.name) to \(taker.rules.name) (\(reason))",
            figures: all
        ))
        return amount
    }

    // MARK: Recovery

    /// Starts the shadow step for the divisions that were halted and are no longer.
    private mutating func startRecoveries(wasHalted: [Bool], at time: Timestamp) {
        for i in divisions.indices where wasHalted[i] && Self.state(of: causes(for: divisions[i].rules.name)) != .halted {
            divisions[i].recovery = Recovery(phase: .shadow, untilDay: time.utcDay + Int64(rules.recoveryShadowDays))
            emit(.recoveryStep, divisions[i].rules.name, RecoveryPhase.shadow.rawValue, time,
                 "halt cleared: shadow only for \(rules.recoveryShadowDays) days", ["days": Decimal8(rules.recoveryShadowDays)])
        }
        stepRecoveries(at: time)
    }

    private mutating func stepRecoveries(at time: Timestamp) {
        let today = time.utcDay
        for i in divisions.indices {
            guard var recovery = divisions[i].recovery, recovery.untilDay <= today,
                  Self.state(of: causes(for: divisions[i].rules.name)) != .halted else { continue }
            let name = divisions[i].rules.name
            switch recovery.phase {
            case .shadow:
                let rate = Self.rate(recovery.wins, recovery.trades)
                let trades = recovery.trades
                let figures = ["win_rate": rate, "floor": divisions[i].rules.minWeeklyWinRate, "trades": Decimal8(recovery.trades)]
                if recovery.trades > 0 && rate >= divisions[i].rules.minWeeklyWinRate {
                    recovery = Recovery(phase: .reduced, untilDay: today + Int64(rules.recoveryReducedDays))
                    emit(.recoveryStep, name, RecoveryPhase.reduced.rawValue, time,
                         "shadow win rate \(rate.compactDescription) recovered: \(rules.recoveryCapitalFraction.compactDescription) of capital for \(rules.recoveryReducedDays) days", figures)
                } else {
                    recovery = Recovery(phase: .shadow, untilDay: today + Int64(rules.recoveryShadowDays))
                    emit(.recoveryStep, name, RecoveryPhase.shadow.rawValue, time,
                         "shadow win rate \(rate.compactDescription) over \(trades) trades not recovered: another \(rules.recoveryShadowDays) shadow days", figures)
                }
                divisions[i].recovery = recovery
                if recovery.phase == .reduced && rules.recoveryReducedDays == 0 { fallthrough }
            case .reduced:
                divisions[i].recovery = nil
                emit(.recoveryStep, name, "full", time, "recovery complete: full capital")
            }
        }
    }

    // MARK: Trades

    /// A round trip of `division` closed at `time` with `pnl` (fees included). `equities` and
    /// `portfolio` are after the trade. Call ``advance(to:equities:portfolio:)`` with the time
    /// before the trade's P&L is booked, so the day's starting equity excludes it.
    public mutating func tradeClosed(division name: String, time: Timestamp, pnl: Decimal8, equities: [String: Decimal8], portfolio: Decimal8) {
        guard let i = index(name) else { return }
        let win = pnl > .zero
        divisions[i].dayPnL += pnl
        divisions[i].dayTrades += 1
        divisions[i].weekTrades += 1
        if win { divisions[i].weekWins += 1 }
        let base = divisions[i].startOfDayEquity
        divisions[i].weekReturns.append(base > .zero ? pnl.doubleValue / base.doubleValue : 0)
        divisions[i].recent.append(win)
        if divisions[i].recent.count > rules.divergenceWindowTrades { divisions[i].recent.removeFirst() }
        portfolioDayPnL += pnl
        dayTrades += 1
        if win { dayWins += 1 }

        // Division daily loss.
        let limit = dailyLossLimit(of: name)
        if divisions[i].dailyTrippedDay != day && divisions[i].dayPnL <= -limit {
            divisions[i].dailyTrippedDay = day
            emit(.breakerTripped, name, Cause.dailyLossBreaker.rawValue, time,
                 "realized P&L today \(divisions[i].dayPnL.compactDescription) reached the limit −\(limit.compactDescription): paused until the next UTC day",
                 ["loss": divisions[i].dayPnL, "limit": limit, "start_of_day_equity": base])
        }
        // Divergence from the backtest.
        if let backtest = divisions[i].rules.backtestWinRate, divisions[i].recent.count >= rules.divergenceWindowTrades {
            let live = Self.rate(divisions[i].recent.count(where: { $0 }), divisions[i].recent.count)
            let gap = live > backtest ? live - backtest : backtest - live
            if gap > rules.divergenceGap {
                if !divisions[i].divergenceAlerted {
                    divisions[i].divergenceAlerted = true
                    emit(.alert, name, "win_rate_divergence", time,
                         "live win rate \(live.compactDescription) vs backtest \(backtest.compactDescription) over \(divisions[i].recent.count) trades",
                         ["live": live, "backtest": backtest, "gap": gap, "threshold": rules.divergenceGap])
                }
            } else {
                divisions[i].divergenceAlerted = false
            }
        }
        // Portfolio daily loss.
        let portfolioLimit = rules.portfolioDailyLoss.multiplied(by: startOfDayPortfolio, rounding: .down)
        if portfolioHaltDay != day && portfolioDayPnL <= -portfolioLimit {
            portfolioHaltDay = day
            emit(.breakerTripped, "", Cause.portfolioLossHalt.rawValue, time,
                 "portfolio P&L today \(portfolioDayPnL.compactDescription) reached −\(portfolioLimit.compactDescription): every division halted until the next UTC day",
                 ["loss": portfolioDayPnL, "limit": portfolioLimit, "start_of_day_equity": startOfDayPortfolio])
            cancelRecoveries()
        }
        // Drawdown from the peak.
        peakEquity = max(peakEquity, portfolio)
        let floor = (Decimal8.one - rules.maxDrawdown).multiplied(by: peakEquity, rounding: .up)
        if !drawdownLatched && portfolio <= floor {
            drawdownLatched = true
            emit(.breakerTripped, "", Cause.drawdownHalt.rawValue, time,
                 "equity \(portfolio.compactDescription) is \(rules.maxDrawdown.compactDescription) or more below its peak \(peakEquity.compactDescription): halted until `quorum risk resume`",
                 ["equity": portfolio, "peak": peakEquity, "limit": rules.maxDrawdown])
            cancelRecoveries()
        }
        // Combined win rate over the window (the current day included).
        let window = pastDays.suffix(rules.combinedWindowDays - 1)
        let trades = window.reduce(dayTrades) { $0 + $1.trades }
        let wins = window.reduce(dayWins) { $0 + $1.wins }
        let combined = Self.rate(wins, trades)
        if !winRateLatched && trades >= rules.combinedMinTrades && combined < rules.combinedMinWinRate {
            winRateLatched = true
            emit(.breakerTripped, "", Cause.winRateHalt.rawValue, time,
                 "combined win rate \(combined.compactDescription) over \(trades) trades in \(rules.combinedWindowDays) days below \(rules.combinedMinWinRate.compactDescription): halted until `quorum risk ack`",
                 ["win_rate": combined, "floor": rules.combinedMinWinRate, "trades": Decimal8(trades)])
            cancelRecoveries()
        }
    }

    /// A shadow round trip of a division in recovery: counts for its recovery win rate only.
    public mutating func recoveryTradeClosed(division name: String, pnl: Decimal8) {
        guard let i = index(name), divisions[i].recovery != nil else { return }
        divisions[i].recovery!.trades += 1
        if pnl > .zero { divisions[i].recovery!.wins += 1 }
    }

    /// A new halt restarts the protocol: the recovery of halted divisions is dropped.
    private mutating func cancelRecoveries() {
        for i in divisions.indices where Self.state(of: causes(for: divisions[i].rules.name)) == .halted {
            divisions[i].recovery = nil
        }
    }

    // MARK: Health and feeds

    /// A component's health (`exchange`, `api_errors`, `market_data`, …): unhealthy pauses everything.
    public mutating func health(component: String, healthy: Bool, detail: String, time: Timestamp) {
        if healthy {
            guard unhealthy.removeValue(forKey: component) != nil else { return }
            emit(.breakerCleared, "", Cause.unhealthy.rawValue, time, "\(component) healthy again")
        } else {
            guard unhealthy[component] == nil else { return }
            unhealthy[component] = detail
            emit(.breakerTripped, "", Cause.unhealthy.rawValue, time, "\(component): \(detail)")
        }
    }

    /// The order-book feed of `symbol` failed or recovered. A division with a `feedFallback` lends
    /// its whole share to that division while any of its symbols fails.
    public mutating func feed(symbol: String, division name: String, healthy: Bool, time: Timestamp) {
        guard let i = index(name) else { return }
        let wasFailing = !divisions[i].failingSymbols.isEmpty
        if healthy {
            guard divisions[i].failingSymbols.remove(symbol) != nil else { return }
            emit(.breakerCleared, name, "feed_failure", time, "order-book feed of \(symbol) healthy again", [:])
        } else {
            guard divisions[i].failingSymbols.insert(symbol).inserted else { return }
            emit(.breakerTripped, name, "feed_failure", time, "order-book feed of \(symbol) failed", [:])
        }
        let failing = !divisions[i].failingSymbols.isEmpty
        guard let fallback = divisions[i].rules.feedFallback, let to = index(fallback), failing != wasFailing else { return }
        if failing {
            let lent = shift(from: i, to: to, reason: "feed_failure", at: time, figures: [:], share: divisions[i].share) ?? .zero
            divisions[i].lentShare = lent
        } else if divisions[i].lentShare > .zero {
            shift(from: to, to: i, reason: "feed_restored", at: time, figures: [:], share: min(divisions[i].lentShare, divisions[to].share))
            divisions[i].lentShare = .zero
        }
    }

    // MARK: Control

    public enum ControlError: Error, Sendable, Hashable, CustomStringConvertible {
        case unknownDivision(String)
        public var description: String {
            switch self {
            case .unknownDivision(let name): return "unknown division \"\(name)\""
            }
        }
    }

    /// Applies a verified control command (the shell checks signatures). `division` nil: the
    /// portfolio. Returns what it did.
    public mutating func control(_ command: Command, division name: String?, time: Timestamp) throws(ControlError) -> String {
        var target: Int?
        if let name {
            guard let i = index(name) else { throw .unknownDivision(name) }
            target = i
        }
        let haltsBefore = divisions.map { Self.state(of: causes(for: $0.rules.name)) == .halted }
        let scope = name ?? "the portfolio"
        let detail: String
        switch command {
        case .status:
            detail = "status of \(scope)"
        case .pause:
            if let i = target { divisions[i].manualPause = true } else { manualPause = true }
            detail = "paused \(scope) until resume"
        case .flatten:
            if let i = target { divisions[i].manualHalt = true } else { manualHalt = true }
            cancelRecoveries()
            detail = "halted \(scope) and asked the Executor to flatten its positions"
        case .resume:
            if let i = target {
                divisions[i].manualPause = false
                divisions[i].manualHalt = false
            } else {
                manualPause = false
                manualHalt = false
                if drawdownLatched {
                    drawdownLatched = false
                    peakEquity = .zero  // the next trade sets a new peak from the current equity
                    emit(.breakerCleared, "", Cause.drawdownHalt.rawValue, time, "drawdown latch released by resume")
                }
            }
            detail = "resumed \(scope)"
        case .ack:
            if let i = target {
                divisions[i].retrain = false
                divisions[i].losingDays = 0
            } else {
                if winRateLatched {
                    winRateLatched = false
                    pastDays.removeAll()
                    dayWins = 0
                    dayTrades = 0
                    emit(.breakerCleared, "", Cause.winRateHalt.rawValue, time, "win-rate latch acknowledged")
                }
                for i in divisions.indices { divisions[i].retrain = false }
            }
            detail = "acknowledged \(scope)"
        }
        emit(.control, name ?? "", command.rawValue, time, detail)
        startRecoveries(wasHalted: haltsBefore, at: time)
        return detail
    }
}
