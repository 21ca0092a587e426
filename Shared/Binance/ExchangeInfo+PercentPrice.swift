import Domain

/// PERCENT_PRICE_BY_SIDE and PERCENT_PRICE multipliers from exchangeInfo, which ``SymbolFilters``
/// keeps only by name (`otherFilters`): the Executor checks them before sending an order.
public struct PercentPriceFilter: Sendable, Hashable {
    public var bidMultiplierUp: Decimal8
    public var bidMultiplierDown: Decimal8
    public var askMultiplierUp: Decimal8
    public var askMultiplierDown: Decimal8
    public var averagePriceMinutes: Int

    public init(bidMultiplierUp: Decimal8, bidMultiplierDown: Decimal8, askMultiplierUp: Decimal8, askMultiplierDown: Decimal8, averagePriceMinutes: Int) {
        self.bidMultiplierUp = bidMultiplierUp
        self.bidMultiplierDown = bidMultiplierDown
        self.askMultiplierUp = askMultiplierUp
        self.askMultiplierDown = askMultiplierDown
        self.averagePriceMinutes = averagePriceMinutes
    }
}

extension BinanceDecoder {
    /// Each symbol's PERCENT_PRICE_BY_SIDE (or, when absent, PERCENT_PRICE with one pair of
    /// multipliers for both sides); symbols with neither are left out.
    public static func percentPriceFilters(_ bytes: [UInt8]) throws(BinanceDecodeError) -> [String: PercentPriceFilter] {
        let root = try JSONFields(try JSONValue.parse(bytes, payload: "exchangeInfo"), payload: "exchangeInfo")
        var out: [String: PercentPriceFilter] = [:]
        for s in try root.objects("symbols") {
            let symbol = try s.string("symbol")
            for filter in try s.optionalObjects("filters") {
                switch try filter.optionalString("filterType") {
                case "PERCENT_PRICE_BY_SIDE":
                    out[symbol] = PercentPriceFilter(
                        bidMultiplierUp: try filter.decimal("bidMultiplierUp"), bidMultiplierDown: try filter.decimal("bidMultiplierDown"),
                        askMultiplierUp: try filter.decimal("askMultiplierUp"), askMultiplierDown: try filter.decimal("askMultiplierDown"),
                        averagePriceMinutes: Int(try filter.optionalInt64("avgPriceMins") ?? 5)
                    )
                case "PERCENT_PRICE" where out[symbol] == nil:
                    let up = try filter.decimal("multiplierUp")
                    let down = try filter.decimal("multiplierDown")
                    out[symbol] = PercentPriceFilter(bidMultiplierUp: up, bidMultiplierDown: down, askMultiplierUp: up, askMultiplierDown: down,
                                                     averagePriceMinutes: Int(try filter.optionalInt64("avgPriceMins") ?? 5))
                default:
                    continue
                }
            }
        }
        return out
    }
}
