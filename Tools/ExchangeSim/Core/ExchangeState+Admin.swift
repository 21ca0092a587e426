import Domain

/// The admin API under /sim (not Binance's): the replay clock, fault injection, balance changes
/// (`POST /sim/balance` `{"apiKey", "asset", "delta"}`: a deposit or withdrawal, with a
/// `balanceUpdate` event) and a state summary.
///
/// - `GET /sim/state`: the clock, every market's book and bar, faults left, connections, weight.
/// - `POST /sim/clock` with `{"advanceMs": N}`, `{"to": ms}` or `{"speed": x}` (0 stops the clock):
///   moves the replay clock forward (processing every step on the way) and answers the state.
/// - `POST /sim/faults` with any of `{"http5xx": N, "http5xxAfterExecute": N, "http429": N,
///   "garbageFrames": N, "truncatedJSON": N, "truncatedBodies": N, "dropStreams": true,
///   "serverShutdown": true, "http429RetryAfter": S, "http5xxBeforeExecute": N, "timeoutAfterExecute": N,
///   "timeoutMs": MS, "dropUserDataEvents": N}`: counts are added to what is left; `dropStreams` closes every
///   WebSocket connection now (after a `serverShutdown` event with `serverShutdown`). Answers the
///   faults left. `http429RetryAfter` fixes the injected 429s' Retry-After to S seconds (default:
///   the rest of the weight minute, 1...60 s, as Binance). The order faults concern placements only
///   (`POST order`, `orderList/oco`, `order/oco`): `http5xxBeforeExecute` answers 503 -1008 without
///   executing, `http5xxAfterExecute` executes then answers 503, `timeoutAfterExecute` executes and
///   holds the answer `timeoutMs` (default 30 s). `dropUserDataEvents` loses the next N user-data
///   events. `DELETE /sim/faults` clears them.
extension ExchangeState {
    mutating func handleAdmin(_ request: SimRequest, wall: ContinuousClock.Instant) -> SimResponse {
        func ok(_ json: JSON) -> SimResponse {
            SimResponse(status: 200, headers: [("content-type", "application/json")], body: json.text)
        }
        func bad(_ message: String) -> SimResponse {
            SimResponse(status: 400, headers: [("content-type", "application/json")], body: JSON.object([("error", .string(message))]).text)
        }
        var body: JSON = .object([])
        if !request.body.isEmpty {
            do { body = try JSON.parse(request.body) } catch { return bad(error.description) }
        }
        guard case .object(let fields) = body else { return bad("the body must be a JSON object") }
        switch (request.method, request.path) {
        case ("GET", "/sim/state"):
            return ok(stateJSON(wall: wall))
        case ("POST", "/sim/clock"):
            let known = Set(["advanceMs", "to", "speed"])
            if let unknown = fields.first(where: { !known.contains($0.0) }) { return bad("unknown key \(unknown.0) (expected advanceMs, to or speed)") }
            if let advance = body["advanceMs"] {
                guard let ms = advance.intValue, ms >= 0 else { return bad("advanceMs must be an integer >= 0") }
                clock.advance(to: clock.now(wall: wall).adding(milliseconds: ms), wall: wall)
            }
            if let to = body["to"] {
                guard let ms = to.intValue else { return bad("to must be an integer (ms since the epoch)") }
                guard ms >= clock.now(wall: wall).milliseconds else { return bad("the replay clock never goes back (now \(clock.now(wall: wall).milliseconds))") }
                clock.advance(to: Timestamp(milliseconds: ms), wall: wall)
            }
            if let speed = body["speed"] {
                let value: Double? = switch speed { case .int(let i): Double(i); case .double(let d): d; default: nil }
                guard let value, value >= 0, value.isFinite else { return bad("speed must be a number >= 0") }
                clock.setSpeed(value, wall: wall)
            }
            advance(wall: wall)
            return ok(stateJSON(wall: wall))
        case ("POST", "/sim/faults"):
            for (key, value) in fields {
                switch key {
                case "dropStreams", "serverShutdown":
                    guard value.boolValue != nil else { return bad("\(key) must be true or false") }
                default:
                    guard let n = value.intValue, n >= 0 else { return bad("\(key) must be an integer >= 0") }
                    switch key {
                    case "http5xx": faults.http5xx += Int(n)
                    case "http5xxAfterExecute": faults.http5xxAfterExecute += Int(n)
                    case "http429": faults.http429 += Int(n)
                    case "http429RetryAfter": faults.http429RetryAfter = Int(n)
                    case "garbageFrames": faults.garbageFrames += Int(n)
                    case "truncatedJSON": faults.truncatedJSON += Int(n)
                    case "truncatedBodies": faults.truncatedBodies += Int(n)
                    case "http5xxBeforeExecute": faults.http5xxBeforeExecute += Int(n)
                    case "timeoutAfterExecute": faults.timeoutAfterExecute += Int(n)
                    case "timeoutMs": faults.timeoutMs = Int(n)
                    case "dropUserDataEvents": faults.dropUserDataEvents += Int(n)
                    default: return bad("unknown fault \(key)")
                    }
                }
            }
            if body["dropStreams"]?.boolValue == true || body["serverShutdown"]?.boolValue == true {
                dropAllConnections(serverShutdown: body["serverShutdown"]?.boolValue == true, eventTime: clock.now(wall: wall))
            }
            return ok(faults.json)
        case ("POST", "/sim/balance"):
            // A deposit or withdrawal: {"apiKey": K, "asset": A, "delta": "-1.5"} → balanceUpdate + outboundAccountPosition.
            guard let key = body["apiKey"]?.stringValue, accounts[key] != nil else { return bad("apiKey must name a configured API key") }
            guard let asset = body["asset"]?.stringValue, !asset.isEmpty else { return bad("asset must be a non-empty string") }
            guard let text = body["delta"]?.stringValue, let delta = Decimal8(text) else { return bad("delta must be a decimal string, e.g. \"-1.5\"") }
            guard accounts[key]![asset].free + delta >= .zero else { return bad("the free \(asset) balance would fall below zero") }
            let now = clock.now(wall: wall)
            accounts[key]![asset].free += delta
            accounts[key]!.updateTime = now.milliseconds
            emitBalanceUpdate(apiKey: key, asset: asset, delta: delta, now: now)
            let balance = accounts[key]![asset]
            return ok(.object([("asset", .string(asset)), ("free", .decimal(balance.free)), ("locked", .decimal(balance.locked))]))
        case ("DELETE", "/sim/faults"):
            faults = FaultPlan()
            return ok(faults.json)
        default:
            return SimResponse(status: 404, headers: [("content-type", "application/json")], body: JSON.object([("error", .string("unknown admin endpoint \(request.method) \(request.path)"))]).text)
        }
    }

    func stateJSON(wall: ContinuousClock.Instant) -> JSON {
        let now = clock.now(wall: wall)
        return .object([
            ("serverTime", .int(now.milliseconds)),
            ("serverTimeISO", .string(now.description)),
            ("speed", .double(clock.speed)),
            ("stepMs", .int(stepMilliseconds)),
            ("dataStart", .int(firstOpen.milliseconds)),
            ("dataEnd", .int(lastClose.milliseconds)),
            ("finished", .bool(now > lastClose)),
            ("markets", .array(symbols.map { symbol in
                let m = markets[symbol]!
                return .object([
                    ("symbol", .string(symbol)),
                    ("intervals", .array(m.series.keys.sorted().map(JSON.string))),
                    ("lastUpdateId", .int(m.lastUpdateID)),
                    ("bestBid", .decimal(m.bestBid?.price ?? .zero)),
                    ("bestAsk", .decimal(m.bestAsk?.price ?? .zero)),
                    ("bidLevels", .int(Int64(m.bids.count))),
                    ("askLevels", .int(Int64(m.asks.count))),
                    ("tickSize", .decimal(m.rules.tickSize)),
                    ("stepSize", .decimal(m.rules.stepSize)),
                ])
            })),
            ("faults", faults.json),
            ("connections", .int(Int64(connections.count))),
            ("framesSent", .int(Int64(framesSent))),
            ("slowClientsDropped", .int(Int64(framesDropped))),
            ("usedWeight1m", .int(Int64(rateLimiter.used))),
            ("userDataSubscriptions", .int(Int64(connections.values.reduce(0) { $0 + ($1.session?.subscriptions.count ?? 0) }))),
            ("userDataEventsSent", .int(Int64(userDataEventsSent))),
        ])
    }
}

