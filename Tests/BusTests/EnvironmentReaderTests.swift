import Domain
import Runtime
import Testing

@Suite struct EnvironmentReaderTests {
    @Test func defaultsApplyAndEveryViolationIsListed() {
        var env = EnvironmentReader(environment: [
            "A_INT": "x", "B_INT": "99", "C_DEC": "1.2.3", "D_BOOL": "maybe", "E_LIST": " a, ,b ", "F_IV": "7m", "G_DBL": "0.25",
        ])
        #expect(env.int("A_INT", default: 1) == 1)
        #expect(env.int("B_INT", default: 1, range: 1...10) == 1)
        #expect(env.decimal("C_DEC", default: Decimal8(3)) == Decimal8(3))
        #expect(env.bool("D_BOOL", default: true) == true)
        #expect(env.list("E_LIST", default: []) == ["a", "b"])
        #expect(env.interval("F_IV", default: .fiveMinutes) == .fiveMinutes)
        #expect(env.double("G_DBL", default: 0) == 0.25)
        #expect(env.string("UNSET", default: "d") == "d")
        _ = env.requiredString("REQUIRED")
        #expect(env.violations.count == 6)
        #expect(throws: ConfigurationError.self) { try env.finish(service: "test") }
        do { try env.finish(service: "test") } catch {
            #expect(error.description.contains("6 problems"))
            #expect(error.violations.contains { $0.contains("A_INT") })
            #expect(error.violations.contains { $0.contains("REQUIRED is required") })
        }
        #expect(env.documented.map(\.key).contains("G_DBL"))
    }
}
