import Synchronization

/// Cancellation flag of one request, set by `$/cancelRequest`, a disconnect or server shutdown.
/// Long jobs poll `isCancelled` (or call `checkCancellation()`); `onCancel` runs a callback once.
public final class CancellationToken: Sendable {
    private struct State: Sendable {
        var cancelled = false
        var reason = ""
        var callbacks: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())

    /// Creates an empty instance.
    public init() {}

    /// True once cancelled.
    public var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Why the request was cancelled (empty while not cancelled).
    public var reason: String { state.withLock { $0.reason } }

    /// Cancels; later calls do nothing. Runs the registered callbacks outside the lock.
    public func cancel(reason: String = "the request was cancelled") {
        let callbacks: [@Sendable () -> Void] = state.withLock { state in
            guard !state.cancelled else { return [] }
            state.cancelled = true
            state.reason = reason
            defer { state.callbacks = [] }
            return state.callbacks
        }
        for callback in callbacks { callback() }
    }

    /// Runs `callback` when cancelled (at once if already cancelled).
    public func onCancel(_ callback: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state in
            if state.cancelled { return true }
            state.callbacks.append(callback)
            return false
        }
        if runNow { callback() }
    }

    /// Throws the -32800 `ResponseError` when cancelled, for use inside loops of long jobs.
    public func checkCancellation() throws(ResponseError) {
        let (cancelled, reason) = state.withLock { ($0.cancelled, $0.reason) }
        if cancelled { throw ResponseError.requestCancelled(reason) }
    }
}
