/// The economics of a bracket trade before any model: with a take-profit `target`, a `stop` and a
/// `feePerSide` (all fractions of the entry price, fees paid on entry and exit),
///
///     net win  = target − 2·fee        net loss = stop + 2·fee
///     break-even win rate = net loss / (net win + net loss)
///
/// A model must win more often than this to make money at all. Ratios, so Double.
///
/// ```swift
/// BreakEven(target: 0.003, stop: 0.005, feePerSide: 0.001).winRate   // 0.875
/// ```
public struct BreakEven: Sendable, Hashable, CustomStringConvertible {
    public var target: Double
    public var stop: Double
    public var feePerSide: Double

    public init(target: Double, stop: Double, feePerSide: Double) {
        self.target = target
        self.stop = stop
        self.feePerSide = feePerSide
    }

    public var netWin: Double { target - 2 * feePerSide }
    public var netLoss: Double { stop + 2 * feePerSide }

    /// The win rate at which the expected net return is zero; nil when a win nets nothing or less
    /// (no win rate breaks even).
    public var winRate: Double? {
        guard netWin > 0, netLoss > 0 else { return nil }
        return netLoss / (netWin + netLoss)
    }

    static func percent(_ fraction: Double, sign: Bool = false) -> String {
        let value = (fraction * 10_000).rounded() / 100
        let text = String(format2: value)
        return (sign && value > 0 ? "+" : "") + text + " %"
    }

    /// "target 0.30 %, stop 0.50 %, fee 0.10 % per side: net +0.10 % per win, −0.70 % per loss; break-even win rate 87.50 %".
    public var description: String {
        let head = "target \(Self.percent(target)), stop \(Self.percent(stop)), fee \(Self.percent(feePerSide)) per side: net \(Self.percent(netWin, sign: true)) per win, −\(Self.percent(netLoss)) per loss"
        guard let winRate else {
            return head + "; no win rate breaks even (a win does not cover the fees)"
        }
        return head + "; break-even win rate \(Self.percent(winRate))"
    }
}

extension String {
    /// Two decimals, without Foundation's locale-dependent formatting.
    init(format2 value: Double) {
        let hundredths = Int((value * 100).rounded())
        let sign = hundredths < 0 ? "-" : ""
        let magnitude = abs(hundredths)
        let fraction = magnitude % 100
        self = "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
