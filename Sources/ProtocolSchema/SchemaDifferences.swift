import RPC

/// Where two schemas differ, member by member: what the check of protocol.schema.json against
/// the types reports, so a failure says which member changed its type, default, range,
/// required-ness or existence instead of "the files differ".
public enum SchemaDifferences {
    /// Every difference between `file` (the committed schema) and `types` (the one the types
    /// give), as `path: …` lines; empty when they agree. Array order counts (for `required`
    /// and `enum` lists it is the members' order).
    public static func between(file: JSONValue, types: JSONValue) -> [String] {
        var differences: [String] = []
        compare(file, types, path: "", into: &differences)
        return differences
    }

    private static func compare(_ file: JSONValue, _ types: JSONValue, path: String, into differences: inout [String]) {
        switch (file, types) {
        case (.object(let a), .object(let b)):
            for key in Set(a.keys).union(b.keys).sorted() {
                let child = path + "/" + key
                switch (a[key], b[key]) {
                case (let x?, let y?): compare(x, y, path: child, into: &differences)
                case (let x?, nil): differences.append("\(child): only in the file (\(text(x)))")
                case (nil, let y?): differences.append("\(child): only in the types (\(text(y)))")
                case (nil, nil): break
                }
            }
        case (.array(let a), .array(let b)) where a.count == b.count:
            for (index, (x, y)) in zip(a, b).enumerated() { compare(x, y, path: "\(path)[\(index)]", into: &differences) }
        default:
            if !same(file, types) {
                differences.append("\(path.isEmpty ? "/" : path): the file has \(text(file)), the types give \(text(types))")
            }
        }
    }

    /// Equal, counting 1 and 1.0 as the same number.
    private static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Double(x) == y
        default: return a == b
        }
    }

    private static func text(_ value: JSONValue) -> String {
        let rendered = String(decoding: value.serialized(), as: UTF8.self)
        return rendered.count > 120 ? String(rendered.prefix(117)) + "..." : rendered
    }
}
