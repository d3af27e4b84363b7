import Foundation

/// Jinja's binary operators over the subset's values, with Python's semantics.
enum JinjaOperators {
    static func apply(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws -> JinjaValue {
        switch op {
        case "~": return .string(a.printed + b.printed)
        case "==": return .boolean(JinjaValue.equal(a, b))
        case "!=": return .boolean(!JinjaValue.equal(a, b))
        case "in": return .boolean(try contains(b, a))
        case "<", "<=", ">", ">=": return .boolean(try compare(op, a, b))
        default: break
        }
        if case .undefined = a { throw undefinedOperand(op) }
        if case .undefined = b { throw undefinedOperand(op) }
        switch (op, a, b) {
        case let ("+", .string(x), .string(y)): return .string(x + y)
        case let ("+", .list(x), .list(y)): return .list(x + y)
        case let ("*", .string(x), .integer(n)), let ("*", .integer(n), .string(x)):
            return .string(String(repeating: x, count: max(0, n)))
        case let (_, .integer(x), .integer(y)) where op != "/":
            switch op {
            case "+": return .integer(x &+ y)
            case "-": return .integer(x &- y)
            case "*": return .integer(x &* y)
            case "//", "%":
                guard y != 0 else { throw ChatTemplateError.render("division by zero") }
                let quotient = Int((Double(x) / Double(y)).rounded(.down))
                return .integer(op == "//" ? quotient : x - quotient * y)
            default: break
            }
        default: break
        }
        guard let x = a.numeric, let y = b.numeric else {
            throw ChatTemplateError.render("cannot apply '\(op)' to \(a.kind) and \(b.kind)")
        }
        switch op {
        case "+": return .number(x + y)
        case "-": return .number(x - y)
        case "*": return .number(x * y)
        case "/":
            guard y != 0 else { throw ChatTemplateError.render("division by zero") }
            return .number(x / y)
        case "//":
            guard y != 0 else { throw ChatTemplateError.render("division by zero") }
            return .number((x / y).rounded(.down))
        case "%":
            guard y != 0 else { throw ChatTemplateError.render("division by zero") }
            return .number(x - (x / y).rounded(.down) * y)
        default: throw ChatTemplateError.render("unknown operator '\(op)'")
        }
    }

    private static func undefinedOperand(_ op: String) -> ChatTemplateError {
        .render("'\(op)' on an undefined value (a variable or member the messages do not have)")
    }

    private static func compare(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws -> Bool {
        let order: ComparisonResult
        if case .string(let x) = a, case .string(let y) = b {
            order = x == y ? .orderedSame : (Array(x.unicodeScalars.map(\.value)).lexicographicallyPrecedes(y.unicodeScalars.map(\.value)) ? .orderedAscending : .orderedDescending)
        } else if let x = a.numeric, let y = b.numeric {
            order = x == y ? .orderedSame : (x < y ? .orderedAscending : .orderedDescending)
        } else {
            throw ChatTemplateError.render("cannot compare \(a.kind) with \(b.kind) using '\(op)'")
        }
        switch op {
        case "<": return order == .orderedAscending
        case "<=": return order != .orderedDescending
        case ">": return order == .orderedDescending
        default: return order != .orderedAscending
        }
    }

    private static func contains(_ container: JinjaValue, _ element: JinjaValue) throws -> Bool {
        switch (container, element) {
        case let (.string(s), .string(part)): return part.isEmpty || s.contains(part)
        case let (.list(items), _): return items.contains { JinjaValue.equal($0, element) }
        case let (.dictionary(pairs), .string(key)): return pairs.contains { $0.key == key }
        case (.namespace(let ns), .string(let key)): return ns.values[key] != nil
        case (.undefined, _), (.none, _): throw ChatTemplateError.render("'in' on \(container.kind)")
        default: return false
        }
    }
}

/// The filters of cfsp's subset (`| trim`, `| length`, ...); any other is refused by name.
enum JinjaFilters {
    static let supported = ["trim", "length", "count", "upper", "lower", "default", "d", "first", "last", "join",
                            "string", "int", "float", "list", "replace", "capitalize", "title", "tojson", "items",
                            "reverse", "abs"]

    static func apply(_ name: String, to value: JinjaValue, arguments: [JinjaValue], line: Int) throws -> JinjaValue {
        switch name {
        case "trim": return .string(try text(value, name).trimmingCharacters(in: .whitespacesAndNewlines))
        case "length", "count":
            switch value {
            case .string(let s): return .integer(s.count)
            case .list(let l): return .integer(l.count)
            case .dictionary(let d): return .integer(d.count)
            default: throw ChatTemplateError.render("'| \(name)' of \(value.kind)")
            }
        case "upper": return .string(try text(value, name).uppercased())
        case "lower": return .string(try text(value, name).lowercased())
        case "capitalize":
            let s = try text(value, name)
            return .string(s.prefix(1).uppercased() + s.dropFirst().lowercased())
        case "title": return .string(try text(value, name).capitalized)
        case "default", "d":
            let fallback = arguments.first ?? .string("")
            let boolean = arguments.count > 1 && arguments[1].isTrue
            if case .undefined = value { return fallback }
            return boolean && !value.isTrue ? fallback : value
        case "first", "last":
            guard case .list(let l) = value else { throw ChatTemplateError.render("'| \(name)' of \(value.kind)") }
            return (name == "first" ? l.first : l.last) ?? .undefined
        case "reverse":
            switch value {
            case .list(let l): return .list(l.reversed())
            case .string(let s): return .string(String(s.reversed()))
            default: throw ChatTemplateError.render("'| reverse' of \(value.kind)")
            }
        case "join":
            guard case .list(let l) = value else { throw ChatTemplateError.render("'| join' of \(value.kind)") }
            return .string(l.map(\.printed).joined(separator: arguments.first?.printed ?? ""))
        case "string": return .string(value.printed)
        case "int":
            switch value {
            case .integer: return value
            case .number(let d): return .integer(Int(d))
            case .string(let s): return .integer(Int(s.trimmingCharacters(in: .whitespaces)) ?? 0)
            case .boolean(let b): return .integer(b ? 1 : 0)
            default: return .integer(0)
            }
        case "float": return .number(value.numeric ?? Double(value.printed) ?? 0)
        case "abs":
            switch value {
            case .integer(let i): return .integer(abs(i))
            case .number(let d): return .number(abs(d))
            default: throw ChatTemplateError.render("'| abs' of \(value.kind)")
            }
        case "list":
            switch value {
            case .list: return value
            case .string(let s): return .list(s.map { .string(String($0)) })
            case .dictionary(let d): return .list(d.map { .string($0.key) })
            default: throw ChatTemplateError.render("'| list' of \(value.kind)")
            }
        case "items":
            guard case .dictionary(let d) = value else { throw ChatTemplateError.render("'| items' of \(value.kind)") }
            return .list(d.map { .list([.string($0.key), $0.value]) })
        case "replace":
            guard arguments.count >= 2 else { throw ChatTemplateError.render("'| replace' takes two arguments") }
            return .string(try text(value, name).replacingOccurrences(of: arguments[0].printed, with: arguments[1].printed))
        case "tojson": return .string(JinjaJSON.encode(value))
        default:
            throw ChatTemplateError.unsupported(construct: "the '| \(name)' filter", line: line)
        }
    }

    private static func text(_ value: JinjaValue, _ filter: String) throws -> String {
        if case .string(let s) = value { return s }
        if case .undefined = value { return "" }
        return value.printed
    }
}

/// The tests of cfsp's subset (`is string`, `is defined`, ...); any other is refused by name.
enum JinjaTests {
    static func apply(_ name: String, to value: JinjaValue, arguments: [JinjaValue], line: Int) throws -> Bool {
        switch name {
        case "defined": if case .undefined = value { return false } else { return true }
        case "undefined": if case .undefined = value { return true } else { return false }
        case "none": if case .none = value { return true } else { return false }
        case "string": if case .string = value { return true } else { return false }
        case "boolean": if case .boolean = value { return true } else { return false }
        case "integer": if case .integer = value { return true } else { return false }
        case "float": if case .number = value { return true } else { return false }
        case "number":
            switch value {
            case .integer, .number, .boolean: return true
            default: return false
            }
        case "mapping":
            switch value {
            case .dictionary, .namespace: return true
            default: return false
            }
        case "iterable", "sequence":
            switch value {
            case .list, .string, .dictionary: return true
            default: return false
            }
        case "true": if case .boolean(true) = value { return true } else { return false }
        case "false": if case .boolean(false) = value { return true } else { return false }
        case "even", "odd":
            guard case .integer(let i) = value else { throw ChatTemplateError.render("'is \(name)' of \(value.kind)") }
            return (i % 2 == 0) == (name == "even")
        case "divisibleby":
            guard case .integer(let i) = value, case .integer(let d)? = arguments.first, d != 0 else {
                throw ChatTemplateError.render("'is divisibleby' needs integers")
            }
            return i % d == 0
        case "equalto", "eq", "sameas":
            guard let other = arguments.first else { throw ChatTemplateError.render("'is \(name)' needs an argument") }
            return JinjaValue.equal(value, other)
        default:
            throw ChatTemplateError.unsupported(construct: "the 'is \(name)' test", line: line)
        }
    }
}

/// The methods templates call on values (`content.strip()`, `message.get('x')`).
enum JinjaMethods {
    static func method(_ name: String, of value: JinjaValue) -> JinjaValue? {
        switch value {
        case .string(let s):
            func chars(_ a: [JinjaValue]) -> CharacterSet {
                a.first.map { CharacterSet(charactersIn: $0.printed) } ?? .whitespacesAndNewlines
            }
            switch name {
            case "strip": return .function(name) { a, _ in .string(s.trimmingCharacters(in: chars(a))) }
            case "lstrip":
                return .function(name) { a, _ in
                    let set = chars(a)
                    return .string(String(s.unicodeScalars.drop(while: { set.contains($0) })))
                }
            case "rstrip":
                return .function(name) { a, _ in
                    let set = chars(a)
                    var scalars = Array(s.unicodeScalars)
                    while let last = scalars.last, set.contains(last) { scalars.removeLast() }
                    var out = String.UnicodeScalarView()
                    out.append(contentsOf: scalars)
                    return .string(String(out))
                }
            case "startswith": return .function(name) { a, _ in .boolean(s.hasPrefix(a.first?.printed ?? "")) }
            case "endswith": return .function(name) { a, _ in .boolean(s.hasSuffix(a.first?.printed ?? "")) }
            case "upper": return .function(name) { _, _ in .string(s.uppercased()) }
            case "lower": return .function(name) { _, _ in .string(s.lowercased()) }
            case "replace":
                return .function(name) { a, _ in
                    guard a.count >= 2 else { throw ChatTemplateError.render("replace() takes two arguments") }
                    return .string(s.replacingOccurrences(of: a[0].printed, with: a[1].printed))
                }
            case "split":
                return .function(name) { a, _ in
                    if let separator = a.first?.printed, !separator.isEmpty {
                        return .list(s.components(separatedBy: separator).map { .string($0) })
                    }
                    return .list(s.split(whereSeparator: { $0.isWhitespace }).map { .string(String($0)) })
                }
            default: return nil
            }
        case .dictionary(let pairs):
            switch name {
            case "items": return .function(name) { _, _ in .list(pairs.map { .list([.string($0.key), $0.value]) }) }
            case "keys": return .function(name) { _, _ in .list(pairs.map { .string($0.key) }) }
            case "values": return .function(name) { _, _ in .list(pairs.map(\.value)) }
            case "get":
                return .function(name) { a, _ in
                    guard let key = a.first?.printed else { throw ChatTemplateError.render("get() takes a key") }
                    let found = value.member(key)
                    if case .undefined = found { return a.count > 1 ? a[1] : .none }
                    return found
                }
            default: return nil
            }
        default: return nil
        }
    }
}

/// `| tojson` as transformers writes it (json.dumps with ensure_ascii=False): `", "` and `": "` separators.
enum JinjaJSON {
    static func encode(_ value: JinjaValue) -> String {
        switch value {
        case .undefined, .none: return "null"
        case .boolean(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .number(let d): return JinjaValue.pythonFloat(d)
        case .string(let s): return quote(s)
        case .list(let items): return "[" + items.map(encode).joined(separator: ", ") + "]"
        case .dictionary(let pairs): return "{" + pairs.map { quote($0.key) + ": " + encode($0.value) }.joined(separator: ", ") + "}"
        case .namespace, .function: return "null"
        }
    }

    private static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
