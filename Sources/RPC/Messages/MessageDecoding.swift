/// Why a framed payload is not a usable JSON-RPC message, and how to answer it.
public struct InvalidMessage: Error, Sendable, Hashable, CustomStringConvertible {
    /// The error to send back (parse error or invalid request).
    public var error: ResponseError
    /// The id of the offending request when it could be read, so the answer can carry it.
    public var id: RequestID?
    /// True when the payload looks like a response: it must not be answered (answers to answers loop).
    public var looksLikeResponse: Bool

    /// A readable account for logs and error messages.
    public var description: String { error.description }
}

extension Message {
    /// Parses one framed payload into a message. Batches (JSON arrays) are rejected with one
    /// -32600 error, since this library does not support them.
    public static func decode(_ payload: [UInt8]) -> Result<Message, InvalidMessage> {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: payload)
        } catch {
            return .failure(InvalidMessage(
                error: .parseError("the message is not valid JSON (\(error)); send one UTF-8 JSON object per message",
                                   data: ["offset": .int(error.offset), "reason": .string(error.reason)]),
                id: nil, looksLikeResponse: false))
        }
        return decode(json)
    }

    /// Interprets a parsed JSON value as a message.
    public static func decode(_ json: JSONValue) -> Result<Message, InvalidMessage> {
        guard case .object(let members) = json else {
            if case .array = json {
                return invalid("batches are not supported; send each request as its own message", id: nil)
            }
            return invalid("a JSON-RPC message must be a JSON object", id: nil)
        }
        let rawID = members["id"]
        let id = rawID.flatMap(RequestID.init(json:))
        // Only a message with "result" or "error" (and no "method") is a response, left unanswered;
        // anything else that is not a valid request (`{}`, `{"jsonrpc":"2.0","id":1}`) is answered
        // -32600 as JSON-RPC 2.0 asks, with its id when one can be read.
        let isResponseShaped = members["method"] == nil && (members["result"] != nil || members["error"] != nil)
        guard members["jsonrpc"] == "2.0" else {
            return invalid("the member \"jsonrpc\" must be the string \"2.0\"", id: id,
                           response: isResponseShaped)
        }
        if let method = members["method"] {
            guard case .string(let name) = method else {
                return invalid("the member \"method\" must be a string", id: id)
            }
            let params = members["params"]
            switch params {
            case nil, .object?, .array?: break
            default: return invalid("\"params\" must be an object or an array when present", id: id)
            }
            guard let rawID else {
                return .success(.notification(NotificationMessage(method: name, params: params)))
            }
            guard let id else {
                return invalid("the request id must be an integer or a string", id: nil)
            }
            _ = rawID
            return .success(.request(RequestMessage(id: id, method: name, params: params)))
        }
        guard isResponseShaped else {
            return invalid("the message has neither \"method\" nor \"result\"/\"error\"; a request needs "
                           + "\"method\" (a string)", id: id)
        }
        // No method: a response.
        if rawID != nil, rawID != .null, id == nil {
            return invalid("the response id must be an integer, a string or null", id: nil, response: true)
        }
        if let error = members["error"] {
            guard let code = error["code"]?.intValue, let message = error["message"]?.stringValue else {
                return invalid("a response error needs an integer \"code\" and a string \"message\"",
                               id: id, response: true)
            }
            let failure = ResponseError(code: code, message: message, data: error["data"])
            return .success(.response(ResponseMessage(id: id, result: .failure(failure))))
        }
        if let result = members["result"] {
            guard id != nil else {
                return invalid("a successful response needs the id of its request", id: nil, response: true)
            }
            return .success(.response(ResponseMessage(id: id, result: .success(result))))
        }
        return invalid("a response needs \"result\" or \"error\"", id: id, response: true)
    }

    private static func invalid(_ message: String, id: RequestID?, response: Bool = false)
        -> Result<Message, InvalidMessage>
    {
        .failure(InvalidMessage(error: .invalidRequest(message), id: id, looksLikeResponse: response))
    }
}
