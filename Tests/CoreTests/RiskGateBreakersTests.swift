import Domain
import RiskGateCore
import Testing

// Scripted events for the Breakers state machine: every breaker, latch, recovery step and
// rebalancing rule, in event time.

/// 2024-08-05T00:00:00Z, a Monday.
private let day0: Int64 = 1_722_816_000_000

private func dec(_ text: String) -> Decimal8 { Decimal8(text)! }

private func at(_ day: Int64, minute: Int64 = 0) -> Timestamp { Timestamp(milliseconds: day0 + day * 86_400_000 + minute * 60_000) }

/// Breakers over the presets with a portfolio of 1000 (conservative 600, aggressive 300, reserve
/// 100) and a book of equities that follows the trades.
private struct Script {
    var breakers: Breakers
    var equities: [String: Decimal8]
    let reserve: Decimal8
    var events: [RiskEvent] = []
    var shifts: [Breakers.CapitalShift] = []

    init(rules: Breakers.Rules = .init(), edit: (inout [RiskGateCore.Division]) -> Void = { _ in }) {
        var configuration = RiskGateCore.Configuration.presets(equity: Decimal8(1000))
        configuration.rules = rules
        edit(&configuration.divisions)
        breakers = Breakers(rules: rules, divisions: configuration.divisions, portfolioEquity: configuration.portfolioEquity)
        equities = Dictionary(uniqueKeysWithValues: configuration.divisions.map { ($0.name, $0.equity) })
        reserve = configuration.reserve
        advance(to: at(0))
    }

    var portfolio: Decimal8 { equities.values.reduce(reserve, +) }

    mutating func drain() {
        events += breakers.drainEvents()
        shifts += breakers.drainShifts()
    }

    mutating func advance(to time: Timestamp) {
        breakers.advance(to: time, equities: equities, portfolio: portfolio)
        drain()
    }

    mutating func trade(_ division: String, _ pnl: String, day: Int64, minute: Int64 = 0) {
        let time = at(day, minute: minute)
        advance(to: time)
        equities[division]! += dec(pnl)
        breakers.tradeClosed(division: division, time: time, pnl: dec(pnl), equities: equities, portfolio: portfolio)
        drain()
    }

    /// `wins` winning and `losses` losing trades of `division` on `day`, one minute apart.
    mutating func trades(_ division: String, wins: Int, losses: Int, day: Int64, win: String = "1", loss: String = "-1") {
        for i in 0..<(wins + losses) { trade(division, i < wins ? win : loss, day: day, minute: Int64(i)) }
    }

    mutating func control(_ command: Breakers.Command, _ division: String? = nil, day: Int64) throws {
        _ = try breakers.control(command, division: division, time: at(day, minute: 1439))
        drain()
    }

    func codes(_ kind: RiskEvent.Kind) -> [String] { events.filter { $0.kind == kind }.map(\.code) }
}

@Suite("RiskGate breakers")
struct RiskGateBreakersTests {
    @Test("Daily loss: conservative trips at 2 %, aggressive at 3 %, each paused until the next UTC day")
    func dailyLoss() {
        var s = Script()
        s.trade("conservative", "-6", day: 0, minute: 1)
        #expect(s.breakers.tradingState(for: "conservative") == .active)
        s.trade("conservative", "-6", day: 0, minute: 2)  // −12 = 2 % of 600
        #expect(s.breakers.causes(for: "conservative") == [.dailyLossBreaker])
        #expect(s.breakers.tradingState(for: "conservative") == .reducing)
        #expect(s.breakers.tradingState(for: "aggressive") == .active)
        let trip = s.events.first { $0.code == "daily_loss_breaker" }
        #expect(trip?.figures["loss"] == dec("-12") && trip?.figures["limit"] == dec("12"))
        s.trade("aggressive", "-8.99", day: 0, minute: 3)
        #expect(s.breakers.tradingState(for: "aggressive") == .active)  // limit 3 % of 300 = 9
        s.trade("aggressive", "-0.01", day: 0, minute: 4)
        #expect(s.breakers.tradingState(for: "aggressive") == .reducing)
        s.advance(to: at(0, minute: 1439))
        #expect(s.breakers.tradingState(for: "conservative") == .reducing)
        s.advance(to: at(1))
        #expect(s.breakers.tradingState(for: "conservative") == .active && s.breakers.tradingState(for: "aggressive") == .active)
        #expect(s.codes(.breakerCleared) == ["daily_loss_breaker", "daily_loss_breaker"])
        // The new day's limit is on its starting equity: 588 × 2 % = 11.76.
        #expect(s.breakers.dailyLossLimit(of: "conservative") == dec("11.76"))
    }

    @Test("Three consecutive losing days raise the retrain flag; a winning day or ack clears it")
    func retrainFlag() throws {
        var s = Script()
        s.trade("conservative", "-1", day: 0)
        s.trade("conservative", "-1", day: 1)
        s.advance(to: at(2))
        // A day without trades neither counts nor breaks the run.
        s.trade("conservative", "-1", day: 3)
        #expect(!s.breakers.retrainRequested("conservative"))
        s.advance(to: at(4))
        #expect(s.breakers.retrainRequested("conservative"))
        #expect(s.codes(.retrainRequested) == ["losing_days"])
        #expect(s.breakers.tradingState(for: "conservative") == .active)  // a flag, not a pause
        s.trade("conservative", "2", day: 4)
        s.advance(to: at(5))
        #expect(!s.breakers.retrainRequested("conservative"))
        for day in Int64(5)...7 { s.trade("conservative", "-1", day: day) }
        s.advance(to: at(8))
        #expect(s.breakers.retrainRequested("conservative"))
        try s.control(.ack, "conservative", day: 8)
        #expect(!s.breakers.retrainRequested("conservative"))
    }

    @Test("Weekly win rate below 52 % pauses the conservative division for the next week; 50 % does not pause the aggressive one")
    func weeklyWinRate() {
        var s = Script(edit: { $0 = $0.map { var d = $0; d.maxDailyLoss = .one; return d } })
        s.trades("conservative", wins: 5, losses: 5, day: 1, win: "0.1", loss: "-0.1")  // 50 % < 52 %
        s.trades("aggressive", wins: 5, losses: 5, day: 2, win: "0.1", loss: "-0.1")  // 50 % = floor
        s.advance(to: at(7))  // the next Monday
        #expect(s.breakers.causes(for: "conservative") == [.weeklyWinRateBreaker])
        #expect(s.breakers.tradingState(for: "aggressive") == .active)
        let trip = s.events.first { $0.code == "weekly_win_rate_breaker" }
        #expect(trip?.figures["win_rate"] == dec("0.5") && trip?.figures["floor"] == dec("0.52"))
        s.advance(to: at(13))
        #expect(s.breakers.tradingState(for: "conservative") == .reducing)
        s.advance(to: at(14))
        #expect(s.breakers.tradingState(for: "conservative") == .active)
        // Too few trades: no verdict.
        var few = Script()
        few.trades("conservative", wins: 1, losses: 8, day: 1, win: "0.1", loss: "-0.1")
        few.advance(to: at(7))
        #expect(few.breakers.tradingState(for: "conservative") == .active)
    }

    @Test("Weekly win rate, shift_capital: the conservative division's capital moves to the other division within caps")
    func weeklyShift() {
        var s = Script(rules: { var r = Breakers.Rules(); r.rebalance = false; return r }(), edit: { divisions in
            divisions[0].weeklyAction = .shiftCapital
            divisions[0].maxDailyLoss = .one
        })
        s.trades("conservative", wins: 4, losses: 6, day: 1, win: "0.1", loss: "-0.1")
        s.advance(to: at(7))
        #expect(s.breakers.tradingState(for: "conservative") == .active)
        #expect(s.shifts.map(\.share) == [dec("0.1")])
        #expect(s.shifts.first?.from == "conservative" && s.shifts.first?.to == "aggressive")
        #expect(s.breakers.share(of: "conservative") == dec("0.5") && s.breakers.share(of: "aggressive") == dec("0.4"))
    }

    @Test("Rebalancing by win rate: 10 points apart moves 10 % toward the better division, within floors and caps")
    func rebalanceWinRate() {
        var s = Script(edit: { $0 = $0.map { var d = $0; d.maxDailyLoss = .one; d.minWeeklyWinRate = .zero; return d } })
        s.trades("conservative", wins: 8, losses: 2, day: 1, win: "0.1", loss: "-0.1")
        s.trades("aggressive", wins: 5, losses: 5, day: 2, win: "0.1", loss: "-0.1")
        s.advance(to: at(7))
        #expect(s.shifts.count == 1)
        let shift = s.shifts[0]
        #expect(shift.from == "aggressive" && shift.to == "conservative" && shift.share == dec("0.1") && shift.reason == "rebalance_win_rate")
        #expect(shift.figures["gap"] == dec("0.3") && shift.figures["share_to"] == dec("0.7"))
        // The next week the same gap: the conservative cap (0.75) limits the step to 0.05.
        s.trades("conservative", wins: 8, losses: 2, day: 8, win: "0.1", loss: "-0.1")
        s.trades("aggressive", wins: 5, losses: 5, day: 9, win: "0.1", loss: "-0.1")
        s.advance(to: at(14))
        #expect(s.shifts.map(\.share) == [dec("0.1"), dec("0.05")])
        // At the cap, nothing moves.
        s.trades("conservative", wins: 8, losses: 2, day: 15, win: "0.1", loss: "-0.1")
        s.trades("aggressive", wins: 5, losses: 5, day: 16, win: "0.1", loss: "-0.1")
        s.advance(to: at(21))
        #expect(s.shifts.count == 2)
        #expect(s.breakers.share(of: "conservative") == dec("0.75") && s.breakers.share(of: "aggressive") == dec("0.15"))
        // A gap of 5 points or less moves nothing.
        var close = Script(edit: { $0 = $0.map { var d = $0; d.maxDailyLoss = .one; d.minWeeklyWinRate = .zero; return d } })
        close.trades("conservative", wins: 11, losses: 9, day: 1, win: "0.1", loss: "-0.1")  // 55 %
        close.trades("aggressive", wins: 10, losses: 10, day: 2, win: "0.1", loss: "-0.1")  // 50 %
        close.advance(to: at(7))
        #expect(close.shifts.isEmpty)
    }

    @Test("Rebalancing by Sharpe ratio (configurable): a gap above 0.3 moves capital")
    func rebalanceSharpe() {
        var rules = Breakers.Rules()
        rules.rebalanceMetric = .sharpe
        var s = Script(rules: rules, edit: { $0 = $0.map { var d = $0; d.maxDailyLoss = .one; d.minWeeklyWinRate = .zero; return d } })
        // Conservative: steady gains (high Sharpe); aggressive: noisy, flat.
        for i in 0..<10 { s.trade("conservative", i % 2 == 0 ? "1" : "0.8", day: 1, minute: Int64(i)) }
        for i in 0..<10 { s.trade("aggressive", i % 2 == 0 ? "2" : "-2", day: 2, minute: Int64(i)) }
        s.advance(to: at(7))
        #expect(s.shifts.map(\.reason) == ["rebalance_sharpe"])
        #expect(s.shifts.first?.to == "conservative")
    }

    @Test("Live vs backtest win rate diverging by more than 5 points over the window raises one alert")
    func divergenceAlert() {
        var rules = Breakers.Rules()
        rules.divergenceWindowTrades = 10
        var s = Script(rules: rules, edit: { divisions in
            divisions[0].backtestWinRate = dec("0.6")
            divisions[0].maxDailyLoss = .one
        })
        s.trades("conservative", wins: 6, losses: 4, day: 0, win: "0.1", loss: "-0.1")
        #expect(s.codes(.alert).isEmpty)  // 60 %: no gap
        s.trades("conservative", wins: 0, losses: 1, day: 1, win: "0.1", loss: "-0.1")  // the last 10: 5 wins
        #expect(s.codes(.alert) == ["win_rate_divergence"])
        #expect(s.events.first { $0.kind == .alert }?.figures["live"] == dec("0.5"))
        s.trades("conservative", wins: 0, losses: 2, day: 1, win: "0.1", loss: "-0.1")
        #expect(s.codes(.alert).count == 1)  // once per excursion
        #expect(s.breakers.tradingState(for: "conservative") == .active)
    }

    @Test("An aggressive symbol's order-book feed failure moves its capital to the conservative division, and back")
    func feedFallback() {
        var s = Script()
        s.breakers.feed(symbol: "SOLUSDT", division: "aggressive", healthy: false, time: at(0, minute: 5))
        s.drain()
        #expect(s.breakers.isFeedFailing("SOLUSDT", division: "aggressive"))
        #expect(!s.breakers.isFeedFailing("BNBUSDT", division: "aggressive"))
        #expect(s.shifts.map { "\($0.from)>\($0.to) \($0.share.compactDescription) \($0.reason)" } == ["aggressive>conservative 0.3 feed_failure"])
        s.breakers.feed(symbol: "BNBUSDT", division: "aggressive", healthy: false, time: at(0, minute: 6))
        s.breakers.feed(symbol: "SOLUSDT", division: "aggressive", healthy: true, time: at(0, minute: 7))
        s.drain()
        #expect(s.shifts.count == 1)  // BNB still fails
        s.breakers.feed(symbol: "BNBUSDT", division: "aggressive", healthy: true, time: at(0, minute: 8))
        s.drain()
        #expect(s.shifts.last.map { "\($0.from)>\($0.to) \($0.share.compactDescription) \($0.reason)" } == "conservative>aggressive 0.3 feed_restored")
        #expect(s.breakers.share(of: "aggressive") == dec("0.3"))
    }

    @Test("Portfolio loss over 5 % in a day halts every division until the next day, then the recovery protocol runs")
    func portfolioLossAndRecovery() {
        var s = Script()
        s.trade("conservative", "-30", day: 0, minute: 1)
        s.trade("aggressive", "-19.99", day: 0, minute: 2)
        #expect(s.breakers.portfolioState == .reducing || s.breakers.portfolioState == .active)
        s.trade("aggressive", "-0.01", day: 0, minute: 3)  // −50 = 5 % of 1000
        #expect(s.breakers.portfolioCauses == [.portfolioLossHalt])
        #expect(s.breakers.tradingState(for: "conservative") == .halted && s.breakers.tradingState(for: "aggressive") == .halted)
        s.advance(to: at(1))
        #expect(s.breakers.tradingState(for: "conservative") == .active)
        #expect(s.breakers.recovery(of: "conservative") == .shadow && s.breakers.recovery(of: "aggressive") == .shadow)
        // Shadow for 3 days: the shadow trades count for the recovery only.
        for _ in 0..<3 { s.breakers.recoveryTradeClosed(division: "conservative", pnl: dec("1")) }
        s.breakers.recoveryTradeClosed(division: "aggressive", pnl: dec("-1"))
        s.advance(to: at(3))
        #expect(s.breakers.recovery(of: "conservative") == .shadow)
        s.advance(to: at(4))
        #expect(s.breakers.recovery(of: "conservative") == .reduced)
        #expect(s.breakers.capitalFraction(of: "conservative") == dec("0.5"))
        // The aggressive division did not recover: another shadow period.
        #expect(s.breakers.recovery(of: "aggressive") == .shadow)
        s.advance(to: at(7))
        #expect(s.breakers.recovery(of: "conservative") == nil)
        #expect(s.breakers.capitalFraction(of: "conservative") == .one)
        #expect(s.codes(.recoveryStep) == ["shadow", "shadow", "reduced", "shadow", "full", "shadow"])
    }

    @Test("Combined win rate below 50 % over 5 days halts, latched until ack; then recovery")
    func winRateLatch() throws {
        var rules = Breakers.Rules()
        rules.portfolioDailyLoss = .one
        var s = Script(rules: rules, edit: { $0 = $0.map { var d = $0; d.maxDailyLoss = .one; return d } })
        for day in Int64(0)..<4 { s.trades("conservative", wins: 2, losses: 3, day: day, win: "0.1", loss: "-0.1") }
        // 20 trades, 8 wins: 40 %.
        #expect(s.breakers.portfolioCauses == [.winRateHalt])
        s.advance(to: at(10))
        #expect(s.breakers.tradingState(for: "aggressive") == .halted)  // latched across days
        try s.control(.resume, day: 10)
        #expect(s.breakers.portfolioCauses == [.winRateHalt])  // resume does not release it
        try s.control(.ack, day: 10)
        #expect(s.breakers.portfolioCauses.isEmpty)
        #expect(s.breakers.recovery(of: "conservative") == .shadow)
        // Fewer than 20 trades never latch.
        var few = Script(rules: rules)
        few.trades("conservative", wins: 0, losses: 19, day: 0, win: "0.1", loss: "-0.01")
        #expect(few.breakers.portfolioCauses.isEmpty)
    }

    @Test("Drawdown over 15 % from the peak halts, latched until resume (ack does not release it)")
    func drawdownLatch() throws {
        var rules = Breakers.Rules()
        rules.portfolioDailyLoss = .one
        var s = Script(rules: rules, edit: { $0 = $0.map { var d = $0; d.maxDailyLoss = .one; return d } })
        s.trade("conservative", "100", day: 0)  // peak 1100
        s.trade("conservative", "-100", day: 1)
        s.trade("aggressive", "-64", day: 2)  // 936 > 935
        #expect(s.breakers.portfolioCauses.isEmpty)
        s.trade("aggressive", "-1", day: 3)  // 935 = 85 % of 1100
        #expect(s.breakers.portfolioCauses == [.drawdownHalt])
        s.advance(to: at(5))
        try s.control(.ack, day: 5)
        #expect(s.breakers.portfolioCauses == [.drawdownHalt])
        try s.control(.resume, day: 5)
        #expect(s.breakers.portfolioCauses.isEmpty)
        #expect(s.breakers.recovery(of: "aggressive") == .shadow)
        #expect(s.codes(.breakerCleared).contains("drawdown_halt"))
    }

    @Test("Unhealthy components pause everything until every one is healthy")
    func health() {
        var s = Script()
        s.breakers.health(component: "collector", healthy: false, detail: "no heartbeat for 6000 ms", time: at(0, minute: 1))
        s.breakers.health(component: "executor", healthy: false, detail: "no heartbeat", time: at(0, minute: 1))
        #expect(s.breakers.portfolioCauses == [.unhealthy])
        #expect(s.breakers.tradingState(for: "conservative") == .reducing)
        s.breakers.health(component: "collector", healthy: true, detail: "", time: at(0, minute: 2))
        #expect(s.breakers.tradingState(for: "conservative") == .reducing)
        s.breakers.health(component: "executor", healthy: true, detail: "", time: at(0, minute: 2))
        #expect(s.breakers.tradingState(for: "conservative") == .active)
        #expect(s.breakers.recovery(of: "conservative") == nil)  // a pause is not a halt
    }

    @Test("Manual pause, flatten and resume, per division or for the portfolio; an unknown division is refused")
    func manualControl() throws {
        var s = Script()
        try s.control(.pause, "aggressive", day: 0)
        #expect(s.breakers.causes(for: "aggressive") == [.manualPause] && s.breakers.tradingState(for: "conservative") == .active)
        try s.control(.flatten, day: 0)
        #expect(s.breakers.tradingState(for: "conservative") == .halted)
        try s.control(.resume, day: 0)
        #expect(s.breakers.tradingState(for: "conservative") == .active)
        #expect(s.breakers.causes(for: "aggressive") == [.manualPause])  // its own pause stays
        #expect(s.breakers.recovery(of: "conservative") == .shadow)
        try s.control(.resume, "aggressive", day: 0)
        #expect(s.breakers.tradingState(for: "aggressive") == .active)
        #expect(throws: Breakers.ControlError.unknownDivision("nope")) { _ = try s.breakers.control(.pause, division: "nope", time: at(0)) }
        #expect(s.codes(.control) == ["pause", "flatten", "resume", "resume"])
    }

    @Test("Weeks start on Monday (UTC)")
    func weeks() {
        let monday = at(0).utcDay
        #expect(Breakers.week(ofDay: monday) == Breakers.week(ofDay: monday + 6))
        #expect(Breakers.week(ofDay: monday + 7) == Breakers.week(ofDay: monday) + 1)
        #expect(Breakers.week(ofDay: monday - 1) == Breakers.week(ofDay: monday) - 1)
    }

    @Test("Invalid rules list every violation")
    func rulesValidation() {
        var rules = Breakers.Rules()
        rules.portfolioDailyLoss = .zero
        rules.maxDrawdown = dec("1.5")
        rules.combinedWindowDays = 0
        rules.rebalanceSharpeGap = -1
        #expect(rules.violations(prefix: "rules").count == 4)
        #expect(Breakers.Rules().violations(prefix: "rules").isEmpty)
    }
}
