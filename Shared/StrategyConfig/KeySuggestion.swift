/// "Did you mean …?" for unknown keys and names: the nearest candidate by Damerau–Levenshtein
/// distance (optimal string alignment: insert, delete, substitute, swap two neighbours), offered
/// when it is at most 2 edits away or when one name is a prefix of the other (`budget` → `budget_hours`).
public enum KeySuggestion {
    public static func nearest(to word: String, in candidates: [String]) -> String? {
        let lowered = word.lowercased()
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let d = distance(lowered, candidate.lowercased())
            if best == nil || d < best!.distance { best = (candidate, d) }
        }
        if let best, best.distance <= 2 { return best.candidate }
        if lowered.count >= 3, let prefixed = candidates.first(where: { $0.lowercased().hasPrefix(lowered) || (lowered.hasPrefix($0.lowercased()) && $0.count >= 3) }) {
            return prefixed
        }
        return nil
    }

    /// The optimal-string-alignment distance between two strings (by Unicode scalars).
    public static func distance(_ a: String, _ b: String) -> Int {
        let s = Array(a.unicodeScalars), t = Array(b.unicodeScalars)
        if s.isEmpty { return t.count }
        if t.isEmpty { return s.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: t.count + 1), count: s.count + 1)
        for i in 0...s.count { d[i][0] = i }
        for j in 0...t.count { d[0][j] = j }
        for i in 1...s.count {
            for j in 1...t.count {
                let cost = s[i - 1] == t[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, s[i - 1] == t[j - 2], s[i - 2] == t[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[s.count][t.count]
    }

    /// "unknown key "x"; did you mean "y"?" or the list of valid keys when nothing is close.
    static func unknownKeyMessage(_ key: String, valid: [String]) -> String {
        if let nearest = nearest(to: key, in: valid) {
            return "unknown key \"\(key)\"; did you mean \"\(nearest)\"?"
        }
        return "unknown key \"\(key)\" (valid keys: \(valid.joined(separator: ", ")))"
    }
}
