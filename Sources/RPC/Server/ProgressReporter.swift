import Synchronization

/// Streams `$/progress` for one request: `begin` when created, `report` at most every
/// `minimumInterval` (faster reports are dropped, except the first), and exactly one `end`.
/// The `Server` sends `end` itself when the handler returns or throws without having ended.
/// Without a client `workDoneToken` every call does nothing, so handlers need not check.
public final class ProgressReporter: Sendable {
    private struct State: Sendable {
        var lastReport: ContinuousClock.Instant?
        var ended = false
    }

    /// The client's token; nil when the client did not ask for progress.
    public let token: ProgressToken?
    private let connection: Connection?
    private let minimumInterval: Duration
    private let state = Mutex(State())

    init(token: ProgressToken?, connection: Connection, title: String, minimumInterval: Duration) {
        self.token = token
        self.connection = token == nil ? nil : connection
        self.minimumInterval = minimumInterval
        if let token {
            connection.sendProgress(.begin(title: title, message: nil, percentage: 0), token: token)
        }
    }

    /// Reports progress; `percentage` is clamped to 0...100, `fields` are method-specific members
    /// (such as `window`, `tokensPerSecond`, `block`). Returns whether the report was sent.
    /// `everyOne` sends it whatever the interval and never coalesces it with a newer one: for
    /// reports that are a stream of items the client must all receive (generated tokens), not a
    /// sample of a state.
    @discardableResult
    public func report(message: String? = nil, percentage: Double? = nil, fields: [String: JSONValue] = [:],
                       everyOne: Bool = false) -> Bool
    {
        guard let token, let connection else { return false }
        let now = ContinuousClock.now
        let send = state.withLock { state -> Bool in
            if state.ended { return false }
            if !everyOne, let last = state.lastReport, now - last < minimumInterval { return false }
            state.lastReport = now
            return true
        }
        guard send else { return false }
        let percent = percentage.map { Int(min(100, max(0, $0.isNaN ? 0 : $0)).rounded(.down)) }
        connection.sendProgress(.report(message: message, percentage: percent, fields: fields), token: token,
                                coalesce: !everyOne)
        return true
    }

    /// Sends `end` once; later calls do nothing.
    public func end(message: String? = nil, outcome: ProgressOutcome = .completed) {
        guard let token, let connection else { return }
        let first = state.withLock { state -> Bool in
            defer { state.ended = true }
            return !state.ended
        }
        if first { connection.sendProgress(.end(message: message, outcome: outcome), token: token) }
    }

    /// True once `end` was sent (always false without a token).
    public var hasEnded: Bool { state.withLock { $0.ended } }
}
