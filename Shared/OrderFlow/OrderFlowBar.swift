import Domain

/// One closed bar of order-flow features.
public struct OrderFlowBar: Sendable, Hashable {
    /// The bar is [openTime, openTime + length) in event time.
    public var openTime: Timestamp
    /// One value per `OrderFlowConfiguration.names`, in that order (NaN where undefined, see
    /// docs/FEATURES.md).
    public var values: [Double]
    /// False when the book was not in sync for the whole bar (first sync inside it, a resync, a
    /// gap): every book-derived feature is then NaN; `trade_imbalance` is still computed.
    public var bookValid: Bool
    /// Depth diffs applied to the book in this bar.
    public var diffs: Int
    /// Trades in this bar.
    public var trades: Int
    /// Resyncs (gaps, crossed books, stream restarts, out-of-sequence snapshots) in this bar.
    public var resyncs: Int

    public init(openTime: Timestamp, values: [Double], bookValid: Bool, diffs: Int, trades: Int, resyncs: Int) {
        self.openTime = openTime
        self.values = values
        self.bookValid = bookValid
        self.diffs = diffs
        self.trades = trades
        self.resyncs = resyncs
    }

    public static func == (lhs: OrderFlowBar, rhs: OrderFlowBar) -> Bool {
        lhs.openTime == rhs.openTime && lhs.bookValid == rhs.bookValid && lhs.diffs == rhs.diffs
            && lhs.trades == rhs.trades && lhs.resyncs == rhs.resyncs
            && lhs.values.count == rhs.values.count
            && zip(lhs.values, rhs.values).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(openTime)
        hasher.combine(diffs)
        hasher.combine(trades)
    }
}
