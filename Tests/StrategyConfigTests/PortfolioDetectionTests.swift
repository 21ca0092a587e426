import Foundation
import Testing
import TestKit
import StrategyConfig

/// `quorum pipeline -c FILE` runs a portfolio when the file has a top-level `divisions` key.
@Suite struct PortfolioDetectionTests {
    @Test func aPortfolioIsAnObjectWithDivisionsAtTheTop() throws {
        let dir = try TemporaryDirectory()
        #expect(Portfolio.isPortfolio(path: try dir.write("p.jsonc", "// comment\n{\"reserve\": 0.1, \"divisions\": []}")))
        #expect(Portfolio.isPortfolio(path: RepositoryPaths.root.appendingPathComponent("configs/portfolio.jsonc").path))
        // A model config, `divisions` below the top, a broken file, a missing one: not portfolios
        // (loading them as model configs then says what is wrong).
        #expect(!Portfolio.isPortfolio(path: try dir.write("m.jsonc", "{\"symbol\": \"BTCUSDT\", \"freq\": \"5m\", \"labels\": []}")))
        #expect(!Portfolio.isPortfolio(path: try dir.write("n.jsonc", "{\"x\": {\"divisions\": []}}")))
        #expect(!Portfolio.isPortfolio(path: try dir.write("b.jsonc", "{\"divisions\": ")))
        #expect(!Portfolio.isPortfolio(path: dir.path + "/none.jsonc"))
    }
}
