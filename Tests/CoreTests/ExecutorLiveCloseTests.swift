import Domain
import ExecutorCore
import TestKit
import Testing

/// The live close's pure parts (``LiveClose``): what is left to sell once the exchange-side exits
/// are cancelled (rounded down, dust left, never more than the position), and when a time limit is
/// reached, checked against the paper core's own time-limit exits.
@Suite struct ExecutorLiveCloseTests {
    static let btc = SymbolFilters(
        symbol: "BTCUSDT", baseAsset: "BTC", quoteAsset: "USDT",
        minPrice: Decimal8("0.01")!, maxPrice: Decimal8("1000000")!, tickSize: Decimal8("0.01")!,
        minQuantity: Decimal8("0.00001")!, maxQuantity: Decimal8("9000")!, stepSize: Decimal8("0.00001")!,
        marketMinQuantity: .zero, marketMaxQuantity: Decimal8("100")!, marketStepSize: .zero,
        minNotional: Decimal8("5")!, maxNotional: Decimal8("9000000")!, applyMinToMarket: true, applyMaxToMarket: false
    )
    static let id = ClientOrderID.make(IntentID(milliseconds: 1_722_470_400_000, random: 7), .signal)
    static let price = Decimal8("60000")!

    private func dec(_ text: String) -> Decimal8 { Decimal8(text)! }

    private func decide(net: String, sold: String, filters: SymbolFilters = btc) -> LiveClose.Decision {
        LiveClose.order(filters: filters, netQuantity: dec(net), soldByExits: dec(sold), referencePrice: Self.price, clientOrderID: Self.id)
    }

    @Test("No exit fill: the whole net quantity, rounded down to the step, as a MARKET SELL with the close's client id")
    func nothingSoldSellsTheNetRoundedDown() throws {
        // Entry 0.0015 with a 0.1 % base fee: net 0.0014985, the exits were sized 0.00149.
        guard case .sell(let spec) = decide(net: "0.0014985", sold: "0") else { Issue.record("expected a sell"); return }
        #expect(spec.quantity == dec("0.00149") && spec.side == .sell && spec.kind == .market && spec.clientOrderID == Self.id)
        #expect(spec.parameters.contains { $0 == ("newOrderRespType", "FULL") })
        #expect(ClientOrderID.isValid(spec.clientOrderID) && spec.clientOrderID.hasSuffix("-g"))
        #expect(ClientOrderID.parse(spec.clientOrderID)?.1 == .signal)
    }

    @Test("A partly filled take-profit: only the rest is sold")
    func partialExitFillSellsTheRest() throws {
        guard case .sell(let spec) = decide(net: "0.0014985", sold: "0.0007") else { Issue.record("expected a sell"); return }
        #expect(spec.quantity == dec("0.00079"))
    }

    @Test("A take-profit filled in full before the cancel: nothing to sell (the base-fee dust is not a reason to sell)")
    func fullExitFillIsSoldOut() {
        #expect(decide(net: "0.0014985", sold: "0.00149") == .soldOut)
        #expect(decide(net: "0.002", sold: "0.002") == .soldOut)
    }

    @Test("A rest below the minimum notional or quantity is dust: nothing sent")
    func dustIsNotSent() {
        // 0.00008 × 60000 = 4.8 < 5.
        guard case .dust(let remaining, let reason) = decide(net: "0.00008", sold: "0") else { Issue.record("expected dust"); return }
        #expect(remaining == dec("0.00008") && reason.contains("notional"))
        var coarse = Self.btc
        coarse.minQuantity = dec("0.001")
        coarse.stepSize = dec("0.001")
        coarse.minNotional = .zero
        // Sized 0.002 (net 0.0025 rounded down); 0.0015 sold: 0.001 left → sellable; 0.0019 sold → 0.0006 left, below the minimum.
        #expect(decide(net: "0.0025", sold: "0.0015", filters: coarse) == .sell(OrderSpec(
            symbol: "BTCUSDT", side: .sell, kind: .market, quantity: dec("0.001"), clientOrderID: Self.id)))
        guard case .dust(_, let small) = decide(net: "0.0025", sold: "0.0019", filters: coarse) else { Issue.record("expected dust"); return }
        #expect(small.contains("minimum quantity"))
    }

    @Test("A halted symbol refuses the close with the filter's reason")
    func haltedSymbolIsRefused() {
        var halted = Self.btc
        halted.status = "HALT"
        guard case .refused(let failure) = decide(net: "0.001", sold: "0", filters: halted) else { Issue.record("expected a refusal"); return }
        #expect(failure.filters == ["STATUS"])
    }

    @Test("Property: the close never sells more than is left, stays on the lot grid, and leaves less than a step unsold")
    func closeQuantityProperty() {
        var rng = SeededGenerator(seed: 0x5EED_C105E)
        let step = Self.btc.stepSize
        for _ in 0..<2_000 {
            let entry = Decimal8(units: Int64.random(in: 100...500_000, using: &rng) * 1_000)  // 0.001 … 5 BTC
            let feeUnits = entry.units / 1_000  // a 0.1 % base fee
            let net = Decimal8(units: entry.units - feeUnits)
            let sized = OrderConstruction.roundDown(net, min: Self.btc.minQuantity, step: step)
            let sold = Decimal8(units: Int64.random(in: 0...(sized.units / step.units), using: &rng) * step.units)
            let decision = LiveClose.order(filters: Self.btc, netQuantity: net, soldByExits: sold, referencePrice: Self.price, clientOrderID: Self.id)
            switch decision {
            case .sell(let spec):
                #expect(spec.quantity + sold <= net, "sold \(sold) + close \(spec.quantity) > net \(net)")
                #expect(spec.quantity.units % step.units == 0)
                #expect(net - sold - spec.quantity < step)
                #expect(OrderConstruction.violations(of: spec, filters: Self.btc, band: nil, referencePrice: Self.price).isEmpty)
            case .soldOut:
                #expect(sold == sized)
            case .dust(let remaining, _):
                #expect(Self.price.multiplied(by: remaining, rounding: .up) < Self.btc.minNotional + Self.price.multiplied(by: step, rounding: .up))
            case .refused(let failure):
                Issue.record("refused: \(failure)")
            }
        }
    }

    // MARK: - Time limit

    private static let dayStart: Int64 = 1_722_816_000_000

    private static func bar(_ minute: Int64) -> BarKey {
        BarKey(symbol: "BTCUSDT", interval: .fiveMinutes, openTime: Timestamp(milliseconds: dayStart + minute * 60_000))
    }

    @Test("Bar 1 is the bar of the entry's fill, never before the paper entry kline")
    func entryBarIsTheFillsBar() {
        let intentBar = Self.bar(0)
        #expect(LiveClose.entryBarOpen(intentBar: intentBar, filledAt: Self.bar(5).openTime.adding(milliseconds: 30_000)) == Self.bar(5).openTime)
        #expect(LiveClose.entryBarOpen(intentBar: intentBar, filledAt: Self.bar(12).openTime) == Self.bar(10).openTime)
        #expect(LiveClose.entryBarOpen(intentBar: intentBar, filledAt: Self.bar(2).openTime) == Self.bar(5).openTime)
        #expect(LiveClose.entryBarOpen(intentBar: intentBar, filledAt: .zero) == Self.bar(5).openTime)
    }

    @Test("The close starts when bar N closes: the paper core sells at the open of bar N + 1, for every N")
    func timeLimitMatchesPaper() {
        for n in 1...6 {
            let key = Self.bar(0)
            let intent = TradeIntent(
                id: IntentID(milliseconds: Self.dayStart + Int64(n), random: UInt64(n)), bar: key, side: .buy, division: "default",
                quantity: dec("0.5"), referencePrice: dec("100"), takeProfit: dec("200"), stopLoss: dec("50"), createdAt: key.closeTime,
                expiresAt: key.closeTime.adding(milliseconds: 600_000), shadow: true, timeLimitBars: n
            )
            var core = ExecutorCore(configuration: .init())
            var paperExit: Timestamp?
            _ = core.handle(.intent(intent), now: .zero)
            for i in 1...10 {
                let open = Self.bar(Int64(i) * 5).openTime
                let kline = Kline(symbol: "BTCUSDT", interval: .fiveMinutes, openTime: open, closeTime: open.adding(milliseconds: 299_999),
                                  open: dec("100"), high: dec("101"), low: dec("99"), close: dec("100"), volume: dec("1"))
                for case .report(let report) in core.handle(.kline(kline), now: .zero) where report.leg == .timeLimit { paperExit = report.eventTime }
            }
            // Live: a MARKET entry filled during bar 1 (the paper entry kline).
            let first = LiveClose.entryBarOpen(intentBar: key, filledAt: key.next.openTime.adding(milliseconds: 1_234))
            let liveClose = (1...10).map { Self.bar(Int64($0) * 5).openTime }.first {
                LiveClose.timeLimitReached(bars: n, entryBarOpen: first, interval: .fiveMinutes, closedKlineOpen: $0)
            }
            #expect(paperExit != nil && liveClose?.adding(milliseconds: 300_000) == paperExit, "N = \(n): paper \(String(describing: paperExit)), live close after the bar opening \(String(describing: liveClose))")
        }
        #expect(!LiveClose.timeLimitReached(bars: 0, entryBarOpen: .zero, interval: .fiveMinutes, closedKlineOpen: Timestamp(milliseconds: 10_000_000)))
    }
}
