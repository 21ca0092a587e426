import Domain

// The RiskGate's outputs on the wire: denials and states (with their events).

func figures(_ map: [String: String], _ message: String) throws(WireConversionError) -> [String: Decimal8] {
    var result: [String: Decimal8] = [:]
    for (key, text) in map { result[key] = try decimal(text, message, "figures[\(key)]") }
    return result
}

extension Quorum_V1_RiskDenied {
    public init(_ d: RiskDenied) {
        self.init()
        symbol = d.bar.symbol
        interval = d.bar.interval.name
        barOpenTimeMs = d.bar.openTime.milliseconds
        reason = d.reason.rawValue
        detail = d.detail
        division = d.division
        figures = d.figures.mapValues(\.description)
    }

    public func domain() throws(WireConversionError) -> RiskDenied {
        let m = "RiskDenied"
        guard let reason = RiskDenied.Reason(rawValue: reason) else {
            throw WireConversionError(message: m, field: "reason", detail: "unknown reason \"\(self.reason)\"")
        }
        return RiskDenied(
            bar: BarKey(symbol: try nonEmpty(symbol, m, "symbol"), interval: try Wire.interval(interval, m), openTime: Timestamp(milliseconds: barOpenTimeMs)),
            reason: reason, detail: detail, division: division, figures: try Wire.figures(figures, m)
        )
    }
}

extension Quorum_V1_RiskEvent {
    public init(_ e: RiskEvent) {
        self.init()
        kind = e.kind.rawValue
        division = e.division
        code = e.code
        timeNs = e.time.nanoseconds
        detail = e.detail
        figures = e.figures.mapValues(\.description)
    }

    public func domain() throws(WireConversionError) -> RiskEvent {
        let m = "RiskEvent"
        guard let kind = RiskEvent.Kind(rawValue: kind) else {
            throw WireConversionError(message: m, field: "kind", detail: "unknown kind \"\(self.kind)\"")
        }
        return RiskEvent(kind: kind, division: division, code: code, time: Timestamp(nanoseconds: timeNs), detail: detail, figures: try Wire.figures(figures, m))
    }
}

extension Quorum_V1_RiskState {
    public init(_ s: RiskState) {
        self.init()
        division = s.division
        asOfNs = s.asOf.nanoseconds
        equity = s.equity.description
        freeCapital = s.freeCapital.description
        realizedPnlToday = s.realizedPnLToday.description
        openPositions = Int32(s.openPositions)
        breakerTripped = s.breakerTripped
        tradingState = s.tradingState.rawValue
        capitalShare = s.capitalShare.description
        causes = s.causes
        retrainRequested = s.retrainRequested
        recovery = s.recovery
        shadow = s.shadow
        events = s.events.map(Quorum_V1_RiskEvent.init)
        markedEquity = s.markedEquity?.description ?? ""
    }

    public func domain() throws(WireConversionError) -> RiskState {
        let m = "RiskState"
        let state: TradingState
        if tradingState.isEmpty {
            state = .active
        } else if let parsed = TradingState(rawValue: tradingState) {
            state = parsed
        } else {
            throw WireConversionError(message: m, field: "trading_state", detail: "unknown state \"\(tradingState)\"")
        }
        var converted: [RiskEvent] = []
        for event in events { converted.append(try event.domain()) }
        return RiskState(
            division: division, asOf: Timestamp(nanoseconds: asOfNs), equity: try decimal(equity, m, "equity"),
            freeCapital: try decimal(freeCapital, m, "free_capital"), realizedPnLToday: try decimal(realizedPnlToday, m, "realized_pnl_today"),
            openPositions: Int(openPositions), breakerTripped: breakerTripped, tradingState: state,
            capitalShare: capitalShare.isEmpty ? .one : try decimal(capitalShare, m, "capital_share"), causes: causes,
            retrainRequested: retrainRequested, recovery: recovery, shadow: shadow, events: converted,
            markedEquity: try optionalDecimal(markedEquity, m, "marked_equity")
        )
    }
}
