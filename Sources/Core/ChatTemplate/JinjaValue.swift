import Foundation

/// A value while a template renders: what Jinja's Python objects become in cfsp's subset.
/// Dictionaries keep their keys' order (Python's dicts do, and `tojson`/`items` show it).
indirect enum JinjaValue {
    /// A name or member that does not exist: prints as nothing, is false, fails in arithmetic.
    case undefined
    case none
    case boolean(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case list([JinjaValue])
    case dictionary([(key: String, value: JinjaValue)])
    /// A `namespace(...)`, whose members `set ns.x = ...` changes (shared by reference).
    case namespace(JinjaNamespace)
    /// A built-in function (`raise_exception`, `namespace`, `range`) or a bound method.
    case function(String, JinjaFunction)

    /// Jinja's truth: empty, zero, none and undefined are false.
    var isTrue: Bool {
        switch self {
        case .undefined, .none: return false
        case .boolean(let b): return b
        case .integer(let i): return i != 0
        case .number(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .list(let l): return !l.isEmpty
        case .dictionary(let d): return !d.isEmpty
        case .namespace, .function: return true
        }
    }

    /// The member `key` of a dictionary or namespace (undefined when absent).
    func member(_ key: String) -> JinjaValue {
        switch self {
        case .dictionary(let pairs): return pairs.first { $0.key == key }?.value ?? .undefined
        case .namespace(let ns): return ns.values[key] ?? .undefined
        default: return .undefined
        }
    }

    /// The text `{{ value }}` prints (Python's `str`).
    var printed: String {
        switch self {
        case .undefined: return ""
        case .string(let s): return s
        default: return representation
        }
    }

    /// Python's `repr` (how a value inside a list prints).
    var representation: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case .boolean(let b): return b ? "True" : "False"
        case .integer(let i): return String(i)
        case .number(let d): return Self.pythonFloat(d)
        case .string(let s): return "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
        case .list(let items): return "[" + items.map(\.representation).joined(separator: ", ") + "]"
        case .dictionary(let pairs):
            return "{" + pairs.map { "'\($0.key)': \($0.value.representation)" }.joined(separator: ", ") + "}"
        case .namespace: return "<Namespace>"
        case .function(let name, _): return "<function \(name)>"
        }
    }

    /// Python's `str(float)`: `1.0`, `0.5`, `1e-07`.
    static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        if d == d.rounded(), abs(d) < 1e16 { return String(format: "%.1f", d) }
        return "\(d)"
    }

    /// What the value is, for messages.
    var kind: String {
        switch self {
        case .undefined: return "undefined"
        case .none: return "none"
        case .boolean: return "a boolean"
        case .integer: return "an integer"
        case .number: return "a number"
        case .string: return "a string"
        case .list: return "a list"
        case .dictionary: return "a dictionary"
        case .namespace: return "a namespace"
        case .function: return "a function"
        }
    }

    /// Python's `==` over the subset's values.
    static func equal(_ a: JinjaValue, _ b: JinjaValue) -> Bool {
        switch (a, b) {
        case (.undefined, .undefined), (.none, .none): return true
        case let (.boolean(x), .boolean(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.list(x), .list(y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case let (.dictionary(x), .dictionary(y)):
            return x.count == y.count && x.allSatisfy { pair in y.contains { $0.key == pair.key && equal($0.value, pair.value) } }
        default:
            if let x = a.numeric, let y = b.numeric { return x == y }
            return false
        }
    }

    /// The value as a number (booleans count as 0 and 1, as in Python).
    var numeric: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        case .boolean(let b): return b ? 1 : 0
        default: return nil
        }
    }
}

/// The members of a `namespace(...)`.
final class JinjaNamespace {
    var values: [String: JinjaValue]
    init(_ values: [String: JinjaValue]) { self.values = values }
}

/// A callable: positional and keyword arguments in, a value out.
typealias JinjaFunction = ([JinjaValue], [(String, JinjaValue)]) throws -> JinjaValue

extension JinjaValue {
    /// Messages and other JSON-like values from Swift.
    init(json: Any?) {
        switch json {
        case nil, is NSNull: self = .none
        case let b as Bool: self = .boolean(b)
        case let i as Int: self = .integer(i)
        case let d as Double: self = .number(d)
        case let s as String: self = .string(s)
        case let l as [Any]: self = .list(l.map { JinjaValue(json: $0) })
        case let d as [(String, Any)]: self = .dictionary(d.map { (key: $0.0, value: JinjaValue(json: $0.1)) })
        case let d as [String: Any]: self = .dictionary(d.keys.sorted().map { (key: $0, value: JinjaValue(json: d[$0])) })
        default: self = .undefined
        }
    }
}
