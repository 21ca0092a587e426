import ArgumentParser

@main
struct Quorum: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quorum",
        abstract: "Quorum's command line: tap and record the bus, replay recordings, train models, run the suite locally.",
        subcommands: [Tap.self, Record.self, Replay.self, Train.self, BacktestCommand.self, Up.self, Demo.self, Download.self, CollectBook.self, BookCommand.self, PipelineCommand.self, Merge.self, Features.self, Labels.self, Predict.self, Signals.self, LookaheadCheckCommand.self, RiskCommand.self, OrderCommand.self]
    )
}

/// Options shared by commands that talk to a running bus.
struct BusOptions: ParsableArguments {
    @Option(name: .customLong("sub"), help: "Bus backend (XPUB) to subscribe to.")
    var subscribeEndpoint: String = "tcp://127.0.0.1:5556"

    @Option(name: .customLong("pub"), help: "Bus frontend (XSUB) to publish to.")
    var publishEndpoint: String = "tcp://127.0.0.1:5555"
}
