import ArgumentParser
import Binance
import BinanceClient
import Domain
import ExecutorCore
import Foundation

/// `quorum order`: order tools against any Binance-compatible endpoint.
struct OrderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "order",
        abstract: "Order tools against Binance, its testnet or the exchange simulator.",
        subcommands: [Test.self]
    )

    /// `quorum order test`: one signed `POST /api/v3/order/test` built by the Executor's own order
    /// construction (filters from the endpoint's exchangeInfo, rounding, checks) and sent by its
    /// client: checks keys, signing, clock and filters without placing an order.
    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send one signed /api/v3/order/test request through the Executor's order construction and client.",
            discussion: """
                Keys come from the environment as for the Executor: BINANCE_API_KEY (or BINANCE_API_KEY_FILE) and \
                BINANCE_API_SECRET (or BINANCE_API_SECRET_FILE) for HMAC, or BINANCE_ED25519_KEY_FILE (PEM). \
                Without --price the order is MARKET; with it, LIMIT GTC. Prints the rounded order and the result; \
                exit status 0 when the endpoint accepted it. Keys are never printed.
                """
        )

        @Option(help: "Symbol, as Binance writes it.")
        var symbol: String = "BTCUSDT"

        @Option(help: "BUY or SELL.")
        var side: String = "BUY"

        @Option(help: "Quantity in the base asset (rounded down to the step size).")
        var quantity: String

        @Option(help: "Limit price (rounded to the tick: down for a BUY, up for a SELL); omit for MARKET.")
        var price: String?

        @Option(name: .customLong("base-url"), help: "REST base URL (https://api.binance.com, https://testnet.binance.vision, http://127.0.0.1:8090), or production / testnet / sim:<port>.")
        var baseURL: String = "https://testnet.binance.vision"

        @Flag(help: "Ask for the commission rates too (computeCommissionRates=true, weight 20).")
        var commission = false

        @Flag(help: "Measure the server's clock offset first (off: sign with the local clock).")
        var syncClock = false

        func validate() throws {
            var problems: [String] = []
            if Side(rawValue: side.uppercased()) == nil { problems.append("--side \(side): expected BUY or SELL") }
            if Decimal8(quantity) == nil { problems.append("--quantity \(quantity): not a decimal") }
            if let price, Decimal8(price) == nil { problems.append("--price \(price): not a decimal") }
            if Self.endpoints(baseURL) == nil { problems.append("--base-url \(baseURL): expected an http(s) URL, production, testnet or sim:<port>") }
            if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
        }

        static func endpoints(_ text: String) -> BinanceEndpoints? {
            if let named = BinanceEndpoints(named: text) { return named }
            guard text.hasPrefix("http://") || text.hasPrefix("https://") else { return nil }
            return BinanceEndpoints(rest: text, streams: text.replacingOccurrences(of: "http", with: "ws"))
        }

        static func credentials(_ environment: [String: String]) throws -> BinanceCredentials {
            func secret(_ name: String) -> String? {
                if let value = environment[name], !value.isEmpty { return value }
                guard let path = environment[name + "_FILE"], let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
                let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                return trimmed.isEmpty ? nil : trimmed
            }
            guard let apiKey = secret("BINANCE_API_KEY") else { throw ValidationError("no BINANCE_API_KEY (or BINANCE_API_KEY_FILE) in the environment") }
            if let pemPath = environment["BINANCE_ED25519_KEY_FILE"], !pemPath.isEmpty {
                guard let pem = try? String(contentsOfFile: pemPath, encoding: .utf8), let key = try? SigningKey.ed25519(pem: pem) else {
                    throw ValidationError("BINANCE_ED25519_KEY_FILE is not a readable Ed25519 PEM key")
                }
                return BinanceCredentials(apiKey: apiKey, signingKey: key)
            }
            guard let secretKey = secret("BINANCE_API_SECRET") else {
                throw ValidationError("no BINANCE_API_SECRET (or BINANCE_API_SECRET_FILE, or BINANCE_ED25519_KEY_FILE) in the environment")
            }
            return BinanceCredentials(apiKey: apiKey, signingKey: .hmac(secret: secretKey))
        }

        func run() async throws {
            let credentials = try Self.credentials(ProcessInfo.processInfo.environment)
            let client = BinanceRESTClient(endpoints: Self.endpoints(baseURL)!, credentials: credentials, policy: RetryPolicy(maxAttempts: 2))
            do {
                let outcome = try await send(client)
                await client.shutdown()
                if !outcome { throw ExitCode(1) }
            } catch {
                await client.shutdown()
                throw error
            }
        }

        private func send(_ client: BinanceRESTClient) async throws -> Bool {
            if syncClock { try await client.synchronizeClock() }
            let body = try await client.get("/api/v3/exchangeInfo", query: [("symbol", symbol)])
            let info = try BinanceDecoder.exchangeInfo(body)
            guard let filters = info.symbol(symbol) else {
                print("\(symbol): not in the endpoint's exchangeInfo")
                return false
            }
            let band = try BinanceDecoder.percentPriceFilters(body)[symbol].map {
                PercentPriceBand(bidMultiplierUp: $0.bidMultiplierUp, bidMultiplierDown: $0.bidMultiplierDown, askMultiplierUp: $0.askMultiplierUp, askMultiplierDown: $0.askMultiplierDown)
            }
            let ticker = try await client.bookTicker(symbol: symbol)
            let side = Side(rawValue: self.side.uppercased())!
            let reference = side == .buy ? ticker.askPrice : ticker.bidPrice
            let order: OrderSpec
            do {
                order = try OrderConstruction.order(
                    filters: filters, band: band, side: side, kind: price == nil ? .market : .limit, quantity: Decimal8(quantity)!,
                    price: price.flatMap { Decimal8($0) }, referencePrice: reference,
                    clientOrderID: "qtest-\(Int(Date().timeIntervalSince1970 * 1000) % 100_000_000_000)")
            } catch {
                print("refused before sending: \(error)")
                return false
            }
            print("order: \(order)")
            print("parameters: \(order.parameters.filter { $0.0 != "newOrderRespType" }.map { "\($0.0)=\($0.1)" }.joined(separator: "&"))")
            do {
                let rates = try await client.testOrder(order.parameters, computeCommissionRates: commission)
                print("result: accepted by \(client.endpoints.rest)/api/v3/order/test" + (rates.map { " (commission maker \($0.maker.compactDescription), taker \($0.taker.compactDescription))" } ?? ""))
                return true
            } catch {
                print("result: refused: \(error)")
                return false
            }
        }
    }
}
