import Foundation
import Launcher
import Testing

@Suite("Launch plan")
struct LaunchPlanTests {
    static let suite = """
        services:
          bus:
            command: /bin/sh
            ports: ["5555:5555", "5556:5556"]
          predictor-logreg:
            command: /bin/sh
            depends_on: [bus]
            environment:
              MODEL_NAME: logreg-high_030_4
          predictor-pinned:
            command: /bin/sh
            depends_on: [bus]
            environment:
              SERVICE_INSTANCE: pinned
          collector:
            command: /bin/sh
            container_name: quorum-collector
            depends_on: [bus]
        """

    @Test func scalingNamesReplicasAndSetsServiceInstance() throws {
        let file = try compose(Self.suite)
        let plan = try LaunchPlan(file: file, options: testOptions(scale: ["predictor-logreg": 2, "predictor-pinned": 2]))
        #expect(plan.names == [
            "bus-1", "predictor-logreg-1", "predictor-logreg-2", "predictor-pinned-1", "predictor-pinned-2", "collector-1",
        ])
        #expect(plan.processes.map(\.replica) == [1, 1, 2, 1, 2, 1])
        #expect(plan.processes[1].environment["SERVICE_INSTANCE"] == "predictor-logreg-1")
        #expect(plan.processes[2].environment["SERVICE_INSTANCE"] == "predictor-logreg-2")
        #expect(plan.processes[2].environment["MODEL_NAME"] == "logreg-high_030_4")
        // Set explicitly in the file: kept as written for every replica.
        #expect(plan.processes[3].environment["SERVICE_INSTANCE"] == "pinned")
        #expect(plan.processes[4].environment["SERVICE_INSTANCE"] == "pinned")
        #expect(plan.processes[0].environment["SERVICE_INSTANCE"] == "bus-1")
    }

    @Test func scaleZeroLeavesAServiceOut() throws {
        let plan = try LaunchPlan(file: try compose(Self.suite), options: testOptions(scale: ["predictor-pinned": 0]))
        #expect(plan.names == ["bus-1", "predictor-logreg-1", "collector-1"])
    }

    @Test func servicesThatCannotBeScaledSayWhy() throws {
        let file = try compose(Self.suite)
        #expect(throws: LaunchError.cannotScale(
            service: "bus",
            reason: "it publishes fixed host port 5555 (ports: \"5555:5555\"), which only one process can bind")) {
            try LaunchPlan(file: file, options: testOptions(scale: ["bus": 2]))
        }
        #expect(throws: LaunchError.cannotScale(
            service: "collector", reason: "it sets container_name \"quorum-collector\", which must be unique")) {
            try LaunchPlan(file: file, options: testOptions(scale: ["collector": 3]))
        }
        #expect(throws: LaunchError.unknownService("predictor-lgbm")) {
            try LaunchPlan(file: file, options: testOptions(scale: ["predictor-lgbm": 2]))
        }
        // Scaling to one is always fine.
        #expect(try LaunchPlan(file: file, options: testOptions(scale: ["bus": 1])).processes.count == 4)
    }

    @Test func scaleArguments() throws {
        #expect(try LaunchOptions.parseScale(["predictor-logreg=2", "tap=0"]) == ["predictor-logreg": 2, "tap": 0])
        #expect(throws: LaunchError.self) { try LaunchOptions.parseScale(["predictor-logreg"]) }
        #expect(throws: LaunchError.self) { try LaunchOptions.parseScale(["x=-1"]) }
        #expect(try LaunchOptions.parseEnvironment(["REPLAY_SPEED=0", "A=b=c", "HOME", "UNSET"], from: ["HOME": "/root"])
            == ["REPLAY_SPEED": "0", "A": "b=c", "HOME": "/root"])
    }

    @Test func missingExecutablesAreAllListedBeforeAnythingStarts() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("bin/quorum-bus", "#!/bin/sh\n", executable: true)
        try folder.write("bin/not-executable", "#!/bin/sh\n")
        let file = try compose("""
            services:
              bus:
                command: quorum-bus
              features:
                command: quorum-features --fast
              ensemble:
                command: not-executable
              imageonly:
                image: quorum:latest
              shell:
                command: sh -c true
            """)
        let bin = folder.url.appendingPathComponent("bin")
        let options = testOptions(binDirectory: bin)
        let searched = [bin.path, "/usr/local/bin", "/usr/bin", "/bin"]
        #expect(throws: LaunchError.missingExecutables([
            MissingExecutable(service: "features", executable: "quorum-features", searched: searched),
            MissingExecutable(service: "ensemble", executable: "not-executable", searched: searched),
            MissingExecutable(service: "imageonly", executable: nil, searched: []),
        ])) {
            try LaunchPlan(file: file, options: options)
        }
        do {
            _ = try LaunchPlan(file: file, options: options)
        } catch {
            #expect(error.description.contains("quorum-features (service features): not found in \(bin.path), /usr/local/bin"))
            #expect(error.description.hasPrefix("nothing was started; missing executables:"))
        }
        // Only the services that are found: the bin folder comes first, then PATH.
        var selected = options
        selected.services = ["bus", "shell"]
        let plan = try LaunchPlan(file: file, options: selected)
        #expect(plan.processes[0].executable.path == bin.appendingPathComponent("quorum-bus").path)
        #expect(plan.processes[1].executable.lastPathComponent == "sh")
        #expect(searched.dropFirst().contains(plan.processes[1].executable.deletingLastPathComponent().path))
        #expect(plan.processes[1].arguments == ["-c", "true"])
    }

    @Test func overridesWinAndTheLauncherEnvironmentIsInherited() throws {
        let file = try compose("""
            services:
              collector:
                command: /bin/sh
                environment:
                  REPLAY_SPEED: 1
                  SYMBOL: BTCUSDT
                  PATH: /opt/quorum/bin
            """)
        var options = LaunchOptions(
            environment: ["REPLAY_SPEED": "0", "SERVICE_INSTANCE": "mine"],
            baseEnvironment: ["PATH": "/usr/bin:/bin", "HOME": "/root", "SYMBOL": "ETHUSDT"])
        let process = try #require(try LaunchPlan(file: file, options: options).processes.first)
        #expect(process.environment == [
            "REPLAY_SPEED": "0", "SYMBOL": "BTCUSDT", "PATH": "/opt/quorum/bin", "HOME": "/root", "SERVICE_INSTANCE": "mine",
        ])
        options.inheritEnvironment = false
        options.environment = [:]
        let isolated = try #require(try LaunchPlan(file: file, options: options).processes.first)
        #expect(isolated.environment == [
            "REPLAY_SPEED": "1", "SYMBOL": "BTCUSDT", "PATH": "/opt/quorum/bin", "SERVICE_INSTANCE": "collector-1",
        ])
    }

    @Test func selectionPullsInDependenciesAndHonoursProfiles() throws {
        let file = try compose("""
            services:
              bus:
                command: /bin/sh
              features:
                command: /bin/sh
                depends_on: [bus]
              sim:
                command: /bin/sh
                profiles: [offline]
              tap:
                command: /bin/sh
                profiles: [debug]
                depends_on: [bus]
            """)
        #expect(try LaunchPlan(file: file, options: testOptions()).names == ["bus-1", "features-1"])
        var offline = testOptions()
        offline.profiles = ["offline"]
        #expect(try LaunchPlan(file: file, options: offline).names == ["bus-1", "features-1", "sim-1"])
        var named = testOptions()
        named.services = ["tap"]
        #expect(try LaunchPlan(file: file, options: named).names == ["bus-1", "tap-1"])
        named.services = ["nope"]
        #expect(throws: LaunchError.unknownService("nope")) { try LaunchPlan(file: file, options: named) }
    }
}
