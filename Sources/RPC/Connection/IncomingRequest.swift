import Synchronization

/// A request received from the peer, with its cancellation token and a one-shot reply.
public final class IncomingRequest: Sendable {
    /// The id the client chose; the response carries it back.
    public let id: RequestID
    /// The JSON-RPC method name.
    public let method: String
    /// The raw params, if any (an object or an array).
    public let params: JSONValue?
    /// The connection the request came from (to send progress or notifications to the same peer).
    public let connection: Connection
    /// Cancelled by `$/cancelRequest` for this id, by a disconnect, or by server shutdown.
    public let cancellation: CancellationToken
    private let replied = Atomic<Bool>(false)

    init(message: RequestMessage, connection: Connection, cancellation: CancellationToken) {
        self.id = message.id
        self.method = message.method
        self.params = message.params
        self.connection = connection
        self.cancellation = cancellation
    }

    /// The client's `workDoneToken` from the params, when it asked for progress.
    public var workDoneToken: ProgressToken? {
        params?["workDoneToken"].flatMap(ProgressToken.init(json:))
    }

    /// Sends the response. Only the first call has an effect; returns whether it was the first.
    @discardableResult
    public func reply(_ result: Result<JSONValue, ResponseError>) -> Bool {
        guard !replied.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        connection.finishIncoming(id: id, result: result)
        return true
    }

    /// True once a reply was sent.
    public var hasReplied: Bool { replied.load(ordering: .acquiring) }
}
