import CFSPProtocol
import Foundation
import RPC
import Testing

/// Parses JSON text written in a test.
func json(_ text: String) throws -> JSONValue {
    try JSONValue(parsing: Array(text.utf8))
}

/// `value` with every integral double as an integer: JSON has one number type, so `2` and `2.0`
/// are the same golden value.
func normalized(_ value: JSONValue) -> JSONValue {
    switch value {
    case .double(let number): Int(exactly: number).map(JSONValue.int) ?? value
    case .array(let items): .array(items.map(normalized))
    case .object(let members): .object(members.mapValues(normalized))
    default: value
    }
}

/// Checks that `text` decodes to `expected` and that `expected` encodes back to exactly `text`'s
/// JSON, both through the members (as the daemon does) and through `Codable` (as clients do).
func expectRoundTrip<T: WireObject & Equatable>(
    _ expected: T, _ text: String, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let golden = normalized(try json(text))
    let decoded = try T.decode(wire: golden)
    #expect(decoded == expected, sourceLocation: sourceLocation)
    #expect(normalized(expected.wireJSON) == golden, "encodes as \(String(decoding: expected.wireJSON.serialized(), as: UTF8.self))",
            sourceLocation: sourceLocation)
    let viaCodable = try JSONDecoder().decode(T.self, from: Data(text.utf8))
    #expect(viaCodable == expected, sourceLocation: sourceLocation)
    let encoded = try JSONValue(parsing: [UInt8](try JSONEncoder().encode(expected)))
    #expect(normalized(encoded) == golden, sourceLocation: sourceLocation)
}

/// The error decoding `text` as `T` fails with.
func decodingError<T: WireObject>(_ type: T.Type, _ text: String) throws -> WireError? {
    do {
        _ = try T.decode(wire: try json(text))
        return nil
    } catch let error as WireError {
        return error
    }
}
