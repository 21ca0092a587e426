import Domain

/// One closed round trip of a backtest, as the report counts it: built from the Executor's entry
/// and exit ``ExecutionReport``s (the execution itself, fills, fees and exits, is the Executor
/// core's; this type only reads its reports).
///
/// Times are the Executor's event times: the open time of the kline each leg filled in. A trade
/// that enters and exits within one kline therefore holds for 0 s.
public struct BacktestTrade: Sendable, Hashable {
    /// Why the position was closed.
    public enum ExitReason: String, Sendable, Hashable, CaseIterable {
        /// The take-profit level (or a gap above it).
        case target
        /// The stop level (or a gap below it).
        case stop
        /// The intent's time limit (``TradeIntent/timeLimitBars``): sold at market at the open of the bar after it.
        case time
        /// An exit signal: the ensemble's low models closed the position (the RiskGate's close
        /// intent, sold at market by the Executor: ``ExecutionReport/Leg/signal``), or, in ITB-style
        /// simulations, an opposite signal (flip-flop).
        case signal
        /// Still open when the data ended: closed at the last mark (see ``BacktestTrade/trades(reports:intents:signals:feeRate:marks:)``).
        case end
    }

    public var intentID: String
    public var symbol: String
    public var division: String
    /// The models the ensemble counted for the signal that opened the trade; empty when unknown.
    public var models: [String]
    public var entryTime: Timestamp
    public var exitTime: Timestamp
    public var entryPrice: Price
    public var exitPrice: Price
    public var quantity: Quantity
    /// Fees of both legs, in quote.
    public var fees: Decimal8
    /// Realized profit and loss in quote, fees of both legs included.
    public var pnl: Decimal8
    public var exitReason: ExitReason

    public init(
        intentID: String, symbol: String, division: String, models: [String] = [], entryTime: Timestamp, exitTime: Timestamp,
        entryPrice: Price, exitPrice: Price, quantity: Quantity, fees: Decimal8, pnl: Decimal8, exitReason: ExitReason
    ) {
        self.intentID = intentID
        self.symbol = symbol
        self.division = division
        self.models = models
        self.entryTime = entryTime
        self.exitTime = exitTime
        self.entryPrice = entryPrice
        self.exitPrice = exitPrice
        self.quantity = quantity
        self.fees = fees
        self.pnl = pnl
        self.exitReason = exitReason
    }

    /// The capital the trade committed: entry price × quantity (spot, no leverage), in quote.
    public var committed: Decimal8 { entryPrice.multiplied(by: quantity, rounding: .toNearestOrEven) }

    /// Return on the capital committed: P&L ÷ (entry price × quantity), net of fees; 0 for an empty position.
    public var returnOnCommitted: Double {
        let base = committed
        return base.isZero ? 0 : pnl.doubleValue / base.doubleValue
    }

    /// Seconds from the entry fill to the exit fill.
    public var holdSeconds: Double { Double(exitTime.nanoseconds - entryTime.nanoseconds) / 1e9 }

    public var isWin: Bool { pnl > .zero }
    public var isLoss: Bool { pnl < .zero }
}

extension BacktestTrade {
    /// Why reports could not be paired into trades; lists every problem found.
    public struct BuildError: Error, Equatable, CustomStringConvertible {
        public var problems: [String]
        public var description: String { "cannot build trades: " + problems.joined(separator: "; ") }
    }

    /// The round trips of an in-process backtest (see ``trades(reports:intents:signals:feeRate:marks:)``).
    public static func trades(from result: Backtest.Result, feeRate: Decimal8, marks: [String: (price: Price, time: Timestamp)] = [:]) throws(BuildError) -> [BacktestTrade] {
        try trades(reports: result.reports, intents: result.intents, signals: result.signals, feeRate: feeRate, marks: marks)
    }

    /// Pairs each exit report with its entry report (same intent id) and the intent (division)
    /// and signal (models: the signal of the intent's bar and side) that caused it.
    ///
    /// An entry without an exit is a position still open when the data ended: with a mark for its
    /// symbol (price and time, e.g. the last kline's close) it becomes a trade with exit reason
    /// `end`, closed at the mark with an exit fee of `feeRate` × notional rounded up, the
    /// Executor's own rule; without a mark it is left out (realized P&L only). Trades come out in
    /// exit-time order (then intent id).
    ///
    /// Throws ``BuildError`` listing every exit without an entry, every doubled entry or exit and
    /// every report without its intent.
    public static func trades(
        reports: [ExecutionReport], intents: [TradeIntent], signals: [EnsembleSignal] = [], feeRate: Decimal8,
        marks: [String: (price: Price, time: Timestamp)] = [:]
    ) throws(BuildError) -> [BacktestTrade] {
        var problems: [String] = []
        var intentByID: [IntentID: TradeIntent] = [:]
        for intent in intents { intentByID[intent.id] = intent }
        var modelsBySignal: [BarKey: [Side: [String]]] = [:]
        for signal in signals { modelsBySignal[signal.bar, default: [:]][signal.side] = signal.models }
        var entries: [IntentID: ExecutionReport] = [:]
        var exits: [IntentID: ExecutionReport] = [:]
        for report in reports {
            if report.isExit {
                if exits[report.intentID] != nil { problems.append("intent \(report.intentID): more than one exit report") }
                exits[report.intentID] = report
            } else {
                if entries[report.intentID] != nil { problems.append("intent \(report.intentID): more than one entry report") }
                entries[report.intentID] = report
            }
        }
        var trades: [BacktestTrade] = []
        for (id, exit) in exits where entries[id] == nil {
            problems.append("intent \(id): exit report at \(exit.eventTime) without an entry report")
        }
        for (id, entry) in entries.sorted(by: { $0.key < $1.key }) {
            guard let intent = intentByID[id] else {
                problems.append("intent \(id): reports without the intent (its division is unknown)")
                continue
            }
            let models = modelsBySignal[intent.bar]?[intent.side] ?? []
            if let exit = exits[id] {
                let reason: ExitReason = switch exit.leg {
                case .takeProfit: .target
                case .timeLimit: .time
                case .signal: .signal
                case .stop, .entry: .stop
                }
                trades.append(BacktestTrade(
                    intentID: id.rawValue, symbol: entry.symbol, division: intent.division, models: models,
                    entryTime: entry.eventTime, exitTime: exit.eventTime, entryPrice: entry.price, exitPrice: exit.price,
                    quantity: entry.quantity, fees: entry.fee + exit.fee, pnl: exit.realizedPnL, exitReason: reason
                ))
            } else if let mark = marks[entry.symbol] {
                let notional = mark.price.multiplied(by: entry.quantity, rounding: .toNearestOrEven)
                let exitFee = feeRate.multiplied(by: notional, rounding: .up)
                let gross = (mark.price - entry.price).multiplied(by: entry.quantity, rounding: .toNearestOrEven)
                trades.append(BacktestTrade(
                    intentID: id.rawValue, symbol: entry.symbol, division: intent.division, models: models,
                    entryTime: entry.eventTime, exitTime: max(mark.time, entry.eventTime), entryPrice: entry.price, exitPrice: mark.price,
                    quantity: entry.quantity, fees: entry.fee + exitFee, pnl: gross - entry.fee - exitFee, exitReason: .end
                ))
            }
        }
        guard problems.isEmpty else { throw BuildError(problems: problems.sorted()) }
        return trades.sorted { ($0.exitTime, $0.intentID) < ($1.exitTime, $1.intentID) }
    }

    var json: ReportJSON {
        .object([
            "intentID": .string(intentID), "symbol": .string(symbol), "division": .string(division),
            "models": .array(models.map { .string($0) }),
            "entryTime": .time(entryTime), "exitTime": .time(exitTime),
            "entryPrice": .decimal(entryPrice), "exitPrice": .decimal(exitPrice), "quantity": .decimal(quantity),
            "fees": .decimal(fees), "pnl": .decimal(pnl), "returnOnCommitted": .number(returnOnCommitted),
            "exitReason": .string(exitReason.rawValue), "holdSeconds": .number(holdSeconds),
        ])
    }
}
