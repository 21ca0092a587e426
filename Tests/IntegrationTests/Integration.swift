import Testing

/// Every integration suite runs one test at a time: each starts a whole suite of processes, and
/// two at once on a two-core machine would only measure the scheduler.
@Suite(.serialized) enum Integration {}
