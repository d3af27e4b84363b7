import Foundation
import RPC

/// A JSON object of the protocol (params, results, progress reports, nested records), described
/// by its members. Decoding starts from `blank` and overwrites what the JSON gives, so a member
/// that is absent keeps its default, defined once (in Core's option types or in `blank`).
/// Unknown members (such as `workDoneToken`) are ignored.
public protocol WireObject: WireValue, Codable {
    /// The schema name of the object (`pruningOptions`), unique in the protocol.
    static var wireName: String { get }
    /// What the object is, in one sentence.
    static var wireDoc: String { get }
    /// Every member, in wire order.
    static var members: [WireMember<Self>] { get }
    /// The value decoding starts from: defaults in every defaulted member, placeholders (never
    /// read) in the required ones.
    static var blank: Self { get }
    /// Checks that concern several members at once (exactly one text input, say); called after
    /// decoding. The default accepts everything.
    func validateWire() throws(WireError)
}

extension WireObject {
    /// Accepts every combination of members.
    public func validateWire() throws(WireError) {}

    /// The object's shape, for the schema and the docs.
    public static var shape: WireShape {
        WireShape(name: wireName, doc: wireDoc, members: members.map(\.info))
    }

    /// An object with every member's name and shape.
    public static func wireType(_ constraints: WireConstraints) -> WireType { .object(shape) }

    /// The object as JSON: every member that has a value (optional ones are left out when nil).
    public var wireJSON: JSONValue { .object(wireMembers) }

    /// The members as a dictionary (capabilities and progress fields are sent that way).
    public var wireMembers: [String: JSONValue] {
        var members: [String: JSONValue] = [:]
        for member in Self.members {
            if let value = member.get(self) { members[member.name] = value }
        }
        return members
    }

    /// Reads the object at member path `path`: required members must be there, absent or null
    /// ones keep `blank`'s value, each value is checked against its member's shape and range.
    public static func read(_ json: JSONValue, at path: String, _ constraints: WireConstraints) throws(WireError) -> Self {
        guard case .object(let given) = json else {
            throw .wrongType(path.isEmpty ? "params" : path, expected: "an object", got: json)
        }
        var value = blank
        for member in members {
            guard let set = member.set else { continue }
            let memberPath = path.isEmpty ? member.name : "\(path).\(member.name)"
            switch given[member.name] {
            case nil:
                if member.info.presence == .required { throw .missing(memberPath) }
            case .null?:
                if member.info.presence == .required {
                    throw .wrongType(memberPath, expected: expectedWords(member.info.type), got: .null)
                }
            case let json?:
                try set(&value, json, memberPath)
            }
        }
        try value.validateWire()
        return value
    }

    /// Reads a top-level object (params, a result).
    public static func decode(wire json: JSONValue) throws(WireError) -> Self {
        try read(json, at: "", WireConstraints())
    }

    /// Reads through `Codable` (a client decoding a result): the same rules, errors as
    /// `DecodingError.dataCorrupted` with the member's sentence.
    public init(from decoder: any Decoder) throws {
        let json = try JSONValue(from: decoder)
        do {
            self = try Self.decode(wire: json)
        } catch {
            throw DecodingError.dataCorrupted(DecodingError.Context(codingPath: decoder.codingPath,
                                                                    debugDescription: error.message))
        }
    }

    /// Writes through `Codable`: the object's JSON.
    public func encode(to encoder: any Encoder) throws {
        try wireJSON.encode(to: encoder)
    }

    /// The member named `name`, or nil.
    public static func member(_ name: String) -> WireMember<Self>? {
        members.first { $0.name == name }
    }
}

/// "a string", "an integer", … for a shape, in errors.
func expectedWords(_ type: WireType) -> String {
    switch type {
    case .integer: "an integer"
    case .number, .float32: "a number"
    case .boolean: "true or false"
    case .string: "a string"
    case .choice(let values): "one of " + values.map { "\"\($0)\"" }.joined(separator: ", ")
    case .array: "an array"
    case .object: "an object"
    case .nullable(let inner): expectedWords(inner)
    }
}
