import ControlAuth
import Testing

// Signed control messages: only a fresh message signed with the shared key is accepted.

private let key = try! ControlKey(text: "a-shared-secret-of-32-bytes-....")
private let now: Int64 = 1_765_000_000_000

private func signed(_ command: String = "pause", arguments: [String: String] = ["division": "aggressive"], at time: Int64 = now, nonce: String = "n1", with signingKey: ControlKey = key) -> [String: String] {
    ControlSignature.sign(target: "riskgate", command: command, arguments: arguments, key: signingKey, timestampMs: time, nonce: nonce)
}

private func rejection(_ body: () throws -> Void) -> ControlVerifier.Rejection? {
    do { try body() } catch let error as ControlVerifier.Rejection { return error } catch { return .malformed("unexpected \(error)") }
    return nil
}

@Suite("RiskGate control signatures")
struct RiskGateControlTests {
    @Test("A signed, fresh message verifies; its nonce cannot be used twice")
    func acceptsOnce() {
        var verifier = ControlVerifier(key: key)
        let arguments = signed()
        #expect(rejection { try verifier.verify(target: "riskgate", command: "pause", arguments: arguments, nowMs: now + 1_000) } == nil)
        #expect(rejection { try verifier.verify(target: "riskgate", command: "pause", arguments: arguments, nowMs: now + 2_000) } == .replayed)
        #expect(arguments["sig"]?.count == 64)
    }

    @Test("Unsigned, tampered, wrongly keyed, malformed and stale messages are rejected with their reason")
    func rejections() throws {
        var verifier = ControlVerifier(key: key, maxAgeMilliseconds: 30_000)
        #expect(rejection { try verifier.verify(target: "riskgate", command: "pause", arguments: [:], nowMs: now) } == .unsigned)
        #expect(rejection { try verifier.verify(target: "riskgate", command: "pause", arguments: ["division": "x"], nowMs: now) } == .unsigned)
        // The command, the target or an argument changed after signing.
        #expect(rejection { try verifier.verify(target: "riskgate", command: "resume", arguments: signed(nonce: "a"), nowMs: now) } == .badSignature)
        #expect(rejection { try verifier.verify(target: "executor", command: "pause", arguments: signed(nonce: "b"), nowMs: now) } == .badSignature)
        var altered = signed(nonce: "c")
        altered["division"] = "conservative"
        #expect(rejection { try verifier.verify(target: "riskgate", command: "pause", arguments: altered, nowMs: now) } == .badSignature)
        var restamped = signed(nonce: "d")
        restamped["ts_ms"] = String(now + 60_000)
        #expect(rejection { try verifier.verify(target: "riskgate", command: "pause", arguments: restamped, nowMs: now + 60_000) } == .badSignature)
        // Another key.
        let other = try ControlKey(text: "another-secret-of-enough-bytes!!")
        #expect(rejection { try verifier.verify(target: "riskgate", command: "pause", arguments: signed(nonce: "e", with: other), nowMs: now) } == .badSignature)
        // Garbage signature and timestamp.
        var garbage = signed(nonce: "f")
        garbage["sig"] = "zz"
        #expect(rejection { try verifier.verify(target: "riskgate", command: "pause", arguments: garbage, nowMs: now) } == .badSignature)
        var badStamp = signed(nonce: "g")
        badStamp["ts_ms"] = "yesterday"
        #expect(rejection { try verifier.verify(target: "riskgate", command: "pause", arguments: badStamp, nowMs: now) } == .malformed("ts_ms \"yesterday\" is not an integer"))
        // Stale: older than 30 s, or as far in the future.
        #expect(rejection { try verifier.verify(target: "riskgate", command: "pause", arguments: signed(at: now - 30_001, nonce: "h"), nowMs: now) } == .stale(ageMilliseconds: 30_001))
        #expect(rejection { try verifier.verify(target: "riskgate", command: "pause", arguments: signed(at: now + 31_000, nonce: "i"), nowMs: now) } == .stale(ageMilliseconds: -31_000))
        #expect(rejection { try verifier.verify(target: "riskgate", command: "pause", arguments: signed(at: now - 30_000, nonce: "j"), nowMs: now) } == nil)
        // Without a key, nothing is accepted.
        var keyless = ControlVerifier(key: nil)
        #expect(rejection { try keyless.verify(target: "riskgate", command: "pause", arguments: signed(nonce: "k"), nowMs: now) } == .noKey)
    }

    @Test("The signed text is unambiguous: moving bytes between fields changes the signature")
    func canonicalForm() {
        let a = ControlSignature.canonical(target: "riskgate", command: "pause", arguments: ["ab": "c"])
        let b = ControlSignature.canonical(target: "riskgate", command: "pause", arguments: ["a": "bc"])
        #expect(a != b)
        #expect(ControlSignature.canonical(target: "riskgate", command: "pause", arguments: ["x": "1", "sig": "ignored"])
            == ControlSignature.canonical(target: "riskgate", command: "pause", arguments: ["x": "1"]))
    }

    @Test("Keys shorter than 16 bytes, or missing, are refused with the variable to set; the key never prints")
    func keys() throws {
        #expect(throws: ControlKey.Failure.tooShort(bytes: 5)) { _ = try ControlKey(text: "short") }
        #expect(throws: ControlKey.Failure.missing("QUORUM_CONTROL_KEY")) { _ = try ControlKey.fromEnvironment(environment: [:]) }
        let fromEnvironment = try ControlKey.fromEnvironment(environment: ["QUORUM_CONTROL_KEY": "0123456789abcdef"])
        #expect(!"\(fromEnvironment)".contains("0123"))
    }
}
