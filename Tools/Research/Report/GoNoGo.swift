import Domain
import Foundation

/// The specification's go/no-go rule over the two divisions, with its performance tiers and the
/// economics check the issue adds.
///
/// Spec rule on the measured win rates (c: conservative, a: aggressive):
///
/// | c            | a       | verdict                                                     |
/// |--------------|---------|-------------------------------------------------------------|
/// | ≥ 55 %       | ≥ 53 %  | `proceedToShadow`                                           |
/// | ≥ 55 %       | < 53 %  | `conservativeOnly`                                          |
/// | < 53 %       | < 53 %  | `abort`                                                     |
/// | [53, 55) %   | < 53 %  | `hold`: not a verdict of the spec (conservative between its two thresholds) |
/// | < 55 %       | ≥ 53 %  | `hold`: "aggressive only" is not a verdict of the spec       |
///
/// A division without trades has no win rate: it counts as "< 53 %" for the aggressive division;
/// a conservative division without trades gives `insufficientData` (nothing was measured).
/// With synthetic order books there is no verdict at all (`noVerdictSyntheticBooks`). When the
/// caller names the divisions whose books were synthetic (a portfolio backtest:
/// ``decide(conservative:conservativeBreakEven:conservativeName:aggressive:aggressiveBreakEven:aggressiveName:syntheticDivisions:)``)
/// and the conservative division's were real, the decision still gives no verdict but adds
/// ``Decision/conservativeReading``: what the rule says on the conservative division's measurement
/// alone, the aggressive division counting as unmeasured (no trades: < 53 %), exactly the reading
/// a run of the conservative division alone gets.
///
/// **Economics.** Each division's win rate is also compared with its break-even win rate (target,
/// stop, fees: ``BreakEven``). The spec's verdict is kept as it is, but when a division it would
/// trade is below break-even the decision says loudly that it loses money (``Decision/losesMoney``).
public enum GoNoGo {
    public enum Verdict: String, Sendable, Hashable, CaseIterable {
        case proceedToShadow = "proceed-to-shadow"
        case conservativeOnly = "conservative-only"
        case abort
        /// A case the spec's rule leaves open; ``Decision/reasons`` says which.
        case hold
        /// The conservative division made no trade.
        case insufficientData = "insufficient-data"
        /// The backtest used synthetic order books: no verdict is given.
        case noVerdictSyntheticBooks = "no-verdict-synthetic-books"
    }

    /// The spec's performance tiers (each needs all four of its thresholds).
    public enum Tier: Int, Sendable, Hashable, Comparable, CaseIterable {
        case belowMinimum = 0
        case minimumViable = 1
        case target = 2
        case exceptional = 3

        public static func < (lhs: Tier, rhs: Tier) -> Bool { lhs.rawValue < rhs.rawValue }

        public var name: String {
            switch self {
            case .belowMinimum: return "below minimum"
            case .minimumViable: return "minimum viable"
            case .target: return "target"
            case .exceptional: return "exceptional"
            }
        }

        /// Win rate ≥, Sharpe ≥, max drawdown <, profit factor ≥.
        public var thresholds: (winRate: Double, sharpe: Double, maxDrawdown: Double, profitFactor: Double)? {
            switch self {
            case .belowMinimum: return nil
            case .minimumViable: return (0.53, 1.0, 0.10, 1.5)
            case .target: return (0.58, 2.0, 0.05, 2.0)
            case .exceptional: return (0.65, 3.0, 0.03, 3.0)
            }
        }

        /// The highest tier whose every threshold the metrics meet (a missing Sharpe or win rate
        /// meets none; an infinite profit factor meets all).
        public static func of(_ metrics: PerformanceMetrics) -> Tier {
            var best = Tier.belowMinimum
            for tier in [Tier.minimumViable, .target, .exceptional] {
                guard let t = tier.thresholds, let winRate = metrics.winRate, let sharpe = metrics.sharpe,
                      let pf = metrics.profitFactor.value else { break }
                if winRate >= t.winRate, sharpe >= t.sharpe, metrics.maxDrawdown.depth < t.maxDrawdown, pf >= t.profitFactor {
                    best = tier
                } else {
                    break
                }
            }
            return best
        }
    }

    /// The spec's win-rate thresholds.
    public static let conservativeProceed = 0.55
    public static let floor = 0.53

    /// One division's inputs and assessment.
    public struct Assessment: Sendable, Hashable {
        public var division: String
        public var winRate: Double?
        public var trades: Int
        public var breakEven: BreakEven
        public var tier: Tier
        /// Measured win rate ≥ break-even win rate (false without trades).
        public var aboveBreakEven: Bool

        public var json: ReportJSON {
            .object([
                "division": .string(division), "winRate": .number(winRate), "trades": .int(trades),
                "breakEvenWinRate": .number(breakEven.winRate), "aboveBreakEven": .bool(aboveBreakEven), "tier": .string(tier.name),
            ])
        }
    }

    public struct Decision: Sendable, Hashable {
        public var verdict: Verdict
        public var conservative: Assessment
        public var aggressive: Assessment
        /// The divisions the verdict would trade whose win rate is below break-even.
        public var losesMoney: [String]
        /// Why, in plain sentences.
        public var reasons: [String]
        /// The divisions whose order books were synthetic, when the caller named them (empty
        /// otherwise, also when it only said that some books were synthetic).
        public var syntheticDivisions: [String] = []
        /// With no verdict because only the aggressive division's books were synthetic: the rule on
        /// the conservative division's real measurement alone (see the type's documentation).
        public var conservativeReading: Verdict?

        static func shout(_ verdict: Verdict) -> String { verdict.rawValue.uppercased().replacingOccurrences(of: "-", with: " ") }

        /// One line: the verdict and, loudly, the economics.
        public var headline: String {
            let name = Self.shout(verdict)
            if verdict == .noVerdictSyntheticBooks {
                guard !syntheticDivisions.isEmpty else { return "NO VERDICT: SYNTHETIC ORDER BOOKS" }
                var text = "NO VERDICT: SYNTHETIC ORDER BOOKS IN \(syntheticDivisions.joined(separator: ", ").uppercased())"
                if let reading = conservativeReading { text += " (\(conservative.division) alone: \(Self.shout(reading)))" }
                return text
            }
            if losesMoney.isEmpty { return "VERDICT: \(name)" }
            return "VERDICT: \(name) (spec thresholds) BUT BELOW BREAK-EVEN: LOSES MONEY (\(losesMoney.joined(separator: ", ")))"
        }

        public var json: ReportJSON {
            .object([
                "verdict": .string(verdict.rawValue), "headline": .string(headline),
                "conservative": conservative.json, "aggressive": aggressive.json,
                "losesMoney": .array(losesMoney.map { .string($0) }), "reasons": .array(reasons.map { .string($0) }),
                "syntheticDivisions": .array(syntheticDivisions.map { .string($0) }),
                "conservativeReading": conservativeReading.map { .string($0.rawValue) } ?? .null,
            ])
        }
    }

    /// Applies the rule (see the type's documentation).
    public static func decide(
        conservative: PerformanceMetrics, conservativeBreakEven: BreakEven, conservativeName: String = "conservative",
        aggressive: PerformanceMetrics, aggressiveBreakEven: BreakEven, aggressiveName: String = "aggressive",
        syntheticBooks: Bool
    ) -> Decision {
        func assess(_ name: String, _ m: PerformanceMetrics, _ be: BreakEven) -> Assessment {
            Assessment(
                division: name, winRate: m.winRate, trades: m.trades, breakEven: be, tier: Tier.of(m),
                aboveBreakEven: (m.winRate ?? -1) >= be.winRate && m.trades > 0
            )
        }
        let c = assess(conservativeName, conservative, conservativeBreakEven)
        let a = assess(aggressiveName, aggressive, aggressiveBreakEven)
        func pct(_ v: Double?) -> String { v.map { String(format: "%.1f %%", $0 * 100) } ?? "n/a (no trades)" }
        var reasons: [String] = []
        let verdict: Verdict
        let cw = c.winRate, aw = a.winRate ?? -1
        if syntheticBooks {
            verdict = .noVerdictSyntheticBooks
            reasons.append("The order books of this backtest were synthetic: its numbers are not evidence and no go/no-go verdict is given.")
        } else if let cw {
            let aggressiveOK = aw >= floor
            if cw >= conservativeProceed && aggressiveOK {
                verdict = .proceedToShadow
                reasons.append("\(c.division) win rate \(pct(cw)) ≥ 55 % and \(a.division) \(pct(a.winRate)) ≥ 53 %: proceed to shadow trading.")
            } else if cw >= conservativeProceed {
                verdict = .conservativeOnly
                reasons.append("\(c.division) win rate \(pct(cw)) ≥ 55 % but \(a.division) \(pct(a.winRate)) < 53 %: conservative division only.")
            } else if cw < floor && !aggressiveOK {
                verdict = .abort
                reasons.append("Both win rates below 53 % (\(c.division) \(pct(cw)), \(a.division) \(pct(a.winRate))): abort.")
            } else if aggressiveOK {
                verdict = .hold
                reasons.append("\(a.division) \(pct(a.winRate)) ≥ 53 % but \(c.division) \(pct(cw)) < 55 %: \"aggressive only\" is not a verdict of the spec: hold.")
            } else {
                verdict = .hold
                reasons.append("\(c.division) \(pct(cw)) is between 53 % and 55 % and \(a.division) \(pct(a.winRate)) < 53 %: not a verdict of the spec: hold.")
            }
        } else {
            verdict = .insufficientData
            reasons.append("The \(c.division) division made no trade: nothing to judge.")
        }
        var losesMoney: [String] = []
        let traded: [Assessment]
        switch verdict {
        case .proceedToShadow: traded = [c, a]
        case .conservativeOnly: traded = [c]
        default: traded = []
        }
        for assessment in [c, a] where assessment.trades > 0 {
            let below = !assessment.aboveBreakEven
            let line = "\(assessment.division): win rate \(pct(assessment.winRate)) vs break-even \(pct(assessment.breakEven.winRate))"
                + (assessment.breakEven.isAttainable ? "" : " (a win loses money after costs: no win rate breaks even)")
                + (below ? ": BELOW BREAK-EVEN, LOSES MONEY" : ": above break-even") + "; tier \(assessment.tier.name)."
            reasons.append(line)
            if below && traded.contains(assessment) { losesMoney.append(assessment.division) }
        }
        return Decision(verdict: verdict, conservative: c, aggressive: a, losesMoney: losesMoney, reasons: reasons)
    }

    /// The rule for a portfolio backtest that knows which divisions' order books were synthetic:
    /// ``decide(conservative:conservativeBreakEven:conservativeName:aggressive:aggressiveBreakEven:aggressiveName:syntheticBooks:)``
    /// when none were; otherwise no verdict, the first reason naming the divisions that made it
    /// impossible and, when the conservative division's books were real, its reading alone
    /// (``Decision/conservativeReading``, with its own reason; the economics lines stay).
    public static func decide(
        conservative: PerformanceMetrics, conservativeBreakEven: BreakEven, conservativeName: String = "conservative",
        aggressive: PerformanceMetrics, aggressiveBreakEven: BreakEven, aggressiveName: String = "aggressive",
        syntheticDivisions: [String]
    ) -> Decision {
        var decision = decide(
            conservative: conservative, conservativeBreakEven: conservativeBreakEven, conservativeName: conservativeName,
            aggressive: aggressive, aggressiveBreakEven: aggressiveBreakEven, aggressiveName: aggressiveName,
            syntheticBooks: !syntheticDivisions.isEmpty
        )
        guard !syntheticDivisions.isEmpty else { return decision }
        decision.syntheticDivisions = syntheticDivisions
        let plural = syntheticDivisions.count > 1
        decision.reasons[0] = "The order books of the \(syntheticDivisions.joined(separator: " and ")) division\(plural ? "s" : "") were synthetic (the exchange simulator's): \(plural ? "their" : "its") numbers are not evidence, and the rule needs both divisions' measured win rates, so no go/no-go verdict is given."
        guard !syntheticDivisions.contains(conservativeName) else { return decision }
        // The conservative division's real measurement alone: the aggressive division unmeasured
        // counts as having no trades, as in a run of the conservative division alone.
        let alone = decide(
            conservative: conservative, conservativeBreakEven: conservativeBreakEven, conservativeName: conservativeName,
            aggressive: aggressive.withoutTrades, aggressiveBreakEven: aggressiveBreakEven, aggressiveName: aggressiveName,
            syntheticBooks: false
        )
        decision.conservativeReading = alone.verdict
        func pct(_ v: Double?) -> String { v.map { String(format: "%.1f %%", $0 * 100) } ?? "n/a (no trades)" }
        let meaning: String = switch alone.verdict {
        case .conservativeOnly: " ≥ 55 %: conservative only, at least (proceed to shadow if \(aggressiveName) reaches 53 % on real books)"
        case .abort: " < 53 %: abort, unless \(aggressiveName) reaches 53 % on real books (then hold)"
        case .hold: " between 53 % and 55 %: hold whatever \(aggressiveName) measures"
        default: ": nothing to judge"
        }
        var line = "Reading of the \(conservativeName) division alone (real data; \(aggressiveName) unmeasured): win rate \(pct(conservative.winRate))\(meaning)."
        if alone.verdict == .conservativeOnly, !alone.losesMoney.isEmpty { line += " But it is BELOW BREAK-EVEN: LOSES MONEY." }
        decision.reasons.insert(line, at: 1)
        return decision
    }
}

extension PerformanceMetrics {
    /// The same window and initial equity without any trade (an unmeasured division).
    var withoutTrades: PerformanceMetrics {
        (try? PerformanceMetrics.compute(trades: [], initialEquity: initialEquity, window: windowStart..<windowEnd)) ?? self
    }
}
