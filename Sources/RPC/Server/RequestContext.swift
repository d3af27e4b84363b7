import Synchronization

/// What a request handler gets besides its params: the request's identity, its cancellation
/// token, and progress reporting to the client that sent it.
public final class RequestContext: Sendable {
    /// The underlying request (id, method, raw params, connection).
    public let request: IncomingRequest
    private let progressInterval: Duration
    private let reporter = Mutex<ProgressReporter?>(nil)

    init(request: IncomingRequest, progressInterval: Duration) {
        self.request = request
        self.progressInterval = progressInterval
    }

    /// The request id.
    public var id: RequestID { request.id }
    /// The method name.
    public var method: String { request.method }
    /// Cancelled by `$/cancelRequest`, disconnect or shutdown.
    public var cancellation: CancellationToken { request.cancellation }
    /// True once the request was cancelled; long loops should stop and throw `checkCancellation()`.
    public var isCancelled: Bool { request.cancellation.isCancelled }

    /// Throws -32800 when cancelled.
    public func checkCancellation() throws(ResponseError) { try request.cancellation.checkCancellation() }

    /// Starts progress (sends `begin`) the first time, returns the same reporter afterwards.
    /// Does nothing visible when the client gave no `workDoneToken`.
    public func progress(title: String) -> ProgressReporter {
        reporter.withLock { reporter in
            if let existing = reporter { return existing }
            let created = ProgressReporter(token: request.workDoneToken, connection: request.connection,
                                           title: title, minimumInterval: progressInterval)
            reporter = created
            return created
        }
    }

    /// The reporter, if `progress(title:)` was called.
    var startedProgress: ProgressReporter? { reporter.withLock { $0 } }
}
