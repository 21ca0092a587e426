import Domain

/// The recorded klines of one symbol and interval, in open-time order, and the synthetic price
/// path the simulator assumes inside each bar.
///
/// **Price path.** Inside a bar the price moves in straight lines through four points, at 0, 1/3,
/// 2/3 and 1 of the bar: open → low → high → close when the bar closes at or above its open,
/// open → high → low → close otherwise, rounded down to the tick. So the path touches the bar's
/// recorded high and low, and ends at its close.
public struct KlineSeries: Sendable {
    public let symbol: String
    public let interval: Interval
    public let klines: [Kline]
    public let tickSize: Decimal8

    public init(symbol: String, interval: Interval, klines: [Kline], tickSize: Decimal8) {
        self.symbol = symbol
        self.interval = interval
        self.klines = klines
        self.tickSize = tickSize
    }

    public var first: Kline? { klines.first }
    public var last: Kline? { klines.last }

    /// Index of the last kline whose open time is at or before `milliseconds`.
    public func lastIndex(openAtOrBefore milliseconds: Int64) -> Int? {
        var lo = 0, hi = klines.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if klines[mid].openTime.milliseconds <= milliseconds { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? nil : lo - 1
    }

    /// Index of the first kline whose open time is at or after `milliseconds` (count when none).
    public func firstIndex(openAtOrAfter milliseconds: Int64) -> Int {
        var lo = 0, hi = klines.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if klines[mid].openTime.milliseconds < milliseconds { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Index of the kline whose [open, close] contains `milliseconds`, if any.
    public func index(containing milliseconds: Int64) -> Int? {
        guard let i = lastIndex(openAtOrBefore: milliseconds), klines[i].closeTime.milliseconds >= milliseconds else { return nil }
        return i
    }

    /// The four path points of a bar.
    static func vertices(_ k: Kline) -> [Decimal8] {
        k.close >= k.open ? [k.open, k.low, k.high, k.close] : [k.open, k.high, k.low, k.close]
    }

    /// The path price of bar `k` at `milliseconds` (clamped to the bar), rounded down to the tick.
    public func pathPrice(_ k: Kline, at milliseconds: Int64) -> Decimal8 {
        let length = Int128(interval.milliseconds)
        let elapsed = Int128(min(max(milliseconds - k.openTime.milliseconds, 0), interval.milliseconds))
        let v = Self.vertices(k)
        // Segment s covers [s/3, (s+1)/3] of the bar; work in units of 1/(3·length).
        let position = elapsed * 3
        let segment = min(Int(position / length), 2)
        let within = position - Int128(segment) * length  // 0...length
        let a = Int128(v[segment].units), b = Int128(v[segment + 1].units)
        var units = a + (b - a) * within / length
        let tick = Int128(max(tickSize.units, 1))
        units = units >= 0 ? units / tick * tick : (units - tick + 1) / tick * tick
        return Decimal8(units: Int64(units))
    }

    /// Bar `k` as seen at `milliseconds` inside it: open from the data, close at the path price,
    /// high and low over the path so far, and volumes, quote volumes and trade counts scaled by the
    /// elapsed fraction of the bar (rounded down). A bar whose close time is before `milliseconds`
    /// is returned whole, exactly as recorded.
    public func kline(_ index: Int, asOf milliseconds: Int64) -> Kline {
        let k = klines[index]
        guard milliseconds <= k.closeTime.milliseconds else { return k }
        let length = interval.milliseconds
        let elapsed = max(milliseconds - k.openTime.milliseconds, 0)
        let close = pathPrice(k, at: milliseconds)
        var high = max(k.open, close), low = min(k.open, close)
        let v = Self.vertices(k)
        for (s, price) in v.enumerated().dropFirst().dropLast() where Int128(elapsed) * 3 >= Int128(s) * Int128(length) {
            high = max(high, price)
            low = min(low, price)
        }
        func scaled(_ d: Decimal8) -> Decimal8 { Decimal8(units: Int64(Int128(d.units) * Int128(elapsed) / Int128(length))) }
        var partial = k
        partial.high = high
        partial.low = low
        partial.close = close
        partial.volume = scaled(k.volume)
        partial.quoteVolume = k.quoteVolume.map(scaled)
        partial.trades = k.trades.map { Int64(Int128($0) * Int128(elapsed) / Int128(length)) }
        partial.takerBuyBase = k.takerBuyBase.map(scaled)
        partial.takerBuyQuote = k.takerBuyQuote.map(scaled)
        partial.isClosed = false
        return partial
    }
}

extension Kline {
    /// The 12-element array of `GET /api/v3/klines`. Columns missing from the data are sent as
    /// "0.00000000" (volumes) and 0 (trade count).
    public var restJSON: JSON {
        .array([
            .int(openTime.milliseconds), .decimal(open), .decimal(high), .decimal(low), .decimal(close),
            .decimal(volume), .int(closeTime.milliseconds), .decimal(quoteVolume ?? .zero), .int(trades ?? 0),
            .decimal(takerBuyBase ?? .zero), .decimal(takerBuyQuote ?? .zero), .string("0"),
        ])
    }

    /// The `k` object of a kline stream event.
    func streamJSON(firstTradeID: Int64, lastTradeID: Int64) -> JSON {
        .object([
            ("t", .int(openTime.milliseconds)), ("T", .int(closeTime.milliseconds)), ("s", .string(symbol)),
            ("i", .string(interval.name)), ("f", .int(firstTradeID)), ("L", .int(lastTradeID)),
            ("o", .decimal(open)), ("c", .decimal(close)), ("h", .decimal(high)), ("l", .decimal(low)),
            ("v", .decimal(volume)), ("n", .int(trades ?? 0)), ("x", .bool(isClosed)),
            ("q", .decimal(quoteVolume ?? .zero)), ("V", .decimal(takerBuyBase ?? .zero)),
            ("Q", .decimal(takerBuyQuote ?? .zero)), ("B", .string("0")),
        ])
    }
}
