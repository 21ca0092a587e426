import Bus
import BusCore
import Foundation
import Runtime

// quorum-bus: XSUB (publishers connect) <-> XPUB (subscribers connect), joined by
// zmq_proxy_steerable; optional capture PUB. Stops cleanly on SIGTERM/SIGINT.
let bindEnvironment = ProcessInfo.processInfo.environment
let frontendDefault = bindEnvironment["BUS_FRONTEND_BIND"].flatMap { $0.isEmpty ? nil : $0 } ?? "tcp://*:5555"
setenvDefault("BUS_PUB_ENDPOINT", BusConfiguration.connectEndpoint(forBind: frontendDefault))

await ServiceMain.run(service: "bus") { env in
    let configuration = BusConfiguration(
        frontendBind: env.string("BUS_FRONTEND_BIND", default: "tcp://*:5555", "XSUB bind: publishers connect here"),
        backendBind: env.string("BUS_BACKEND_BIND", default: "tcp://*:5556", "XPUB bind: subscribers connect here"),
        captureBind: { let v = env.string("BUS_CAPTURE_BIND", default: "", "optional PUB bind that copies every message"); return v.isEmpty ? nil : v }()
    )
    for violation in configuration.violations() { env.fail(violation) }
    return { node in
        let proxy: BusProxy
        do {
            proxy = try BusProxy(context: node.context, frontend: configuration.frontendBind, backend: configuration.backendBind, capture: configuration.captureBind)
        } catch {
            node.logger.critical("cannot bind the bus", metadata: ["error": "\(error)"])
            throw error
        }
        node.logger.info("bus proxying", metadata: [
            "bus.frontend": "\(proxy.frontendEndpoint)", "bus.backend": "\(proxy.backendEndpoint)",
            "bus.capture": "\(proxy.captureEndpoint ?? "-")", "zmq.version": "\(BusContext.libraryVersion)",
        ])
        await waitForShutdown()
        proxy.stop()
        node.logger.info("bus proxy stopped")
    }
}

func setenvDefault(_ key: String, _ value: String) {
    if (getenv(key).map { String(cString: $0) } ?? "").isEmpty { setenv(key, value, 1) }
}
