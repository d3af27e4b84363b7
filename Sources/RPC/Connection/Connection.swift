import Logging
import Synchronization

/// One JSON-RPC peer, independent of the byte transport. Bytes read from the peer go in through
/// `receive(_:)`; bytes to write come out of `outgoing` (the transport is told through
/// `setOutputAvailableHandler`). The connection is bidirectional: it dispatches incoming requests
/// to its `MessageHandler` and matches incoming responses to the requests it sent.
public final class Connection: Sendable, CustomStringConvertible {
    private struct State: Sendable {
        var decoder: any FrameDecoder
        var handler: (any MessageHandler)?
        var incoming: [RequestID: CancellationToken] = [:]
        var outgoing: [RequestID: CheckedContinuation<JSONValue, any Error>] = [:]
        var nextRequestID = 1
        var closed = false
        var outputAvailable: (@Sendable () -> Void)?
        var closeRequested: (@Sendable () -> Void)?
        var notificationObserver: (@Sendable (NotificationMessage) -> Void)?
    }

    private static let nextIdentifier = Atomic<Int>(1)

    /// Unique number of this connection within the process, for logs.
    public let identifier: Int
    /// The framing of the stream this connection speaks.
    public let framing: Framing
    /// Framed bytes waiting for the transport.
    public let outgoing = OutgoingQueue()
    private let state: Mutex<State>
    private let logger: Logger

    /// A connection with no handler yet; call `start(handler:)` before feeding it bytes.
    public init(framing: Framing, maxMessageBytes: Int = Framing.defaultMaxMessageBytes,
                logger: Logger = Logger(label: "rpc.connection")) {
        self.identifier = Connection.nextIdentifier.wrappingAdd(1, ordering: .relaxed).oldValue
        self.framing = framing
        self.logger = logger
        self.state = Mutex(State(decoder: framing.makeDecoder(maxMessageBytes: maxMessageBytes)))
    }

    /// A readable account for logs and error messages.
    public var description: String { "connection #\(identifier)" }

    /// Sets who receives requests and notifications from the peer.
    public func start(handler: any MessageHandler) {
        state.withLock { $0.handler = handler }
    }

    /// Called (from any thread) whenever bytes were added to `outgoing`.
    public func setOutputAvailableHandler(_ callback: @escaping @Sendable () -> Void) {
        state.withLock { state in if !state.closed { state.outputAvailable = callback } }
    }

    /// Called when the handler asks for the connection to end (the `exit` notification): the
    /// transport should flush `outgoing` and then close.
    public func setCloseRequestedHandler(_ callback: @escaping @Sendable () -> Void) {
        state.withLock { state in if !state.closed { state.closeRequested = callback } }
    }

    /// Observes notifications from the peer (for clients: `$/progress`). Called on the input thread.
    public func setNotificationObserver(_ callback: @escaping @Sendable (NotificationMessage) -> Void) {
        state.withLock { state in if !state.closed { state.notificationObserver = callback } }
    }

    // MARK: Input

    /// Feeds bytes read from the peer: frames them, parses messages and dispatches each one.
    /// Returns false after a fatal framing error (the transport should close the connection).
    @discardableResult
    public func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var payloads: [Result<[UInt8], FramingError>] = []
        state.withLock { state in
            state.decoder.append(bytes)
            while let next = state.decoder.next() { payloads.append(next) }
        }
        var healthy = true
        for payload in payloads {
            switch payload {
            case .success(let bytes):
                dispatch(Message.decode(bytes))
            case .failure(let error):
                logger.warning("\(self): \(error)")
                send(.response(ResponseMessage(id: nil, result: .failure(error.responseError))))
                if error.isFatal { healthy = false }
            }
        }
        return healthy
    }

    /// Array convenience for `receive(_:)`.
    @discardableResult
    public func receive(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { receive($0) }
    }

    /// Number of bytes buffered while waiting for the rest of a message.
    public var bufferedInputByteCount: Int { state.withLock { $0.decoder.bufferedByteCount } }

    private func dispatch(_ decoded: Result<Message, InvalidMessage>) {
        switch decoded {
        case .failure(let invalid):
            logger.warning("\(self): \(invalid.error.message)")
            if !invalid.looksLikeResponse {
                send(.response(ResponseMessage(id: invalid.id, result: .failure(invalid.error))))
            }
        case .success(.request(let request)):
            let token = CancellationToken()
            let (handler, duplicate) = state.withLock { state -> ((any MessageHandler)?, Bool) in
                if state.closed { return (nil, false) }
                if state.incoming[request.id] != nil { return (state.handler, true) }
                state.incoming[request.id] = token
                return (state.handler, false)
            }
            if duplicate {
                send(.response(ResponseMessage(id: request.id, result: .failure(.invalidRequest(
                    "request id \(request.id) is already in use by a request in progress; use a new id")))))
                return
            }
            let incoming = IncomingRequest(message: request, connection: self, cancellation: token)
            if let handler {
                handler.handle(incoming)
            } else {
                incoming.reply(.failure(.methodNotFound(request.method)))
            }
        case .success(.notification(let notification)):
            if notification.method == CancelRequestNotification.method {
                handleCancel(notification.params)
                return
            }
            let (handler, observer) = state.withLock { ($0.handler, $0.notificationObserver) }
            observer?(notification)
            handler?.handle(notification, from: self)
        case .success(.response(let response)):
            guard let id = response.id else {
                logger.warning("\(self): the peer reported an error: \(response.result)")
                return
            }
            let continuation = state.withLock { $0.outgoing.removeValue(forKey: id) }
            guard let continuation else {
                logger.warning("\(self): response for unknown request id \(id) ignored")
                return
            }
            switch response.result {
            case .success(let value): continuation.resume(returning: value)
            case .failure(let error): continuation.resume(throwing: error)
            }
        }
    }

    private func handleCancel(_ params: JSONValue?) {
        guard let id = params?["id"].flatMap(RequestID.init(json:)) else {
            logger.warning("\(self): $/cancelRequest without a valid id ignored")
            return
        }
        let token = state.withLock { $0.incoming[id] }
        token?.cancel(reason: "request \(id) was cancelled by the client")
    }

    // MARK: Output

    /// Queues a message for the peer. Ignored once the connection is closed.
    public func send(_ message: Message) {
        let (closed, callback) = state.withLock { ($0.closed, $0.outputAvailable) }
        if closed { return }
        outgoing.enqueue(framing.frame(message.serialized()))
        callback?()
    }

    /// Queues a `$/progress` notification; a `report` coalesces with an unwritten one of the same
    /// token, unless `coalesce` is false (a stream of items the client must all receive).
    public func sendProgress(_ value: ProgressValue, token: ProgressToken, coalesce: Bool = true) {
        if state.withLock({ $0.closed }) { return }
        let frame = framing.frame(Message.notification(value.notification(token: token)).serialized())
        if case .report = value, coalesce {
            outgoing.enqueueReport(frame, token: token)
        } else {
            outgoing.enqueue(frame)
        }
        state.withLock { $0.outputAvailable }?()
    }

    /// Called by `IncomingRequest.reply`: forgets the request and sends its response.
    func finishIncoming(id: RequestID, result: Result<JSONValue, ResponseError>) {
        state.withLock { _ = $0.incoming.removeValue(forKey: id) }
        send(.response(ResponseMessage(id: id, result: result)))
    }

    /// Number of requests from the peer that have not been answered yet.
    public var pendingIncomingCount: Int { state.withLock { $0.incoming.count } }

    /// Asks the transport to flush and close (used by the `exit` notification).
    public func requestClose() {
        state.withLock { $0.closeRequested }?()
    }

    // MARK: Client side

    /// Sends a request and waits for its response, as raw JSON. Cancelling the calling task sends
    /// `$/cancelRequest` for it; the peer's answer (normally -32800) still ends the wait.
    public func sendRequest(method: String, params: JSONValue?) async throws -> JSONValue {
        let id: RequestID = state.withLock { state in
            let id = RequestID.int(state.nextRequestID)
            state.nextRequestID += 1
            return id
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let registered = state.withLock { state in
                    if state.closed { return false }
                    state.outgoing[id] = continuation
                    return true
                }
                guard registered else {
                    continuation.resume(throwing: ConnectionClosedError())
                    return
                }
                send(.request(RequestMessage(id: id, method: method, params: params)))
            }
        } onCancel: {
            send(.notification(NotificationMessage(method: CancelRequestNotification.method,
                                                   params: ["id": id.jsonValue])))
        }
    }

    /// Sends a typed request and decodes its typed response.
    public func send<R: RequestType>(_ type: R.Type, _ params: R.Params) async throws -> R.Response {
        let result = try await sendRequest(method: R.method, params: try JSONValue(encoding: params))
        return try result.decode(R.Response.self)
    }

    /// Sends a typed notification.
    public func notify<N: NotificationType>(_ type: N.Type, _ params: N.Params) throws {
        send(.notification(NotificationMessage(method: N.method, params: try JSONValue(encoding: params))))
    }

    // MARK: Teardown

    /// Cancels every request from the peer still in progress (server shutdown, disconnect).
    public func cancelIncoming(reason: String) {
        let tokens = state.withLock { Array($0.incoming.values) }
        for token in tokens { token.cancel(reason: reason) }
    }

    /// Marks the connection closed: cancels the peer's requests, fails our pending requests,
    /// drops further output (and what was still queued), forgets the transport's callbacks, and
    /// tells the handler. Idempotent.
    ///
    /// The callbacks usually capture the transport, which holds this connection: dropping them
    /// here breaks that cycle, so nothing of a connection outlives it.
    public func close() {
        let (wasOpen, pending, handler, callbacks) = state.withLock { state in
            let wasOpen = !state.closed
            state.closed = true
            let pending = Array(state.outgoing.values)
            state.outgoing = [:]
            // Released outside the lock: a callback's captures may run deinits.
            let callbacks = (state.outputAvailable, state.closeRequested, state.notificationObserver)
            state.outputAvailable = nil
            state.closeRequested = nil
            state.notificationObserver = nil
            return (wasOpen, pending, state.handler, callbacks)
        }
        _ = callbacks
        outgoing.removeAll()
        guard wasOpen else { return }
        cancelIncoming(reason: "the client disconnected")
        for continuation in pending { continuation.resume(throwing: ConnectionClosedError()) }
        handler?.connectionClosed(self)
    }

    /// True once `close()` ran.
    public var isClosed: Bool { state.withLock { $0.closed } }
}

/// A request could not complete because its connection closed.
public struct ConnectionClosedError: Error, Sendable, CustomStringConvertible {
    /// Creates an empty instance.
    public init() {}
    /// A readable account for logs and error messages.
    public var description: String { "the connection closed before the response arrived; reconnect and retry" }
}
