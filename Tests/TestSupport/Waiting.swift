/// Why `waitUntil` gave up: what the test waited for, for how long, and where.
public struct WaitTimeout: Error, CustomStringConvertible {
    /// The whole account, e.g. "SocketTests.swift:42: still false after 120.0 seconds: the socket exists".
    public let description: String
}

/// Calls `produce` every `interval` until it returns a value, or `timeout` has passed (then nil).
///
/// The tests' one polling loop, for state another thread or process changes without an event
/// to await: a daemon's reply, a notification, a socket file. `produce` is called once more at
/// the deadline, so a value that arrives while the loop sleeps still counts.
public func poll<Value>(
    timeout: Duration = .seconds(120), interval: Duration = .milliseconds(5), _ produce: () -> Value?
) async -> Value? {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        if let value = produce() { return value }
        if clock.now >= deadline || Task.isCancelled { return nil }
        try? await Task.sleep(for: interval)
    }
}

/// Waits, polling, until `condition` holds; throws `WaitTimeout` when it still does not after
/// `timeout`.
///
/// The error names `what` (evaluated only on failure, so it can report the state then) and the
/// caller's file and line, so a failed wait reads as what never happened rather than as a bare
/// `false`. Generous timeouts are deliberate: a passing wait returns as soon as the condition
/// holds, and the shared test machines can be very slow.
public func waitUntil(
    _ what: @autoclosure () -> String = "", timeout: Duration = .seconds(120),
    fileID: String = #fileID, line: Int = #line, _ condition: () -> Bool
) async throws {
    if await poll(timeout: timeout, { condition() ? true : nil }) != nil { return }
    let file = fileID.split(separator: "/").last.map(String.init) ?? fileID
    let subject = what()
    throw WaitTimeout(
        description: "\(file):\(line): still false after \(timeout)" + (subject.isEmpty ? "" : ": \(subject)"))
}
