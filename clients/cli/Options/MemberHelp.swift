import ArgumentParser
import CFSPProtocol
import Core
import RPC

/// The CLI's options are the protocol's members under kebab-case names (`windowSize` is
/// `--window-size`), so their help (meaning, default, range) and their checks come from the
/// member's one description instead of being written again here.
enum MemberFlags {
    /// `--window-size` for `windowSize` (array indices dropped: `tokens[3]` is `--tokens`).
    static func flag(for member: String) -> String {
        let name = member.prefix { $0 != "[" && $0 != "." }
        var flag = "--"
        for character in name {
            if character.isUppercase {
                flag += "-" + character.lowercased()
            } else {
                flag.append(character)
            }
        }
        return flag
    }

    /// The help of option `member` of `Object`: its doc, its default and its range.
    static func help<Object: WireObject>(_ object: Object.Type, _ member: String, valueName: String? = nil,
                                         default override: String? = nil) -> ArgumentHelp {
        guard let info = Object.member(member)?.info else {
            preconditionFailure("\(Object.wireName) has no member '\(member)'")
        }
        // "a, temperature of…" names a symbol: only a sentence's first word is capitalised.
        let symbol = info.doc.split(separator: " ").first?.hasSuffix(",") ?? false
        var text = symbol ? info.doc : info.doc.prefix(1).uppercased() + info.doc.dropFirst()
        var notes: [String] = []
        if let override {
            notes.append("default: \(override)")
        } else {
            switch info.presence {
            case .defaulted(.bool(false)): break  // a flag, off unless given
            case .defaulted(let value): notes.append("default: \(words(value))")
            case .optional(let documented?, let note):
                notes.append("default: \(words(documented))" + (note.map { ", \($0)" } ?? ""))
            case .optional(nil, let note?): notes.append("default: \(note)")
            default: break
            }
        }
        if let range = range(of: info.type), range != .unbounded { notes.append(range.description) }
        if !notes.isEmpty { text += " (" + notes.joined(separator: "; ") + ")" }
        return ArgumentHelp(text + ".", valueName: valueName)
    }

    /// Checks `params` as the daemon will decode them, before anything is sent: a member out of
    /// its range answers the member's sentence with the option's name (`--sparsity must be in
    /// [0, 1), not 1.5`). `flags` names options whose name is not the member's (`--eval-window-size`).
    static func validate<Params: WireObject>(_ params: Params, flags: [String: String] = [:]) throws {
        do throws(WireError) {
            _ = try Params.decode(wire: params.wireJSON)
        } catch {
            guard !error.member.isEmpty else { throw ValidationError(error.message) }
            let root = String(error.member.prefix { $0 != "[" && $0 != "." })
            let option = flags[root] ?? flag(for: root)
            let sentence = error.message.replacingOccurrences(of: "'\(error.member)'", with: option)
            throw ValidationError(sentence)
        }
    }

    private static func range(of type: WireType) -> OptionRange? {
        switch type {
        case .integer(let range), .number(let range), .float32(let range): range
        case .array(let element): range(of: element)
        default: nil
        }
    }

    private static func words(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text.replacingOccurrences(of: "\n", with: "\\n")
        case .double(let number): Int(exactly: number).map(String.init) ?? "\(number)"
        default: String(decoding: value.serialized(), as: UTF8.self)
        }
    }
}
