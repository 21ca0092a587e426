import Domain

/// A symbol's trading rules, derived from its recorded data (there is no recorded exchangeInfo):
/// the tick size is the largest power of ten that divides every price of the data (at most 1,
/// so BTCUSDT's "61126" and "61129.92" give 0.01), the step size the same over the volumes;
/// minimum notional 5 in the quote asset, like Binance's USDT pairs.
public struct SymbolRules: Sendable, Hashable {
    public var symbol: String
    public var baseAsset: String
    public var quoteAsset: String
    public var tickSize: Decimal8
    public var stepSize: Decimal8
    public var minPrice: Decimal8
    public var maxPrice: Decimal8
    public var minQty: Decimal8
    public var maxQty: Decimal8
    public var marketMaxQty: Decimal8
    public var minNotional: Decimal8
    public var maxNotional: Decimal8

    /// Quote assets recognised at the end of a symbol, longest first.
    static let quoteAssets = ["FDUSD", "USDT", "USDC", "TUSD", "BUSD", "EUR", "TRY", "BTC", "ETH", "BNB"]

    /// Splits "BTCUSDT" into ("BTC", "USDT"); nil when no known quote asset ends the symbol.
    public static func assets(of symbol: String) -> (base: String, quote: String)? {
        for quote in quoteAssets where symbol.hasSuffix(quote) && symbol.count > quote.count {
            return (String(symbol.dropLast(quote.count)), quote)
        }
        return nil
    }

    /// The largest power of ten (1e-8 ... 1) dividing every value.
    static func commonStep(_ values: some Sequence<Decimal8>) -> Decimal8 {
        var step: Int64 = Decimal8.scale
        for value in values {
            while step > 1 && value.units % step != 0 { step /= 10 }
            if step == 1 { break }
        }
        return Decimal8(units: step)
    }

    public init(symbol: String, base: String, quote: String, klines: [Kline]) {
        self.symbol = symbol
        self.baseAsset = base
        self.quoteAsset = quote
        let sample = klines.prefix(20_000)
        tickSize = Self.commonStep(sample.flatMap { [$0.open, $0.high, $0.low, $0.close] })
        stepSize = Self.commonStep(sample.map(\.volume))
        minPrice = tickSize
        maxPrice = Decimal8(units: min(tickSize.units * 100_000_000, 1_000_000 * Decimal8.scale))
        minQty = stepSize
        maxQty = Decimal8(units: min(stepSize.units * 1_000_000_000, 90_000_000 * Decimal8.scale))
        marketMaxQty = Decimal8(units: maxQty.units / 10)
        minNotional = Decimal8(5)
        maxNotional = Decimal8(9_000_000)
    }

    /// The symbol's entry in exchangeInfo, in Binance's key order and types.
    public var exchangeInfoJSON: JSON {
        .object([
            ("symbol", .string(symbol)),
            ("status", .string("TRADING")),
            ("baseAsset", .string(baseAsset)),
            ("baseAssetPrecision", .int(8)),
            ("quoteAsset", .string(quoteAsset)),
            ("quotePrecision", .int(8)),
            ("quoteAssetPrecision", .int(8)),
            ("baseCommissionPrecision", .int(8)),
            ("quoteCommissionPrecision", .int(8)),
            ("orderTypes", .array(["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"].map(JSON.string))),
            ("icebergAllowed", .bool(false)),
            ("ocoAllowed", .bool(true)),
            ("otoAllowed", .bool(false)),
            ("opoAllowed", .bool(false)),
            ("quoteOrderQtyMarketAllowed", .bool(true)),
            ("allowTrailingStop", .bool(false)),
            ("cancelReplaceAllowed", .bool(false)),
            ("amendAllowed", .bool(false)),
            ("pegInstructionsAllowed", .bool(false)),
            ("isSpotTradingAllowed", .bool(true)),
            ("isMarginTradingAllowed", .bool(false)),
            ("filters", .array([
                .object([
                    ("filterType", .string("PRICE_FILTER")), ("minPrice", .decimal(minPrice)),
                    ("maxPrice", .decimal(maxPrice)), ("tickSize", .decimal(tickSize)),
                ]),
                .object([
                    ("filterType", .string("LOT_SIZE")), ("minQty", .decimal(minQty)),
                    ("maxQty", .decimal(maxQty)), ("stepSize", .decimal(stepSize)),
                ]),
                .object([("filterType", .string("ICEBERG_PARTS")), ("limit", .int(100))]),
                .object([
                    ("filterType", .string("MARKET_LOT_SIZE")), ("minQty", .decimal(.zero)),
                    ("maxQty", .decimal(marketMaxQty)), ("stepSize", .decimal(.zero)),
                ]),
                .object([
                    ("filterType", .string("NOTIONAL")), ("minNotional", .decimal(minNotional)),
                    ("applyMinToMarket", .bool(true)), ("maxNotional", .decimal(maxNotional)),
                    ("applyMaxToMarket", .bool(false)), ("avgPriceMins", .int(5)),
                ]),
                .object([("filterType", .string("MAX_NUM_ORDERS")), ("maxNumOrders", .int(200))]),
            ])),
            ("permissions", .array([])),
            ("permissionSets", .array([.array([.string("SPOT")])])),
            ("defaultSelfTradePreventionMode", .string("NONE")),
            ("allowedSelfTradePreventionModes", .array([.string("NONE")])),
        ])
    }

    /// These rules as the Domain's filters, whose checks the Executor and the risk gate share.
    public var filters: SymbolFilters {
        SymbolFilters(
            symbol: symbol, baseAsset: baseAsset, quoteAsset: quoteAsset,
            minPrice: minPrice, maxPrice: maxPrice, tickSize: tickSize,
            minQuantity: minQty, maxQuantity: maxQty, stepSize: stepSize,
            marketMinQuantity: .zero, marketMaxQuantity: marketMaxQty, marketStepSize: .zero,
            minNotional: minNotional, maxNotional: maxNotional, applyMinToMarket: true, applyMaxToMarket: false
        )
    }

    /// The first filter a LIMIT order breaks, or nil.
    public func failedFilter(price: Decimal8, quantity: Decimal8) -> String? {
        filters.check(limitPrice: price, quantity: quantity)?.rawValue
    }

    /// The filters of a MARKET order by base quantity, priced at `referencePrice` for NOTIONAL.
    public func failedMarketFilter(quantity: Decimal8, referencePrice: Decimal8) -> String? {
        filters.check(marketQuantity: quantity, referencePrice: referencePrice)?.rawValue
    }
}
