/// A fixed-capacity window of the last values, oldest first; storage order is the order values were
/// written (slot 0 holds the first value), which is how TA-Lib's circular buffers sum.
struct Ring: Sendable {
    private(set) var storage: [Double]
    private(set) var next = 0
    private(set) var count = 0

    init(capacity: Int) {
        storage = [Double](repeating: 0, count: max(capacity, 1))
    }

    var capacity: Int { storage.count }
    var isFull: Bool { count == storage.count }

    /// Appends `x`; returns the value it replaced (0 while not full).
    @inline(__always) @discardableResult
    mutating func push(_ x: Double) -> Double {
        let old = storage[next]
        storage[next] = x
        next += 1
        if next == storage.count { next = 0 }
        if count < storage.count { count += 1 }
        return old
    }

    /// The value `age` steps back (0 = the newest); `age < count`.
    @inline(__always)
    func back(_ age: Int) -> Double {
        var i = next - 1 - age
        if i < 0 { i += storage.count }
        return storage[i]
    }
}

/// A running sum with Neumaier compensation: adding and removing values for months stays exact to
/// about one rounding of the true sum.
struct CompensatedSum: Sendable {
    private var sum = 0.0
    private var compensation = 0.0

    @inline(__always)
    mutating func add(_ x: Double) {
        let t = sum + x
        if abs(sum) >= abs(x) { compensation += (sum - t) + x } else { compensation += (x - t) + sum }
        sum = t
    }

    var value: Double { sum + compensation }
}
