/// A `healthcheck:` section. The launcher does not run it by itself; a readiness check may.
public struct Healthcheck: Sendable, Equatable {
    public enum Test: Sendable, Equatable {
        /// `NONE`, or `disable: true`.
        case none
        /// `["CMD", "prog", "arg"]`: run directly.
        case command([String])
        /// `["CMD-SHELL", "..."]` or a plain string: run with `/bin/sh -c`.
        case shell(String)
    }

    public var test: Test
    public var interval: Duration?
    public var timeout: Duration?
    public var startPeriod: Duration?
    public var retries: Int?

    public init(test: Test, interval: Duration? = nil, timeout: Duration? = nil, startPeriod: Duration? = nil, retries: Int? = nil) {
        self.test = test
        self.interval = interval
        self.timeout = timeout
        self.startPeriod = startPeriod
        self.retries = retries
    }
}
