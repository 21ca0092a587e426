import Domain
import Foundation

/// Every configuration problem found at start, reported together.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let service: String
    public let violations: [String]

    public init(service: String, violations: [String]) {
        self.service = service
        self.violations = violations
    }

    public var description: String {
        "\(service): invalid configuration (\(violations.count) problem\(violations.count == 1 ? "" : "s")):\n"
            + violations.map { "  - \($0)" }.joined(separator: "\n")
    }
}

/// Reads a service's settings from environment variables. Each accessor returns the default when a
/// key is unset, records a violation when it is set but invalid, and remembers the keys it knows so
/// that `finish()` can report every problem at once.
public struct EnvironmentReader {
    public let environment: [String: String]
    public private(set) var violations: [String] = []
    public private(set) var documented: [(key: String, defaultValue: String, meaning: String)] = []

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    private mutating func note(_ key: String, _ defaultValue: String, _ meaning: String) {
        documented.append((key, defaultValue, meaning))
    }

    private func raw(_ key: String) -> String? {
        guard let value = environment[key]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    public mutating func string(_ key: String, default defaultValue: String, _ meaning: String = "") -> String {
        note(key, defaultValue, meaning)
        return raw(key) ?? defaultValue
    }

    public mutating func requiredString(_ key: String, _ meaning: String = "") -> String {
        note(key, "(required)", meaning)
        guard let value = raw(key) else {
            violations.append("\(key) is required (\(meaning.isEmpty ? "no default" : meaning))")
            return ""
        }
        return value
    }

    public mutating func int(_ key: String, default defaultValue: Int, range: ClosedRange<Int>? = nil, _ meaning: String = "") -> Int {
        note(key, String(defaultValue), meaning)
        guard let text = raw(key) else { return defaultValue }
        guard let value = Int(text) else {
            violations.append("\(key)=\"\(text)\" is not an integer")
            return defaultValue
        }
        if let range, !range.contains(value) {
            violations.append("\(key)=\(value) is outside \(range.lowerBound)...\(range.upperBound)")
            return defaultValue
        }
        return value
    }

    public mutating func double(_ key: String, default defaultValue: Double, range: ClosedRange<Double>? = nil, _ meaning: String = "") -> Double {
        note(key, String(defaultValue), meaning)
        guard let text = raw(key) else { return defaultValue }
        guard let value = Double(text), value.isFinite else {
            violations.append("\(key)=\"\(text)\" is not a number")
            return defaultValue
        }
        if let range, !range.contains(value) {
            violations.append("\(key)=\(value) is outside \(range.lowerBound)...\(range.upperBound)")
            return defaultValue
        }
        return value
    }

    public mutating func decimal(_ key: String, default defaultValue: Decimal8, range: ClosedRange<Decimal8>? = nil, _ meaning: String = "") -> Decimal8 {
        note(key, defaultValue.compactDescription, meaning)
        guard let text = raw(key) else { return defaultValue }
        let value: Decimal8
        do { value = try Decimal8(parsing: text) } catch {
            violations.append("\(key)=\"\(text)\": \(error.description)")
            return defaultValue
        }
        if let range, !range.contains(value) {
            violations.append("\(key)=\(text) is outside \(range.lowerBound.compactDescription)...\(range.upperBound.compactDescription)")
            return defaultValue
        }
        return value
    }

    public mutating func bool(_ key: String, default defaultValue: Bool, _ meaning: String = "") -> Bool {
        note(key, defaultValue ? "1" : "0", meaning)
        guard let text = raw(key)?.lowercased() else { return defaultValue }
        switch text {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default:
            violations.append("\(key)=\"\(text)\" is not a boolean (1/0, true/false)")
            return defaultValue
        }
    }

    /// A comma-separated list; empty entries are ignored.
    public mutating func list(_ key: String, default defaultValue: [String], _ meaning: String = "") -> [String] {
        note(key, defaultValue.joined(separator: ","), meaning)
        guard let text = raw(key) else { return defaultValue }
        return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    public mutating func interval(_ key: String, default defaultValue: Interval, _ meaning: String = "") -> Interval {
        note(key, defaultValue.name, meaning)
        guard let text = raw(key) else { return defaultValue }
        guard let value = Interval(text) else {
            violations.append("\(key)=\"\(text)\" is not a Binance interval (1m, 5m, 15m, 1h, ...)")
            return defaultValue
        }
        return value
    }

    /// Adds a violation found by the caller's own cross-checks.
    public mutating func fail(_ violation: String) { violations.append(violation) }

    /// Throws every violation at once, if there are any.
    public func finish(service: String) throws(ConfigurationError) {
        if !violations.isEmpty { throw ConfigurationError(service: service, violations: violations) }
    }
}
