import Domain
import Foundation
import Testing
import TestKit

@Suite struct Decimal8Tests {
    @Test func parsesBinanceStrings() throws {
        #expect(try Decimal8(parsing: "61837.63000000").units == 6_183_763_000_000)
        #expect(try Decimal8(parsing: "0.00000001").units == 1)
        #expect(try Decimal8(parsing: "-0.5").units == -50_000_000)
        #expect(try Decimal8(parsing: "5").units == 500_000_000)
        #expect(try Decimal8(parsing: ".5").units == 50_000_000)
        #expect(try Decimal8(parsing: "1.1234567800").units == 112_345_678)
    }

    @Test func refusesMalformedStrings() {
        #expect(throws: Decimal8.ParseError.empty) { try Decimal8(parsing: "") }
        #expect(throws: Decimal8.ParseError.invalidCharacter("1e-8")) { try Decimal8(parsing: "1e-8") }
        #expect(throws: Decimal8.ParseError.invalidCharacter("1.2.3")) { try Decimal8(parsing: "1.2.3") }
        #expect(throws: Decimal8.ParseError.invalidCharacter("-")) { try Decimal8(parsing: "-") }
        #expect(throws: Decimal8.ParseError.tooManyFractionDigits("0.000000001")) { try Decimal8(parsing: "0.000000001") }
        #expect(throws: Decimal8.ParseError.overflow("99999999999999999999")) { try Decimal8(parsing: "99999999999999999999") }
    }

    @Test func formatsWithEightDigits() {
        #expect(Decimal8(units: 6_183_763_000_000).description == "61837.63000000")
        #expect(Decimal8(units: -1).description == "-0.00000001")
        #expect(Decimal8(units: 0).description == "0.00000000")
        #expect(Decimal8(units: 150_000_000).compactDescription == "1.5")
        #expect(Decimal8(units: 500_000_000).compactDescription == "5")
    }

    /// Property: formatting then parsing returns the same value, for any value.
    @Test func formatParseRoundTrip() throws {
        var rng = SeededGenerator(seed: 1)
        for _ in 0..<20_000 {
            let value = Decimal8(units: Int64.random(in: -9_000_000_000_000_000_000...9_000_000_000_000_000_000, using: &rng))
            #expect(try Decimal8(parsing: value.description) == value)
            #expect(try Decimal8(parsing: value.compactDescription) == value)
        }
    }

    /// Property: each rounding rule agrees with rounding the exact rational quotient, computed independently.
    @Test func roundingMatchesExactRationalRounding() {
        var rng = SeededGenerator(seed: 2)
        let rules: [FloatingPointRoundingRule] = [.down, .up, .towardZero, .awayFromZero, .toNearestOrEven, .toNearestOrAwayFromZero]
        for _ in 0..<20_000 {
            let value = Decimal8(units: Int64.random(in: -10_000_000_000_000...10_000_000_000_000, using: &rng))
            let step = Decimal8(units: Int64.random(in: 1...100_000_000, using: &rng))
            for rule in rules {
                let rounded = value.rounded(toMultipleOf: step, rule: rule)
                #expect(rounded.units % step.units == 0)
                #expect(abs(rounded.units - value.units) < step.units)
                let floorCount = Int64((Double(value.units) / Double(step.units)).rounded(.down))
                // Fix the floor exactly (Double may be one off at this magnitude).
                var f = floorCount
                while f * step.units > value.units { f -= 1 }
                while (f + 1) * step.units <= value.units { f += 1 }
                let lower = f * step.units, upper = (f + 1) * step.units
                let expected: Int64
                if lower == value.units { expected = lower } else {
                    let dl = value.units - lower, du = upper - value.units
                    switch rule {
                    case .down: expected = lower
                    case .up: expected = upper
                    case .towardZero: expected = value.units >= 0 ? lower : upper
                    case .awayFromZero: expected = value.units >= 0 ? upper : lower
                    case .toNearestOrAwayFromZero: expected = dl < du ? lower : (du < dl ? upper : (value.units >= 0 ? upper : lower))
                    case .toNearestOrEven: expected = dl < du ? lower : (du < dl ? upper : ((f % 2 == 0) ? lower : upper))
                    @unknown default: expected = lower
                    }
                }
                #expect(rounded.units == expected, "value \(value) step \(step) rule \(rule)")
            }
        }
    }

    /// Property: multiplication and division are exact up to the final 1e-8 rounding.
    @Test func multiplyDivideWithinOneUnit() {
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<20_000 {
            let a = Decimal8(units: Int64.random(in: -1_000_000_000_000...1_000_000_000_000, using: &rng))
            let b = Decimal8(units: Int64.random(in: 1...1_000_000_000_000, using: &rng))
            let product = a.multiplied(by: b, rounding: .down)
            let exact = Int128(a.units) * Int128(b.units)  // in 1e-16 units
            #expect(Int128(product.units) * 100_000_000 <= exact)
            #expect(exact - Int128(product.units) * 100_000_000 < 100_000_000)
            let quotient = a.divided(by: b, rounding: .towardZero)
            let back = Int128(quotient.units) * Int128(b.units)
            let numerator = Int128(a.units) * 100_000_000
            #expect(abs(numerator - back) < Int128(b.units))
        }
    }

    @Test func codableAsString() throws {
        let data = try JSONEncoder().encode([Decimal8(units: 123_456_789)])
        #expect(String(decoding: data, as: UTF8.self) == "[\"1.23456789\"]")
        #expect(try JSONDecoder().decode([Decimal8].self, from: Data("[\"0.1\", 2.5]".utf8)) == [Decimal8("0.1")!, Decimal8("2.5")!])
    }
}
