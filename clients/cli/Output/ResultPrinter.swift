import Foundation
import RPC

/// Renders a result for people (aligned `key: value` lines, per-block tables) or, with --json,
/// as the daemon's JSON object on one line.
enum ResultPrinter {
    /// Columns of tables, in this order when present: the per-block tables, then an export's
    /// tensor types.
    private static let preferredColumns = [
        "block", "importance", "meanImportance", "keepRatio", "width", "kept", "threshold", "type", "tensors", "bytes",
    ]

    static func print(_ value: JSONValue, json: Bool) {
        if json {
            Console.out(String(decoding: value.serialized(), as: UTF8.self))
        } else {
            Console.out(text(value))
        }
    }

    /// The readable text of a result.
    static func text(_ value: JSONValue, indent: String = "") -> String {
        guard case .object(let members) = value else { return indent + scalar(value) }
        var lines: [String] = []
        var tables: [(String, [JSONValue])] = []
        let width = members.keys.map(\.count).max() ?? 0
        for key in members.keys.sorted() {
            guard let member = members[key] else { continue }
            switch member {
            case .object:
                lines.append("\(indent)\(key):")
                lines.append(text(member, indent: indent + "  "))
            case .array(let items) where items.contains(where: { if case .object = $0 { true } else { false } }):
                tables.append((key, items))
            default:
                lines.append("\(indent)\((key + ":").rightPadded(width + 1)) \(scalar(member))")
            }
        }
        for (key, rows) in tables {
            lines.append("\(indent)\(key):")
            lines.append(table(rows, indent: indent + "  "))
        }
        return lines.joined(separator: "\n")
    }

    /// An aligned table of objects, one row each.
    static func table(_ rows: [JSONValue], indent: String = "") -> String {
        var keys = Set<String>()
        for row in rows { if case .object(let members) = row { keys.formUnion(members.keys) } }
        let columns = preferredColumns.filter(keys.contains) + keys.subtracting(preferredColumns).sorted()
        let cells = rows.map { row in columns.map { row[$0].map { scalar($0) } ?? "" } }
        return TextTable.render([columns] + cells, rightAligned: Set(columns.indices), indent: indent)
    }

    /// A scalar (or a short account of a list) as text.
    static func scalar(_ value: JSONValue) -> String {
        switch value {
        case .null: return "-"
        case .bool(let flag): return flag ? "yes" : "no"
        case .int(let number): return String(number)
        case .double(let number): return number.formatted6
        case .string(let string): return string
        case .array(let items):
            let shown = items.prefix(8).map(scalar).joined(separator: ", ")
            return "[\(shown)\(items.count > 8 ? ", … (\(items.count) in all)" : "")]"
        case .object: return String(decoding: value.serialized(), as: UTF8.self)
        }
    }
}

extension Double {
    /// Six significant digits, as `%g` does.
    var formatted6: String { String(format: "%.6g", self) }
}
