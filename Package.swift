// swift-tools-version: 6.0
// Quorum: a suite of Swift executables that trade Binance spot with an ensemble of models and talk
// only over ZeroMQ publish/subscribe. Layout: ARCHITECTURE.md §7 (docs/architecture.md).
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

/// A service: `<Name>Core` (pure library) in Services/<Folder>/Core and its shell executable in Services/<Folder>/Main.
func service(_ name: String, folder: String, executable: String, coreDeps: [Target.Dependency] = [], mainDeps: [Target.Dependency] = []) -> [Target] {
    [
        .target(name: "\(name)Core", dependencies: [.target(name: "Domain")] + coreDeps, path: "Services/\(folder)/Core", swiftSettings: swiftSettings),
        .executableTarget(
            name: executable,
            dependencies: [.target(name: "\(name)Core"), "Runtime", "Bus", "Wire", "Domain"] + mainDeps,
            path: "Services/\(folder)/Main",
            swiftSettings: swiftSettings
        ),
    ]
}

let package = Package(
    name: "Quorum",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "quorum", targets: ["quorum"]),
        .executable(name: "quorum-bus", targets: ["quorum-bus"]),
        .executable(name: "quorum-collector", targets: ["quorum-collector"]),
        .executable(name: "quorum-features", targets: ["quorum-features"]),
        .executable(name: "quorum-predictor", targets: ["quorum-predictor"]),
        .executable(name: "quorum-ensemble", targets: ["quorum-ensemble"]),
        .executable(name: "quorum-riskgate", targets: ["quorum-riskgate"]),
        .executable(name: "quorum-executor", targets: ["quorum-executor"]),
        .executable(name: "quorum-exchange-sim", targets: ["quorum-exchange-sim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // Binance: HMAC-SHA256 and Ed25519 signatures (swift-crypto), REST (AsyncHTTPClient),
        // WebSocket streams (swift-websocket's WSClient); the exchange simulator serves HTTP and
        // WebSocket with Hummingbird (docs/architecture.md, "Dependencies").
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
    ],
    targets: [
        // Shared
        .systemLibrary(name: "CZeroMQ", path: "Shared/CZeroMQ", providers: [.apt(["libzmq3-dev"])]),
        .target(name: "Domain", path: "Shared/Domain", swiftSettings: swiftSettings),
        .target(
            name: "Wire",
            dependencies: ["Domain", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            path: "Shared/Wire",
            exclude: ["proto"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Bus",
            dependencies: ["CZeroMQ", "Wire", "Domain", .product(name: "Logging", package: "swift-log")],
            path: "Shared/Bus",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Runtime",
            dependencies: [
                "Bus", "Wire", "Domain",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Shared/Runtime",
            swiftSettings: swiftSettings
        ),
        .target(name: "TestKit", dependencies: ["Domain", "Wire", "Bus"], path: "Shared/TestKit", swiftSettings: swiftSettings),
        .systemLibrary(name: "CZlib", path: "Shared/CZlib", providers: [.apt(["zlib1g-dev"])]),
        // Signed control messages (HMAC-SHA256 with a shared key and a timestamp): the CLI signs, services verify.
        .target(
            name: "ControlAuth",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            path: "Shared/ControlAuth",
            swiftSettings: swiftSettings
        ),
        // Binance's payloads (decoders, encoders), errors and request signing: no I/O.
        .target(
            name: "Binance",
            dependencies: ["Domain", .product(name: "Crypto", package: "swift-crypto")],
            path: "Shared/Binance",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        // Binance over the network: REST (AsyncHTTPClient) and WebSocket streams (WSClient).
        .target(
            name: "BinanceClient",
            dependencies: [
                "Binance", "Domain",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Shared/BinanceClient",
            swiftSettings: swiftSettings
        ),
        // The L2 order book and Binance's snapshot + diff synchronisation: pure.
        .target(name: "OrderBook", dependencies: ["Domain"], path: "Shared/OrderBook", exclude: ["README.md"], swiftSettings: swiftSettings),
        // LightGBM's text model format, evaluated natively (serving needs no LightGBM): pure.
        .target(name: "GradientBoosting", path: "Shared/GradientBoosting", exclude: ["README.md"], swiftSettings: swiftSettings),
        // Recorded order-book captures (Quorum's, hftbacktest's, cryptofeed's) and their replay.
        .target(name: "Capture", dependencies: ["Domain", "Binance", "OrderBook", "CZlib"], path: "Shared/Capture", exclude: ["README.md"], swiftSettings: swiftSettings),
        // Strategy configs (JSONC model configs, the portfolio with its divisions), kline resampling: pure, Domain only.
        .target(name: "StrategyConfig", dependencies: ["Domain"], path: "Shared/StrategyConfig", exclude: ["README.md"], swiftSettings: swiftSettings),
        // Order-flow features aggregated to bars from the synced book and trades: pure.
        .target(name: "OrderFlow", dependencies: ["Domain", "OrderBook"], path: "Shared/OrderFlow", swiftSettings: swiftSettings),
        // Order-flow bars from recorded captures (reads files: kept out of the pure target).
        .target(name: "OrderFlowCapture", dependencies: ["OrderFlow", "Capture", "Binance", "OrderBook", "Domain"], path: "Shared/OrderFlowCapture", swiftSettings: swiftSettings),
    ]
    + service("Bus", folder: "Bus", executable: "quorum-bus")
    + service("Collector", folder: "Collector", executable: "quorum-collector",
              coreDeps: ["OrderBook", "Binance"],
              mainDeps: ["BinanceClient", "Binance", "OrderBook", "Capture", .product(name: "GRDB", package: "GRDB.swift")])
    + service("FeatureService", folder: "FeatureService", executable: "quorum-features", mainDeps: ["OrderFlow"])
    + service("Predictor", folder: "Predictor", executable: "quorum-predictor", coreDeps: ["GradientBoosting"])
    + service("Ensemble", folder: "Ensemble", executable: "quorum-ensemble", mainDeps: ["PredictorCore"])
    + service("RiskGate", folder: "RiskGate", executable: "quorum-riskgate",
              mainDeps: ["ControlAuth", "StrategyConfig", .product(name: "GRDB", package: "GRDB.swift")])
    + service("Executor", folder: "Executor", executable: "quorum-executor",
              mainDeps: ["Binance", "BinanceClient", "StrategyConfig", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log")])
    + [
        // Research: labels, training, the in-process chain of all cores (backtest, parity reference).
        .target(
            name: "Research",
            dependencies: ["Domain", "CollectorCore", "FeatureServiceCore", "PredictorCore", "EnsembleCore", "RiskGateCore", "ExecutorCore", "StrategyConfig", "GradientBoosting", "OrderFlow"],
            path: "Tools/Research",
            swiftSettings: swiftSettings
        ),
        // The exchange simulator: Binance's REST and WebSocket API from recorded data.
        .target(
            name: "ExchangeSim",
            dependencies: [
                "Binance", "OrderBook", "Capture", "CollectorCore", "Domain",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tools/ExchangeSim/Core",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "quorum-exchange-sim",
            dependencies: ["ExchangeSim", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tools/ExchangeSim/Main",
            swiftSettings: swiftSettings
        ),
        // `quorum up`: runs compose/compose.yaml as local processes.
        .target(
            name: "Launcher",
            dependencies: [.product(name: "Yams", package: "Yams")],
            path: "Tools/Launcher",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "quorum",
            dependencies: [
                "Research", "Launcher", "Runtime", "Bus", "Wire", "Domain", "StrategyConfig",
                "Binance", "BinanceClient", "OrderBook", "Capture", "OrderFlow", "OrderFlowCapture", "ControlAuth", "ExecutorCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Tools/quorum",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "quorum-bench",
            dependencies: ["CZeroMQ", "Bus", "Runtime", "Wire", "Domain", "Research", "TestKit", "Binance", "OrderBook", "Capture", "OrderFlow", "CollectorCore", "FeatureServiceCore", "PredictorCore", "EnsembleCore", "RiskGateCore", "ExecutorCore", "GradientBoosting", "StrategyConfig"],
            path: "Tools/Bench",
            swiftSettings: swiftSettings
        ),
        // Tests
        .testTarget(name: "DomainTests", dependencies: ["Domain", "TestKit"], swiftSettings: swiftSettings),
        .testTarget(name: "WireTests", dependencies: ["Wire", "Domain", "Bus"], swiftSettings: swiftSettings),
        .testTarget(name: "BusTests", dependencies: ["Bus", "Runtime", "BusCore", "Wire", "Domain", "TestKit"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CoreTests",
            dependencies: ["Domain", "TestKit", "CollectorCore", "FeatureServiceCore", "PredictorCore", "EnsembleCore", "RiskGateCore", "ExecutorCore", "Research", "OrderFlow", "ControlAuth", "Binance"],
            // Read by path (RepositoryPaths.root), not as bundle resources: TA-Lib's output, scripts/talib_reference.py.
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GradientBoostingTests",
            dependencies: ["GradientBoosting", "Research", "PredictorCore", "FeatureServiceCore", "CollectorCore", "Domain", "TestKit"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "LauncherTests", dependencies: ["Launcher"], swiftSettings: swiftSettings),
        .testTarget(name: "StrategyConfigTests", dependencies: ["StrategyConfig", "Domain", "TestKit", "CollectorCore"], swiftSettings: swiftSettings),
        .testTarget(name: "BinanceTests", dependencies: ["Binance", "BinanceClient", "Domain", "TestKit"], swiftSettings: swiftSettings),
        .testTarget(name: "OrderFlowTests", dependencies: ["OrderFlow", "OrderFlowCapture", "Capture", "OrderBook", "Domain", "TestKit"], exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "OrderBookTests", dependencies: ["OrderBook", "Capture", "Binance", "Domain", "TestKit"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ExchangeSimTests",
            dependencies: [
                "ExchangeSim", "Binance", "BinanceClient", "Domain", "TestKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "WSClient", package: "swift-websocket"),
            ],
            swiftSettings: swiftSettings
        ),
        // The live Executor's shell (the executable module, @testable): fills from the stream and the polls.
        .testTarget(
            name: "ExecutorTests",
            dependencies: ["quorum-executor", "ExecutorCore", "Binance", "BinanceClient", "Runtime", "Domain", "TestKit",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["Domain", "TestKit", "Bus", "Wire", "Research", "Binance", "BinanceClient", "ControlAuth", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client")],
            swiftSettings: swiftSettings
        ),
    ]
)
