import Binance
import Domain
import ExecutorCore
import Foundation
import Testing
import TestKit

/// Filter-safe order construction: rounding directions, every filter checked before sending, and
/// (seeded property tests) no constructed order ever violates a filter, on the real exchangeInfo
/// fixture and on generated filters.
@Suite struct ExecutorOrderConstructionTests {
    static let btc = SymbolFilters(
        symbol: "BTCUSDT", baseAsset: "BTC", quoteAsset: "USDT",
        minPrice: Decimal8("0.01")!, maxPrice: Decimal8("1000000")!, tickSize: Decimal8("0.01")!,
        minQuantity: Decimal8("0.00001")!, maxQuantity: Decimal8("9000")!, stepSize: Decimal8("0.00001")!,
        marketMinQuantity: .zero, marketMaxQuantity: Decimal8("100")!, marketStepSize: .zero,
        minNotional: Decimal8("5")!, maxNotional: Decimal8("9000000")!, applyMinToMarket: true, applyMaxToMarket: false
    )
    static let id = IntentID(milliseconds: 1_722_470_400_000, random: 7)

    @Test func roundsQuantityDownAndPriceTowardLessRisk() throws {
        let buy = try OrderConstruction.order(
            filters: Self.btc, side: .buy, kind: .limit, quantity: Decimal8("0.0012345")!, price: Decimal8("64000.129")!,
            referencePrice: Decimal8("64000")!, clientOrderID: ClientOrderID.make(Self.id, .entry))
        #expect(buy.quantity == Decimal8("0.00123")!)
        #expect(buy.price == Decimal8("64000.12")!)
        #expect(buy.timeInForce == "GTC")
        let sell = try OrderConstruction.order(
            filters: Self.btc, side: .sell, kind: .stopLossLimit, quantity: Decimal8("0.0012345")!, price: Decimal8("63000.121")!,
            stopPrice: Decimal8("63100.001")!, referencePrice: Decimal8("64000")!, clientOrderID: ClientOrderID.make(Self.id, .stop))
        #expect(sell.price == Decimal8("63000.13")!)
        #expect(sell.stopPrice == Decimal8("63100.01")!)
        #expect(sell.parameters.map(\.0) == ["symbol", "side", "type", "timeInForce", "quantity", "price", "stopPrice", "newClientOrderId", "newOrderRespType"])
        #expect(sell.parameters.first { $0.0 == "quantity" }?.1 == "0.00123000")
        let market = try OrderConstruction.order(
            filters: Self.btc, side: .buy, kind: .market, quantity: Decimal8("0.001")!, referencePrice: Decimal8("64000")!,
            clientOrderID: ClientOrderID.make(Self.id, .entry))
        #expect(market.price == nil && market.timeInForce == nil)
        #expect(market.parameters.contains { $0 == ("newOrderRespType", "FULL") })
    }

    @Test func refusesWithEveryReasonInsteadOfRoundingUp() {
        // Below the minimum notional after rounding down, and a price off the filter's range.
        #expect(throws: OrderConstruction.Failure.self) {
            try OrderConstruction.order(filters: Self.btc, side: .buy, kind: .limit, quantity: Decimal8("0.00007")!, price: Decimal8("64000")!,
                                        referencePrice: Decimal8("64000")!, clientOrderID: "q-e")
        }
        do throws(OrderConstruction.Failure) {
            _ = try OrderConstruction.order(filters: Self.btc, side: .buy, kind: .limit, quantity: Decimal8("10000")!, price: Decimal8("2000000")!,
                                            referencePrice: Decimal8("64000")!, clientOrderID: "bad id!")
            Issue.record("an absurd order was built")
        } catch {
            #expect(error.filters.contains("INPUT"))
        }
        do throws(OrderConstruction.Failure) {
            _ = try OrderConstruction.order(filters: Self.btc, side: .buy, kind: .limit, quantity: Decimal8("10000")!, price: Decimal8("2000000")!,
                                            referencePrice: Decimal8("64000")!, clientOrderID: "qok-e")
            Issue.record("an absurd order was built")
        } catch {
            #expect(error.filters == ["LOT_SIZE", "PRICE_FILTER", "NOTIONAL"], "\(error)")
        }
        var halted = Self.btc
        halted.status = "HALT"
        halted.orderTypes = ["LIMIT", "MARKET"]
        do throws(OrderConstruction.Failure) {
            _ = try OrderConstruction.order(filters: halted, side: .sell, kind: .stopLossLimit, quantity: Decimal8("0.001")!, price: Decimal8("60000")!,
                                            stopPrice: Decimal8("60001")!, referencePrice: Decimal8("64000")!, clientOrderID: "qok-s")
            Issue.record("an order on a halted symbol was built")
        } catch {
            #expect(error.filters == ["STATUS", "ORDER_TYPE"], "\(error)")
        }
    }

    @Test func checksPercentPriceBySide() throws {
        let band = PercentPriceBand(bidMultiplierUp: Decimal8("1.05")!, bidMultiplierDown: Decimal8("0.95")!, askMultiplierUp: Decimal8("1.2")!, askMultiplierDown: Decimal8("0.8")!)
        #expect(throws: OrderConstruction.Failure.self) {
            try OrderConstruction.order(filters: Self.btc, band: band, side: .buy, kind: .limit, quantity: Decimal8("0.001")!, price: Decimal8("68000")!,
                                        referencePrice: Decimal8("64000")!, clientOrderID: "q-e")
        }
        // The same price is fine for a SELL (its band is wider).
        _ = try OrderConstruction.order(filters: Self.btc, band: band, side: .sell, kind: .limit, quantity: Decimal8("0.001")!, price: Decimal8("68000")!,
                                        referencePrice: Decimal8("64000")!, clientOrderID: "q-t")
    }

    @Test func clientOrderIDsAreDeterministicSafeAndDistinctPerLeg() {
        var generator = SeededGenerator(seed: 5)
        for _ in 0..<2_000 {
            let id = IntentID(milliseconds: Int64.random(in: 0...4_000_000_000_000, using: &generator), random: generator.next())
            let ids = ClientOrderID.Leg.allCases.map { ClientOrderID.make(id, $0) }
            #expect(Set(ids).count == ClientOrderID.Leg.allCases.count)
            for (leg, text) in zip(ClientOrderID.Leg.allCases, ids) {
                #expect(ClientOrderID.isValid(text) && text.utf8.count <= 36, "\(text)")
                #expect(ClientOrderID.make(id, leg) == text)
                #expect(ClientOrderID.parse(text).map { $0.0 == id && $0.1 == leg } == true)
            }
        }
        #expect(!ClientOrderID.isValid("has space"))
        #expect(!ClientOrderID.isValid(String(repeating: "a", count: 37)))
        #expect(ClientOrderID.parse("simBTCUSDT1") == nil)
    }

    // MARK: properties

    /// Every order built from random intents on the fixture's symbols passes every filter.
    @Test func neverViolatesAFilterOnTheFixture() throws {
        guard let shared = RepositoryPaths.shared else {
            print("skipped: \(RepositoryPaths.sharedMissingReason ?? "../shared is absent"): no exchangeInfo fixture")
            return
        }
        let bytes = Array(try Data(contentsOf: shared.appendingPathComponent("fixtures/binance/rest_exchangeInfo_response.json")))
        let info = try BinanceDecoder.exchangeInfo(bytes)
        let bands = try BinanceDecoder.percentPriceFilters(bytes)
        #expect(!info.symbols.isEmpty)
        var generator = SeededGenerator(seed: 11)
        for symbol in info.symbols {
            var filters = symbol
            filters.status = "TRADING"
            let band = bands[symbol.symbol].map {
                PercentPriceBand(bidMultiplierUp: $0.bidMultiplierUp, bidMultiplierDown: $0.bidMultiplierDown, askMultiplierUp: $0.askMultiplierUp, askMultiplierDown: $0.askMultiplierDown)
            }
            let built = Self.exercise(filters: filters, band: band, cases: 3_000, using: &generator)
            #expect(built > 100, "only \(built) orders of 3000 passed on \(symbol.symbol)")
        }
    }

    /// The same on generated filters: tick and step sizes from 1e-8 to 10, minimums on or off the
    /// grid's origin, notional bounds, market lot sizes and percent-price bands.
    @Test func neverViolatesAFilterOnGeneratedFilters() {
        var generator = SeededGenerator(seed: 42)
        var built = 0
        for _ in 0..<300 {
            let tick = Decimal8(units: [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 100_000_000, 1_000_000_000].randomElement(using: &generator)!)
            let step = Decimal8(units: [1, 100, 1_000, 100_000, 1_000_000, 100_000_000].randomElement(using: &generator)!)
            let minQty = Bool.random(using: &generator) ? step : Decimal8(units: step.units * Int64.random(in: 0...20, using: &generator))
            let marketStep = [nil, Decimal8.zero, step, Decimal8(units: step.units * 10)].randomElement(using: &generator)!
            var filters = SymbolFilters(
                symbol: "GENUSDT", baseAsset: "GEN", quoteAsset: "USDT",
                minPrice: Bool.random(using: &generator) ? tick : .zero, maxPrice: Decimal8(units: tick.units * 10_000_000),
                tickSize: tick, minQuantity: minQty, maxQuantity: Decimal8(units: step.units * 1_000_000), stepSize: step,
                marketMinQuantity: marketStep.map { _ in minQty }, marketMaxQuantity: marketStep.map { _ in Decimal8(units: step.units * 100_000) },
                marketStepSize: marketStep,
                minNotional: Decimal8(Int.random(in: 0...20, using: &generator)),
                maxNotional: Bool.random(using: &generator) ? Decimal8(Int.random(in: 1_000...1_000_000, using: &generator)) : nil,
                applyMinToMarket: Bool.random(using: &generator), applyMaxToMarket: Bool.random(using: &generator)
            )
            filters.status = "TRADING"
            let band: PercentPriceBand? = Bool.random(using: &generator)
                ? PercentPriceBand(bidMultiplierUp: Decimal8("1.1")!, bidMultiplierDown: Decimal8("0.9")!, askMultiplierUp: Decimal8("1.3")!, askMultiplierDown: Decimal8("0.7")!)
                : nil
            built += Self.exercise(filters: filters, band: band, cases: 200, using: &generator)
        }
        #expect(built > 10_000, "only \(built) orders were built: the generator tests too little")
    }

    /// Builds random orders around a reference price; every one built must pass every filter and
    /// never exceed the asked quantity or cross the asked price against the trader.
    static func exercise(filters: SymbolFilters, band: PercentPriceBand?, cases: Int, using generator: inout SeededGenerator) -> Int {
        let tickUnits = max(filters.tickSize.units, 1)
        let minPrice = max(filters.minPrice.units, tickUnits)
        let maxPrice = filters.maxPrice > .zero ? filters.maxPrice.units : minPrice * 1_000_000
        var built = 0
        for _ in 0..<cases {
            // Reference prices spread log-uniformly over the filter's range.
            let exponent = Double.random(in: 0...log10(Double(maxPrice) / Double(minPrice)), using: &generator)
            let reference = Decimal8(units: max(minPrice, Int64(Double(minPrice) * pow(10, exponent))))
            let notionalTarget = Double.random(in: 0.5...50_000, using: &generator)
            let rawQuantity = notionalTarget / reference.doubleValue * Double.random(in: 0.9...1.1, using: &generator)
            guard rawQuantity < 1e9 else { continue }
            let quantity = Decimal8(rawQuantity, rounding: .down)
            let side: Side = Bool.random(using: &generator) ? .buy : .sell
            let kind = OrderSpec.Kind.allCases.randomElement(using: &generator)!
            let price = Decimal8(reference.doubleValue * Double.random(in: 0.85...1.15, using: &generator), rounding: .down)
            let stop = Decimal8(price.doubleValue * (side == .sell ? 1.001 : 0.999), rounding: .down)
            do throws(OrderConstruction.Failure) {
                let order = try OrderConstruction.order(
                    filters: filters, band: band, side: side, kind: kind, quantity: quantity,
                    price: kind.hasPrice ? price : nil, stopPrice: kind == .stopLossLimit ? stop : nil,
                    referencePrice: reference, clientOrderID: "qGEN-e")
                built += 1
                let violations = OrderConstruction.violations(of: order, filters: filters, band: band, referencePrice: reference)
                #expect(violations.isEmpty, "\(order) violates \(violations) with \(filters)")
                #expect(order.quantity <= quantity)
                if let p = order.price { #expect(side == .buy ? p <= price : p >= price, "\(order) crossed \(price)") }
                if let s = order.stopPrice { #expect(side == .buy ? s <= stop : s >= stop) }
            } catch {
                #expect(!error.problems.isEmpty)
            }
        }
        return built
    }
}
