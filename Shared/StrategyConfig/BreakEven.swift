/// The economics of a bracket trade before any model: with a take-profit `target`, a `stop`, the
/// taker fee (market entry, stop exit), the maker fee (take-profit LIMIT exit) and the slippage of
/// each taker fill (all fractions of the entry price),
///
///     net win  = target − taker − maker − slippage          (entry slips, the LIMIT does not)
///     net loss = stop + 2·taker + 2·slippage                (entry and stop exit both slip)
///     break-even win rate = net loss / (net win + net loss)
///
/// With one fee for both roles and no slippage: net win = target − 2·fee, net loss = stop + 2·fee.
///
/// A model must win more often than this to make money at all. Ratios, so Double.
///
/// ```swift
/// BreakEven(target: 0.003, stop: 0.005, feePerSide: 0.001).winRate   // 0.875
/// ```
public struct BreakEven: Sendable, Hashable, CustomStringConvertible {
    public var target: Double
    public var stop: Double
    public var makerFee: Double
    public var takerFee: Double
    public var slippage: Double

    public init(target: Double, stop: Double, makerFee: Double, takerFee: Double, slippage: Double = 0) {
        self.target = target
        self.stop = stop
        self.makerFee = makerFee
        self.takerFee = takerFee
        self.slippage = slippage
    }

    /// One fee for both roles, no slippage.
    public init(target: Double, stop: Double, feePerSide: Double) {
        self.init(target: target, stop: stop, makerFee: feePerSide, takerFee: feePerSide)
    }

    /// The taker fee (the single rate when both are equal).
    public var feePerSide: Double { takerFee }

    public var netWin: Double { target - takerFee - makerFee - slippage }
    public var netLoss: Double { stop + 2 * takerFee + 2 * slippage }

    /// "fee 0.10 % per side" with one rate and no slippage; else the rates and the slippage.
    public var costsDescription: String {
        var text = makerFee == takerFee ? "fee \(Self.percent(takerFee)) per side" : "fee \(Self.percent(takerFee)) taker / \(Self.percent(makerFee)) maker"
        if slippage > 0 { text += ", slippage \(ModelConfig.format(slippage * 10_000)) bp per taker fill" }
        return text
    }

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
        let head = "target \(Self.percent(target)), stop \(Self.percent(stop)), \(costsDescription): net \(Self.percent(netWin, sign: true)) per win, −\(Self.percent(netLoss)) per loss"
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
