import Domain

/// The live path's close of a position on demand (an exit signal or the time limit), the parts that
/// are pure: what is left to sell once the exchange-side exits are cancelled, and when a time limit
/// is reached.
///
/// **Quantity.** The exit legs (OCO list, or take-profit LIMIT and watched stop) were sized on the
/// entry's net quantity (executed − base commission) rounded down to the lot grid. Whatever they
/// executed before the cancel took effect is already sold (all of it: sold out, nothing to send);
/// the close sells the rest, rounded **down** to the lot grid
/// (``OrderConstruction``), never more than the account holds. A rest the filters do not allow
/// (below LOT_SIZE / MARKET_LOT_SIZE minimum, or below the minimum notional at the reference price)
/// is dust: nothing is sent and it stays in the account, like the dust of every exit.
///
/// **Time limit** (``TradeIntent/timeLimitBars`` N, as ``ExecutorCore`` defines it on paper: the
/// entry kline is bar 1 and the position is sold at the open of bar N + 1). Live, the entry kline is
/// the bar of the intent's series in which the entry filled (never before `intent.bar.next`, the
/// paper entry kline, which it equals for a MARKET entry sent on arrival); the open of bar N + 1 is
/// the moment bar N closes, so the close starts when the closed kline of bar N arrives.
public enum LiveClose {
    /// What to do once every exit leg has ended.
    public enum Decision: Sendable, Hashable {
        /// Send this MARKET SELL.
        case sell(OrderSpec)
        /// The exit legs sold the whole position: nothing to close.
        case soldOut
        /// What is left (`remaining`, before rounding) is below what Binance accepts: nothing sent, it stays.
        case dust(remaining: Quantity, reason: String)
        /// The order cannot be built for another reason (symbol halted, order type not allowed...).
        case refused(OrderConstruction.Failure)
    }

    /// The close order for a position of `netQuantity` of which the exit legs sold `soldByExits`.
    /// - Parameter referencePrice: prices the MARKET order's notional for the minimum-notional check.
    public static func order(
        filters: SymbolFilters, netQuantity: Quantity, soldByExits: Quantity, referencePrice: Price, clientOrderID: String
    ) -> Decision {
        let remaining = netQuantity - soldByExits
        // The exits were sized on the net rounded down to the lot grid: once they sold that much,
        // the position is sold out (the sub-step rest is the entry fee's dust, not a position).
        let sized = OrderConstruction.roundDown(netQuantity, min: filters.minQuantity, step: filters.stepSize)
        guard remaining > .zero, soldByExits < sized else { return .soldOut }
        var rounded = OrderConstruction.roundDown(remaining, min: filters.minQuantity, step: filters.stepSize)
        var minimum = filters.minQuantity
        if let step = filters.marketStepSize, step > .zero {
            rounded = OrderConstruction.roundDown(rounded, min: filters.marketMinQuantity ?? .zero, step: step)
            minimum = max(minimum, filters.marketMinQuantity ?? .zero)
        }
        if rounded <= .zero || rounded < minimum {
            return .dust(remaining: remaining, reason: "\(remaining.compactDescription) left, below the minimum quantity \(minimum.compactDescription)")
        }
        if filters.applyMinToMarket, referencePrice > .zero, referencePrice.multiplied(by: rounded, rounding: .down) < filters.minNotional {
            return .dust(remaining: remaining, reason: "\(remaining.compactDescription) left, notional below the minimum \(filters.minNotional.compactDescription)")
        }
        do throws(OrderConstruction.Failure) {
            return .sell(try OrderConstruction.order(
                filters: filters, side: .sell, kind: .market, quantity: remaining, referencePrice: referencePrice, clientOrderID: clientOrderID))
        } catch {
            return .refused(error)
        }
    }

    /// The open time of the position's bar 1: the bar of the intent's series in which the entry
    /// filled (bars counted from the intent's own bar), and never before `intent.bar.next`.
    public static func entryBarOpen(intentBar: BarKey, filledAt: Timestamp) -> Timestamp {
        let first = intentBar.next.openTime
        let step = intentBar.interval.milliseconds
        guard step > 0, filledAt > first else { return first }
        let bars = (filledAt.milliseconds - intentBar.openTime.milliseconds) / step
        return max(first, intentBar.openTime.adding(milliseconds: bars * step))
    }

    /// Whether a closed kline of the position's series opening at `closedKlineOpen` is bar N (or
    /// later) of a position whose bar 1 opens at `entryBarOpen`: its close is the open of bar N + 1,
    /// where paper sells. `bars` of zero or less is no time limit.
    public static func timeLimitReached(bars: Int, entryBarOpen: Timestamp, interval: Interval, closedKlineOpen: Timestamp) -> Bool {
        guard bars > 0 else { return false }
        return closedKlineOpen >= entryBarOpen.adding(milliseconds: Int64(bars - 1) * interval.milliseconds)
    }
}
