import Domain

/// A wire payload that does not make a valid domain value; names the field.
public struct WireConversionError: Error, Sendable, CustomStringConvertible, Equatable {
    public let message: String
    public let field: String
    public let detail: String

    public init(message: String, field: String, detail: String) {
        self.message = message
        self.field = field
        self.detail = detail
    }

    public var description: String { "\(message).\(field): \(detail)" }
}

@inline(__always)
func decimal(_ text: String, _ message: String, _ field: String) throws(WireConversionError) -> Decimal8 {
    do { return try Decimal8(parsing: text) } catch {
        throw WireConversionError(message: message, field: field, detail: error.description)
    }
}

@inline(__always)
func optionalDecimal(_ text: String, _ message: String, _ field: String) throws(WireConversionError) -> Decimal8? {
    text.isEmpty ? nil : try decimal(text, message, field)
}

@inline(__always)
func interval(_ text: String, _ message: String) throws(WireConversionError) -> Interval {
    guard let value = Interval(text) else { throw WireConversionError(message: message, field: "interval", detail: "unknown interval \"\(text)\"") }
    return value
}

@inline(__always)
func side(_ text: String, _ message: String) throws(WireConversionError) -> Side {
    guard let value = Side(rawValue: text) else { throw WireConversionError(message: message, field: "side", detail: "unknown side \"\(text)\"") }
    return value
}

@inline(__always)
func intentID(_ text: String, _ message: String, field: String = "intent_id") throws(WireConversionError) -> IntentID {
    guard let value = IntentID(text) else { throw WireConversionError(message: message, field: field, detail: "not a 20-character id \"\(text)\"") }
    return value
}

@inline(__always)
func nonEmpty(_ text: String, _ message: String, _ field: String) throws(WireConversionError) -> String {
    guard !text.isEmpty else { throw WireConversionError(message: message, field: field, detail: "empty") }
    return text
}

extension Quorum_V1_Kline {
    public init(_ k: Kline) {
        self.init()
        symbol = k.symbol
        interval = k.interval.name
        openTimeMs = k.openTime.milliseconds
        closeTimeMs = k.closeTime.milliseconds
        open = k.open.description
        high = k.high.description
        low = k.low.description
        close = k.close.description
        volume = k.volume.description
        quoteVolume = k.quoteVolume?.description ?? ""
        trades = k.trades ?? -1
        takerBuyBase = k.takerBuyBase?.description ?? ""
        takerBuyQuote = k.takerBuyQuote?.description ?? ""
        closed = k.isClosed
    }

    public func domain() throws(WireConversionError) -> Kline {
        let m = "Kline"
        return Kline(
            symbol: try nonEmpty(symbol, m, "symbol"), interval: try Wire.interval(interval, m),
            openTime: Timestamp(milliseconds: openTimeMs), closeTime: Timestamp(milliseconds: closeTimeMs),
            open: try decimal(open, m, "open"), high: try decimal(high, m, "high"), low: try decimal(low, m, "low"),
            close: try decimal(close, m, "close"), volume: try decimal(volume, m, "volume"),
            quoteVolume: try optionalDecimal(quoteVolume, m, "quote_volume"), trades: trades < 0 ? nil : trades,
            takerBuyBase: try optionalDecimal(takerBuyBase, m, "taker_buy_base"),
            takerBuyQuote: try optionalDecimal(takerBuyQuote, m, "taker_buy_quote"), isClosed: closed
        )
    }
}

extension Quorum_V1_FeatureVector {
    public init(_ v: FeatureVector) {
        self.init()
        symbol = v.bar.symbol
        interval = v.bar.interval.name
        barOpenTimeMs = v.bar.openTime.milliseconds
        names = v.names
        values = v.values
        close = v.close.description
        high = v.high.description
        low = v.low.description
    }

    public func domain() throws(WireConversionError) -> FeatureVector {
        let m = "FeatureVector"
        guard names.count == values.count else {
            throw WireConversionError(message: m, field: "values", detail: "\(values.count) values for \(names.count) names")
        }
        return FeatureVector(
            bar: BarKey(symbol: try nonEmpty(symbol, m, "symbol"), interval: try Wire.interval(interval, m), openTime: Timestamp(milliseconds: barOpenTimeMs)),
            close: try decimal(close, m, "close"), high: try decimal(high, m, "high"), low: try decimal(low, m, "low"),
            names: names, values: values
        )
    }
}

extension Quorum_V1_Prediction {
    public init(_ p: Prediction) {
        self.init()
        symbol = p.bar.symbol
        interval = p.bar.interval.name
        barOpenTimeMs = p.bar.openTime.milliseconds
        model = p.model
        modelVersion = p.version
        label = p.label
        probability = p.probability
    }

    public func domain() throws(WireConversionError) -> Prediction {
        let m = "Prediction"
        guard probability.isFinite, (0...1).contains(probability) else {
            throw WireConversionError(message: m, field: "probability", detail: "not in [0, 1]: \(probability)")
        }
        return Prediction(
            bar: BarKey(symbol: try nonEmpty(symbol, m, "symbol"), interval: try Wire.interval(interval, m), openTime: Timestamp(milliseconds: barOpenTimeMs)),
            model: try nonEmpty(model, m, "model"), version: modelVersion, label: label, probability: probability
        )
    }
}

extension Quorum_V1_EnsembleSignal {
    public init(_ s: EnsembleSignal) {
        self.init()
        symbol = s.bar.symbol
        interval = s.bar.interval.name
        barOpenTimeMs = s.bar.openTime.milliseconds
        side = s.side.rawValue
        probability = s.probability
        threshold = s.threshold
        models = s.models
        referencePrice = s.referencePrice.description
        action = s.action.rawValue
        division = s.division
        mode = s.mode
        if let value = s.sigma { sigma = value }
        if let value = s.regime { regime = Int32(value) }
        votes = s.votes.map { vote in
            var wire = Quorum_V1_ModelVote()
            wire.model = vote.model
            wire.probability = vote.probability
            wire.weight = vote.weight
            wire.role = vote.role.rawValue
            return wire
        }
        if let value = s.vetoProbability { vetoProbability = value }
    }

    public func domain() throws(WireConversionError) -> EnsembleSignal {
        let m = "EnsembleSignal"
        guard let action = action.isEmpty ? .enter : EnsembleSignal.Action(rawValue: action) else {
            throw WireConversionError(message: m, field: "action", detail: "unknown action \"\(action)\"")
        }
        var votes: [EnsembleSignal.Vote] = []
        for (index, vote) in self.votes.enumerated() {
            guard let role = EnsembleSignal.Vote.Role(rawValue: vote.role) else {
                throw WireConversionError(message: m, field: "votes[\(index)].role", detail: "unknown role \"\(vote.role)\"")
            }
            votes.append(.init(model: vote.model, probability: vote.probability, weight: vote.weight, role: role))
        }
        return EnsembleSignal(
            bar: BarKey(symbol: try nonEmpty(symbol, m, "symbol"), interval: try Wire.interval(interval, m), openTime: Timestamp(milliseconds: barOpenTimeMs)),
            side: try Wire.side(side, m), probability: probability, threshold: threshold, models: models,
            referencePrice: try decimal(referencePrice, m, "reference_price"),
            action: action, division: division, mode: mode.isEmpty ? "vote" : mode,
            sigma: hasSigma ? sigma : nil, regime: hasRegime ? Int(regime) : nil, votes: votes,
            vetoProbability: hasVetoProbability ? vetoProbability : nil
        )
    }
}

extension Quorum_V1_TradeIntent {
    public init(_ i: TradeIntent) {
        self.init()
        intentID = i.id.rawValue
        symbol = i.bar.symbol
        interval = i.bar.interval.name
        barOpenTimeMs = i.bar.openTime.milliseconds
        side = i.side.rawValue
        division = i.division
        quantity = i.quantity.description
        referencePrice = i.referencePrice.description
        takeProfit = i.takeProfit.description
        stopLoss = i.stopLoss.description
        createdAtNs = i.createdAt.nanoseconds
        expiresAtNs = i.expiresAt.nanoseconds
        shadow = i.shadow
        timeLimitBars = Int32(clamping: i.timeLimitBars ?? 0)
        closesIntentID = i.closesIntentID?.rawValue ?? ""
    }

    public func domain() throws(WireConversionError) -> TradeIntent {
        let m = "TradeIntent"
        if timeLimitBars < 0 {
            throw WireConversionError(message: m, field: "time_limit_bars", detail: "must be ≥ 0 (0 = none), got \(timeLimitBars)")
        }
        return TradeIntent(
            id: try Wire.intentID(intentID, m),
            bar: BarKey(symbol: try nonEmpty(symbol, m, "symbol"), interval: try Wire.interval(interval, m), openTime: Timestamp(milliseconds: barOpenTimeMs)),
            side: try Wire.side(side, m), division: division, quantity: try decimal(quantity, m, "quantity"),
            referencePrice: try decimal(referencePrice, m, "reference_price"), takeProfit: try decimal(takeProfit, m, "take_profit"),
            stopLoss: try decimal(stopLoss, m, "stop_loss"), createdAt: Timestamp(nanoseconds: createdAtNs),
            expiresAt: Timestamp(nanoseconds: expiresAtNs), shadow: shadow,
            timeLimitBars: timeLimitBars > 0 ? Int(timeLimitBars) : nil,
            closesIntentID: closesIntentID.isEmpty ? nil : try Wire.intentID(closesIntentID, m, field: "closes_intent_id")
        )
    }
}

extension Quorum_V1_IntentAck {
    public init(_ a: IntentAck) {
        self.init()
        intentID = a.intentID.rawValue
        symbol = a.symbol
        status = a.status.rawValue
        reason = a.reason
    }

    public func domain() throws(WireConversionError) -> IntentAck {
        let m = "IntentAck"
        guard let status = IntentAck.Status(rawValue: status) else {
            throw WireConversionError(message: m, field: "status", detail: "unknown status \"\(self.status)\"")
        }
        return IntentAck(intentID: try Wire.intentID(intentID, m), symbol: symbol, status: status, reason: reason)
    }
}

extension Quorum_V1_ExecutionReport {
    public init(_ r: ExecutionReport) {
        self.init()
        intentID = r.intentID.rawValue
        clientOrderID = r.clientOrderID
        symbol = r.symbol
        // A time-limit or signal exit is a market sell like a stop: leg s for readers that know only e/t/s.
        leg = r.leg == .timeLimit || r.leg == .signal ? ExecutionReport.Leg.stop.rawValue : r.leg.rawValue
        exitReason = r.leg.exitReason ?? ""
        side = r.side.rawValue
        price = r.price.description
        quantity = r.quantity.description
        fee = r.fee.description
        realizedPnl = r.realizedPnL.description
        eventTimeMs = r.eventTime.milliseconds
        shadow = r.shadow
    }

    public func domain() throws(WireConversionError) -> ExecutionReport {
        let m = "ExecutionReport"
        guard var leg = ExecutionReport.Leg(rawValue: leg), leg != .timeLimit, leg != .signal else {
            throw WireConversionError(message: m, field: "leg", detail: "unknown leg \"\(self.leg)\"")
        }
        switch (leg, exitReason) {
        case (.takeProfit, "take_profit"), (.stop, "stop"), (.takeProfit, ""), (.stop, ""), (.entry, ""):
            break
        case (.stop, "time_limit"):
            leg = .timeLimit
        case (.stop, "signal"):
            leg = .signal
        default:
            throw WireConversionError(message: m, field: "exit_reason", detail: "\"\(exitReason)\" does not go with leg \"\(self.leg)\" (take_profit with t, stop, time_limit or signal with s, none with e)")
        }
        return ExecutionReport(
            intentID: try Wire.intentID(intentID, m), clientOrderID: clientOrderID, symbol: try nonEmpty(symbol, m, "symbol"),
            leg: leg, side: try Wire.side(side, m), price: try decimal(price, m, "price"), quantity: try decimal(quantity, m, "quantity"),
            fee: try decimal(fee, m, "fee"), realizedPnL: try decimal(realizedPnl, m, "realized_pnl"),
            eventTime: Timestamp(milliseconds: eventTimeMs), shadow: shadow
        )
    }
}

extension Quorum_V1_ExecutionWatermark {
    public init(_ w: ExecutionWatermark) {
        self.init()
        symbol = w.symbol
        throughOpenTimeMs = w.through.milliseconds
        intentsSeen = Int32(w.intentsSeen)
    }

    public func domain() throws(WireConversionError) -> ExecutionWatermark {
        ExecutionWatermark(symbol: try nonEmpty(symbol, "ExecutionWatermark", "symbol"), through: Timestamp(milliseconds: throughOpenTimeMs), intentsSeen: Int(intentsSeen))
    }
}
