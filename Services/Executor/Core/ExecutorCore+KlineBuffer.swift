import Domain

extension ExecutorCore {
    /// The latest closed klines of one (symbol, interval), in open-time order, at most `capacity`.
    struct KlineBuffer: Sendable {
        let capacity: Int
        private var storage: [Kline] = []
        /// Index of the oldest kline kept; older ones are dropped in batches (amortized O(1) append).
        private var start = 0

        init(capacity: Int) {
            precondition(capacity >= 1, "kline buffer capacity must be at least 1")
            self.capacity = capacity
        }

        /// Open time of the newest kline appended.
        var latestOpen: Timestamp? { storage.last?.openTime }

        /// Appends a kline that opens after every kline kept.
        mutating func append(_ kline: Kline) {
            precondition(latestOpen.map { kline.openTime > $0 } ?? true, "klines must be appended in open-time order")
            storage.append(kline)
            if storage.count - start > capacity { start += 1 }
            if start >= capacity {
                storage.removeFirst(start)
                start = 0
            }
        }

        /// The kept klines opening at or after `time`, oldest first.
        func klines(openingFrom time: Timestamp) -> ArraySlice<Kline> {
            var low = start
            var high = storage.count
            while low < high {
                let middle = (low + high) / 2
                if storage[middle].openTime < time { low = middle + 1 } else { high = middle }
            }
            return storage[low...]
        }

        /// The kept kline opening exactly at `time`.
        func kline(openingAt time: Timestamp) -> Kline? {
            guard let first = klines(openingFrom: time).first, first.openTime == time else { return nil }
            return first
        }
    }
}
