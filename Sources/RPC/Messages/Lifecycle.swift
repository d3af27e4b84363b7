/// Name and version of the server, returned by `initialize`.
public struct ServerInfo: Codable, Sendable, Hashable {
    /// Program name.
    public var name: String
    /// Program version.
    public var version: String

    /// Creates the info record.
    public init(name: String, version: String) {
        self.name = name
        self.version = version
    }
}

/// Params of `initialize`. Everything is optional; unknown members are ignored.
public struct InitializeParams: Codable, Sendable, Hashable {
    /// The client's name and version, for logs.
    public var clientInfo: ClientInfo?
    /// Process id of the client, for logs.
    public var processId: Int?

    /// Name and version of the client, for logs.
    public struct ClientInfo: Codable, Sendable, Hashable {
        /// Program name.
        public var name: String
        /// Program version.
        public var version: String?
        /// Creates the info record.
        public init(name: String, version: String? = nil) {
            self.name = name
            self.version = version
        }
    }

    /// Creates the params; both members are optional.
    public init(clientInfo: ClientInfo? = nil, processId: Int? = nil) {
        self.clientInfo = clientInfo
        self.processId = processId
    }
}

/// Result of `initialize`: who the server is and what it can do.
public struct InitializeResult: Codable, Sendable, Hashable {
    /// Who answers.
    public var serverInfo: ServerInfo
    /// Always has `methods` (names of supported requests and notifications, sorted) and `framing`
    /// (the framing of this connection); a service adds its own members (formats, metrics...).
    public var capabilities: [String: JSONValue]

    /// Creates the result.
    public init(serverInfo: ServerInfo, capabilities: [String: JSONValue]) {
        self.serverInfo = serverInfo
        self.capabilities = capabilities
    }
}

/// `initialize`: must be the first request on every connection.
public enum InitializeRequest: RequestType {
    /// The params type.
    public typealias Params = InitializeParams
    /// The result type.
    public typealias Response = InitializeResult
    /// The JSON-RPC method name.
    public static let method = "initialize"
}

/// `initialized`: the client acknowledges the `initialize` result.
public enum InitializedNotification: NotificationType {
    /// The params type.
    public typealias Params = EmptyObject
    /// The JSON-RPC method name.
    public static let method = "initialized"
}

/// `shutdown`: the server stops accepting requests on this connection and answers `null`.
public enum ShutdownRequest: RequestType {
    /// The params type.
    public typealias Params = EmptyObject
    /// The result type.
    public typealias Response = NullResult
    /// The JSON-RPC method name.
    public static let method = "shutdown"
}

/// `exit`: the connection (and, over stdio, the server) ends.
public enum ExitNotification: NotificationType {
    /// The params type.
    public typealias Params = EmptyObject
    /// The JSON-RPC method name.
    public static let method = "exit"
}

/// Params of `$/cancelRequest`.
public struct CancelParams: Codable, Sendable, Hashable {
    /// The id of the request (to answer, or to cancel).
    public var id: RequestID
    /// Names the request to cancel.
    public init(id: RequestID) { self.id = id }
}

/// `$/cancelRequest`: asks the server to cancel a request; the request then answers -32800.
public enum CancelRequestNotification: NotificationType {
    /// The params type.
    public typealias Params = CancelParams
    /// The JSON-RPC method name.
    public static let method = "$/cancelRequest"
}
