import Domain

/// WebSocket market streams: names, subscriptions, control messages and delivery.
extension ExchangeState {
    /// Frames a slow client may have queued before it is disconnected (as Binance does).
    static let connectionBufferLimit = 100_000

    /// Whether `name` is a stream this exchange can serve: `<symbol>@kline_<interval>` for a loaded
    /// interval, `@depth`, `@depth@100ms`, `@depth@1000ms`, `@depth<5|10|20>[@100ms|@1000ms]`,
    /// `@bookTicker`, `@aggTrade`, with the symbol in lowercase.
    public func isValidStream(_ name: String) -> Bool {
        guard let at = name.firstIndex(of: "@") else { return false }
        let lower = String(name[..<at])
        let kind = String(name[name.index(after: at)...])
        guard lower == lower.lowercased(), let market = markets[lower.uppercased()] else { return false }
        if kind.hasPrefix("kline_") { return market.series[String(kind.dropFirst(6))] != nil }
        let depthKinds = ["depth", "depth@100ms", "depth@1000ms"] + [5, 10, 20].flatMap { ["depth\($0)", "depth\($0)@100ms", "depth\($0)@1000ms"] }
        return depthKinds.contains(kind) || kind == "bookTicker" || kind == "aggTrade"
    }

    func isSubscribed(_ name: String) -> Bool { subscribers[name]?.isEmpty == false }

    /// Opens a connection subscribed to `streams` (already validated); frames arrive on the stream.
    public mutating func openConnection(streams: [String], combined: Bool) -> (id: Int, frames: AsyncStream<OutboundFrame>) {
        let (frames, continuation) = AsyncStream.makeStream(of: OutboundFrame.self, bufferingPolicy: .bufferingOldest(Self.connectionBufferLimit))
        let id = nextConnectionID
        nextConnectionID += 1
        connections[id] = Connection(continuation: continuation, combined: combined)
        subscribe(id, streams)
        return (id, frames)
    }

    public mutating func closeConnection(_ id: Int) {
        guard let connection = connections.removeValue(forKey: id) else { return }
        for name in connection.streams { subscribers[name]?.remove(id) }
        if connection.session != nil { forgetSubscriptions(id) }
        connection.continuation.finish()
    }

    mutating func subscribe(_ id: Int, _ streams: [String]) {
        for name in streams where connections[id]?.streams.contains(name) == false {
            connections[id]?.streams.append(name)
            subscribers[name, default: []].insert(id)
        }
    }

    mutating func unsubscribe(_ id: Int, _ streams: [String]) {
        for name in streams {
            connections[id]?.streams.removeAll { $0 == name }
            subscribers[name]?.remove(id)
        }
    }

    /// Answers a control message (SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY,
    /// GET_PROPERTY) on the connection, in order with its data frames.
    public mutating func handleControl(_ id: Int, text: String) {
        func reply(_ value: JSON) { send(id, value.text) }
        let message: JSON
        do { message = try JSON.parse(text) } catch {
            reply(.object([("code", .int(3)), ("msg", .string("Invalid JSON: \(error.reason) at byte \(error.offset)"))]))
            return
        }
        let idValue = message["id"] ?? .null
        guard case .object = message, let method = message["method"]?.stringValue else {
            reply(.object([("code", .int(2)), ("msg", .string("Invalid request: missing field 'method'")), ("id", idValue)]))
            return
        }
        switch idValue {
        case .null, .int: break
        case .string(let s) where s.count <= 36 && s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }): break
        default:
            reply(.object([("code", .int(1)), ("msg", .string("Invalid value type: expected an integer, a string of up to 36 alphanumeric characters or null for 'id'")), ("id", .null)]))
            return
        }
        let params = message["params"]?.arrayValue ?? []
        switch method {
        case "SUBSCRIBE", "UNSUBSCRIBE":
            let names = params.compactMap(\.stringValue)
            guard names.count == params.count, !names.isEmpty else {
                reply(.object([("code", .int(2)), ("msg", .string("Invalid request: 'params' must be a non-empty array of stream names")), ("id", idValue)]))
                return
            }
            if method == "SUBSCRIBE" {
                if let bad = names.first(where: { !isValidStream($0) }) {
                    reply(.object([("code", .int(2)), ("msg", .string("Invalid request: unknown stream '\(bad)'")), ("id", idValue)]))
                    return
                }
                subscribe(id, names)
            } else {
                unsubscribe(id, names)
            }
            reply(.object([("result", .null), ("id", idValue)]))
        case "LIST_SUBSCRIPTIONS":
            reply(.object([("result", .array((connections[id]?.streams ?? []).map(JSON.string))), ("id", idValue)]))
        case "SET_PROPERTY":
            guard params.count == 2, params[0].stringValue == "combined", let flag = params[1].boolValue else {
                reply(.object([("code", .int(0)), ("msg", .string("Unknown property")), ("id", idValue)]))
                return
            }
            connections[id]?.combined = flag
            reply(.object([("result", .null), ("id", idValue)]))
        case "GET_PROPERTY":
            guard params.count == 1, params[0].stringValue == "combined" else {
                reply(.object([("code", .int(0)), ("msg", .string("Unknown property")), ("id", idValue)]))
                return
            }
            reply(.object([("result", .bool(connections[id]?.combined ?? false)), ("id", idValue)]))
        default:
            reply(.object([("code", .int(2)), ("msg", .string("Invalid request: unknown method '\(method)'")), ("id", idValue)]))
        }
    }

    /// Sends the payload built by `data` to every subscriber of `name` (built only when someone listens).
    mutating func publish(_ name: String, _ data: () -> JSON) {
        guard let ids = subscribers[name], !ids.isEmpty else { return }
        let raw = data().text
        var combinedText: String?
        for id in ids.sorted() {
            guard let connection = connections[id] else { continue }
            if connection.combined {
                if combinedText == nil { combinedText = "{\"stream\":\"\(name)\",\"data\":\(raw)}" }
                send(id, combinedText!)
            } else {
                send(id, raw)
            }
        }
    }

    /// Queues one text frame, applying the WebSocket faults; a connection whose queue is full is closed.
    mutating func send(_ id: Int, _ text: String) {
        guard let connection = connections[id] else { return }
        var frames: [String] = []
        if faults.garbageFrames > 0 {
            faults.garbageFrames -= 1
            frames.append("\u{1}garbage}{[\"not json")
        }
        if faults.truncatedJSON > 0 {
            faults.truncatedJSON -= 1
            frames.append(String(decoding: Array(text.utf8.prefix(text.utf8.count / 2)), as: UTF8.self))
        } else {
            frames.append(text)
        }
        for frame in frames {
            if case .dropped = connection.continuation.yield(.text(frame)) {
                framesDropped += 1
                closeConnection(id)
                return
            }
            framesSent += 1
        }
    }

    /// Closes every WebSocket connection (`dropStreams`), after a `serverShutdown` event if asked.
    public mutating func dropAllConnections(serverShutdown: Bool, eventTime: Timestamp) {
        for id in connections.keys.sorted() {
            if serverShutdown, let connection = connections[id], connection.session == nil {
                let event = JSON.object([("e", .string("serverShutdown")), ("E", .int(eventTime.milliseconds))])
                let text = connection.combined ? JSON.object([("stream", .string("!serverShutdown")), ("data", event)]).text : event.text
                _ = connection.continuation.yield(.text(text))
            }
            connections[id]?.continuation.yield(.close)
            closeConnection(id)
        }
    }
}
