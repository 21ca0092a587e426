import Domain

extension RiskGateCore {
    /// Everything the gate must not forget across a restart: the ledgers (intents issued and not
    /// finished, reservations, equity), the reports waiting for their event time, the breakers
    /// (latches, pauses, recovery step, capital shares), the watermarks and the bars already
    /// decided (so a signal delivered again after a restart is a duplicate, never a second
    /// intent). Held signals are not kept: they were not decided, so no intent exists for them.
    ///
    /// The shell stores it (JSON in SQLite) after every input that changed it, before publishing
    /// what the input produced, and restores it with ``init(configuration:restoring:)``.
    public struct Snapshot: Sendable, Codable, Hashable {
        struct StoredIntent: Sendable, Codable, Hashable {
            var id: String, symbol: String, interval: Interval, openTime: Timestamp, side: Side, division: String
            var quantity: Decimal8, referencePrice: Decimal8, takeProfit: Decimal8, stopLoss: Decimal8
            var createdAt: Timestamp, expiresAt: Timestamp, shadow: Bool
            /// Absent in snapshots written before time limits existed (decoded as nil: none).
            var timeLimitBars: Int?
            /// Absent in snapshots written before close intents existed (decoded as nil: an entry).
            var closesIntentID: String?

            init(_ i: TradeIntent) {
                id = i.id.rawValue
                symbol = i.bar.symbol
                interval = i.bar.interval
                openTime = i.bar.openTime
                side = i.side
                division = i.division
                quantity = i.quantity
                referencePrice = i.referencePrice
                takeProfit = i.takeProfit
                stopLoss = i.stopLoss
                createdAt = i.createdAt
                expiresAt = i.expiresAt
                shadow = i.shadow
                timeLimitBars = i.timeLimitBars
                closesIntentID = i.closesIntentID?.rawValue
            }

            func intent() throws(RestoreError) -> TradeIntent {
                guard let intentID = IntentID(id) else { throw RestoreError(violations: ["intent id \"\(id)\" is malformed"]) }
                var closes: IntentID?
                if let closesIntentID {
                    guard let target = IntentID(closesIntentID) else {
                        throw RestoreError(violations: ["intent \(id): closed intent id \"\(closesIntentID)\" is malformed"])
                    }
                    closes = target
                }
                return TradeIntent(
                    id: intentID, bar: BarKey(symbol: symbol, interval: interval, openTime: openTime), side: side, division: division,
                    quantity: quantity, referencePrice: referencePrice, takeProfit: takeProfit, stopLoss: stopLoss,
                    createdAt: createdAt, expiresAt: expiresAt, shadow: shadow, timeLimitBars: timeLimitBars, closesIntentID: closes
                )
            }
        }

        struct StoredReport: Sendable, Codable, Hashable {
            var intentID: String, clientOrderID: String, symbol: String, leg: ExecutionReport.Leg, side: Side
            var price: Decimal8, quantity: Decimal8, fee: Decimal8, realizedPnL: Decimal8, eventTime: Timestamp, shadow: Bool

            init(_ r: ExecutionReport) {
                intentID = r.intentID.rawValue
                clientOrderID = r.clientOrderID
                symbol = r.symbol
                leg = r.leg
                side = r.side
                price = r.price
                quantity = r.quantity
                fee = r.fee
                realizedPnL = r.realizedPnL
                eventTime = r.eventTime
                shadow = r.shadow
            }

            func report() throws(RestoreError) -> ExecutionReport {
                guard let id = IntentID(intentID) else { throw RestoreError(violations: ["report intent id \"\(intentID)\" is malformed"]) }
                return ExecutionReport(
                    intentID: id, clientOrderID: clientOrderID, symbol: symbol, leg: leg, side: side, price: price, quantity: quantity,
                    fee: fee, realizedPnL: realizedPnL, eventTime: eventTime, shadow: shadow
                )
            }
        }

        struct StoredIssued: Sendable, Codable, Hashable {
            var intent: StoredIntent
            var reservation: Decimal8
            var recoveryShadow: Bool
            var acknowledged: Bool
            var finalArrived: Bool
            var released: Bool
            var legsSeen: [ExecutionReport.Leg]
            var entryQuantity: Decimal8?
            var entryPrice: Decimal8?
            /// Absent in snapshots written before close intents existed (nil: not closing).
            var closing: Bool?
        }

        struct StoredLedger: Sendable, Codable, Hashable {
            var division: String
            var equity: Decimal8
            var reserved: Decimal8
            var issued: [StoredIssued]
            var day: Int64?
            var realizedToday: Decimal8
        }

        struct StoredEvent: Sendable, Codable, Hashable {
            var time: Timestamp
            var intentID: String
            /// nil: a release.
            var report: StoredReport?
        }

        struct StoredSeries: Sendable, Codable, Hashable {
            var symbol: String
            var intervalMilliseconds: Int64
            var openTime: Timestamp
        }

        struct StoredMark: Sendable, Codable, Hashable {
            var symbol: String
            var through: Timestamp
            var intentsSeen: Int
        }

        public var version = 1
        var ledgers: [StoredLedger]
        var breakers: Breakers
        var pending: [StoredEvent]
        var decidedThrough: [StoredSeries]
        var watermarks: [StoredMark]
        var issuedCount: [String: Int]
        var appliedThrough: Timestamp?

        /// Drops the watermarks (a shell may skip saving a snapshot that differs only in them).
        public mutating func forgetWatermarks() { watermarks = [] }
    }

    /// The state could not be restored; lists every problem.
    public struct RestoreError: Error, Sendable, Hashable, CustomStringConvertible {
        public var violations: [String]
        public var description: String { "cannot restore the risk gate's state: " + violations.joined(separator: "; ") }
    }

    /// The state to store.
    public var snapshot: Snapshot {
        Snapshot(
            ledgers: ledgers.map { ledger in
                Snapshot.StoredLedger(
                    division: ledger.division, equity: ledger.equity, reserved: ledger.reserved,
                    issued: ledger.issued.values.sorted { $0.intent.id < $1.intent.id }.map {
                        Snapshot.StoredIssued(
                            intent: .init($0.intent), reservation: $0.reservation, recoveryShadow: $0.recoveryShadow, acknowledged: $0.acknowledged,
                            finalArrived: $0.finalArrived, released: $0.released, legsSeen: $0.legsSeen.sorted { $0.rawValue < $1.rawValue },
                            entryQuantity: $0.entryQuantity, entryPrice: $0.entryPrice, closing: $0.closing ? true : nil
                        )
                    },
                    day: ledger.day, realizedToday: ledger.realizedToday
                )
            },
            breakers: breakers,
            pending: pending.map { event in
                switch event.kind {
                case .report(let report): return .init(time: event.time, intentID: event.intentID.rawValue, report: .init(report))
                case .release: return .init(time: event.time, intentID: event.intentID.rawValue, report: nil)
                }
            },
            decidedThrough: decidedThrough.map { .init(symbol: $0.key.symbol, intervalMilliseconds: $0.key.intervalMilliseconds, openTime: $0.value) }
                .sorted { ($0.symbol, $0.intervalMilliseconds) < ($1.symbol, $1.intervalMilliseconds) },
            watermarks: watermarks.values.map { .init(symbol: $0.symbol, through: $0.through, intentsSeen: $0.intentsSeen) }.sorted { $0.symbol < $1.symbol },
            issuedCount: issuedCount,
            appliedThrough: appliedThrough
        )
    }

    /// A gate that continues from `snapshot` under `configuration` (its thresholds may have
    /// changed; its divisions must be the same names). Latches, pauses, recovery steps, capital
    /// shares and open intents carry over; the states are published afresh by the shell.
    public init(configuration: Configuration, restoring snapshot: Snapshot) throws(RestoreError) {
        self.init(configuration: configuration)
        var violations: [String] = []
        let names = configuration.divisions.map(\.name)
        let stored = snapshot.ledgers.map(\.division)
        if Set(names) != Set(stored) {
            violations.append("the stored divisions \(stored) differ from the configured \(names): remove the state database to start afresh")
        }
        if snapshot.version != 1 { violations.append("unknown snapshot version \(snapshot.version)") }
        if !violations.isEmpty { throw RestoreError(violations: violations) }
        var restored: [Ledger] = []
        for name in names {
            let s = snapshot.ledgers.first { $0.division == name }!
            var issued: [IntentID: Ledger.Issued] = [:]
            for entry in s.issued {
                let intent = try entry.intent.intent()
                issued[intent.id] = Ledger.Issued(
                    intent: intent, reservation: entry.reservation, recoveryShadow: entry.recoveryShadow, acknowledged: entry.acknowledged,
                    finalArrived: entry.finalArrived, released: entry.released, legsSeen: Set(entry.legsSeen),
                    entryQuantity: entry.entryQuantity, entryPrice: entry.entryPrice, closing: entry.closing ?? false
                )
            }
            restored.append(Ledger(division: name, equity: s.equity, reserved: s.reserved, issued: issued, day: s.day, realizedToday: s.realizedToday))
        }
        ledgers = restored
        var breakers = snapshot.breakers
        breakers.reconfigure(rules: configuration.rules, divisions: configuration.divisions)
        self.breakers = breakers
        var events: [Event] = []
        for stored in snapshot.pending {
            guard let id = IntentID(stored.intentID) else { throw RestoreError(violations: ["pending intent id \"\(stored.intentID)\" is malformed"]) }
            if let report = stored.report {
                events.append(Event(time: stored.time, intentID: id, kind: .report(try report.report())))
            } else {
                events.append(Event(time: stored.time, intentID: id, kind: .release))
            }
        }
        pending = events
        decidedThrough = Dictionary(uniqueKeysWithValues: snapshot.decidedThrough.map {
            (SeriesKey(symbol: $0.symbol, intervalMilliseconds: $0.intervalMilliseconds), $0.openTime)
        })
        watermarks = Dictionary(uniqueKeysWithValues: snapshot.watermarks.map {
            ($0.symbol, ExecutionWatermark(symbol: $0.symbol, through: $0.through, intentsSeen: $0.intentsSeen))
        })
        issuedCount = snapshot.issuedCount
        appliedThrough = snapshot.appliedThrough
        lastPublished = [:]
        for state in states { lastPublished[state.division] = state }
    }
}
