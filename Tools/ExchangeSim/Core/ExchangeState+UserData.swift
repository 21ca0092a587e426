import Binance
import Domain

/// The WebSocket API at `/ws-api/v3` (BINANCE.md §7) as far as the user data stream needs it, and
/// the user-data events themselves.
///
/// Methods: `ping`, `time`, `session.logon` (Ed25519 keys only, as Binance; an HMAC key gets
/// -4056), `session.status`, `session.logout`, `userDataStream.subscribe` (after a logon; -2035 when
/// the logon's subscription is already active), `userDataStream.subscribe.signature` (any key type,
/// no logon), `userDataStream.unsubscribe` (one `subscriptionId` or all; -2036 when not active;
/// each ended subscription gets `eventStreamTerminated`), `session.subscriptions`. Requests are
/// `{id, method, params}`; answers `{id, status, result | error, rateLimits}`. Signatures are over
/// the parameters sorted by name, unencoded (``BinanceSigning/webSocketAPIPayload(_:)``).
///
/// Events: every order change of a subscribed account goes out as
/// `{"subscriptionId": N, "event": {...}}`: `executionReport` (NEW, TRADE, CANCELED, EXPIRED),
/// `listStatus` for order lists, and `outboundAccountPosition` with the balances that changed
/// after each operation (placement, cancel, fills of one market step).
extension ExchangeState {
    /// What a WebSocket API connection knows about itself.
    struct APISession: Sendable {
        var connectedSince: Int64
        /// The key of `session.logon`.
        var logonKey: String?
        var authorizedSince: Int64?
        /// Subscription id → API key.
        var subscriptions: [Int64: String] = [:]
        /// The subscription made with `userDataStream.subscribe` (through the logon).
        var logonSubscription: Int64?
        var nextSubscriptionID: Int64 = 0
        /// Whether answers carry `rateLimits` (the connection URL's `returnRateLimits`, default true).
        var returnRateLimits = true
    }

    /// One fill of an order, for its `executionReport`.
    struct TradeExecution {
        var price: Decimal8
        var quantity: Decimal8
        var commission: Decimal8
        var commissionAsset: String
        var tradeID: Int64
        var isMaker: Bool
    }

    // MARK: - Events

    /// An `executionReport` (BINANCE.md §7) for every subscription of the account.
    mutating func emitExecution(apiKey: String, _ order: Order, type: String, now: Timestamp, trade: TradeExecution? = nil, cancelClientOrderID: String? = nil) {
        let executionID = nextExecutionID
        nextExecutionID += 1
        sendUserData(apiKey: apiKey) {
            var fields: [(String, JSON)] = [
                ("e", .string("executionReport")), ("E", .int(now.milliseconds)), ("s", .string(order.symbol)),
                ("c", .string(cancelClientOrderID ?? order.clientOrderID)), ("S", .string(order.side.binanceName)),
                ("o", .string(order.type)), ("f", .string(order.timeInForce)), ("q", .decimal(order.originalQuantity)),
                ("p", .decimal(order.price)), ("P", .decimal(order.stopPrice)), ("F", .decimal(.zero)), ("g", .int(order.orderListID)),
                ("C", .string(cancelClientOrderID == nil ? "" : order.clientOrderID)), ("x", .string(type)), ("X", .string(order.status.rawValue)),
                ("r", .string("NONE")), ("i", .int(order.orderID)), ("l", .decimal(trade?.quantity ?? .zero)),
                ("z", .decimal(order.executedQuantity)), ("L", .decimal(trade?.price ?? .zero)), ("n", .decimal(trade?.commission ?? .zero)),
                ("N", trade.map { .string($0.commissionAsset) } ?? .null), ("T", .int(now.milliseconds)), ("t", .int(trade?.tradeID ?? -1)),
                ("I", .int(executionID)), ("w", .bool(order.isOpen && order.isWorking)), ("m", .bool(trade?.isMaker ?? false)),
                ("M", .bool(false)), ("O", .int(order.time)), ("Z", .decimal(order.cumulativeQuote)),
                ("Y", .decimal(trade.map { Self.notional($0.price, $0.quantity) } ?? .zero)), ("Q", .decimal(order.originalQuoteQuantity)),
            ]
            if order.isWorking { fields.append(("W", .int(order.workingTime))) }
            fields.append(("V", .string("NONE")))
            return .object(fields)
        }
    }

    /// A `listStatus` event for an order list.
    mutating func emitListStatus(apiKey: String, _ list: OrderList, now: Timestamp) {
        let account = accounts[apiKey]!
        sendUserData(apiKey: apiKey) {
            .object([
                ("e", .string("listStatus")), ("E", .int(now.milliseconds)), ("s", .string(list.symbol)), ("g", .int(list.id)),
                ("c", .string("OCO")), ("l", .string(list.listStatusType)), ("L", .string(list.listOrderStatus)), ("r", .string("NONE")),
                ("C", .string(list.listClientOrderID)), ("T", .int(list.transactionTime)),
                ("O", .array(list.orderKeys.map { key in
                    .object([("s", .string(key.symbol)), ("i", .int(key.id)), ("c", .string(account.orders[key]?.clientOrderID ?? ""))])
                })),
            ])
        }
    }

    /// An `outboundAccountPosition` with the balances of the symbol's two assets.
    mutating func emitAccountPosition(apiKey: String, symbol: String, now: Timestamp) {
        guard let rules = markets[symbol]?.rules, let account = accounts[apiKey] else { return }
        sendUserData(apiKey: apiKey) {
            .object([
                ("e", .string("outboundAccountPosition")), ("E", .int(now.milliseconds)), ("u", .int(account.updateTime)),
                ("B", .array([rules.baseAsset, rules.quoteAsset].map { asset in
                    .object([("a", .string(asset)), ("f", .decimal(account[asset].free)), ("l", .decimal(account[asset].locked))])
                })),
            ])
        }
    }

    /// A `balanceUpdate` (a deposit or withdrawal, `POST /sim/balance`), then the asset's
    /// `outboundAccountPosition`.
    mutating func emitBalanceUpdate(apiKey: String, asset: String, delta: Decimal8, now: Timestamp) {
        let balance = accounts[apiKey]![asset]
        let updateTime = accounts[apiKey]!.updateTime
        sendUserData(apiKey: apiKey) {
            .object([("e", .string("balanceUpdate")), ("E", .int(now.milliseconds)), ("a", .string(asset)), ("d", .decimal(delta)), ("T", .int(now.milliseconds))])
        }
        sendUserData(apiKey: apiKey) {
            .object([
                ("e", .string("outboundAccountPosition")), ("E", .int(now.milliseconds)), ("u", .int(updateTime)),
                ("B", .array([.object([("a", .string(asset)), ("f", .decimal(balance.free)), ("l", .decimal(balance.locked))])])),
            ])
        }
    }

    /// Sends an event (built only when someone listens) to every subscription of the account,
    /// in the WebSocket API's `{"subscriptionId", "event"}` envelope.
    mutating func sendUserData(apiKey: String, _ event: () -> JSON) {
        guard let ids = userDataSubscribers[apiKey], !ids.isEmpty else { return }
        if faults.dropUserDataEvents > 0 {
            faults.dropUserDataEvents -= 1
            return
        }
        let text = event().text
        for id in ids.sorted() {
            guard let session = connections[id]?.session else { continue }
            for (subscription, key) in session.subscriptions.sorted(by: { $0.key < $1.key }) where key == apiKey {
                send(id, "{\"subscriptionId\":\(subscription),\"event\":\(text)}")
                userDataEventsSent += 1
            }
        }
    }

    // MARK: - The WebSocket API

    /// Opens a WebSocket API connection; answers and events arrive on the stream.
    public mutating func openAPIConnection(now: Timestamp, returnRateLimits: Bool = true) -> (id: Int, frames: AsyncStream<OutboundFrame>) {
        let (frames, continuation) = AsyncStream.makeStream(of: OutboundFrame.self, bufferingPolicy: .bufferingOldest(Self.connectionBufferLimit))
        let id = nextConnectionID
        nextConnectionID += 1
        var session = APISession(connectedSince: now.milliseconds)
        session.returnRateLimits = returnRateLimits
        connections[id] = Connection(continuation: continuation, combined: false, session: session)
        return (id, frames)
    }

    /// Drops a connection's user-data subscriptions (it closed).
    mutating func forgetSubscriptions(_ id: Int) {
        for key in userDataSubscribers.keys { userDataSubscribers[key]?.remove(id) }
    }

    /// Answers one WebSocket API request on connection `id`.
    public mutating func handleAPIRequest(_ id: Int, text: String, wall: ContinuousClock.Instant, wallMilliseconds: Int64) {
        advance(wall: wall)
        let now = clock.now(wall: wall)
        let message: JSON
        do { message = try JSON.parse(text) } catch {
            send(id, apiError(.null, APIError(code: -1000, "Invalid JSON: \(error.reason) at byte \(error.offset)")).text)
            return
        }
        let requestID = message["id"] ?? .null
        guard case .object = message, let method = message["method"]?.stringValue else {
            send(id, apiError(requestID, APIError(code: -1102, "Mandatory parameter 'method' was not sent, was empty/null, or malformed.")).text)
            return
        }
        var values: [String: String] = [:]
        for (key, value) in message["params"]?.objectValue ?? [] {
            switch value {
            case .string(let s): values[key] = s
            case .int(let i): values[key] = String(i)
            case .double(let d): values[key] = String(d)
            case .bool(let b): values[key] = b ? "true" : "false"
            default: values[key] = value.text
            }
        }
        var params = Params(rawQuery: "", body: "")
        params.values = values
        let weight = method.hasPrefix("userDataStream") || method == "session.logon" ? 2 : 1
        guard rateLimiter.consume(weight, atWallMilliseconds: wallMilliseconds) else {
            send(id, apiError(requestID, tooMuchWeight(wallMilliseconds)).text)
            return
        }
        do throws(APIError) {
            let result = try apiMethod(id, method: method, params: params, now: now, wallMilliseconds: wallMilliseconds)
            var fields: [(String, JSON)] = [("id", requestID), ("status", .int(200)), ("result", result)]
            if connections[id]?.session?.returnRateLimits != false { fields.append(("rateLimits", rateLimitsJSON)) }
            send(id, JSON.object(fields).text)
        } catch {
            send(id, apiError(requestID, error, rateLimits: connections[id]?.session?.returnRateLimits != false).text)
        }
    }

    var rateLimitsJSON: JSON {
        .array([.object([
            ("rateLimitType", .string("REQUEST_WEIGHT")), ("interval", .string("MINUTE")), ("intervalNum", .int(1)),
            ("limit", .int(Int64(rateLimiter.limit))), ("count", .int(Int64(rateLimiter.used))),
        ])])
    }

    func apiError(_ requestID: JSON, _ error: APIError, rateLimits: Bool = true) -> JSON {
        var fields: [(String, JSON)] = [("id", requestID), ("status", .int(Int64(error.status))), ("error", error.json)]
        if rateLimits { fields.append(("rateLimits", rateLimitsJSON)) }
        return .object(fields)
    }

    /// A signed WebSocket API request: the key, the signature over the sorted parameters, the
    /// timestamp. Returns the key and its verifier.
    func authenticateAPI(_ params: Params, now: Timestamp, wallMilliseconds: Int64) throws(APIError) -> SimConfiguration.APIKey {
        guard let key = params["apiKey"] else { throw .mandatory("apiKey") }
        guard let configured = configuration.apiKeys.first(where: { $0.key == key }) else { throw .rejectedAPIKey }
        guard let signature = params["signature"] else { throw .mandatory("signature") }
        let payload = BinanceSigning.webSocketAPIPayload(params.values)
        guard RequestSignature.verify(signature, payload: payload, verifier: configured.verifier) else { throw .badSignature }
        try checkTimestamp(params, now: now, wallMilliseconds: wallMilliseconds)
        return configured
    }

    mutating func apiMethod(_ id: Int, method: String, params: Params, now: Timestamp, wallMilliseconds: Int64) throws(APIError) -> JSON {
        guard var session = connections[id]?.session else { throw APIError(code: -1000, "Not a WebSocket API connection.") }
        defer { connections[id]?.session = session }
        func sessionJSON() -> JSON {
            .object([
                ("apiKey", session.logonKey.map(JSON.string) ?? .null),
                ("authorizedSince", session.authorizedSince.map(JSON.int) ?? .null),
                ("connectedSince", .int(session.connectedSince)), ("returnRateLimits", .bool(session.returnRateLimits)),
                ("serverTime", .int(now.milliseconds)), ("userDataStream", .bool(session.logonSubscription != nil)),
            ])
        }
        func subscribe(_ key: String) -> Int64 {
            let subscription = session.nextSubscriptionID
            session.nextSubscriptionID += 1
            session.subscriptions[subscription] = key
            userDataSubscribers[key, default: []].insert(id)
            return subscription
        }
        switch method {
        case "ping": return .object([])
        case "time": return .object([("serverTime", .int(now.milliseconds))])
        case "session.logon":
            let key = try authenticateAPI(params, now: now, wallMilliseconds: wallMilliseconds)
            guard case .ed25519 = key.verifier else { throw APIError(code: -4056, "HMAC_SHA256 API key is not supported.") }
            session.logonKey = key.key
            session.authorizedSince = now.milliseconds
            return sessionJSON()
        case "session.status": return sessionJSON()
        case "session.logout":
            if let subscription = session.logonSubscription {
                end(subscription, session: &session, connection: id, now: now)
            }
            session.logonKey = nil
            session.authorizedSince = nil
            return sessionJSON()
        case "userDataStream.subscribe":
            guard let key = session.logonKey else {
                throw APIError(status: 401, code: -1002, "You are not authorized to execute this request.")
            }
            guard session.logonSubscription == nil else { throw APIError(code: -2035, "User Data Stream subscription already active.") }
            let subscription = subscribe(key)
            session.logonSubscription = subscription
            return .object([("subscriptionId", .int(subscription))])
        case "userDataStream.subscribe.signature":
            let key = try authenticateAPI(params, now: now, wallMilliseconds: wallMilliseconds)
            return .object([("subscriptionId", .int(subscribe(key.key)))])
        case "userDataStream.unsubscribe":
            if let text = params["subscriptionId"] {
                guard let subscription = Int64(text), session.subscriptions[subscription] != nil else {
                    throw APIError(code: -2036, "User Data Stream subscription not active.")
                }
                end(subscription, session: &session, connection: id, now: now)
            } else {
                guard !session.subscriptions.isEmpty else { throw APIError(code: -2036, "User Data Stream subscription not active.") }
                for subscription in session.subscriptions.keys.sorted() { end(subscription, session: &session, connection: id, now: now) }
            }
            return .object([])
        case "session.subscriptions":
            return .array(session.subscriptions.keys.sorted().map { .object([("subscriptionId", .int($0))]) })
        default:
            throw APIError(code: -1000, "Unknown method '\(method)'.")
        }
    }

    /// Ends one subscription with an `eventStreamTerminated` event.
    mutating func end(_ subscription: Int64, session: inout APISession, connection id: Int, now: Timestamp) {
        guard let key = session.subscriptions.removeValue(forKey: subscription) else { return }
        if session.logonSubscription == subscription { session.logonSubscription = nil }
        if !session.subscriptions.values.contains(key) { userDataSubscribers[key]?.remove(id) }
        send(id, "{\"subscriptionId\":\(subscription),\"event\":{\"e\":\"eventStreamTerminated\",\"E\":\(now.milliseconds)}}")
    }
}
