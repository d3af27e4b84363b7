import CFSPProtocol
import Core
import RPC

/// The tables of protocol.md that restate the types: each method's params, the text input,
/// the capabilities and the application error codes, written from the same descriptions as
/// the schema so the document cannot drift from the code.
public enum MethodTables {
    /// The members of the text input (with and without windows); method tables refer to the
    /// text-input table instead of repeating them.
    static let textInputMembers = (TextInput.membersWithWindows + TextInput.membersWithoutWindows).map(\.info)

    private static func isTextInput(_ member: WireMemberInfo) -> Bool { textInputMembers.contains(member) }

    /// Every generated region of protocol.md, by name (`params calibrate`, `text input`, ...).
    public static func regions(methods: [MethodDescription] = ProtocolMethods.descriptions) -> [String: String] {
        var regions: [String: String] = [
            "text input": table(TextInput.shape.members),
            "capabilities": capabilities(),
            "error codes": errorCodes(),
        ]
        // One table per params type: `prune` takes `score`'s, `model/unload` `model/describe`'s.
        var seen: Set<String> = []
        for method in methods where !method.params.members.isEmpty && seen.insert(method.params.name).inserted {
            regions["params \(method.method)"] = params(method.params)
        }
        return regions
    }

    /// The params table of a method (text-input members collapsed into one line above it).
    static func params(_ shape: WireShape) -> String {
        let members = shape.members.filter { !isTextInput($0) }
        let takesText = shape.members.contains(where: isTextInput)
        let windows = shape.members.contains { member in
            guard member.name == "windows", isTextInput(member) else { return false }
            if case .refused = member.presence { return false }
            return true
        }
        var text = ""
        if takesText {
            text += windows
                ? "One [text input](#text-inputs-calibrate-evaluate-finetune) (`windows` allowed), and:\n\n"
                : "One [text input](#text-inputs-calibrate-evaluate-finetune) (not `windows`), and:\n\n"
        }
        return text + table(members)
    }

    /// A markdown table of members: name, type and accepted values, default, meaning.
    static func table(_ members: [WireMemberInfo]) -> String {
        var rows = [["Member", "Type", "Default", "Meaning"]]
        for member in members {
            guard let defaultText = defaultWords(member.presence) else { continue }
            rows.append(["`\(member.name)`", typeWords(member.type), defaultText, member.doc])
        }
        return markdown(rows)
    }

    /// The capabilities the daemon adds to `initialize`, as the JSON it sends.
    static func capabilities() -> String {
        let capabilities = DaemonCapabilities()
        let lines = DaemonCapabilities.members.map { member in
            "  \"\(member.name)\": " + String(decoding: (member.value(in: capabilities) ?? .null).serialized(), as: UTF8.self)
                .replacingOccurrences(of: "\",\"", with: "\", \"")
        }
        return "```json\n{\n" + lines.joined(separator: ",\n") + "\n}\n```"
    }

    /// The application error codes: code, name, when, `data` members.
    static func errorCodes() -> String {
        var rows = [["Code", "Name", "When", "`data`"]]
        for code in DaemonError.Code.allCases {
            rows.append(["`\(code.rawValue)`", code.name, code.meaning,
                         code.dataMembers.map { "`\($0)`" }.joined(separator: ", ")])
        }
        return markdown(rows)
    }

    static func typeWords(_ type: WireType) -> String {
        switch type {
        case .integer(let range): return range == .unbounded ? "integer" : "integer, \(range)"
        case .number(let range), .float32(let range): return range == .unbounded ? "number" : "number, \(range)"
        case .boolean: return "boolean"
        case .string(.path): return "string (path)"
        case .string: return "string"
        case .choice(let values): return values.map { "`\($0)`" }.joined(separator: ", ")
        case .array(let element): return "[\(typeWords(element))]"
        case .object(let shape): return shape.name
        case .nullable(let inner): return typeWords(inner) + " or null"
        }
    }

    /// The default column, or nil for members left out of params tables.
    static func defaultWords(_ presence: WirePresence) -> String? {
        switch presence {
        case .required: return "required"
        case .defaulted(let value): return code(value)
        case .optional(let documented, let note):
            switch (documented, note) {
            case (let value?, let note?): return "\(code(value)) (\(note))"
            case (let value?, nil): return code(value)
            case (nil, let note?): return note
            case (nil, nil): return "—"
            }
        case .derived, .refused: return nil
        }
    }

    /// A value as inline code, integral numbers without a fraction (`1`, not `1.0`).
    private static func code(_ value: JSONValue) -> String {
        func integral(_ value: JSONValue) -> JSONValue {
            switch value {
            case .double(let number): Int(exactly: number).map(JSONValue.int) ?? value
            case .array(let items): .array(items.map(integral))
            default: value
            }
        }
        return "`" + String(decoding: integral(value).serialized(), as: UTF8.self) + "`"
    }

    private static func markdown(_ rows: [[String]]) -> String {
        let escaped = rows.map { $0.map { $0.replacingOccurrences(of: "|", with: "\\|") } }
        var lines = [row(escaped[0]), row(escaped[0].map { _ in "---" })]
        lines += escaped.dropFirst().map(row)
        return lines.joined(separator: "\n")
    }

    private static func row(_ cells: [String]) -> String { "| " + cells.joined(separator: " | ") + " |" }
}

/// The regions of a document between `<!-- BEGIN GENERATED name -->` and
/// `<!-- END GENERATED name -->`, replaced by generated text.
public enum GeneratedRegions {
    /// The begin marker of region `name`.
    public static func begin(_ name: String) -> String { "<!-- BEGIN GENERATED \(name) (swift run protocol-schema) -->" }
    /// The end marker of region `name`.
    public static func end(_ name: String) -> String { "<!-- END GENERATED \(name) -->" }

    /// `document` with every region's content replaced; `missing` lists regions without markers.
    public static func fill(_ document: String, with regions: [String: String]) -> (text: String, missing: [String]) {
        var text = document
        var missing: [String] = []
        for name in regions.keys.sorted() {
            let open = begin(name)
            let close = end(name)
            guard let start = text.range(of: open), let stop = text.range(of: close, range: start.upperBound..<text.endIndex)
            else {
                missing.append(name)
                continue
            }
            text.replaceSubrange(start.upperBound..<stop.lowerBound, with: "\n" + regions[name]! + "\n")
        }
        return (text, missing)
    }
}
