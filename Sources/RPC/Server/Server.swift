import Logging
import Synchronization

/// An error a service can throw from a handler to choose the JSON-RPC error sent to the client
/// (an application code outside -32768...-32000, a message, `data` with details).
public protocol ResponseErrorConvertible: Error {
    var responseError: ResponseError { get }
}

/// A JSON-RPC server: the LSP-style lifecycle (`initialize` first, `initialized`, `shutdown`,
/// `exit`), typed handler registration, cancellation and progress. Each connection has its own
/// lifecycle state, so many clients can share one server. Handlers run as tasks off the input
/// thread; results reach the transport through the connection's outgoing queue.
public final class Server: MessageHandler {
    /// A raw request handler: params in, result out, both as JSON.
    public typealias RawHandler = @Sendable (JSONValue?, RequestContext) async throws -> JSONValue

    private enum Lifecycle: Sendable {
        case uninitialized
        case initialized
        case shutDown
    }

    private struct State: Sendable {
        var requestHandlers: [String: RawHandler] = [:]
        var notificationHandlers: [String: @Sendable (JSONValue?, Connection) -> Void] = [:]
        var lifecycle: [Int: Lifecycle] = [:]
    }

    /// Name and version returned by `initialize`.
    public let info: ServerInfo
    private let capabilities: [String: JSONValue]
    private let progressInterval: Duration
    private let logger: Logger
    private let state = Mutex(State())

    /// - Parameters:
    ///   - info: name and version returned by `initialize`.
    ///   - capabilities: service-specific members added to the `capabilities` of `initialize`.
    ///   - progressInterval: minimum time between two progress reports of one request (~10/s).
    public init(info: ServerInfo, capabilities: [String: JSONValue] = [:],
                progressInterval: Duration = .milliseconds(100),
                logger: Logger = Logger(label: "rpc.server")) {
        self.info = info
        self.capabilities = capabilities
        self.progressInterval = progressInterval
        self.logger = logger
    }

    // MARK: Registration

    /// Registers the handler of a typed request. Params that do not decode are answered with -32602.
    public func register<R: RequestType>(
        _ type: R.Type,
        handler: @escaping @Sendable (R.Params, RequestContext) async throws -> R.Response
    ) {
        register(method: R.method) { params, context in
            let typed: R.Params
            do {
                typed = try (params ?? .object([:])).decode(R.Params.self)
            } catch {
                throw ResponseError.invalidParams(
                    "invalid params for '\(R.method)': \(describe(decodingError: error))")
            }
            return try JSONValue(encoding: try await handler(typed, context))
        }
    }

    /// Registers a handler working on raw JSON.
    public func register(method: String, handler: @escaping RawHandler) {
        state.withLock { $0.requestHandlers[method] = handler }
    }

    /// Registers the handler of a typed notification (runs on the input thread: keep it short).
    public func register<N: NotificationType>(
        _ type: N.Type, handler: @escaping @Sendable (N.Params, Connection) -> Void
    ) {
        let logger = self.logger
        state.withLock {
            $0.notificationHandlers[N.method] = { params, connection in
                do {
                    handler(try (params ?? .object([:])).decode(N.Params.self), connection)
                } catch {
                    logger.warning("invalid params for notification '\(N.method)': \(error)")
                }
            }
        }
    }

    /// Names of every request and notification the server answers, sorted.
    public var methods: [String] {
        let registered = state.withLock { Array($0.requestHandlers.keys) + Array($0.notificationHandlers.keys) }
        let lifecycle = [InitializeRequest.method, InitializedNotification.method, ShutdownRequest.method,
                         ExitNotification.method, CancelRequestNotification.method]
        return Array(Set(registered + lifecycle)).sorted()
    }

    // MARK: MessageHandler

    /// Applies the lifecycle rules, then runs the registered handler as a task.
    public func handle(_ request: IncomingRequest) {
        let connectionID = request.connection.identifier
        let (lifecycle, handler) = state.withLock {
            ($0.lifecycle[connectionID] ?? .uninitialized, $0.requestHandlers[request.method])
        }
        switch (request.method, lifecycle) {
        case (InitializeRequest.method, .uninitialized):
            state.withLock { $0.lifecycle[connectionID] = .initialized }
            request.reply(initializeResult(for: request.connection))
            return
        case (InitializeRequest.method, _):
            request.reply(.failure(.invalidRequest("the connection is already initialized; 'initialize' may be sent only once")))
            return
        case (_, .uninitialized):
            request.reply(.failure(.serverNotInitialized))
            return
        case (_, .shutDown):
            request.reply(.failure(.invalidRequest("the server is shutting down on this connection after 'shutdown'; send 'exit'")))
            return
        case (ShutdownRequest.method, .initialized):
            state.withLock { $0.lifecycle[connectionID] = .shutDown }
            request.reply(.success(.null))
            return
        case (_, .initialized):
            break
        }
        guard let handler else {
            request.reply(.failure(.methodNotFound(request.method)))
            return
        }
        run(handler, for: request)
    }

    /// `exit` closes the connection; other notifications go to their registered handler once initialized.
    public func handle(_ notification: NotificationMessage, from connection: Connection) {
        if notification.method == ExitNotification.method {
            connection.requestClose()
            return
        }
        let (lifecycle, handler) = state.withLock {
            ($0.lifecycle[connection.identifier] ?? .uninitialized, $0.notificationHandlers[notification.method])
        }
        guard lifecycle != .uninitialized else {
            logger.debug("\(connection): notification '\(notification.method)' before initialize dropped")
            return
        }
        if notification.method == InitializedNotification.method { return }
        guard let handler else {
            if !notification.method.hasPrefix("$/") {
                logger.debug("\(connection): unknown notification '\(notification.method)' ignored")
            }
            return
        }
        handler(notification.params, connection)
    }

    /// Forgets the lifecycle state of a closed connection.
    public func connectionClosed(_ connection: Connection) {
        _ = state.withLock { $0.lifecycle.removeValue(forKey: connection.identifier) }
    }

    // MARK: Internals

    private func initializeResult(for connection: Connection) -> Result<JSONValue, ResponseError> {
        var members = capabilities
        members["methods"] = .array(methods.map(JSONValue.string))
        members["framing"] = .string(connection.framing.rawValue)
        let result = InitializeResult(serverInfo: info, capabilities: members)
        do {
            return .success(try JSONValue(encoding: result))
        } catch {
            return .failure(.internalError("could not encode the initialize result: \(error)"))
        }
    }

    private func run(_ handler: @escaping RawHandler, for request: IncomingRequest) {
        let context = RequestContext(request: request, progressInterval: progressInterval)
        let logger = self.logger
        let task = Task {
            let started = ContinuousClock.now
            let result: Result<JSONValue, ResponseError>
            do {
                try request.cancellation.checkCancellation()
                result = .success(try await handler(request.params, context))
            } catch {
                result = .failure(Self.responseError(for: error, cancellation: request.cancellation))
            }
            if let progress = context.startedProgress, !progress.hasEnded {
                switch result {
                case .success:
                    progress.end(outcome: .completed)
                case .failure(let error) where error.code == ResponseError.requestCancelledCode:
                    progress.end(message: error.message, outcome: .cancelled)
                case .failure(let error):
                    progress.end(message: error.message, outcome: .failed)
                }
            }
            let milliseconds = (ContinuousClock.now - started) / .milliseconds(1)
            switch result {
            case .success:
                logger.info("\(request.connection): \(request.method) (id \(request.id)) completed in \(Self.format(milliseconds)) ms")
            case .failure(let error) where error.code == ResponseError.internalErrorCode:
                logger.error("\(request.connection): '\(request.method)' failed: \(error.message)")
            case .failure(let error) where error.code == ResponseError.requestCancelledCode:
                logger.info("\(request.connection): \(request.method) (id \(request.id)) cancelled after \(Self.format(milliseconds)) ms")
            case .failure(let error):
                logger.info("\(request.connection): \(request.method) (id \(request.id)) failed in \(Self.format(milliseconds)) ms: error \(error.code): \(error.message)")
            }
            request.reply(result)
        }
        request.cancellation.onCancel { task.cancel() }
    }

    /// Milliseconds rounded to a tenth (`1234.5`).
    private static func format(_ milliseconds: Double) -> String {
        "\((milliseconds * 10).rounded() / 10)"
    }

    private static func responseError(for error: any Error, cancellation: CancellationToken) -> ResponseError {
        if let error = error as? ResponseError {
            return error
        }
        if cancellation.isCancelled || error is CancellationError {
            return .requestCancelled(cancellation.isCancelled ? cancellation.reason : "the request was cancelled")
        }
        if let convertible = error as? any ResponseErrorConvertible {
            return convertible.responseError
        }
        return .internalError("internal error: \(error)")
    }
}

/// A one-line, human-readable account of a `DecodingError` (which member, what was wrong).
func describe(decodingError error: any Error) -> String {
    guard let error = error as? DecodingError else { return "\(error)" }
    func path(_ codingPath: [any CodingKey]) -> String {
        let joined = codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        return joined.isEmpty ? "params" : joined
    }
    switch error {
    case .keyNotFound(let key, let context):
        return "missing member '\(path(context.codingPath + [key]))'"
    case .typeMismatch(let type, let context):
        return "'\(path(context.codingPath))' must be of type \(type)"
    case .valueNotFound(let type, let context):
        return "'\(path(context.codingPath))' must be a \(type), not null"
    case .dataCorrupted(let context):
        return "'\(path(context.codingPath))': \(context.debugDescription)"
    @unknown default:
        return "\(error)"
    }
}
