/// One side of an L2 book, keyed by an `Int64` sort key (the price's 1e-8 units for asks, their
/// negation for bids, so that on both sides the smallest key is the best level).
///
/// Layout: a two-level B-tree-ish structure. Levels live in fixed-capacity blocks of `blockCapacity`
/// sorted keys (with their quantities alongside) stored in two flat `Int64` arrays; `directory`
/// lists the blocks in key order with each block's first key, so a lookup is a short gallop over the
/// directory from the best end, then a bisection inside one block. An insertion or removal moves at
/// most one block's tail (≤ 64 elements), wherever the level is: real diff events touch levels
/// hundreds to a thousand levels from the top about half of the time, where one sorted array would
/// move thousands of elements. A full block splits in two; an empty one is recycled.
struct BookLadder: Sendable {
    static let blockCapacity = 64
    /// Blocks are filled to this when loaded from a snapshot, leaving room for insertions.
    static let loadFill = 48

    /// Block `b` holds `counts[b]` keys at `keys[b * capacity ..< b * capacity + counts[b]]`, ascending.
    private var keys: [Int64] = []
    private var quantities: [Int64] = []
    private var counts: [Int] = []
    /// Block ids in key order, and each one's first (smallest) key.
    private var directory: [Int] = []
    private var firstKeys: [Int64] = []
    private var freeBlocks: [Int] = []
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    /// The best (smallest) key and its quantity.
    var best: (key: Int64, quantity: Int64)? {
        guard let b = directory.first else { return nil }
        let base = b * Self.blockCapacity
        return (keys[base], quantities[base])
    }

    // MARK: - Lookup

    /// The directory position whose block should hold `key`: the last block whose first key is
    /// ≤ `key`, or 0. Gallops from the best end (most changes are near the top), then bisects.
    @inline(__always)
    private func position(of key: Int64) -> Int {
        firstKeys.withUnsafeBufferPointer { f in
            let n = f.count
            // Invariant: f[lo] <= key (or lo == 0), f[hi] > key (or hi == n).
            var lo = 0
            var hi = n
            var step = 1
            while true {
                let probe = lo + step
                if probe >= n { break }
                if f[probe] <= key {
                    lo = probe
                    step &<<= 1
                } else {
                    hi = probe
                    break
                }
            }
            while hi - lo > 1 {
                let mid = (lo + hi) >> 1
                if f[mid] <= key { lo = mid } else { hi = mid }
            }
            return lo
        }
    }

    /// The index within block `b` of the first key ≥ `key`.
    @inline(__always)
    private func slot(in b: Int, of key: Int64) -> Int {
        let base = b * Self.blockCapacity
        let n = counts[b]
        guard n > 0 else { return 0 }
        return keys.withUnsafeBufferPointer { k in
            // Branch-free bisection (the comparison becomes a conditional move).
            var lo = base
            var length = n
            while length > 1 {
                let half = length >> 1
                lo = k[lo + half - 1] < key ? lo + half : lo
                length -= half
            }
            return lo - base + (k[lo] < key ? 1 : 0)
        }
    }

    func quantity(at key: Int64) -> Int64? {
        guard !directory.isEmpty else { return nil }
        let b = directory[position(of: key)]
        let i = slot(in: b, of: key)
        let base = b * Self.blockCapacity
        return i < counts[b] && keys[base + i] == key ? quantities[base + i] : nil
    }

    // MARK: - Changes

    /// Sets the quantity at `key`; zero removes the level (removing an absent level does nothing).
    /// Returns true when a level was inserted or removed.
    @discardableResult
    mutating func set(key: Int64, quantity: Int64) -> Bool {
        if directory.isEmpty {
            guard quantity != 0 else { return false }
            let b = newBlock()
            keys[b * Self.blockCapacity] = key
            quantities[b * Self.blockCapacity] = quantity
            counts[b] = 1
            directory.append(b)
            firstKeys.append(key)
            count = 1
            return true
        }
        let p = position(of: key)
        let b = directory[p]
        let base = b * Self.blockCapacity
        let i = slot(in: b, of: key)
        let n = counts[b]
        let found = i < n && keys[base + i] == key
        if quantity == 0 {
            guard found else { return false }
            if n == 1 {
                directory.remove(at: p)
                firstKeys.remove(at: p)
                counts[b] = 0
                freeBlocks.append(b)
            } else {
                shift(base + i + 1, base + n, by: -1)
                counts[b] = n - 1
                if i == 0 { firstKeys[p] = keys[base] }
            }
            count -= 1
            return true
        }
        if found {
            quantities[base + i] = quantity
            return false
        }
        if n < Self.blockCapacity {
            shift(base + i, base + n, by: 1)
            keys[base + i] = key
            quantities[base + i] = quantity
            counts[b] = n + 1
            if i == 0 { firstKeys[p] = key }
        } else {
            // Split the full block: its upper half moves to a new block after it.
            let half = Self.blockCapacity / 2
            let c = newBlock()
            let cBase = c * Self.blockCapacity
            copy(from: base + half, to: cBase, count: n - half)
            counts[b] = half
            counts[c] = n - half
            directory.insert(c, at: p + 1)
            firstKeys.insert(keys[cBase], at: p + 1)
            if i <= half {
                shift(base + i, base + half, by: 1)
                keys[base + i] = key
                quantities[base + i] = quantity
                counts[b] = half + 1
                if i == 0 { firstKeys[p] = key }
            } else {
                let j = i - half
                shift(cBase + j, cBase + n - half, by: 1)
                keys[cBase + j] = key
                quantities[cBase + j] = quantity
                counts[c] = n - half + 1
            }
        }
        count += 1
        return true
    }

    /// Moves elements `[from, to)` by `delta` (±1) positions, keys and quantities.
    @inline(__always)
    private mutating func shift(_ from: Int, _ to: Int, by delta: Int) {
        guard to > from else { return }
        keys.withUnsafeMutableBufferPointer { k in
            let p = k.baseAddress!
            (p + from + delta).update(from: p + from, count: to - from)
        }
        quantities.withUnsafeMutableBufferPointer { q in
            let p = q.baseAddress!
            (p + from + delta).update(from: p + from, count: to - from)
        }
    }

    private mutating func copy(from: Int, to: Int, count n: Int) {
        guard n > 0 else { return }
        keys.withUnsafeMutableBufferPointer { k in
            let p = k.baseAddress!
            (p + to).update(from: p + from, count: n)
        }
        quantities.withUnsafeMutableBufferPointer { q in
            let p = q.baseAddress!
            (p + to).update(from: p + from, count: n)
        }
    }

    private mutating func newBlock() -> Int {
        if let b = freeBlocks.popLast() { return b }
        let b = counts.count
        counts.append(0)
        keys.append(contentsOf: repeatElement(0, count: Self.blockCapacity))
        quantities.append(contentsOf: repeatElement(0, count: Self.blockCapacity))
        return b
    }

    mutating func removeAll() {
        keys.removeAll(keepingCapacity: true)
        quantities.removeAll(keepingCapacity: true)
        counts.removeAll(keepingCapacity: true)
        directory.removeAll(keepingCapacity: true)
        firstKeys.removeAll(keepingCapacity: true)
        freeBlocks.removeAll(keepingCapacity: true)
        count = 0
    }

    /// Replaces the content with `levels` as (key, quantity) in any order: zero quantities are
    /// skipped and a repeated key keeps its last quantity.
    mutating func load(_ levels: [(key: Int64, quantity: Int64)]) {
        removeAll()
        var sorted = true
        for i in levels.indices.dropFirst() where levels[i - 1].key >= levels[i].key {
            sorted = false
            break
        }
        guard sorted else {
            for level in levels { set(key: level.key, quantity: level.quantity) }
            return
        }
        var b = -1
        var base = 0
        for level in levels where level.quantity != 0 {
            if b < 0 || counts[b] == Self.loadFill {
                b = newBlock()
                base = b * Self.blockCapacity
                directory.append(b)
                firstKeys.append(level.key)
            }
            keys[base + counts[b]] = level.key
            quantities[base + counts[b]] = level.quantity
            counts[b] += 1
            count += 1
        }
    }

    /// Calls `body` with each level, best first, until it returns false.
    func forEach(_ body: (_ key: Int64, _ quantity: Int64) -> Bool) {
        for b in directory {
            let base = b * Self.blockCapacity
            for i in base..<(base + counts[b]) where !body(keys[i], quantities[i]) { return }
        }
    }

    /// Checks the structure's invariants (tests).
    func isValid() -> Bool {
        var previous = Int64.min
        var seen = 0
        for (p, b) in directory.enumerated() {
            let base = b * Self.blockCapacity
            guard counts[b] > 0, counts[b] <= Self.blockCapacity, firstKeys[p] == keys[base] else { return false }
            for i in base..<(base + counts[b]) {
                guard keys[i] > previous || (seen == 0 && keys[i] == Int64.min), quantities[i] != 0 else { return false }
                previous = keys[i]
                seen += 1
            }
        }
        return seen == count
    }
}
