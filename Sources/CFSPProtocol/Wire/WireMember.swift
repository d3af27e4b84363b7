import Core
import RPC

/// One member of a wire object: its name, doc, shape and presence (`info`), and how to read it
/// from and write it into a `Root` value. A member is declared once, in `Root.members`; decoding,
/// encoding, the schema, protocol.md's tables and the CLI's help all come from that line.
public struct WireMember<Root>: Sendable {
    /// What the schema and the docs see.
    public let info: WireMemberInfo
    /// The member's JSON in `root`, or nil to leave it out.
    let get: @Sendable (Root) -> JSONValue?
    /// Stores the member's value read from JSON (nil for derived members, which are never read).
    let set: (@Sendable (inout Root, JSONValue, String) throws(WireError) -> Void)?

    init(info: WireMemberInfo, get: @escaping @Sendable (Root) -> JSONValue?,
         set: (@Sendable (inout Root, JSONValue, String) throws(WireError) -> Void)?) {
        self.info = info
        self.get = get
        self.set = set
    }

    /// The wire name.
    public var name: String { info.name }

    /// The member's JSON in `root` (nil when it is left out).
    public func value(in root: Root) -> JSONValue? { get(root) }

    /// This member of a nested value stored at `keyPath` of `Outer`, flattened into the outer
    /// object (the CFSP options travel as members of the params themselves).
    public func lifted<Outer>(_ keyPath: WritableKeyPath<Outer, Root> & Sendable) -> WireMember<Outer> {
        let get = self.get
        let outerGet: @Sendable (Outer) -> JSONValue? = { outer in get(outer[keyPath: keyPath]) }
        guard let set = self.set else { return WireMember<Outer>(info: info, get: outerGet, set: nil) }
        let outerSet: @Sendable (inout Outer, JSONValue, String) throws(WireError) -> Void = { outer, json, path throws(WireError) in
            try set(&outer[keyPath: keyPath], json, path)
        }
        return WireMember<Outer>(info: info, get: outerGet, set: outerSet)
    }
}

extension Array {
    /// Every member flattened into `Outer` at `keyPath` (see `WireMember.lifted`).
    public func lifted<Root, Outer>(_ keyPath: WritableKeyPath<Outer, Root> & Sendable) -> [WireMember<Outer>]
    where Element == WireMember<Root> {
        map { $0.lifted(keyPath) }
    }
}

extension WireMember where Root: WireObject {
    /// A member that must be given.
    public static func required<Value: WireValue>(
        _ name: String, _ keyPath: WritableKeyPath<Root, Value> & Sendable, _ doc: String,
        range: OptionRange = .unbounded, string: StringKind = .plain
    ) -> WireMember {
        stored(name, keyPath, doc, WireConstraints(range: range, string: string), presence: .required)
    }

    /// A member that keeps `Root.blank`'s value (its default) when absent or null.
    public static func defaulted<Value: WireValue>(
        _ name: String, _ keyPath: WritableKeyPath<Root, Value> & Sendable, _ doc: String,
        range: OptionRange = .unbounded, string: StringKind = .plain
    ) -> WireMember {
        stored(name, keyPath, doc, WireConstraints(range: range, string: string),
               presence: .defaulted(Root.blank[keyPath: keyPath].wireJSON))
    }

    /// An optional member that keeps `Root.blank`'s value when absent or null, and is left out
    /// when nil (a default of 1 that may be nil in the options, such as the clip norm).
    public static func defaulted<Value: WireValue>(
        _ name: String, _ keyPath: WritableKeyPath<Root, Value?> & Sendable, _ doc: String,
        range: OptionRange = .unbounded, string: StringKind = .plain
    ) -> WireMember {
        let constraints = WireConstraints(range: range, string: string)
        let presence: WirePresence = Root.blank[keyPath: keyPath].map { .defaulted($0.wireJSON) }
            ?? .optional(documentedDefault: nil, note: nil)
        return WireMember(
            info: WireMemberInfo(name: name, doc: doc, type: Value.wireType(constraints), presence: presence),
            get: { root in root[keyPath: keyPath]?.wireJSON },
            set: { (root: inout Root, json: JSONValue, path: String) throws(WireError) in
                root[keyPath: keyPath] = try Value.read(json, at: path, constraints)
            })
    }

    /// A member that may be absent or null (nil), left out when nil. `default` documents what
    /// the daemon uses instead when that is a value; `note` says it in words otherwise.
    public static func optional<Value: WireValue>(
        _ name: String, _ keyPath: WritableKeyPath<Root, Value?> & Sendable, _ doc: String,
        range: OptionRange = .unbounded, string: StringKind = .plain, default documented: Value? = nil,
        note: String? = nil
    ) -> WireMember {
        let constraints = WireConstraints(range: range, string: string)
        return WireMember(
            info: WireMemberInfo(name: name, doc: doc, type: Value.wireType(constraints),
                                 presence: .optional(documentedDefault: documented?.wireJSON, note: note)),
            get: { root in root[keyPath: keyPath]?.wireJSON },
            set: { (root: inout Root, json: JSONValue, path: String) throws(WireError) in
                root[keyPath: keyPath] = try Value.read(json, at: path, constraints)
            })
    }

    /// A member that is always sent, as null when nil (a pruned model's `parent`).
    public static func nullable<Value: WireValue>(
        _ name: String, _ keyPath: WritableKeyPath<Root, Value?> & Sendable, _ doc: String,
        string: StringKind = .plain
    ) -> WireMember {
        let constraints = WireConstraints(string: string)
        return WireMember(
            info: WireMemberInfo(name: name, doc: doc, type: .nullable(Value.wireType(constraints)),
                                 presence: .optional(documentedDefault: nil, note: nil)),
            get: { root in root[keyPath: keyPath]?.wireJSON ?? .null },
            set: { (root: inout Root, json: JSONValue, path: String) throws(WireError) in
                root[keyPath: keyPath] = try Value.read(json, at: path, constraints)
            })
    }

    /// A member computed from the others: sent, never read (reading recomputes it).
    public static func derived<Value: WireValue>(
        _ name: String, _ doc: String, _ compute: @escaping @Sendable (Root) -> Value
    ) -> WireMember {
        WireMember(
            info: WireMemberInfo(name: name, doc: doc, type: Value.wireType(WireConstraints()), presence: .derived),
            get: { root in compute(root).wireJSON }, set: nil)
    }

    /// A member this object refuses, saying why (`windows` is accepted by calibrate only).
    public static func refused(_ name: String, _ reason: String) -> WireMember {
        WireMember(
            // No value is accepted, hence no choice at all.
            info: WireMemberInfo(name: name, doc: reason, type: .choice([]), presence: .refused(reason)),
            get: { _ in nil },
            set: { (_: inout Root, _: JSONValue, path: String) throws(WireError) in
                throw WireError(member: path, message: "'\(path)' \(reason)")
            })
    }

    private static func stored<Value: WireValue>(
        _ name: String, _ keyPath: WritableKeyPath<Root, Value> & Sendable, _ doc: String,
        _ constraints: WireConstraints, presence: WirePresence
    ) -> WireMember {
        WireMember(
            info: WireMemberInfo(name: name, doc: doc, type: Value.wireType(constraints), presence: presence),
            get: { root in root[keyPath: keyPath].wireJSON },
            set: { (root: inout Root, json: JSONValue, path: String) throws(WireError) in
                root[keyPath: keyPath] = try Value.read(json, at: path, constraints)
            })
    }
}
