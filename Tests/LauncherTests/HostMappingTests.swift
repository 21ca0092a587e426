import Foundation
import Launcher
import Testing

@Suite("Host-name mapping")
struct HostMappingTests {
    let mapping = HostMapping(hosts: ["bus", "collector", "exchange-sim"])

    @Test func serviceHostsBecomeLoopback() {
        #expect(mapping.rewrite("tcp://bus:5555") == "tcp://127.0.0.1:5555")
        #expect(mapping.rewrite("http://collector:8080/health") == "http://127.0.0.1:8080/health")
        #expect(mapping.rewrite("http://collector/health") == "http://127.0.0.1/health")
        #expect(mapping.rewrite("ws://exchange-sim") == "ws://127.0.0.1")
        #expect(mapping.rewrite("tcp://bus:5555,tcp://collector:5557") == "tcp://127.0.0.1:5555,tcp://127.0.0.1:5557")
        #expect(mapping.rewrite("postgres://user:secret@bus:5432/db") == "postgres://user:secret@127.0.0.1:5432/db")
        #expect(mapping.rewrite("TCP://BUS:5555") == "TCP://127.0.0.1:5555")
    }

    @Test func onlyWholeHostNamesInHostPositions() {
        #expect(mapping.rewrite("tcp://busy:5555") == "tcp://busy:5555")
        #expect(mapping.rewrite("tcp://bus.example.com:5555") == "tcp://bus.example.com:5555")
        #expect(mapping.rewrite("tcp://my-bus:5555") == "tcp://my-bus:5555")
        #expect(mapping.rewrite("bus") == "bus")
        #expect(mapping.rewrite("bus:5555") == "bus:5555")
        #expect(mapping.rewrite("collector,features") == "collector,features")
        #expect(mapping.rewrite("/data/bus/capture") == "/data/bus/capture")
        #expect(mapping.rewrite("tcp://*:5555") == "tcp://*:5555")
        #expect(mapping.rewrite("http://localhost:8080/bus") == "http://localhost:8080/bus")
    }

    @Test func planMapsEnvironmentArgumentsAndOverrides() throws {
        let file = try compose("""
            services:
              bus:
                command: /bin/sh
                environment:
                  BUS_FRONTEND_BIND: tcp://*:5555
              features:
                command: /bin/sh --connect tcp://bus:5556
                environment:
                  BUS_PUB_ENDPOINT: tcp://bus:5555
                  BUS_SUB_ENDPOINT: tcp://busy:5556
                  REPLAY_WAIT_FOR_SUBSCRIBERS: bus,features
            """)
        let plan = try LaunchPlan(file: file, options: testOptions(environment: ["HISTORY": "tcp://features:5557"]))
        let features = try #require(plan.processes.first { $0.service == "features" })
        #expect(features.arguments == ["--connect", "tcp://127.0.0.1:5556"])
        #expect(features.environment["BUS_PUB_ENDPOINT"] == "tcp://127.0.0.1:5555")
        #expect(features.environment["BUS_SUB_ENDPOINT"] == "tcp://busy:5556")
        #expect(features.environment["REPLAY_WAIT_FOR_SUBSCRIBERS"] == "bus,features")
        #expect(features.environment["HISTORY"] == "tcp://127.0.0.1:5557")
        #expect(plan.processes[0].environment["BUS_FRONTEND_BIND"] == "tcp://*:5555")

        var unmapped = testOptions()
        unmapped.hostAddress = nil
        let asWritten = try LaunchPlan(file: file, options: unmapped)
        #expect(asWritten.processes[1].environment["BUS_PUB_ENDPOINT"] == "tcp://bus:5555")
    }
}
