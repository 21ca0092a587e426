import Domain
import Foundation

/// The performance of a list of closed trades over a time window: the numbers of a backtest report.
///
/// **Equity.** The curve starts at `initialEquity` at the window's start and moves only when a
/// trade closes, by its realized P&L (fees included): realized, not marked to market while a
/// position is open. A position still open at the end counts only if the caller closed it at a
/// mark (``BacktestTrade/ExitReason/end``). Only trades whose exit time lies in the window count;
/// the others are counted in ``excludedTrades``.
///
/// **Daily returns** are taken on UTC days, from the day of the window's start to the day of its
/// last instant (a partial first or last day is a whole day): r_d = E_d ÷ E_(d−1) − 1 with E_d the
/// equity at the end of day d; a day without exits has r = 0. After the equity reaches zero or
/// less, returns are 0 (the account is ruined; no ratio is defined).
///
/// **Sharpe** = mean(r) ÷ std(r) × √365 with the sample standard deviation (n − 1), risk-free rate 0,
/// 365-day year (crypto trades every day); nil with fewer than two days or a zero deviation.
/// **Sortino** = mean(r) ÷ DD × √365 with the downside deviation DD = √(Σ min(r, 0)² ÷ n) over all
/// n days (target 0); nil when no day lost.
///
/// **Max drawdown** is the largest fall of the equity curve below its running peak, as a fraction of
/// that peak, clamped to [0, 1] (losing the whole equity or more is 100 %). Its duration runs from
/// that peak to the first time the curve is back at or above the peak, or to the window's end.
///
/// **Exposure** is the fraction of the window's time during which at least one counted trade was
/// open (the union of [entry, exit) intervals, clipped to the window).
///
/// **Trades**: a win has P&L > 0 net of fees, a loss < 0 (a trade of exactly 0 is neither).
/// Profit factor = gross wins ÷ gross losses (``ProfitFactor``: infinite without losses, undefined
/// without wins or losses). Expectancy is the mean P&L per trade. Monthly returns are per calendar
/// month (UTC) of the window, E_end ÷ E_start − 1, so they compound to the total return.
public struct PerformanceMetrics: Sendable, Hashable {
    /// The specification's evaluation window: 90 days.
    public static let defaultWindowDays = 90

    /// The `days` days (default 90) ending at `end` (exclusive).
    public static func window(endingAt end: Timestamp, days: Int = defaultWindowDays) -> Range<Timestamp> {
        end.adding(milliseconds: -Int64(days) * 86_400_000)..<end
    }

    /// Gross wins ÷ gross losses.
    public enum ProfitFactor: Sendable, Hashable {
        /// No winning and no losing trade.
        case undefined
        /// Wins and no loss.
        case infinite
        case finite(Double)

        /// The value where one exists (+∞ for `infinite`), nil when undefined.
        public var value: Double? {
            switch self {
            case .undefined: return nil
            case .infinite: return .infinity
            case .finite(let v): return v
            }
        }
    }

    public struct EquityPoint: Sendable, Hashable {
        public var time: Timestamp
        public var equity: Decimal8
    }

    public struct MonthlyReturn: Sendable, Hashable {
        public var year: Int
        public var month: Int
        public var value: Double
        /// "2024-07".
        public var label: String { String(year) + "-" + (month < 10 ? "0" : "") + String(month) }
    }

    public struct Drawdown: Sendable, Hashable {
        /// Fraction of the peak, in [0, 1].
        public var depth: Double
        public var peakTime: Timestamp
        public var troughTime: Timestamp
        /// When the curve was back at the peak; nil when it never was inside the window.
        public var recoveryTime: Timestamp?
        /// Peak to recovery, or to the window's end.
        public var durationSeconds: Double
    }

    /// Why metrics could not be computed; lists every problem.
    public struct InputError: Error, Equatable, CustomStringConvertible {
        public var problems: [String]
        public var description: String { "cannot compute metrics: " + problems.joined(separator: "; ") }
    }

    public var windowStart: Timestamp
    public var windowEnd: Timestamp
    public var initialEquity: Decimal8
    public var finalEquity: Decimal8
    public var netPnL: Decimal8
    public var fees: Decimal8
    public var trades: Int
    /// Trades given whose exit lies outside the window.
    public var excludedTrades: Int
    public var tradesPerDay: Double
    public var wins: Int
    public var losses: Int
    /// wins ÷ trades; nil without trades.
    public var winRate: Double?
    public var grossProfit: Decimal8
    /// Positive: the sum of the losing trades' |P&L|.
    public var grossLoss: Decimal8
    /// Mean P&L of the winning trades (quote); nil without wins.
    public var averageWin: Decimal8?
    /// Mean P&L of the losing trades (quote, negative); nil without losses.
    public var averageLoss: Decimal8?
    public var averageWinReturn: Double?
    public var averageLossReturn: Double?
    public var profitFactor: ProfitFactor
    /// Mean P&L per trade (quote); nil without trades.
    public var expectancy: Decimal8?
    /// Mean return on committed capital per trade; nil without trades.
    public var expectancyReturn: Double?
    public var totalReturn: Double
    public var monthlyReturns: [MonthlyReturn]
    public var dailyReturns: [Double]
    public var sharpe: Double?
    public var sortino: Double?
    public var maxDrawdown: Drawdown
    public var exposure: Double
    public var averageHoldSeconds: Double?
    public var equityCurve: [EquityPoint]
    public var exitReasons: [BacktestTrade.ExitReason: Int]

    /// The window's length in days (fractional).
    public var windowDays: Double { Double(windowEnd.nanoseconds - windowStart.nanoseconds) / 86_400e9 }

    /// The drawdown of each equity point below its running peak (fraction, in [0, 1]).
    public var drawdownCurve: [(time: Timestamp, drawdown: Double)] {
        var peak = Decimal8.zero
        var first = true
        return equityCurve.map { point in
            if first || point.equity > peak { peak = point.equity; first = false }
            return (point.time, Self.depth(peak: peak, equity: point.equity))
        }
    }

    static func depth(peak: Decimal8, equity: Decimal8) -> Double {
        guard equity < peak else { return 0 }
        guard peak > .zero else { return 1 }
        return min(1, max(0, (peak - equity).doubleValue / peak.doubleValue))
    }

    public static func compute(trades allTrades: [BacktestTrade], initialEquity: Decimal8, window: Range<Timestamp>) throws(InputError) -> PerformanceMetrics {
        var problems: [String] = []
        if initialEquity <= .zero { problems.append("initialEquity: must be > 0, got \(initialEquity.compactDescription)") }
        if window.isEmpty { problems.append("window: must not be empty, got \(window.lowerBound)..<\(window.upperBound)") }
        for trade in allTrades where trade.exitTime < trade.entryTime {
            problems.append("trade \(trade.intentID): exit \(trade.exitTime) before entry \(trade.entryTime)")
        }
        guard problems.isEmpty else { throw InputError(problems: problems) }

        let trades = allTrades.filter { window.contains($0.exitTime) }.sorted { ($0.exitTime, $0.intentID) < ($1.exitTime, $1.intentID) }
        let n = trades.count

        // Equity curve (realized).
        var curve = [EquityPoint(time: window.lowerBound, equity: initialEquity)]
        var equity = initialEquity
        for trade in trades {
            equity += trade.pnl
            curve.append(EquityPoint(time: trade.exitTime, equity: equity))
        }
        let finalEquity = equity
        let netPnL = finalEquity - initialEquity

        // Daily returns on UTC days.
        let firstDay = window.lowerBound.utcDay
        let lastDay = Timestamp(nanoseconds: window.upperBound.nanoseconds - 1).utcDay
        var daily: [Double] = []
        daily.reserveCapacity(Int(lastDay - firstDay + 1))
        var index = 0
        var previous = initialEquity
        var running = initialEquity
        for day in firstDay...lastDay {
            while index < n, trades[index].exitTime.utcDay <= day {
                running += trades[index].pnl
                index += 1
            }
            daily.append(previous > .zero ? running.doubleValue / previous.doubleValue - 1 : 0)
            previous = running
        }
        let (sharpe, sortino) = Self.ratios(daily)

        // Max drawdown and its duration.
        var peak = initialEquity
        var peakTime = window.lowerBound
        var worst = Drawdown(depth: 0, peakTime: window.lowerBound, troughTime: window.lowerBound, recoveryTime: nil, durationSeconds: 0)
        var worstOpen = false // the worst episode has not recovered yet
        for point in curve.dropFirst() {
            if point.equity >= peak {
                if worstOpen && worst.peakTime == peakTime { worst.recoveryTime = point.time; worstOpen = false }
                peak = point.equity
                peakTime = point.time
            } else {
                let d = depth(peak: peak, equity: point.equity)
                if d > worst.depth {
                    worst = Drawdown(depth: d, peakTime: peakTime, troughTime: point.time, recoveryTime: nil, durationSeconds: 0)
                    worstOpen = true
                }
            }
        }
        if worst.depth > 0 {
            let end = worst.recoveryTime ?? window.upperBound
            worst.durationSeconds = Double(end.nanoseconds - worst.peakTime.nanoseconds) / 1e9
        }

        // Exposure: union of the open intervals, clipped to the window.
        let intervals = trades
            .map { (max($0.entryTime, window.lowerBound), min($0.exitTime, window.upperBound)) }
            .filter { $0.0 < $0.1 }
            .sorted { $0.0 < $1.0 }
        var covered: Int64 = 0
        var current: (Timestamp, Timestamp)?
        for interval in intervals {
            if let c = current, interval.0 <= c.1 {
                current = (c.0, max(c.1, interval.1))
            } else {
                if let c = current { covered += c.1.nanoseconds - c.0.nanoseconds }
                current = interval
            }
        }
        if let c = current { covered += c.1.nanoseconds - c.0.nanoseconds }
        let windowNanos = Double(window.upperBound.nanoseconds - window.lowerBound.nanoseconds)

        // Trade statistics.
        let winners = trades.filter(\.isWin)
        let losers = trades.filter(\.isLoss)
        let grossProfit = winners.reduce(Decimal8.zero) { $0 + $1.pnl }
        let grossLoss = losers.reduce(Decimal8.zero) { $0 - $1.pnl }
        let profitFactor: ProfitFactor
        if grossLoss.isZero {
            profitFactor = grossProfit.isZero ? .undefined : .infinite
        } else {
            profitFactor = .finite(grossProfit.doubleValue / grossLoss.doubleValue)
        }
        func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
        func meanPnL(_ sum: Decimal8, _ count: Int) -> Decimal8? { count == 0 ? nil : sum.divided(by: Decimal8(count)) }
        var reasons: [BacktestTrade.ExitReason: Int] = [:]
        for trade in trades { reasons[trade.exitReason, default: 0] += 1 }

        return PerformanceMetrics(
            windowStart: window.lowerBound, windowEnd: window.upperBound,
            initialEquity: initialEquity, finalEquity: finalEquity, netPnL: netPnL,
            fees: trades.reduce(Decimal8.zero) { $0 + $1.fees },
            trades: n, excludedTrades: allTrades.count - n,
            tradesPerDay: Double(n) / (windowNanos / 86_400e9),
            wins: winners.count, losses: losers.count,
            winRate: n == 0 ? nil : Double(winners.count) / Double(n),
            grossProfit: grossProfit, grossLoss: grossLoss,
            averageWin: meanPnL(grossProfit, winners.count), averageLoss: meanPnL(-grossLoss, losers.count),
            averageWinReturn: mean(winners.map(\.returnOnCommitted)), averageLossReturn: mean(losers.map(\.returnOnCommitted)),
            profitFactor: profitFactor,
            expectancy: meanPnL(netPnL, n), expectancyReturn: mean(trades.map(\.returnOnCommitted)),
            totalReturn: netPnL.doubleValue / initialEquity.doubleValue,
            monthlyReturns: Self.monthly(trades: trades, initialEquity: initialEquity, window: window),
            dailyReturns: daily, sharpe: sharpe, sortino: sortino, maxDrawdown: worst,
            exposure: windowNanos > 0 ? Double(covered) / windowNanos : 0,
            averageHoldSeconds: mean(trades.map(\.holdSeconds)),
            equityCurve: curve, exitReasons: reasons
        )
    }

    /// Sharpe and Sortino of daily returns (see the type's documentation).
    static func ratios(_ daily: [Double]) -> (sharpe: Double?, sortino: Double?) {
        let n = Double(daily.count)
        guard daily.count >= 2 else { return (nil, nil) }
        let mean = daily.reduce(0, +) / n
        let variance = daily.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        let std = variance.squareRoot()
        let downside = (daily.reduce(0) { $0 + min($1, 0) * min($1, 0) } / n).squareRoot()
        let annual = 365.0.squareRoot()
        return (std > 0 ? mean / std * annual : nil, downside > 0 ? mean / downside * annual : nil)
    }

    /// Calendar-month returns over the window's months.
    static func monthly(trades: [BacktestTrade], initialEquity: Decimal8, window: Range<Timestamp>) -> [MonthlyReturn] {
        let (y0, m0, _) = CivilDate.from(days: window.lowerBound.utcDay)
        let (y1, m1, _) = CivilDate.from(days: Timestamp(nanoseconds: window.upperBound.nanoseconds - 1).utcDay)
        var result: [MonthlyReturn] = []
        var (year, month) = (y0, m0)
        var index = 0
        var start = initialEquity
        while (year, month) <= (y1, m1) {
            var end = start
            while index < trades.count {
                let (ty, tm, _) = CivilDate.from(days: trades[index].exitTime.utcDay)
                guard (ty, tm) <= (year, month) else { break }
                end += trades[index].pnl
                index += 1
            }
            result.append(MonthlyReturn(year: year, month: month, value: start > .zero ? end.doubleValue / start.doubleValue - 1 : 0))
            start = end
            (year, month) = month == 12 ? (year + 1, 1) : (year, month + 1)
        }
        return result
    }
}

/// Calendar dates from UTC day numbers (Howard Hinnant's algorithms; Domain keeps its own private).
enum CivilDate {
    static func from(days z0: Int64) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d))
    }
}

extension PerformanceMetrics {
    /// JSON: every key always present; undefined numbers are null; the profit factor is a number,
    /// or null with `profitFactorInfinite: true` when there were wins and no loss.
    public var json: ReportJSON {
        var reasons: [String: ReportJSON] = [:]
        for reason in BacktestTrade.ExitReason.allCases { reasons[reason.rawValue] = .int(exitReasons[reason] ?? 0) }
        let pf: ReportJSON
        if case .finite(let v) = profitFactor { pf = .number(v) } else { pf = .null }
        return .object([
            "windowStart": .time(windowStart), "windowEnd": .time(windowEnd), "windowDays": .number(windowDays),
            "initialEquity": .decimal(initialEquity), "finalEquity": .decimal(finalEquity), "netPnL": .decimal(netPnL),
            "fees": .decimal(fees), "trades": .int(trades), "excludedTrades": .int(excludedTrades),
            "tradesPerDay": .number(tradesPerDay), "wins": .int(wins), "losses": .int(losses), "winRate": .number(winRate),
            "grossProfit": .decimal(grossProfit), "grossLoss": .decimal(grossLoss),
            "averageWin": .decimal(averageWin), "averageLoss": .decimal(averageLoss),
            "averageWinReturn": .number(averageWinReturn), "averageLossReturn": .number(averageLossReturn),
            "profitFactor": pf, "profitFactorInfinite": .bool(profitFactor == .infinite),
            "expectancy": .decimal(expectancy), "expectancyReturn": .number(expectancyReturn),
            "totalReturn": .number(totalReturn),
            "monthlyReturns": .array(monthlyReturns.map { .object(["month": .string($0.label), "return": .number($0.value)]) }),
            "dailyReturns": .array(dailyReturns.map { .number($0) }),
            "sharpe": .number(sharpe), "sortino": .number(sortino),
            "maxDrawdown": .object([
                "depth": .number(maxDrawdown.depth), "peakTime": .time(maxDrawdown.peakTime), "troughTime": .time(maxDrawdown.troughTime),
                "recoveryTime": .time(maxDrawdown.recoveryTime), "durationSeconds": .number(maxDrawdown.durationSeconds),
            ]),
            "exposure": .number(exposure), "averageHoldSeconds": .number(averageHoldSeconds),
            "equityCurve": .array(equityCurve.map { .object(["time": .time($0.time), "equity": .decimal($0.equity)]) }),
            "exitReasons": .object(reasons),
        ])
    }
}
