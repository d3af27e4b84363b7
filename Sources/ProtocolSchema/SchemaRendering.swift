import CFSPProtocol
import Core
import RPC

/// Turns wire shapes into JSON Schema. Params are drawn inline with their defaults and with
/// `required` listing what must be given; result objects go to `$defs` under their names, with
/// `required` listing what is always sent. Every object is closed (`additionalProperties: false`).
struct SchemaRenderer {
    /// Where a shape is drawn.
    enum Context {
        /// A request's params: defaults shown, absent members allowed.
        case params
        /// A result or report: every member that is always sent is required.
        case result
    }

    /// Result shapes met so far, by name, in the order met (the `$defs` to write).
    private(set) var definitions: [(name: String, schema: SchemaJSON)] = []
    private var pending: Set<String> = []

    /// The schema of a member value of shape `type`.
    mutating func render(_ type: WireType, _ context: Context) -> [(String, SchemaJSON)] {
        switch type {
        case .integer(let range): return [("type", "integer")] + Self.keywords(range)
        case .number(let range): return [("type", "number")] + Self.keywords(range)
        case .float32(let range):
            var keywords = Self.keywords(range)
            let limit = SchemaJSON.double(Double(Float.greatestFiniteMagnitude))
            if range.lower == nil { keywords.append(("minimum", .double(-Double(Float.greatestFiniteMagnitude)))) }
            if range.upper == nil { keywords.append(("maximum", limit)) }
            return [("type", "number")] + keywords
        case .boolean: return [("type", "boolean")]
        case .string(.plain), .string(.path): return [("type", "string")]
        case .string(.pattern(let pattern)): return [("type", "string"), ("pattern", .string(pattern))]
        case .choice(let values): return [("enum", .array(values.map(SchemaJSON.string)))]
        case .array(let element): return [("type", "array"), ("items", .object(render(element, context)))]
        case .nullable(let inner):
            return [("oneOf", .array([.object(render(inner, context)), .object([("type", "null")])]))]
        case .object(let shape):
            switch context {
            case .params: return object(shape, .params)
            case .result:
                define(shape)
                return [("$ref", .string("#/$defs/\(shape.name)"))]
            }
        }
    }

    /// The schema of an object shape drawn in `context`; `extra` members (such as
    /// `workDoneToken`) are appended to its properties.
    mutating func object(_ shape: WireShape, _ context: Context, extra: [(String, SchemaJSON)] = [])
        -> [(String, SchemaJSON)]
    {
        var properties: [(String, SchemaJSON)] = []
        var required: [SchemaJSON] = []
        for member in shape.members {
            if case .refused = member.presence { continue }
            var schema = render(member.type, context)
            var doc = member.doc
            if context == .params {
                switch member.presence {
                case .defaulted(let value): schema.append(("default", SchemaJSON(value)))
                case .optional(let documented, let note):
                    if let documented { schema.append(("default", SchemaJSON(documented))) }
                    if let note { doc += documented == nil ? " (default: \(note))" : " (\(note))" }
                case .required: required.append(.string(member.name))
                case .derived, .refused: break
                }
            } else if member.presence.alwaysSent || Self.isNullable(member.type) {
                required.append(.string(member.name))
            }
            // A nested object's own description gives way to the member's.
            schema.removeAll { $0.0 == "description" }
            schema.insert(("description", .string(doc)), at: 0)
            properties.append((member.name, .object(schema)))
        }
        return [("type", "object"), ("description", .string(shape.doc)), ("properties", .object(properties + extra)),
                ("required", .array(required)), ("additionalProperties", false)]
    }

    /// Registers `shape` under `$defs/<name>` (drawn as a result) unless it already is.
    mutating func define(_ shape: WireShape) {
        guard !pending.contains(shape.name) else { return }
        pending.insert(shape.name)
        let index = definitions.count
        definitions.append((shape.name, .null))
        definitions[index].schema = .object(object(shape, .result))
    }

    private static func isNullable(_ type: WireType) -> Bool {
        if case .nullable = type { return true }
        return false
    }

    /// A range as schema keywords, lower bound first.
    static func keywords(_ range: OptionRange) -> [(String, SchemaJSON)] {
        var keywords: [(String, SchemaJSON)] = []
        switch range.lower {
        case .inclusive(let value)?: keywords.append(("minimum", number(value)))
        case .exclusive(let value)?: keywords.append(("exclusiveMinimum", number(value)))
        case nil: break
        }
        switch range.upper {
        case .inclusive(let value)?: keywords.append(("maximum", number(value)))
        case .exclusive(let value)?: keywords.append(("exclusiveMaximum", number(value)))
        case nil: break
        }
        return keywords
    }

    private static func number(_ value: Double) -> SchemaJSON {
        if let exact = Int(exactly: value) { return .int(exact) }
        return .double(value)
    }
}
