import Foundation

/// Any JSON value, used for request parameters and results so the wire layer never needs to know
/// the shapes a service defines; handlers convert to and from their own `Codable` types.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue: Codable {
    /// Decodes any JSON value; integers that fit in `Int` stay integers, other numbers become `Double`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Encodes the value as the JSON it represents.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSONValue {
    /// Converts any `Encodable` value (a typed result, typed params) into a `JSONValue`.
    public init<T: Encodable>(encoding value: T) throws {
        if let json = value as? JSONValue {
            self = json
            return
        }
        let data = try JSONEncoder().encode(value)
        self = try data.withUnsafeBytes { raw in try JSONText.parse(raw) }
    }

    /// Converts this value into a typed `Decodable` value (typed params, typed results).
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if let json = self as? T { return json }
        return try JSONDecoder().decode(type, from: Data(serialized()))
    }

    /// Parses UTF-8 JSON text (RFC 8259; nesting limited to 512 levels).
    public init(parsing bytes: [UInt8]) throws(JSONSyntaxError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(JSONSyntaxError) -> JSONValue in try JSONText.parse(raw) }
        }
        self = try result.get()
    }

    /// Parses UTF-8 JSON text from raw memory.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(JSONSyntaxError) {
        self = try JSONText.parse(bytes)
    }

    /// Compact UTF-8 JSON text with sorted keys; never contains a raw newline, so it suits NDJSON.
    /// Non-finite doubles, which JSON cannot carry, are written as null.
    public func serialized() -> [UInt8] {
        var output: [UInt8] = []
        JSONText.write(self, into: &output)
        return output
    }

    /// The member named `key` when this is an object, else nil.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The string payload, if this is a string.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The number, if this is one (an integer too).
    public var doubleValue: Double? {
        switch self {
        case .double(let value): return value
        case .int(let value): return Double(value)
        default: return nil
        }
    }

    /// The members, if this is an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The integer payload, if this is an integer (or a double with an exact integer value).
    public var intValue: Int? {
        switch self {
        case .int(let value): return value
        case .double(let value): return Int(exactly: value)
        default: return nil
        }
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    /// `nil` literal: JSON null (handy in tests and handlers).
    public init(nilLiteral: ()) { self = .null }
    /// Boolean literal.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// Integer literal.
    public init(integerLiteral value: Int) { self = .int(value) }
    /// Floating-point literal.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// String literal.
    public init(stringLiteral value: String) { self = .string(value) }
    /// Array literal.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// Dictionary literal: a JSON object (a repeated key keeps its last value).
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
