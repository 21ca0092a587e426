import Domain
import ExecutorCore

/// One Binance order of a live intent, as the journal knows it. The row (with its client order id)
/// is written **before** the request is sent; every answer from Binance updates it. Never holds a
/// key or a signature: `parameters` is the order's own fields.
struct OrderRecord: Sendable, Hashable {
    /// Where the order is in its life, as far as the journal knows.
    enum State: String, Sendable {
        /// Journaled; the request may or may not have reached Binance (a crash right after the
        /// write): query by client order id before sending.
        case journaled
        /// Sent with no answer (timeout, 5xx, transport error): Binance may have it. Query first.
        case unknown
        /// On Binance's book (NEW or PARTIALLY_FILLED).
        case open
        case filled
        case canceled
        case rejected
        case expired

        var isTerminal: Bool { [.filled, .canceled, .rejected, .expired].contains(self) }
        /// Whether the order must be looked up before anything is sent for it.
        var isUnresolved: Bool { self == .journaled || self == .unknown }
    }

    var clientOrderID: String
    var intentID: IntentID
    var leg: ClientOrderID.Leg
    var spec: OrderSpec
    /// For an OCO leg, the list's client id (the list is sent once, for both legs).
    var listClientOrderID: String?
    var state: State
    var exchangeOrderID: Int64?
    var executedQuantity: Quantity = .zero
    var cumulativeQuote: Decimal8 = .zero
    /// Commissions charged in the base and in the quote asset (others, e.g. BNB, are not modelled).
    var commissionBase: Decimal8 = .zero
    var commissionQuote: Decimal8 = .zero
    var reason: String = ""
    var updatedAt: Timestamp = .zero

    var averagePrice: Price { executedQuantity > .zero ? cumulativeQuote.divided(by: executedQuantity) : (spec.price ?? .zero) }
}

extension OrderRecord.State: CustomStringConvertible {
    var description: String { rawValue }
}
