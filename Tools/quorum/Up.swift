import ArgumentParser
struct Up: AsyncParsableCommand { func run() async throws { throw ValidationError("not yet") } }
struct Demo: AsyncParsableCommand { func run() async throws { throw ValidationError("not yet") } }
