/// A symbol's trading rules from Binance's exchangeInfo (BINANCE.md §3 "Symbol filters"), in exact
/// decimals. A zero bound disables its check, as on Binance.
public struct SymbolFilters: Sendable, Hashable {
    public var symbol: String
    /// TRADING, END_OF_DAY, HALT, BREAK, CANCEL_ONLY: trade only when TRADING.
    public var status: String
    public var baseAsset: String
    public var quoteAsset: String
    public var baseAssetPrecision: Int
    public var quoteAssetPrecision: Int
    public var orderTypes: [String]

    // PRICE_FILTER
    public var minPrice: Price
    public var maxPrice: Price
    public var tickSize: Price
    // LOT_SIZE
    public var minQuantity: Quantity
    public var maxQuantity: Quantity
    public var stepSize: Quantity
    // MARKET_LOT_SIZE (nil when absent; zero fields disable)
    public var marketMinQuantity: Quantity?
    public var marketMaxQuantity: Quantity?
    public var marketStepSize: Quantity?
    // NOTIONAL (or the legacy MIN_NOTIONAL)
    public var minNotional: Decimal8
    public var maxNotional: Decimal8?
    public var applyMinToMarket: Bool
    public var applyMaxToMarket: Bool
    /// Filter types present but not modelled here (kept so nothing is silently lost).
    public var otherFilters: [String]

    public init(
        symbol: String, status: String = "TRADING", baseAsset: String, quoteAsset: String,
        baseAssetPrecision: Int = 8, quoteAssetPrecision: Int = 8,
        orderTypes: [String] = ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
        minPrice: Price = .zero, maxPrice: Price = .zero, tickSize: Price = .zero,
        minQuantity: Quantity = .zero, maxQuantity: Quantity = .zero, stepSize: Quantity = .zero,
        marketMinQuantity: Quantity? = nil, marketMaxQuantity: Quantity? = nil, marketStepSize: Quantity? = nil,
        minNotional: Decimal8 = .zero, maxNotional: Decimal8? = nil, applyMinToMarket: Bool = true, applyMaxToMarket: Bool = false,
        otherFilters: [String] = []
    ) {
        self.symbol = symbol
        self.status = status
        self.baseAsset = baseAsset
        self.quoteAsset = quoteAsset
        self.baseAssetPrecision = baseAssetPrecision
        self.quoteAssetPrecision = quoteAssetPrecision
        self.orderTypes = orderTypes
        self.minPrice = minPrice
        self.maxPrice = maxPrice
        self.tickSize = tickSize
        self.minQuantity = minQuantity
        self.maxQuantity = maxQuantity
        self.stepSize = stepSize
        self.marketMinQuantity = marketMinQuantity
        self.marketMaxQuantity = marketMaxQuantity
        self.marketStepSize = marketStepSize
        self.minNotional = minNotional
        self.maxNotional = maxNotional
        self.applyMinToMarket = applyMinToMarket
        self.applyMaxToMarket = applyMaxToMarket
        self.otherFilters = otherFilters
    }

    /// The filter an order breaks, named as in Binance's "Filter failure: <NAME>" message.
    public enum Failure: String, Sendable, Hashable, CustomStringConvertible {
        case priceFilter = "PRICE_FILTER"
        case lotSize = "LOT_SIZE"
        case marketLotSize = "MARKET_LOT_SIZE"
        case notional = "NOTIONAL"

        public var description: String { "Filter failure: \(rawValue)" }
    }

    /// Checks a LIMIT order (price and quantity) as Binance does: PRICE_FILTER, LOT_SIZE, NOTIONAL.
    public func check(limitPrice price: Price, quantity: Quantity) -> Failure? {
        if !priceAllowed(price) { return .priceFilter }
        if !Self.fits(quantity, min: minQuantity, max: maxQuantity, step: stepSize) { return .lotSize }
        let notional = price.multiplied(by: quantity)
        if notional < minNotional { return .notional }
        if let maxNotional, maxNotional > .zero, notional > maxNotional { return .notional }
        return nil
    }

    /// Checks a MARKET order's quantity; `referencePrice` (the average or last price) prices the notional.
    public func check(marketQuantity quantity: Quantity, referencePrice: Price) -> Failure? {
        if !Self.fits(quantity, min: minQuantity, max: maxQuantity, step: stepSize) { return .lotSize }
        if let step = marketStepSize, !Self.fits(quantity, min: marketMinQuantity ?? .zero, max: marketMaxQuantity ?? .zero, step: step) {
            return .marketLotSize
        }
        let notional = referencePrice.multiplied(by: quantity)
        if applyMinToMarket, notional < minNotional { return .notional }
        if applyMaxToMarket, let maxNotional, maxNotional > .zero, notional > maxNotional { return .notional }
        return nil
    }

    public func priceAllowed(_ price: Price) -> Bool {
        if price <= .zero { return false }
        if minPrice > .zero, price < minPrice { return false }
        if maxPrice > .zero, price > maxPrice { return false }
        if tickSize > .zero, (price.units - minPrice.units) % tickSize.units != 0 { return false }
        return true
    }

    /// The largest quantity ≤ `quantity` on the LOT_SIZE step (Binance: round quantities down).
    public func roundQuantityDown(_ quantity: Quantity) -> Quantity {
        stepSize > .zero ? quantity.rounded(toMultipleOf: stepSize, rule: .down) : quantity
    }

    /// `price` on the tick grid with the given rounding.
    public func roundPrice(_ price: Price, rule: FloatingPointRoundingRule) -> Price {
        tickSize > .zero ? price.rounded(toMultipleOf: tickSize, rule: rule) : price
    }

    static func fits(_ quantity: Quantity, min: Quantity, max: Quantity, step: Quantity) -> Bool {
        if quantity <= .zero { return false }
        if min > .zero, quantity < min { return false }
        if max > .zero, quantity > max { return false }
        if step > .zero, (quantity.units - min.units) % step.units != 0 { return false }
        return true
    }
}
