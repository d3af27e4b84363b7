/// A JSON-RPC request: it has an id and expects exactly one response with the same id.
public struct RequestMessage: Sendable, Hashable {
    /// The id of the request (to answer, or to cancel).
    public var id: RequestID
    /// The JSON-RPC method name.
    public var method: String
    /// The params, if any (an object or an array).
    public var params: JSONValue?

    /// Creates a request.
    public init(id: RequestID, method: String, params: JSONValue? = nil) {
        self.id = id
        self.method = method
        self.params = params
    }
}

/// A JSON-RPC notification: no id, never answered.
public struct NotificationMessage: Sendable, Hashable {
    /// The JSON-RPC method name.
    public var method: String
    /// The params, if any (an object or an array).
    public var params: JSONValue?

    /// Creates a notification.
    public init(method: String, params: JSONValue? = nil) {
        self.method = method
        self.params = params
    }
}

/// A JSON-RPC response: the id of the request it answers (null only when that id was unreadable)
/// and either a result or an error.
public struct ResponseMessage: Sendable, Hashable {
    /// The id of the answered request; nil (JSON null) when it could not be read.
    public var id: RequestID?
    /// The result, or the error.
    public var result: Result<JSONValue, ResponseError>

    /// Creates a response.
    public init(id: RequestID?, result: Result<JSONValue, ResponseError>) {
        self.id = id
        self.result = result
    }
}

/// Any single JSON-RPC 2.0 message.
public enum Message: Sendable, Hashable {
    case request(RequestMessage)
    case notification(NotificationMessage)
    case response(ResponseMessage)

    /// The message as its JSON object, with `"jsonrpc": "2.0"`.
    public var jsonValue: JSONValue {
        var members: [String: JSONValue] = ["jsonrpc": "2.0"]
        switch self {
        case .request(let request):
            members["id"] = request.id.jsonValue
            members["method"] = .string(request.method)
            if let params = request.params { members["params"] = params }
        case .notification(let notification):
            members["method"] = .string(notification.method)
            if let params = notification.params { members["params"] = params }
        case .response(let response):
            members["id"] = response.id?.jsonValue ?? .null
            switch response.result {
            case .success(let value): members["result"] = value
            case .failure(let error): members["error"] = error.jsonValue
            }
        }
        return .object(members)
    }

    /// The message as compact UTF-8 JSON (without framing).
    public func serialized() -> [UInt8] { jsonValue.serialized() }
}
