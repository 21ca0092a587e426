import Domain
import Foundation

/// ITB's backtest (`common/backtesting.py` `simulated_trade_performance`, with the monthly figures
/// `scripts/simulate.py` adds), reproduced for comparison with Quorum's reports (ITB.md §2.6).
///
/// One pass over the rows, always in the market, flip-flopping: it starts in buy mode; in buy mode a
/// buy signal closes the open short (profit = reference − close, percent = 100 × profit ÷ reference)
/// and switches to sell mode; in sell mode a sell signal closes the long (profit = close − reference)
/// and switches back. The very first buy has no reference: it records a short "transaction" with
/// profit 0, counted. A reference ≤ 0 also gives profit 0. Trades execute at the signal bar's close;
/// no fees, no slippage, one unit. Rows whose close is 0 or NaN are skipped; a position open at the
/// end is ignored. Sums are plain sums (quote differences, and per-trade percentages), never
/// compounded.
///
/// **Reference prices.** ITB.md describes the semantic flip-flop (`.documented`, the default): a long
/// is measured from its own buy, a short from the sell that opened it (ITB's older
/// `signal_generation.py` did this). The current `common/backtesting.py` stores each buy in the
/// short list and each sell in the long list, so it measures a long from the *previous sell* and a
/// short from the *previous buy* (`.backtestingPy`); with it the first sell also records a
/// zero-profit long. Choose it to reproduce numbers printed by today's ITB.
///
/// **Rounding.** ``Side/rounded`` and ``Result/perMonth`` round as ITB does (Python's `round`, half
/// to even on the exact binary value): profit to 2 decimals, percentages to 1, the monthly figures to
/// 2 computed from the already rounded per-side values. Where ITB would divide by zero (profit per
/// transaction of a side without transactions; months of a zero-length range) the value is nil.
///
/// **Combined figures.** ITB's combined dict computes `profitable` as a ratio and then
/// `profitable_percent = 100 × ratio ÷ #transactions` (a bug); ``Combined/profitablePercent`` is
/// 100 × ratio unless ``Options/combinedProfitableBug`` asks for ITB's value. `simulate` itself
/// never prints the combined dict: it uses the side of its `direction`.
public enum ITBSimulation {
    public enum ReferencePrice: String, Sendable, Hashable {
        case documented
        case backtestingPy
    }

    public struct Options: Sendable, Hashable {
        public var reference: ReferencePrice
        public var combinedProfitableBug: Bool

        public init(reference: ReferencePrice = .documented, combinedProfitableBug: Bool = false) {
            self.reference = reference
            self.combinedProfitableBug = combinedProfitableBug
        }
    }

    public enum Direction: String, Sendable, Hashable {
        case long
        case short
    }

    /// One side's sums (ITB's long or short dict), unrounded.
    public struct Side: Sendable, Hashable {
        public var transactions = 0
        public var profit = 0.0
        public var profitPercent = 0.0
        public var profitable = 0

        /// ITB's `%profitable`: 100 × profitable ÷ transactions, 0 without transactions.
        public var profitablePercent: Double { transactions == 0 ? 0 : 100 * Double(profitable) / Double(transactions) }
        public var profitPerTransaction: Double? { transactions == 0 ? nil : profit / Double(transactions) }
        public var profitPercentPerTransaction: Double? { transactions == 0 ? nil : profitPercent / Double(transactions) }

        mutating func add(profit: Double, percent: Double) {
            transactions += 1
            self.profit += profit
            profitPercent += percent
            if profit > 0 { profitable += 1 }
        }

        /// ITB's dict with its keys and rounding.
        public var rounded: [String: Double?] {
            [
                "#transactions": Double(transactions),
                "profit": ITBSimulation.pythonRound(profit, 2),
                "%profit": ITBSimulation.pythonRound(profitPercent, 1),
                "#profitable": Double(profitable),
                "%profitable": ITBSimulation.pythonRound(profitablePercent, 1),
                "profit/T": profitPerTransaction.map { ITBSimulation.pythonRound($0, 2) },
                "%profit/T": profitPercentPerTransaction.map { ITBSimulation.pythonRound($0, 1) },
            ]
        }
    }

    /// ITB's combined dict (both sides).
    public struct Combined: Sendable, Hashable {
        public var transactions: Int
        public var profit: Double
        public var profitPercent: Double
        /// A ratio in [0, 1] (ITB's `profitable`).
        public var profitable: Double
        /// 100 × ratio, or ITB's buggy 100 × ratio ÷ transactions (``Options/combinedProfitableBug``), rounded to 1.
        public var profitablePercent: Double
        public var profitPerTransaction: Double
        public var profitPercentPerTransaction: Double
    }

    public struct Result: Sendable, Hashable {
        public var long: Side
        public var short: Side
        public var combined: Combined
        /// (last time − first time) ÷ (365/12 days), over every row; nil for fewer than two rows or a zero range.
        public var months: Double?

        /// `simulate`'s monthly figures for a direction: `#transactions/M`, `profit/M`, `%profit/M`.
        public func perMonth(_ direction: Direction) -> (transactions: Double, profit: Double, profitPercent: Double)? {
            guard let months, months != 0 else { return nil }
            let side = direction == .long ? long : short
            return (
                pythonRound(Double(side.transactions) / months, 2),
                pythonRound(pythonRound(side.profit, 2) / months, 2),
                pythonRound(pythonRound(side.profitPercent, 1) / months, 2)
            )
        }

        public var json: ReportJSON {
            func side(_ s: Side, _ d: Direction) -> ReportJSON {
                var members: [String: ReportJSON] = [:]
                for (k, v) in s.rounded { members[k] = .number(v) }
                let m = perMonth(d)
                members["#transactions/M"] = .number(m?.transactions)
                members["profit/M"] = .number(m?.profit)
                members["%profit/M"] = .number(m?.profitPercent)
                return .object(members)
            }
            return .object(["long": side(long, .long), "short": side(short, .short), "months": .number(months)])
        }
    }

    public struct InputError: Error, Equatable, CustomStringConvertible {
        public var problems: [String]
        public var description: String { "cannot simulate: " + problems.joined(separator: "; ") }
    }

    /// 365/12 days in nanoseconds (exactly 2 628 000 s).
    static let monthNanoseconds = 2_628_000e9

    public static func simulate(
        buy: [Bool], sell: [Bool], close: [Double], times: [Timestamp], options: Options = Options()
    ) throws(InputError) -> Result {
        var problems: [String] = []
        if sell.count != buy.count { problems.append("sell: \(sell.count) rows, buy has \(buy.count)") }
        if close.count != buy.count { problems.append("close: \(close.count) rows, buy has \(buy.count)") }
        if times.count != buy.count { problems.append("times: \(times.count) rows, buy has \(buy.count)") }
        guard problems.isEmpty else { throw InputError(problems: problems) }

        var long = Side()
        var short = Side()
        var buyMode = true
        var lastBuy: Double?
        var lastSell: Double?
        for i in close.indices {
            let price = close[i]
            if price == 0 || price.isNaN { continue }
            if buyMode {
                guard buy[i] else { continue }
                let reference = options.reference == .documented ? lastSell : lastBuy
                let (profit, percent) = outcome(reference: reference, price: price, long: false)
                short.add(profit: profit, percent: percent)
                lastBuy = price
                buyMode = false
            } else {
                guard sell[i] else { continue }
                let reference = options.reference == .documented ? lastBuy : lastSell
                let (profit, percent) = outcome(reference: reference, price: price, long: true)
                long.add(profit: profit, percent: percent)
                lastSell = price
                buyMode = true
            }
        }

        let n = long.transactions + short.transactions
        let ratio = n == 0 ? 0 : Double(long.profitable + short.profitable) / Double(n)
        let profit = long.profit + short.profit
        let percent = long.profitPercent + short.profitPercent
        let combined = Combined(
            transactions: n, profit: profit, profitPercent: percent, profitable: ratio,
            profitablePercent: n == 0 ? 0 : pythonRound(options.combinedProfitableBug ? 100 * ratio / Double(n) : 100 * ratio, 1),
            profitPerTransaction: n == 0 ? 0 : pythonRound(profit / Double(n), 2),
            profitPercentPerTransaction: n == 0 ? 0 : percent / Double(n)
        )
        var months: Double?
        if let first = times.first, let last = times.last, times.count >= 2, last != first {
            months = Double(last.nanoseconds - first.nanoseconds) / monthNanoseconds
        }
        return Result(long: long, short: short, combined: combined, months: months)
    }

    private static func outcome(reference: Double?, price: Double, long: Bool) -> (Double, Double) {
        guard let reference, reference > 0 else { return (0, 0) }
        let profit = long ? price - reference : reference - price
        return (profit, 100 * profit / reference)
    }

    /// ITB's `threshold_rule` signal generator (ITB.md §2.5): buy = score ≥ `buyThreshold`, sell =
    /// score ≤ `sellThreshold`, both inclusive (both can be true when buy ≤ sell); a NaN score is
    /// neither (NaN compares false in pandas too).
    public static func thresholdRule(scores: [Double], buyThreshold: Double, sellThreshold: Double) -> (buy: [Bool], sell: [Bool]) {
        (scores.map { $0 >= buyThreshold }, scores.map { $0 <= sellThreshold })
    }

    /// Python's `round(x, digits)` for floats: the exact binary value rounded half to even (the C
    /// library's correctly rounded `%.*f` does the same).
    public static func pythonRound(_ value: Double, _ digits: Int) -> Double {
        guard value.isFinite else { return value }
        return Double(String(format: "%.\(digits)f", value)) ?? value
    }
}
