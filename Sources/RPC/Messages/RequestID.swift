/// A JSON-RPC request id: the client picks an integer or a string, and the response echoes it.
public enum RequestID: Sendable, Hashable, Codable, CustomStringConvertible {
    case int(Int)
    case string(String)

    /// Decodes an integer or a string id; anything else is an invalid request.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    /// Encodes as the JSON this value stands for.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        }
    }

    /// The id as JSON.
    public var jsonValue: JSONValue {
        switch self {
        case .int(let value): return .int(value)
        case .string(let value): return .string(value)
        }
    }

    /// Reads an id from JSON; nil when the value is neither an integer nor a string.
    public init?(json: JSONValue) {
        switch json {
        case .int(let value): self = .int(value)
        case .string(let value): self = .string(value)
        case .double(let value):
            guard let exact = Int(exactly: value) else { return nil }
            self = .int(exact)
        default: return nil
        }
    }

    /// A readable account for logs and error messages.
    public var description: String {
        switch self {
        case .int(let value): return String(value)
        case .string(let value): return "\"\(value)\""
        }
    }
}

/// The token a client passes as `workDoneToken` to receive `$/progress` notifications for a request.
public typealias ProgressToken = RequestID
