/// One side of an L2 book: price levels kept as two parallel contiguous arrays of Int64 (the price's
/// 1e-8 units as a sort key, and the quantity's units), sorted so that the BEST level is LAST.
///
/// Almost every change of a real diff event touches the top of the book, so keeping the best level
/// at the end makes an insertion or removal there move only the few elements after it, and the
/// search gallops from the end before it bisects (O(log d) for a change d levels from the top).
/// Keys are `price` for asks and `-price` for bids, so both sides are stored strictly decreasing.
struct BookLadder: Sendable, Hashable {
    /// Strictly decreasing; `keys.last` is the best level.
    private(set) var keys: [Int64] = []
    /// `quantities[i]` is the quantity (1e-8 units, > 0) at `keys[i]`.
    private(set) var quantities: [Int64] = []

    var count: Int { keys.count }
    var isEmpty: Bool { keys.isEmpty }

    /// The smallest index `i` with `keys[i] <= key` (the key's slot), galloping from the best end.
    @inline(__always)
    func slot(of key: Int64) -> Int {
        keys.withUnsafeBufferPointer { k in
            let n = k.count
            var hi = n          // keys[hi] <= key holds (virtually, for hi == n)
            var lo = -1         // keys[lo] > key holds (virtually, for lo == -1)
            var step = 1
            while true {
                let probe = hi - step
                if probe < 0 { break }
                if k[probe] <= key {
                    hi = probe
                    step &<<= 1
                } else {
                    lo = probe
                    break
                }
            }
            while hi - lo > 1 {
                let mid = (lo + hi) >> 1
                if k[mid] <= key { hi = mid } else { lo = mid }
            }
            return hi
        }
    }

    /// Sets the quantity at `key`; zero removes the level (removing an absent level does nothing).
    /// Returns the change: true if a level was inserted or removed, false if only its quantity changed
    /// or nothing happened.
    @inline(__always)
    @discardableResult
    mutating func set(key: Int64, quantity: Int64) -> Bool {
        let i = slot(of: key)
        let found = i < keys.count && keys[i] == key
        if quantity == 0 {
            guard found else { return false }
            keys.remove(at: i)
            quantities.remove(at: i)
            return true
        }
        if found {
            quantities[i] = quantity
            return false
        }
        keys.insert(key, at: i)
        quantities.insert(quantity, at: i)
        return true
    }

    func quantity(at key: Int64) -> Int64? {
        let i = slot(of: key)
        return i < keys.count && keys[i] == key ? quantities[i] : nil
    }

    mutating func removeAll() {
        keys.removeAll(keepingCapacity: true)
        quantities.removeAll(keepingCapacity: true)
    }

    /// Replaces the content with `levels` given as (key, quantity) in any order; zero quantities are
    /// skipped and a repeated key keeps its last quantity.
    mutating func load(_ levels: [(key: Int64, quantity: Int64)]) {
        removeAll()
        keys.reserveCapacity(levels.count)
        quantities.reserveCapacity(levels.count)
        // Snapshots list the best level first, i.e. keys increasing: walk them backwards.
        var sorted = true
        var previous = Int64.max
        for level in levels.reversed() {
            if level.key >= previous { sorted = false; break }
            previous = level.key
        }
        if sorted {
            for level in levels.reversed() where level.quantity != 0 {
                keys.append(level.key)
                quantities.append(level.quantity)
            }
        } else {
            for level in levels { set(key: level.key, quantity: level.quantity) }
        }
    }
}
