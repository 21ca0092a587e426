import CollectorCore
import Domain
import Foundation
import Research
import RiskGateCore
import Testing
import TestKit

/// The demo's decisions (two divisions, regime routing, every breaker) on the embedded sample, in
/// one process: what `make demo` must show — trades in both divisions, and breaker events on the
/// losing days of August 2024 (the 5 August crash).
@Suite struct DemoSuiteTests {
    @Test func bothDivisionsTradeAndTheCrashTripsABreaker() async throws {
        let result = try await offPool {
            let klines = try KlineCSV.read(path: RepositoryPaths.sampleKlines.path)
            let models = try DemoStrategy.trainModels(klines: klines)
            var backtest = try DemoStrategy.backtest(models: models)
            let august = Timestamp(utcDate: DemoStrategy.replayFrom)!..<Timestamp(utcDate: DemoStrategy.replayTo)!
            backtest.run(klines.filter { august.contains($0.openTime) })
            return backtest.result
        }
        let byDivision = Dictionary(grouping: result.intents, by: \.division).mapValues(\.count)
        let events = result.riskEvents.map { "\($0.time) \($0.kind.rawValue) \($0.division) \($0.code) \($0.detail)" }
        print("intents per division: \(byDivision); trades \(result.exits.count), P&L \(result.realizedPnL)")
        print(events.joined(separator: "\n"))
        #expect((byDivision["conservative"] ?? 0) > 0)
        #expect((byDivision["aggressive"] ?? 0) > 0)
        let crash = Timestamp(utcDate: "2024-08-05")!, dayAfter = Timestamp(utcDate: "2024-08-06")!
        #expect(result.riskEvents.contains {
            $0.kind == .breakerTripped && $0.division == "conservative" && $0.code == "daily_loss_breaker" && (crash..<dayAfter).contains($0.time)
        })
        // The pause ends with the day it was tripped on, and nothing of the division opens meanwhile.
        #expect(result.riskEvents.contains {
            $0.kind == .breakerCleared && $0.division == "conservative" && $0.code == "daily_loss_breaker" && $0.time == dayAfter
        })
        for trip in result.riskEvents where trip.kind == .breakerTripped && trip.code == "daily_loss_breaker" {
            let end = Timestamp(milliseconds: (trip.time.utcDay + 1) * 86_400_000)
            #expect(!result.intents.contains { $0.division == trip.division && $0.bar.closeTime > trip.time && $0.bar.closeTime < end },
                    "\(trip.division) opened while paused after \(trip.time)")
            #expect(result.riskEvents.contains { $0.kind == .breakerCleared && $0.division == trip.division && $0.code == trip.code && $0.time == end })
        }
    }
}
