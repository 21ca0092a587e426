import Domain
import FeatureServiceCore
import Foundation
import PredictorCore
import Research
import Testing

private func ms(_ text: String) -> Timestamp {
    // "2024-07-15" → midnight UTC, via days since the epoch.
    let parts = text.split(separator: "-").map { Int64($0)! }
    var (y, m) = (parts[0], parts[1])
    if m <= 2 { y -= 1; m += 12 }
    let era = y / 400, yoe = y - era * 400
    let doy = (153 * (m - 3) + 2) / 5 + parts[2] - 1
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
    return Timestamp(milliseconds: days * 86_400_000)
}

@Suite struct ModelTrainingTests {
    @Test func refusesBadInputsWithSpecificErrors() throws {
        let open = Timestamp(milliseconds: 0)
        let k = Kline(
            symbol: "X", interval: .oneMinute, openTime: open, closeTime: open.adding(milliseconds: 59_999),
            open: .one, high: .one, low: .one, close: .one, volume: .one
        )
        var other = k
        other.symbol = "Y"
        other.openTime = open.adding(milliseconds: 60_000)
        let range = Timestamp.zero..<Timestamp(milliseconds: 1_000_000)
        func train(_ klines: [Kline], _ features: [String], _ label: String) throws -> Model {
            try ModelTraining.trainLogisticRegression(klines: klines, features: features, label: label, range: range, created: .zero)
        }
        #expect { try train([k], ["close_FOO_3", "close_SMA_x"], "high_030_4") } throws: { error in
            if case .features(let e) = error as? ModelTraining.Error { return e.problems.count == 2 }
            return false
        }
        #expect { try train([k], ["close_SMA_3"], "high_30_4") } throws: { error in
            if case .label = error as? ModelTraining.Error { return true }
            return false
        }
        #expect { try train([k, other], ["close_SMA_3"], "high_030_4") } throws: { error in
            if case .invalidKlines(let reason) = error as? ModelTraining.Error { return reason.contains("mixed series") }
            return false
        }
        #expect(ModelTraining.compactVersion(Timestamp(milliseconds: 1_722_470_400_000)) == "20240801T000000Z")
    }

    /// Trains on real klines; checks the rows against an independent count, the metadata, the
    /// registry round trip, and that the Predictor reproduces the in-sample scores.
    @Test(.enabled(if: SharedKlineFixture.isAvailable, SharedKlineFixture.skipReason))
    func trainsOnRealKlinesThroughTheServingPath() throws {
        let klines = SharedKlineFixture.btcFiveMinute.filter { $0.openTime < ms("2024-09-01") }
        let features = ["close_RSI_14", "high_low_close_ATR_14", "close_SMA_20", "close_SMA_1"]
        let range = ms("2024-07-01")..<ms("2024-08-01")
        let model = try ModelTraining.trainLogisticRegression(
            klines: klines, features: features, label: "high_030_4", range: range, created: ms("2024-08-02"), source: "BTCUSDT-5m.csv"
        )
        #expect(model.name == "logreg-high_030_4" && model.version == "20240802T000000Z")
        #expect(model.features == features && model.metadata.symbols == ["BTCUSDT"] && model.metadata.interval == .fiveMinutes)
        let training = try #require(model.metadata.training)
        // July 2024 is contiguous: 8,928 bars, minus the last 4 whose horizon reaches August.
        #expect(training.rows == 31 * 288 - 4)
        let label = try HighLowLabel(parsing: "high_030_4")
        let labels = label.labels(for: klines)
        let lastLabeled = range.upperBound.adding(milliseconds: -4 * 300_000) // horizon must end inside the range
        let expectedPositives = klines.indices.filter {
            range.contains(klines[$0].openTime) && klines[$0].openTime < lastLabeled && labels[$0] == true
        }.count
        #expect(training.positives == expectedPositives)
        #expect(training.auc > 0.55 && training.auc <= 1, "in-sample AUC \(training.auc)")
        #expect(training.logLoss > 0 && training.logLoss < 0.7)
        #expect(training.from == "2024-07-01T00:00:00.000Z" && training.to == "2024-08-01T00:00:00.000Z")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-training-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try ModelRegistry(directory: directory).write(model)
        let loaded = try ModelRegistry(directory: directory).load(name: "logreg-high_030_4")
        #expect(loaded == model)

        // Serving: FeatureServiceCore → PredictorCore on the same bars gives the same probabilities.
        let data = try ModelTraining.dataset(klines: klines, features: features, label: label, range: range)
        var featureCore = FeatureServiceCore(configuration: try .init(features: features))
        var predictor = PredictorCore(configuration: .init(model: loaded))
        var probabilities: [Double] = []
        for k in klines where k.openTime < range.upperBound {
            for case .vector(let v) in featureCore.handle(.kline(k), now: k.closeTime) where range.contains(v.bar.openTime) {
                for case .prediction(let p) in predictor.handle(.features(v), now: k.closeTime) { probabilities.append(p.probability) }
            }
        }
        #expect(probabilities.count == 31 * 288)
        let served = Array(probabilities.prefix(data.rows.count))
        #expect(served == data.rows.map { model.probability($0) })
        let auc = ClassificationMetrics.auc(scores: served, labels: data.labels)
        #expect(auc == training.auc)
    }
}
