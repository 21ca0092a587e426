import Domain
@testable import ExchangeSim
import Foundation
import TestKit
import Testing

/// Seeded random sequences of LIMIT, MARKET, STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT and OCO orders,
/// cancels and market steps, straight on ``ExchangeState``: after every operation the money adds
/// up. Locked balances equal what the open orders and lists hold, nothing is negative, every
/// asset's total equals the start plus the account's own trades, and an OCO never fills both legs.
@Suite struct LockInvariantTests {
    static let key = "prop-key"

    static func state() throws -> ExchangeState {
        var configuration = SimConfiguration(klineFiles: [.init(path: RepositoryPaths.sampleKlines.path)])
        configuration.speed = 0
        configuration.start = Timestamp(utcDate: "2024-08-01")
        configuration.apiKeys = [.init(key: key, verifier: .hmac(secret: "s"))]
        configuration.initialBalances = ["USDT": Decimal8(100_000), "BTC": Decimal8(2)]
        return try ExchangeState(configuration: configuration)
    }

    static func params(_ pairs: [(String, String)]) -> Params {
        var p = Params(rawQuery: "", body: "")
        p.values = Dictionary(pairs, uniquingKeysWith: { a, _ in a })
        return p
    }

    /// Every broken invariant, described.
    static func problems(_ state: ExchangeState, start: [String: Decimal8]) -> [String] {
        var problems: [String] = []
        let account = state.accounts[key]!
        var held: [String: Decimal8] = [:]
        for order in account.orders.values where order.isOpen { held[state.lockAsset(order), default: .zero] += order.locked }
        for list in account.orderLists.values {
            if list.isOpen { held[list.lockAsset, default: .zero] += list.locked } else if !list.locked.isZero { problems.append("list \(list.id) done but holds \(list.locked)") }
            let legs = list.orderKeys.compactMap { account.orders[$0] }
            if legs.filter({ !$0.executedQuantity.isZero }).count > 1 { problems.append("list \(list.id): both legs executed") }
            if !list.isOpen, legs.contains(where: \.isOpen) { problems.append("list \(list.id) done with an open leg") }
            if list.isOpen, legs.contains(where: { !$0.isOpen }) { problems.append("list \(list.id) executing with a closed leg") }
        }
        for order in account.orders.values where !order.isOpen && !order.locked.isZero { problems.append("closed order \(order.orderID) holds \(order.locked)") }
        var total = start
        for trade in account.trades {
            let sign: Decimal8 = trade.isBuyer ? Decimal8(1) : .zero - Decimal8(1)
            total["BTC", default: .zero] += trade.quantity.multiplied(by: sign)
            total["USDT", default: .zero] -= trade.quoteQuantity.multiplied(by: sign)
            total[trade.commissionAsset, default: .zero] -= trade.commission
        }
        for asset in ["BTC", "USDT"] {
            let balance = account[asset]
            if balance.free < .zero || balance.locked < .zero { problems.append("\(asset) negative: \(balance)") }
            if balance.locked != held[asset] ?? .zero { problems.append("\(asset) locked \(balance.locked) but orders hold \(held[asset] ?? .zero)") }
            if balance.free + balance.locked != total[asset] ?? .zero { problems.append("\(asset) total \(balance.free + balance.locked) but trades say \(total[asset] ?? .zero)") }
        }
        return problems
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func moneyAddsUpAfterEveryOperation(seed: UInt64) throws {
        var state = try Self.state()
        var random = SeededGenerator(seed: seed)
        let start: [String: Decimal8] = ["USDT": Decimal8(100_000), "BTC": Decimal8(2)]
        var now = Timestamp(utcDate: "2024-08-01")!
        var accepted: [String: Int] = [:]
        let tick = Decimal8("0.01")!
        for step in 0..<250 {
            let last = state.lastPrice(state.markets["BTCUSDT"]!)
            func price(_ basisPoints: Int) -> String {
                last.multiplied(by: Decimal8(units: Int64(10_000 + basisPoints) * 10_000)).rounded(toMultipleOf: tick, rule: .down).compactDescription
            }
            let quantity = Decimal8(units: Int64(Int.random(in: 1...300, using: &random)) * 100_000).compactDescription  // 0.001...0.3
            let side = Bool.random(using: &random) ? "BUY" : "SELL"
            let away = Int.random(in: 10...150, using: &random)
            let up = side == "BUY" ? -1 : 1
            var kind = ""
            do throws(APIError) {
                switch Int.random(in: 0..<9, using: &random) {
                case 0:
                    kind = "LIMIT"
                    _ = try state.placeOrder(apiKey: Self.key, params: Self.params([
                        ("symbol", "BTCUSDT"), ("side", side), ("type", "LIMIT"), ("timeInForce", "GTC"), ("quantity", quantity), ("price", price(up * away)),
                    ]), now: now, test: false)
                case 1:
                    kind = "MARKET"
                    _ = try state.placeOrder(apiKey: Self.key, params: Self.params([("symbol", "BTCUSDT"), ("side", side), ("type", "MARKET"), ("quantity", quantity)]), now: now, test: false)
                case 2:
                    kind = "STOP_LOSS_LIMIT"
                    _ = try state.placeOrder(apiKey: Self.key, params: Self.params([
                        ("symbol", "BTCUSDT"), ("side", side), ("type", "STOP_LOSS_LIMIT"), ("timeInForce", Bool.random(using: &random) ? "GTC" : "IOC"),
                        ("quantity", quantity), ("stopPrice", price(-up * away)), ("price", price(-up * (away + 20))),
                    ]), now: now, test: false)
                case 3:
                    kind = "TAKE_PROFIT_LIMIT"
                    _ = try state.placeOrder(apiKey: Self.key, params: Self.params([
                        ("symbol", "BTCUSDT"), ("side", side), ("type", "TAKE_PROFIT_LIMIT"), ("timeInForce", "GTC"),
                        ("quantity", quantity), ("stopPrice", price(up * away)), ("price", price(up * away)),
                    ]), now: now, test: false)
                case 4, 5:
                    kind = "OCO"
                    let profit = price(up * away), stop = price(-up * away), stopLimit = price(-up * (away + 30))
                    let (aboveLeg, belowLeg) = side == "SELL" ? ((profit, nil as String?), (stopLimit, stop as String?)) : ((stopLimit, stop as String?), (profit, nil as String?))
                    var pairs = [("symbol", "BTCUSDT"), ("side", side), ("quantity", quantity)]
                    for (prefix, leg) in [("above", aboveLeg), ("below", belowLeg)] {
                        pairs += [("\(prefix)Type", leg.1 == nil ? "LIMIT_MAKER" : "STOP_LOSS_LIMIT"), ("\(prefix)Price", leg.0)]
                        if let stop = leg.1 { pairs += [("\(prefix)StopPrice", stop), ("\(prefix)TimeInForce", "GTC")] }
                    }
                    _ = try state.placeOCO(apiKey: Self.key, params: Self.params(pairs), now: now)
                case 6:
                    kind = "cancel"
                    guard let order = state.accounts[Self.key]!.openOrders(symbol: nil).randomElement(using: &random) else { continue }
                    _ = try state.cancelOrder(apiKey: Self.key, params: Self.params([("symbol", "BTCUSDT"), ("orderId", String(order.orderID))]), now: now)
                default:
                    kind = "step"
                    now = now.adding(milliseconds: Int64.random(in: 30_000...600_000, using: &random))
                    state.advance(to: now)
                }
                accepted[kind, default: 0] += 1
            } catch {
                accepted["rejected \(error.code)", default: 0] += 1
            }
            let problems = Self.problems(state, start: start)
            #expect(problems.isEmpty, "seed \(seed), step \(step) after \(kind): \(problems)")
            if !problems.isEmpty { return }
        }
        // The sequence really exercised the paths.
        let lists = state.accounts[Self.key]!.orderLists.values
        #expect((accepted["OCO"] ?? 0) > 10 && (accepted["STOP_LOSS_LIMIT"] ?? 0) > 5, "\(accepted)")
        #expect(lists.contains { list in list.orderKeys.contains { state.accounts[Self.key]!.orders[$0]?.status == .filled } }, "some OCO filled")
        #expect(state.accounts[Self.key]!.orders.values.contains { $0.isConditional && $0.isWorking }, "some stop triggered")
    }
}
