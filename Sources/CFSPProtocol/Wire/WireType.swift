import Core
import RPC

/// The JSON shape of a member's value, as decoding checks it and the schema describes it.
public indirect enum WireType: Sendable, Equatable {
    /// A JSON integer within `range` (and within 64 bits).
    case integer(OptionRange)
    /// A JSON number within `range` (and within 64-bit float range).
    case number(OptionRange)
    /// A JSON number within `range` that must fit a 32-bit float.
    case float32(OptionRange)
    /// true or false.
    case boolean
    /// A string of the given kind.
    case string(StringKind)
    /// One of these strings.
    case choice([String])
    /// An array of values of one shape.
    case array(WireType)
    /// An object with named members.
    case object(WireShape)
    /// The shape, or null.
    case nullable(WireType)
}

/// What a string member holds, when more than any text.
public enum StringKind: Sendable, Equatable {
    /// Any text.
    case plain
    /// A file or folder name: a NUL is refused, since the C file APIs would cut the name there.
    case path
    /// A handle the daemon hands out, matching this regular expression (`^m[0-9]+$`).
    case pattern(String)
}

/// An object type: its name (for the schema's `$defs` and errors), its doc and its members.
public struct WireShape: Sendable, Equatable {
    /// The schema name (`pruningOptions`, `modelInfo`): camelCase, unique.
    public var name: String
    /// What the object is.
    public var doc: String
    /// Every member, in wire order.
    public var members: [WireMemberInfo]

    /// Creates a shape.
    public init(name: String, doc: String, members: [WireMemberInfo]) {
        self.name = name
        self.doc = doc
        self.members = members
    }

    /// Shapes are the same when their names are (each name is defined once).
    public static func == (a: WireShape, b: WireShape) -> Bool { a.name == b.name }
}

/// One member as the schema and the docs see it: no access to values.
public struct WireMemberInfo: Sendable, Equatable {
    /// The wire name (camelCase).
    public var name: String
    /// What the member means (one sentence, for the schema, protocol.md and `--help`).
    public var doc: String
    /// The value's shape.
    public var type: WireType
    /// Whether it must be given, and what it is when absent.
    public var presence: WirePresence

    /// Creates the description of a member.
    public init(name: String, doc: String, type: WireType, presence: WirePresence) {
        self.name = name
        self.doc = doc
        self.type = type
        self.presence = presence
    }
}

/// Whether a member must be given and what it stands for when absent (absent and null are the
/// same for every member that is not required).
public enum WirePresence: Sendable, Equatable {
    /// Must be given.
    case required
    /// Takes this value when absent or null.
    case defaulted(JSONValue)
    /// May be absent or null; `documentedDefault` is what that means when it is a value
    /// (the daemon decides, such as the evaluation window cut to the model's context), `note`
    /// says it in words otherwise.
    case optional(documentedDefault: JSONValue?, note: String?)
    /// Computed from other members: always sent, never read.
    case derived
    /// Not accepted here, for this reason (`windows` outside `calibrate`); left out of the schema.
    case refused(String)

    /// Whether a sender always writes the member (results list these as required).
    public var alwaysSent: Bool {
        switch self {
        case .optional, .refused: false
        case .required, .defaulted, .derived: true
        }
    }
}
