import Foundation
import Launcher
import Testing

@Suite("Compose file parsing")
struct ComposeFileTests {
    @Test func environmentMapAndListForms() throws {
        let file = try compose(
            """
            services:
              a:
                command: quorum-bus
                environment:
                  LOG_LEVEL: debug
                  EQUITY: 1000
                  THRESHOLD: 0.60
                  EMPTY: ""
                  FROM_SHELL:
                  NOT_IN_SHELL:
              b:
                command: quorum-features
                environment:
                  - FEATURES=rsi_14,ema_12
                  - EQUALS=a=b
                  - FROM_SHELL
                  - NOT_IN_SHELL
            """,
            environment: ["FROM_SHELL": "inherited"])
        let a = try #require(file[service: "a"])
        #expect(a.environment == [
            "LOG_LEVEL": "debug", "EQUITY": "1000", "THRESHOLD": "0.60", "EMPTY": "", "FROM_SHELL": "inherited",
        ])
        let b = try #require(file[service: "b"])
        #expect(b.environment == ["FEATURES": "rsi_14,ema_12", "EQUALS": "a=b", "FROM_SHELL": "inherited"])
    }

    @Test func interpolationFromTheLauncherEnvironment() throws {
        let file = try compose(
            """
            services:
              a:
                command: ["quorum-collector", "--speed", "${SPEED:-1}"]
                environment:
                  SET: ${SYMBOL}
                  BARE: $SYMBOL-x
                  COLON_DEFAULT_UNSET: ${MISSING:-5m}
                  COLON_DEFAULT_EMPTY: ${EMPTY:-used}
                  DASH_DEFAULT_EMPTY: ${EMPTY-unused}
                  DASH_DEFAULT_UNSET: ${MISSING-used}
                  NESTED: ${MISSING:-${SYMBOL}}
                  ESCAPED: $$HOME and $${SYMBOL}
                  PLUS: ${SYMBOL:+set}${MISSING:+never}
                  UNSET: "[${NOPE}]"
                  SHELLISH: "cost $5"
                  TRAILING_DOLLAR: price$
                  EMPTY_DEFAULT: "[${MISSING:-}]"
            """,
            environment: ["SYMBOL": "BTCUSDT", "EMPTY": "", "SPEED": "0"])
        let a = try #require(file[service: "a"])
        #expect(a.command == ["quorum-collector", "--speed", "0"])
        #expect(a.environment["SET"] == "BTCUSDT")
        #expect(a.environment["BARE"] == "BTCUSDT-x")
        #expect(a.environment["COLON_DEFAULT_UNSET"] == "5m")
        #expect(a.environment["COLON_DEFAULT_EMPTY"] == "used")
        #expect(a.environment["DASH_DEFAULT_EMPTY"] == "")
        #expect(a.environment["DASH_DEFAULT_UNSET"] == "used")
        #expect(a.environment["NESTED"] == "BTCUSDT")
        #expect(a.environment["ESCAPED"] == "$HOME and ${SYMBOL}")
        #expect(a.environment["PLUS"] == "set")
        #expect(a.environment["UNSET"] == "[]")
        #expect(a.environment["SHELLISH"] == "cost $5")
        #expect(a.environment["TRAILING_DOLLAR"] == "price$")
        #expect(a.environment["EMPTY_DEFAULT"] == "[]")
        #expect(file.warnings == ["variable NOPE is not set; substituting an empty string"])
    }

    @Test func interpolationErrors() throws {
        #expect(throws: ComposeError.requiredVariableMissing(
            field: "services.a.environment.KEY", variable: "API_KEY", message: "set API_KEY first")) {
            try compose("services:\n  a:\n    environment:\n      KEY: ${API_KEY:?set API_KEY first}\n")
        }
        #expect(throws: ComposeError.invalidInterpolation(
            field: "services.a.image", value: "quorum:${TAG", message: "missing closing brace")) {
            try compose("services:\n  a:\n    image: quorum:${TAG\n")
        }
        // An unused default is not evaluated, so its own `?` does not fire.
        let file = try compose("services:\n  a:\n    environment:\n      K: ${A:-${B:?no}}\n", environment: ["A": "x"])
        #expect(file[service: "a"]?.environment["K"] == "x")
    }

    @Test func envFilesComeBeforeEnvironment() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("config/common.env", """
            # shared settings
            LOG_LEVEL=info
            export SYMBOL=BTCUSDT
            QUOTED="two words\\tand a tab"
            LITERAL='${NOT_EXPANDED}'
            TRAILING=value # a comment
            DERIVED=${SYMBOL}-5m
            OVERRIDDEN=from-file

            """)
        try folder.write("config/extra.env", "EXTRA=${HOME_DIR:-none}\nOVERRIDDEN=from-second-file\n")
        try folder.write("compose/compose.yaml", """
            services:
              single:
                command: quorum-bus
                env_file: ../config/extra.env
              listed:
                command: quorum-bus
                env_file:
                  - ../config/common.env
                  - ../config/extra.env
                  - path: ../config/absent.env
                    required: false
                environment:
                  OVERRIDDEN: from-environment
            """)
        let file = try ComposeFile.load(
            contentsOf: folder.url.appendingPathComponent("compose/compose.yaml"), environment: ["HOME_DIR": "/home/q"])
        #expect(file[service: "single"]?.environment == ["EXTRA": "/home/q", "OVERRIDDEN": "from-second-file"])
        #expect(file[service: "listed"]?.environment == [
            "LOG_LEVEL": "info", "SYMBOL": "BTCUSDT", "QUOTED": "two words\tand a tab",
            "LITERAL": "${NOT_EXPANDED}", "TRAILING": "value", "DERIVED": "BTCUSDT-5m",
            "EXTRA": "/home/q", "OVERRIDDEN": "from-environment",
        ])
    }

    @Test func missingEnvFileIsAnError() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try folder.write("compose.yaml", "services:\n  a:\n    command: x\n    env_file: nope.env\n")
        #expect(throws: ComposeError.envFileNotFound(service: "a", path: folder.url.appendingPathComponent("nope.env").path)) {
            try ComposeFile.load(contentsOf: path, environment: [:])
        }
    }

    @Test func dotEnvFeedsInterpolationButTheShellWins() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write(".env", "TAG=from-dotenv\nSPEED=10\n")
        let path = try folder.write("compose.yaml", "services:\n  a:\n    image: quorum:${TAG}\n    command: x ${SPEED}\n")
        let file = try ComposeFile.load(contentsOf: path, environment: ["SPEED": "0"])
        #expect(file[service: "a"]?.image == "quorum:from-dotenv")
        #expect(file[service: "a"]?.command == ["x", "0"])
    }

    @Test func startOrderFollowsDependsOnThenFileOrder() throws {
        let file = try compose("""
            services:
              ensemble:
                command: quorum-ensemble
                depends_on: [bus, predictor]
              predictor:
                command: quorum-predictor
                depends_on:
                  features:
                    condition: service_started
              features:
                command: quorum-features
                depends_on: [bus]
              collector:
                command: quorum-collector
                depends_on: [bus]
              bus:
                command: quorum-bus
              tap:
                command: quorum
            """)
        #expect(file.services.map(\.name) == ["bus", "features", "predictor", "ensemble", "collector", "tap"])
        #expect(file.fileOrder == ["ensemble", "predictor", "features", "collector", "bus", "tap"])
        #expect(file[service: "predictor"]?.dependencyConditions == ["features": "service_started"])
    }

    @Test func dependencyCycleIsNamed() throws {
        let yaml = """
            services:
              bus:
                command: quorum-bus
              a:
                command: x
                depends_on: [bus, c]
              b:
                command: x
                depends_on: [a]
              c:
                command: x
                depends_on: [b]
            """
        #expect(throws: ComposeError.dependencyCycle(["a", "c", "b", "a"])) { try compose(yaml) }
        do {
            _ = try compose(yaml)
        } catch {
            #expect(error.description == "dependency cycle between services: a -> c -> b -> a")
        }
        #expect(throws: ComposeError.dependencyCycle(["a", "a"])) {
            try compose("services:\n  a:\n    command: x\n    depends_on: [a]\n")
        }
    }

    @Test func unknownDependencyIsNamed() throws {
        #expect(throws: ComposeError.unknownDependency(service: "features", dependency: "buss")) {
            try compose("services:\n  bus:\n    command: x\n  features:\n    command: y\n    depends_on: [buss]\n")
        }
        #expect(ComposeError.unknownDependency(service: "features", dependency: "buss").description
            == "service \"features\" depends on unknown service \"buss\"")
    }

    @Test func commandsGracePeriodsPortsAndHealthchecks() throws {
        let file = try compose(#"""
            x-defaults: &defaults
              restart: unless-stopped
              stop_grace_period: 1m30s
            services:
              bus:
                <<: *defaults
                image: quorum:latest
                command: quorum-bus --capture "/data/capture file.bin" 'single quoted'
                ports: ["5555:5555", "127.0.0.1:5556:5556/tcp", "9090"]
                stop_signal: SIGINT
                healthcheck:
                  test: ["CMD", "quorum", "health", "bus"]
                  interval: 5s
                  retries: 3
              collector:
                <<: *defaults
                build: { context: .., dockerfile: Dockerfile }
                entrypoint: ["quorum-collector"]
                command: ["--replay", "data/klines.csv"]
                stop_grace_period: 500ms
                container_name: quorum-collector
                healthcheck:
                  test: curl -f http://localhost:8080/health
                ports:
                  - target: 8080
                    published: 18080
              predictor:
                command: quorum-predictor
                stop_grace_period: 10
                deploy:
                  replicas: 2
                healthcheck:
                  test: ["CMD-SHELL", "test -f /tmp/ready"]
                  disable: true
            """#)
        let bus = try #require(file[service: "bus"])
        #expect(bus.command == ["quorum-bus", "--capture", "/data/capture file.bin", "single quoted"])
        #expect(bus.restart == "unless-stopped")
        #expect(bus.stopGracePeriod == .seconds(90))
        #expect(bus.stopSignal == 2)
        #expect(bus.image == "quorum:latest")
        #expect(bus.ports.map(\.hostPort) == ["5555", "5556", nil])
        #expect(bus.ports[1].hostIP == "127.0.0.1")
        #expect(bus.ports[1].proto == "tcp")
        #expect(bus.healthcheck == Healthcheck(test: .command(["quorum", "health", "bus"]), interval: .seconds(5), retries: 3))

        let collector = try #require(file[service: "collector"])
        #expect(collector.command == ["quorum-collector", "--replay", "data/klines.csv"])
        #expect(collector.hasBuild)
        #expect(collector.stopGracePeriod == .milliseconds(500))
        #expect(collector.containerName == "quorum-collector")
        #expect(collector.healthcheck?.test == .shell("curl -f http://localhost:8080/health"))
        #expect(collector.fixedHostPort?.hostPort == "18080")

        let predictor = try #require(file[service: "predictor"])
        #expect(predictor.stopGracePeriod == .seconds(10))
        #expect(predictor.restart == nil)
        #expect(predictor.replicas == 2)
        #expect(predictor.healthcheck?.test == Healthcheck.Test.none)
        #expect(predictor.fixedHostPort == nil)
    }

    @Test func durations() {
        #expect(DurationParser.parse("10s") == .seconds(10))
        #expect(DurationParser.parse("1m30s") == .seconds(90))
        #expect(DurationParser.parse("500ms") == .milliseconds(500))
        #expect(DurationParser.parse("1.5s") == .milliseconds(1500))
        #expect(DurationParser.parse("1h2m3s4ms") == .seconds(3723) + .milliseconds(4))
        #expect(DurationParser.parse("250us") == .microseconds(250))
        #expect(DurationParser.parse("7") == .seconds(7))
        #expect(DurationParser.parse("") == nil)
        #expect(DurationParser.parse("10 parsecs") == nil)
        #expect(DurationParser.parse("s") == nil)
        #expect(throws: ComposeError.self) { try compose("services:\n  a:\n    stop_grace_period: soon\n") }
    }

    @Test func shellWords() throws {
        #expect(try ShellWords.split(#"a "b c" 'd e' f\ g "h\"i" ''"#) == ["a", "b c", "d e", "f g", "h\"i", ""])
        #expect(try ShellWords.split("  spaced   out  ") == ["spaced", "out"])
        #expect(throws: ShellWords.SplitError.unterminatedQuote) { try ShellWords.split("a 'b") }
    }

    @Test func malformedFiles() {
        #expect(throws: ComposeError.self) { try compose("services: [a, b]") }
        #expect(throws: ComposeError.self) { try compose("version: '3'") }
        #expect(throws: ComposeError.self) { try compose("services:\n  a: {\n") }
        #expect(throws: ComposeError.self) { try compose("services:\n  a:\n    environment: 5\n") }
    }
}
