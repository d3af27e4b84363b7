/// A request a service understands: its method name, its params and its result, as Codable types,
/// so handlers and clients are typed while the wire stays generic.
public protocol RequestType: Sendable {
    associatedtype Params: Codable & Sendable
    associatedtype Response: Codable & Sendable
    /// The JSON-RPC method name.
    static var method: String { get }
}

/// A notification a service understands: its method name and params.
public protocol NotificationType: Sendable {
    associatedtype Params: Codable & Sendable
    /// The JSON-RPC method name.
    static var method: String { get }
}

/// Params or result of a method that carries nothing; encodes as `{}` and accepts any object.
public struct EmptyObject: Codable, Sendable, Hashable {
    /// Creates an empty instance.
    public init() {}
}

/// The result of a method that answers `null` (such as `shutdown`).
public struct NullResult: Codable, Sendable, Hashable {
    /// Creates an empty instance.
    public init() {}
    /// Accepts any value (normally null).
    public init(from decoder: any Decoder) throws {}
    /// Encodes as the JSON this value stands for.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encodeNil()
    }
}
