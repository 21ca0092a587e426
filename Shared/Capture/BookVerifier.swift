import Domain
import OrderBook

/// Rebuilds each symbol's book from diffs and snapshots with `BookSynchronizer` and checks it
/// against the exchange's own best bid and ask (`bookTicker`), exactly. Pure: decoded inputs in,
/// a report out (`CaptureReplay` feeds it from capture files).
///
/// The rule. A bookTicker's `u` is the order-book update id its best bid and ask belong to. The
/// rebuilt book stands at an update id only at the end of an applied diff event (its `u`) or at an
/// accepted snapshot's `lastUpdateId`; the ids in between are inside an event (depth@100ms groups
/// many updates per event) and cannot be observed. So a bookTicker point is *reached* when the book
/// stood at exactly its `u` at some moment, before or after the ticker arrived (the two streams
/// have different latencies); it *matches* when the book's best bid price and quantity and best ask
/// price and quantity at that moment equal the ticker's. Tickers whose `u` the book stepped over,
/// or that precede the first snapshot, are *unreached*, not failures.
public struct BookVerifier: Sendable {
    public struct Configuration: Sendable, Hashable {
        public var synchronizer: BookSynchronizer.Configuration
        /// Mismatches described in full per symbol.
        public var maxMismatchDetails: Int
        /// Update ids (and their best bid/ask) remembered for tickers that arrive after the book moved on.
        public var historyDepth: Int

        public init(synchronizer: BookSynchronizer.Configuration = .init(), maxMismatchDetails: Int = 5, historyDepth: Int = 4096) {
            self.synchronizer = synchronizer
            self.maxMismatchDetails = maxMismatchDetails
            self.historyDepth = max(1, historyDepth)
        }
    }

    public enum Input: Sendable, Hashable {
        case diff(DepthUpdate)
        case snapshot(DepthSnapshot)
        case bookTicker(BookTicker)
        /// The WebSocket reconnected: every symbol's book is resynchronised.
        case streamRestarted
    }

    public struct Mismatch: Sendable, Hashable, CustomStringConvertible {
        public var ticker: BookTicker
        public var book: BookTop

        public var description: String {
            "u \(ticker.updateID): bookTicker bid \(ticker.bidPrice.compactDescription)×\(ticker.bidQuantity.compactDescription) "
                + "ask \(ticker.askPrice.compactDescription)×\(ticker.askQuantity.compactDescription); book \(book)"
        }
    }

    /// What happened to one symbol.
    public struct SymbolReport: Sendable, Hashable {
        public var symbol: String
        /// bookTicker messages seen.
        public var bookTickers = 0
        /// Points whose update id the book reached (matched + mismatched).
        public var reached: Int { matched + mismatched }
        public var matched = 0
        public var mismatched = 0
        public var mismatches: [Mismatch] = []
        /// Tickers whose update id the book stepped over or never reached.
        public var unreached = 0
        /// Tickers still ahead of the book when the capture ended.
        public var pendingAtEnd = 0
        public var decodeErrors = 0
        public var synchronizer = BookSynchronizer.Statistics()
        public var isSynchronized = false
        public var finalUpdateID: Int64?
        public var bidLevels = 0
        public var askLevels = 0

        public init(symbol: String) { self.symbol = symbol }
    }

    struct SymbolState: Sendable {
        var synchronizer: BookSynchronizer
        var report: SymbolReport
        var history: [Int64: BookTop] = [:]
        var historyOrder: [Int64] = []
        var historyNext = 0
        var maxReached: Int64 = .min
        /// Tickers ahead of the book, ascending by update id.
        var pending: [BookTicker] = []
        var pendingStart = 0
    }

    public let configuration: Configuration
    private var states: [String: SymbolState] = [:]
    private var outputs: [BookSynchronizer.Output] = []
    /// Decode errors that could not be attributed to a symbol.
    public private(set) var unattributedDecodeErrors = 0

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    public mutating func handle(_ input: Input) {
        switch input {
        case .diff(let update):
            feed(update.symbol, .diff(update))
        case .snapshot(let snapshot):
            feed(snapshot.symbol, .snapshot(snapshot))
        case .bookTicker(let ticker):
            withState(ticker.symbol) { state, configuration in Self.observe(ticker, &state, configuration) }
        case .streamRestarted:
            for symbol in Array(states.keys) { feed(symbol, .streamRestarted) }
        }
    }

    /// Counts a message that could not be decoded (for `symbol` when known).
    public mutating func noteDecodeError(symbol: String?) {
        guard let symbol, !symbol.isEmpty else {
            unattributedDecodeErrors += 1
            return
        }
        withState(symbol) { state, _ in state.report.decodeErrors += 1 }
    }

    /// The synchronizer of a symbol (its book, counters), when the symbol was seen.
    public func synchronizer(for symbol: String) -> BookSynchronizer? { states[symbol]?.synchronizer }

    /// One report per symbol seen, by symbol.
    public var reports: [SymbolReport] {
        states.keys.sorted().map { key in
            let state = states[key]!
            var report = state.report
            report.pendingAtEnd = state.pending.count - state.pendingStart
            report.synchronizer = state.synchronizer.statistics
            report.isSynchronized = state.synchronizer.isSynchronized
            report.finalUpdateID = state.synchronizer.localUpdateID
            report.bidLevels = state.synchronizer.book.count(.bid)
            report.askLevels = state.synchronizer.book.count(.ask)
            return report
        }
    }

    // MARK: -

    private mutating func withState(_ symbol: String, _ body: (inout SymbolState, Configuration) -> Void) {
        let configuration = configuration
        if states[symbol] == nil {
            states[symbol] = SymbolState(
                synchronizer: BookSynchronizer(symbol: symbol, configuration: configuration.synchronizer),
                report: SymbolReport(symbol: symbol)
            )
        }
        body(&states[symbol]!, configuration)
    }

    private mutating func feed(_ symbol: String, _ input: BookSynchronizer.Input) {
        var outputs = self.outputs
        self.outputs = []
        outputs.removeAll(keepingCapacity: true)
        withState(symbol) { state, configuration in
            state.synchronizer.handle(input, into: &outputs)
            for output in outputs {
                switch output {
                case .synchronized(let top), .applied(_, let top): Self.reach(top, &state, configuration)
                default: break
                }
            }
        }
        self.outputs = outputs
    }

    /// The book stands at `top.updateID`: remember it and settle the tickers it passes.
    private static func reach(_ top: BookTop, _ state: inout SymbolState, _ configuration: Configuration) {
        if state.history[top.updateID] == nil {
            if state.historyOrder.count < configuration.historyDepth {
                state.historyOrder.append(top.updateID)
            } else {
                state.history[state.historyOrder[state.historyNext]] = nil
                state.historyOrder[state.historyNext] = top.updateID
                state.historyNext = (state.historyNext + 1) % configuration.historyDepth
            }
        }
        state.history[top.updateID] = top
        state.maxReached = max(state.maxReached, top.updateID)
        while state.pendingStart < state.pending.count, state.pending[state.pendingStart].updateID <= top.updateID {
            let ticker = state.pending[state.pendingStart]
            state.pendingStart += 1
            if ticker.updateID == top.updateID {
                compare(ticker, top, &state, configuration)
            } else {
                state.report.unreached += 1
            }
        }
        if state.pendingStart > 4096, state.pendingStart * 2 > state.pending.count {
            state.pending.removeFirst(state.pendingStart)
            state.pendingStart = 0
        }
    }

    private static func observe(_ ticker: BookTicker, _ state: inout SymbolState, _ configuration: Configuration) {
        state.report.bookTickers += 1
        if let top = state.history[ticker.updateID] {
            compare(ticker, top, &state, configuration)
        } else if ticker.updateID <= state.maxReached {
            state.report.unreached += 1
        } else {
            // Keep ascending order (tickers normally arrive in update-id order).
            var i = state.pending.count
            while i > state.pendingStart, state.pending[i - 1].updateID > ticker.updateID { i -= 1 }
            state.pending.insert(ticker, at: i)
        }
    }

    private static func compare(_ ticker: BookTicker, _ top: BookTop, _ state: inout SymbolState, _ configuration: Configuration) {
        if top.matches(ticker) {
            state.report.matched += 1
        } else {
            state.report.mismatched += 1
            if state.report.mismatches.count < configuration.maxMismatchDetails {
                state.report.mismatches.append(Mismatch(ticker: ticker, book: top))
            }
        }
    }
}
