/// Name and version of the server, returned by `initialize`.
public struct ServerInfo: Codable, Sendable, Hashable {
    public var name: String
    public var version: String

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

    public struct ClientInfo: Codable, Sendable, Hashable {
        public var name: String
        public var version: String?
        public init(name: String, version: String? = nil) {
            self.name = name
            self.version = version
        }
    }

    public init(clientInfo: ClientInfo? = nil, processId: Int? = nil) {
        self.clientInfo = clientInfo
        self.processId = processId
    }
}

/// Result of `initialize`: who the server is and what it can do.
public struct InitializeResult: Codable, Sendable, Hashable {
    public var serverInfo: ServerInfo
    /// Always has `methods` (names of supported requests and notifications) and `framing` (the
    /// framings the server accepts); a service adds its own members (formats, metrics...).
    public var capabilities: [String: JSONValue]

    public init(serverInfo: ServerInfo, capabilities: [String: JSONValue]) {
        self.serverInfo = serverInfo
        self.capabilities = capabilities
    }
}

/// `initialize`: must be the first request on every connection.
public enum InitializeRequest: RequestType {
    public typealias Params = InitializeParams
    public typealias Response = InitializeResult
    public static let method = "initialize"
}

/// `initialized`: the client acknowledges the `initialize` result.
public enum InitializedNotification: NotificationType {
    public typealias Params = EmptyObject
    public static let method = "initialized"
}

/// `shutdown`: the server stops accepting requests on this connection and answers `null`.
public enum ShutdownRequest: RequestType {
    public typealias Params = EmptyObject
    public typealias Response = NullResult
    public static let method = "shutdown"
}

/// `exit`: the connection (and, over stdio, the server) ends.
public enum ExitNotification: NotificationType {
    public typealias Params = EmptyObject
    public static let method = "exit"
}

/// Params of `$/cancelRequest`.
public struct CancelParams: Codable, Sendable, Hashable {
    public var id: RequestID
    public init(id: RequestID) { self.id = id }
}

/// `$/cancelRequest`: asks the server to cancel a request; the request then answers -32800.
public enum CancelRequestNotification: NotificationType {
    public typealias Params = CancelParams
    public static let method = "$/cancelRequest"
}
