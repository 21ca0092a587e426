import Binance
import BinanceClient
import Domain
import Logging
import Runtime
import Testing
@testable import quorum_executor

/// The stream's bookkeeping (``UserDataFills``): link state, gaps, which orders await an event;
/// and the heartbeat's health (``ExecutorHealth``).
@Suite struct UserDataFillsTests {
    static func fills() -> (UserDataFills, Counters) {
        let counters = Counters(service: "executor-test")
        return (UserDataFills(counters: counters, logger: Logger(label: "test")), counters)
    }

    static func report(_ client: String, original: String = "") throws -> BinanceUserDataClient.Event {
        let text = """
            {"subscriptionId":0,"event":{"e":"executionReport","E":2,"s":"BTCUSDT","c":"\(client)","S":"SELL","o":"LIMIT","f":"GTC",\
            "q":"1","p":"1","P":"0","F":"0","g":-1,"C":"\(original)","x":"NEW","X":"NEW","r":"NONE","i":1,"l":"0","z":"0","L":"0",\
            "n":"0","N":null,"T":1,"t":-1,"I":1,"w":true,"m":false,"M":false,"O":1,"Z":"0","Y":"0","Q":"0","V":"NONE"}}
            """
        let event = try BinanceDecoder.userDataEvent(Array(text.utf8))
        return .event(event, raw: text)
    }

    @Test func theLinkFollowsSubscriptionsAndDisconnectsAndGapsAskForAResync() {
        let (fills, counters) = Self.fills()
        #expect(fills.link == .connecting && !fills.isUp)
        fills.receive(.subscribed(connection: 1, subscriptionID: 0))
        #expect(fills.isUp && fills.takeResync() && !fills.takeResync())
        fills.receive(.disconnected(connection: 1, reason: "server closed the connection", retryIn: .milliseconds(250)))
        #expect(!fills.isUp)
        if case .down(let why) = fills.link { #expect(why.contains("server closed the connection")) } else { Issue.record("not down") }
        fills.receive(.subscribed(connection: 2, subscriptionID: 0))
        fills.receive(.gap(since: Timestamp(milliseconds: 1), until: Timestamp(milliseconds: 2)))
        #expect(fills.isUp && fills.takeResync())
        fills.receive(.refused(BinanceAPIError(httpStatus: 400, code: -1022, message: "Signature for this request is not valid.")))
        #expect(!fills.isUp && fills.refusals == 1)
        #expect(counters["user_data_subscriptions"] == 2 && counters["user_data_reconnects"] == 1 && counters["user_data_gaps"] == 1
                && counters["user_data_refused"] == 1 && counters["user_data_up"] == 0)
    }

    @Test func anOrderIsOverdueUntilAnEventNamesIt() throws {
        let (fills, counters) = Self.fills()
        let t0 = ContinuousClock.now
        fills.expect("q-a", now: t0)
        fills.expect("q-b", now: t0)
        fills.expect("q-c", now: t0)
        #expect(fills.overdue(after: .seconds(3), now: t0 + .seconds(1)).isEmpty)
        // An event names q-a; a cancel's event names q-b in `C`.
        fills.receive(try Self.report("q-a"))
        fills.receive(try Self.report("cancel-123", original: "q-b"))
        #expect(counters["user_data_execution_reports"] == 2 && counters["user_data_events"] == 2)
        #expect(fills.overdue(after: .seconds(3), now: t0 + .seconds(3)) == ["q-c"])
        // Its clock restarted: due again one interval later, not at every round.
        #expect(fills.overdue(after: .seconds(3), now: t0 + .seconds(4)).isEmpty)
        #expect(fills.overdue(after: .seconds(3), now: t0 + .seconds(6)) == ["q-c"])
        fills.expectIfIdle("q-c", now: t0 + .seconds(100))
        #expect(fills.overdue(after: .seconds(3), now: t0 + .seconds(9)) == ["q-c"], "expectIfIdle must not move a running clock")
        fills.forget("q-c")
        #expect(fills.awaited.isEmpty)
    }

    @Test func healthCountsAPIErrorsOverTheLastMinuteOnly() {
        var health = ExecutorHealth(apiErrorThreshold: 3)
        let t0 = ContinuousClock.now
        health.record(apiErrorTotal: 10, at: t0)  // errors before: the baseline
        #expect(health.recentAPIErrors == 0 && health.reasons(streamDown: nil).isEmpty)
        health.record(apiErrorTotal: 13, at: t0 + .seconds(10))
        #expect(health.recentAPIErrors == 3 && health.reasons(streamDown: nil).isEmpty, "3 is not more than 3")
        health.record(apiErrorTotal: 14, at: t0 + .seconds(20))
        #expect(health.reasons(streamDown: nil).map(\.0) == [.apiErrors])
        // A minute later only the errors since t0 + 10 s count... then none.
        health.record(apiErrorTotal: 14, at: t0 + .seconds(75))
        #expect(health.recentAPIErrors == 1)
        health.record(apiErrorTotal: 14, at: t0 + .seconds(140))
        #expect(health.recentAPIErrors == 0)
        let down = health.reasons(streamDown: "user data stream disconnected; polling")
        #expect(down.map(\.0) == [.userDataDown] && down[0].1.contains("polling"))
    }
}
