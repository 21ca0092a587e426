import Domain

/// Keeps one symbol's `OrderBook` in sync with Binance's diff-depth stream by the documented
/// snapshot + diff procedure (../shared/docs/BINANCE.md §6), as a pure state machine: inputs in
/// (diff events, REST snapshots, stream restarts), outputs out (events applied, snapshot needed,
/// resyncs and their reasons). No I/O, no clock; the shell fetches a snapshot when told to.
///
/// Spot procedure, as implemented:
/// 1. Until a snapshot is accepted, every diff is buffered; `U` of the first buffered event is kept.
///    The first buffered event emits `.needSnapshot` (once per outstanding request).
/// 2. A snapshot whose `lastUpdateId` < that first `U` is too old: `.snapshotRejected(.tooOld)` and
///    `.needSnapshot` again; buffering continues.
/// 3. Buffered events with `u ≤ lastUpdateId` are dropped. The first remaining event (buffered or
///    the next to arrive) must satisfy `U ≤ lastUpdateId + 1 ≤ u` (see `Configuration.strictFirstEvent`);
///    otherwise the snapshot is rejected and another is requested.
/// 4. The book is set to the snapshot (`.synchronized`), local id = `lastUpdateId`, and the buffered
///    events, then live ones, go through the per-event rule: `u < local` → ignored as stale;
///    `U > local + 1` → gap: the book is discarded (`.resynced(.gap)`), the event starts a new buffer
///    and a snapshot is requested; otherwise every level is applied (`.applied`) and local = `u`.
/// 5. A book that is crossed after an event (best bid ≥ best ask) is discarded the same way
///    (`.resynced(.crossed)`): it can only come from a lost or corrupted event.
///
/// USD-M futures (`Configuration.market = .usdMFutures`): after the first applied event, each event's
/// `pu` must equal the previous event's `u`; any other value is a gap. Futures update ids are not
/// contiguous, so the first event may also follow the snapshot by `pu == lastUpdateId` (unless
/// `strictFirstEvent`): the real ETHUSDT USD-M capture's snapshot ends exactly at an event's `u`.
public struct BookSynchronizer: Sendable {
    public struct Configuration: Sendable, Hashable {
        public enum Market: String, Sendable, Hashable {
            /// `U == previous u + 1` chaining.
            case spot
            /// `pu == previous u` chaining (USD-M futures depth streams).
            case usdMFutures
        }

        public var market: Market
        /// The 2025-11-12 docs word step 5 as `U ≤ lastUpdateId ≤ u`; the older docs, and step 7's
        /// own gap rule applied to the snapshot's id, give `U ≤ lastUpdateId + 1 ≤ u`. The two differ
        /// only when the first event starts exactly at `lastUpdateId + 1`, which is contiguous (no
        /// update is missing) and happens in real captures (cryptofeed NKNUSDT: snapshot 499869752,
        /// next event U 499869753). False (the default) accepts it; true rejects the snapshot then
        /// and asks for another.
        public var strictFirstEvent: Bool
        /// Discard the book and resync when it is crossed after an event.
        public var resyncOnCrossedBook: Bool
        /// At most this many events are buffered while waiting for a snapshot; beyond it the oldest
        /// is dropped (counted), so a snapshot must then cover the new first event.
        public var maxBufferedEvents: Int

        public init(market: Market = .spot, strictFirstEvent: Bool = false, resyncOnCrossedBook: Bool = true, maxBufferedEvents: Int = 10_000) {
            self.market = market
            self.strictFirstEvent = strictFirstEvent
            self.resyncOnCrossedBook = resyncOnCrossedBook
            self.maxBufferedEvents = max(1, maxBufferedEvents)
        }
    }

    public enum Input: Sendable, Hashable {
        case diff(DepthUpdate)
        case snapshot(DepthSnapshot)
        /// The stream was (re)connected: whatever was buffered or built is discarded.
        case streamRestarted
    }

    public enum SnapshotRejection: Sendable, Hashable, CustomStringConvertible {
        /// `lastUpdateId` < `U` of the first buffered event.
        case tooOld(lastUpdateID: Int64, firstBufferedUpdateID: Int64)
        /// The first event after the snapshot does not straddle it.
        case firstEventDoesNotFollow(lastUpdateID: Int64, firstUpdateID: Int64, finalUpdateID: Int64)
        /// A snapshot arrived while the book was already in sync (not requested): ignored.
        case alreadySynchronized(lastUpdateID: Int64)

        public var description: String {
            switch self {
            case .tooOld(let l, let u): return "snapshot too old: lastUpdateId \(l) < first buffered U \(u)"
            case .firstEventDoesNotFollow(let l, let first, let final):
                return "first event after snapshot \(l) is U \(first) u \(final)"
            case .alreadySynchronized(let l): return "snapshot \(l) ignored: book already in sync"
            }
        }
    }

    public enum ResyncReason: Sendable, Hashable, CustomStringConvertible {
        /// `U > local + 1` (spot) or `pu ≠ local` (futures): updates were lost.
        case gap(localUpdateID: Int64, firstUpdateID: Int64, previousFinalUpdateID: Int64?)
        /// Best bid ≥ best ask after applying the event whose final id is `updateID`.
        case crossed(updateID: Int64, bestBid: Price, bestAsk: Price)
        case streamRestarted

        public var description: String {
            switch self {
            case .gap(let local, let first, let pu):
                return "gap: local \(local), event U \(first)" + (pu.map { " pu \($0)" } ?? "")
            case .crossed(let id, let b, let a): return "crossed at \(id): bid \(b.compactDescription) ≥ ask \(a.compactDescription)"
            case .streamRestarted: return "stream restarted"
            }
        }
    }

    public enum Output: Sendable, Hashable {
        /// Fetch a REST depth snapshot and feed it back as `.snapshot`.
        case needSnapshot
        /// A snapshot was accepted: the book is at `top.updateID` (buffered events follow as `.applied`).
        case synchronized(BookTop)
        /// The event was applied; the book is now at its `finalUpdateID`, with this best bid and ask.
        case applied(DepthUpdate, BookTop)
        /// `u < local`: an event already contained in the book.
        case ignoredStale(firstUpdateID: Int64, finalUpdateID: Int64)
        case snapshotRejected(SnapshotRejection)
        /// The book was discarded; buffering until the next snapshot.
        case resynced(ResyncReason)
    }

    /// Counters for metrics and replay reports.
    public struct Statistics: Sendable, Hashable {
        public var diffsReceived = 0
        public var diffsApplied = 0
        public var levelsApplied = 0
        /// Ignored in sync because `u < local`.
        public var staleIgnored = 0
        /// Buffered events dropped because the snapshot already contained them (`u ≤ lastUpdateId`).
        public var droppedBySnapshot = 0
        /// Events dropped because the buffer was full.
        public var bufferOverflows = 0
        public var snapshotsRequested = 0
        public var snapshotsReceived = 0
        public var snapshotsAccepted = 0
        public var snapshotsTooOld = 0
        public var snapshotsNotFollowed = 0
        public var snapshotsIgnored = 0
        public var gaps = 0
        public var crossed = 0
        public var restarts = 0
        /// Times a synchronized book was discarded (gaps + crossed + restarts while in sync).
        public var resyncs = 0

        public init() {}
    }

    public let configuration: Configuration
    public private(set) var statistics = Statistics()
    /// The book; meaningful only while `isSynchronized`.
    public private(set) var book: OrderBook
    public private(set) var isSynchronized = false
    private var buffer: [DepthUpdate] = []
    private var bufferStart = 0
    /// `U` of the first event buffered since buffering (re)started.
    private var firstBufferedUpdateID: Int64?
    /// A snapshot that passed the age check and waits for its first following event.
    private var candidate: DepthSnapshot?
    private var snapshotOutstanding = false
    /// Events applied since the last snapshot was accepted (the futures `pu` rule starts after one).
    private var appliedSinceSync = 0

    public init(symbol: String, configuration: Configuration = .init()) {
        self.configuration = configuration
        self.book = OrderBook(symbol: symbol)
    }

    public var symbol: String { book.symbol }
    /// The local update id (`book.lastUpdateID`) while in sync, nil otherwise.
    public var localUpdateID: Int64? { isSynchronized ? book.lastUpdateID : nil }
    /// Events waiting for a snapshot.
    public var bufferedCount: Int { buffer.count - bufferStart }

    public mutating func handle(_ input: Input) -> [Output] {
        var outputs: [Output] = []
        handle(input, into: &outputs)
        return outputs
    }

    /// As `handle(_:)`, appending to `outputs` (reuse one array on hot paths: no allocation per event).
    public mutating func handle(_ input: Input, into outputs: inout [Output]) {
        switch input {
        case .diff(let update):
            statistics.diffsReceived += 1
            if isSynchronized { applyLive(update, &outputs) } else { bufferEvent(update, &outputs) }
        case .snapshot(let snapshot):
            receive(snapshot, &outputs)
        case .streamRestarted:
            statistics.restarts += 1
            if isSynchronized {
                statistics.resyncs += 1
                outputs.append(.resynced(.streamRestarted))
            }
            discardBook()
            candidate = nil
        }
    }

    // MARK: - In sync

    private mutating func applyLive(_ update: DepthUpdate, _ outputs: inout [Output]) {
        let local = book.lastUpdateID
        if update.finalUpdateID < local {
            statistics.staleIgnored += 1
            outputs.append(.ignoredStale(firstUpdateID: update.firstUpdateID, finalUpdateID: update.finalUpdateID))
            return
        }
        let isGap: Bool
        switch configuration.market {
        case .spot:
            isGap = update.firstUpdateID > local + 1
        case .usdMFutures:
            if appliedSinceSync == 0 {
                // Checked by `trySynchronize`: it straddles the snapshot or chains onto it by `pu`.
                isGap = update.firstUpdateID > local + 1 && update.previousFinalUpdateID != local
            } else {
                isGap = update.previousFinalUpdateID != local
            }
        }
        if isGap {
            statistics.gaps += 1
            statistics.resyncs += 1
            outputs.append(.resynced(.gap(localUpdateID: local, firstUpdateID: update.firstUpdateID, previousFinalUpdateID: update.previousFinalUpdateID)))
            discardBook()
            bufferEvent(update, &outputs)
            return
        }
        book.apply(update)
        appliedSinceSync += 1
        statistics.diffsApplied += 1
        statistics.levelsApplied += update.bids.count + update.asks.count
        outputs.append(.applied(update, book.top))
        if configuration.resyncOnCrossedBook, book.isCrossed, let b = book.bestBid, let a = book.bestAsk {
            statistics.crossed += 1
            statistics.resyncs += 1
            outputs.append(.resynced(.crossed(updateID: update.finalUpdateID, bestBid: b.price, bestAsk: a.price)))
            discardBook()
            requestSnapshot(&outputs)
        }
    }

    private mutating func discardBook() {
        isSynchronized = false
        book.removeAll()
        book.lastUpdateID = 0
        book.eventTime = .zero
        buffer.removeAll(keepingCapacity: true)
        bufferStart = 0
        firstBufferedUpdateID = nil
        appliedSinceSync = 0
    }

    private mutating func requestSnapshot(_ outputs: inout [Output]) {
        guard !snapshotOutstanding else { return }
        snapshotOutstanding = true
        statistics.snapshotsRequested += 1
        outputs.append(.needSnapshot)
    }

    // MARK: - Waiting for a snapshot

    private mutating func bufferEvent(_ update: DepthUpdate, _ outputs: inout [Output]) {
        if firstBufferedUpdateID == nil {
            firstBufferedUpdateID = update.firstUpdateID
            if candidate == nil { requestSnapshot(&outputs) }
        }
        if let candidate, update.finalUpdateID <= candidate.lastUpdateID {
            statistics.droppedBySnapshot += 1
            return
        }
        buffer.append(update)
        if bufferedCount > configuration.maxBufferedEvents {
            bufferStart += 1
            statistics.bufferOverflows += 1
            firstBufferedUpdateID = buffer[bufferStart].firstUpdateID
            if bufferStart > 1024, bufferStart * 2 > buffer.count {
                buffer.removeFirst(bufferStart)
                bufferStart = 0
            }
        }
        if candidate != nil { trySynchronize(&outputs) }
    }

    private mutating func receive(_ snapshot: DepthSnapshot, _ outputs: inout [Output]) {
        statistics.snapshotsReceived += 1
        if isSynchronized {
            statistics.snapshotsIgnored += 1
            outputs.append(.snapshotRejected(.alreadySynchronized(lastUpdateID: snapshot.lastUpdateID)))
            return
        }
        snapshotOutstanding = false
        if let first = firstBufferedUpdateID, snapshot.lastUpdateID < first {
            statistics.snapshotsTooOld += 1
            outputs.append(.snapshotRejected(.tooOld(lastUpdateID: snapshot.lastUpdateID, firstBufferedUpdateID: first)))
            requestSnapshot(&outputs)
            return
        }
        candidate = snapshot
        // Drop what the snapshot already contains.
        var kept: [DepthUpdate] = []
        kept.reserveCapacity(bufferedCount)
        for i in bufferStart..<buffer.count {
            if buffer[i].finalUpdateID <= snapshot.lastUpdateID {
                statistics.droppedBySnapshot += 1
            } else {
                kept.append(buffer[i])
            }
        }
        buffer = kept
        bufferStart = 0
        trySynchronize(&outputs)
    }

    /// With a candidate snapshot and at least one event after it: check the first event, load the
    /// book and apply the buffer.
    private mutating func trySynchronize(_ outputs: inout [Output]) {
        guard let snapshot = candidate, bufferStart < buffer.count else { return }
        let first = buffer[bufferStart]
        let limit = configuration.strictFirstEvent ? snapshot.lastUpdateID : snapshot.lastUpdateID + 1
        // Futures ids are not contiguous: an event whose `pu` is the snapshot's id follows it exactly.
        let chains = configuration.market == .usdMFutures && !configuration.strictFirstEvent
            && first.previousFinalUpdateID == snapshot.lastUpdateID
        guard first.firstUpdateID <= limit || chains else {
            statistics.snapshotsNotFollowed += 1
            outputs.append(.snapshotRejected(.firstEventDoesNotFollow(
                lastUpdateID: snapshot.lastUpdateID, firstUpdateID: first.firstUpdateID, finalUpdateID: first.finalUpdateID
            )))
            candidate = nil
            firstBufferedUpdateID = first.firstUpdateID
            requestSnapshot(&outputs)
            return
        }
        candidate = nil
        statistics.snapshotsAccepted += 1
        book.load(snapshot)
        isSynchronized = true
        appliedSinceSync = 0
        outputs.append(.synchronized(book.top))
        let pending = buffer[bufferStart...]
        buffer = []
        bufferStart = 0
        firstBufferedUpdateID = nil
        for update in pending {
            if isSynchronized { applyLive(update, &outputs) } else { bufferEvent(update, &outputs) }
        }
    }
}
