import Domain
import ExecutorCore

/// How the live path places orders (env keys in the README).
struct LiveSettings: Sendable {
    /// How exits are placed once the entry is filled.
    enum ExitMode: String, Sendable {
        /// One OCO order list: a LIMIT_MAKER take-profit above and a STOP_LOSS_LIMIT below, sharing
        /// the position's balance (Binance cancels the other leg when one fills).
        case oco
        /// A take-profit LIMIT resting on the book, and the stop kept by the Executor: when the best
        /// bid reaches the stop it cancels the take-profit and sells at market. (Two resting SELLs
        /// would each need the whole position's balance, so the stop cannot rest beside the LIMIT.)
        case limitAndWatchedStop = "limit+watch"
    }

    var entryKind: OrderSpec.Kind = .market
    var exitMode: ExitMode = .oco
    /// STOP_LOSS_LIMIT limit price = stop × (1 − slippage): how far below its trigger a stop may fill.
    var stopLimitSlippage: Decimal8 = Decimal8("0.005")!
    /// Largest entry notional (quote) accepted; zero = only the symbol's filters limit it.
    var maxOrderNotional: Decimal8 = .zero
}
