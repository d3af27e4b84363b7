/// A JSON-RPC error object: a numeric code, a message that tells the client what to do, and
/// optional structured details. Handlers throw it to answer a request with that error.
public struct ResponseError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The error code; -32768...-32000 is reserved by JSON-RPC, services use codes outside it.
    public var code: Int
    /// A sentence saying what went wrong and what to do about it.
    public var message: String
    /// Details for programs (offending field, limits, paths).
    public var data: JSONValue?

    /// Creates an error; services pick codes outside -32768...-32000.
    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    /// A readable account for logs and error messages.
    public var description: String { "error \(code): \(message)" }

    /// The error as JSON.
    public var jsonValue: JSONValue {
        var members: [String: JSONValue] = ["code": .int(code), "message": .string(message)]
        if let data { members["data"] = data }
        return .object(members)
    }

    /// Invalid JSON was received.
    public static let parseErrorCode = -32700
    /// The JSON is not a valid request object (or is a batch, which this library does not support).
    public static let invalidRequestCode = -32600
    /// No handler is registered for the method.
    public static let methodNotFoundCode = -32601
    /// The params do not match what the method expects.
    public static let invalidParamsCode = -32602
    /// The server failed while handling a valid request.
    public static let internalErrorCode = -32603
    /// A request arrived before `initialize` (LSP convention).
    public static let serverNotInitializedCode = -32002
    /// The request was cancelled by `$/cancelRequest`, a disconnect or server shutdown (LSP convention).
    public static let requestCancelledCode = -32800

    /// -32700: invalid JSON or an unreadable message header.
    public static func parseError(_ message: String, data: JSONValue? = nil) -> ResponseError {
        ResponseError(code: parseErrorCode, message: message, data: data)
    }
    /// -32600: not a valid request (batch, oversized, reused id, wrong lifecycle step).
    public static func invalidRequest(_ message: String, data: JSONValue? = nil) -> ResponseError {
        ResponseError(code: invalidRequestCode, message: message, data: data)
    }
    /// -32601 naming the unknown method.
    public static func methodNotFound(_ method: String) -> ResponseError {
        ResponseError(
            code: methodNotFoundCode,
            message: "method '\(method)' is not supported; see the 'methods' capability returned by initialize",
            data: ["method": .string(method)])
    }
    /// -32602: the params do not fit the method.
    public static func invalidParams(_ message: String, data: JSONValue? = nil) -> ResponseError {
        ResponseError(code: invalidParamsCode, message: message, data: data)
    }
    /// -32603: the server failed on a valid request.
    public static func internalError(_ message: String, data: JSONValue? = nil) -> ResponseError {
        ResponseError(code: internalErrorCode, message: message, data: data)
    }
    /// -32002: a request arrived before `initialize`.
    public static let serverNotInitialized = ResponseError(
        code: serverNotInitializedCode,
        message: "the server is not initialized; send 'initialize' first, then the 'initialized' notification")
    /// -32800 with the reason of the cancellation.
    public static func requestCancelled(_ reason: String = "the request was cancelled") -> ResponseError {
        ResponseError(code: requestCancelledCode, message: reason)
    }
}
