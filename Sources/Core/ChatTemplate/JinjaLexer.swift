/// One token inside a Jinja tag.
enum JinjaToken: Equatable {
    case name(String)
    case string(String)
    case integer(Int)
    case number(Double)
    /// An operator or punctuation: `==`, `(`, `|`, ...
    case symbol(String)
}

/// A piece of a template: literal text, an `{{ expression }}` or a `{% statement %}`, each tag
/// with the tokens inside it and the line it starts on.
enum JinjaSegment: Equatable {
    case text(String)
    case output([JinjaToken], line: Int)
    case statement([JinjaToken], line: Int)
}

/// Splits a template into segments, applying Jinja's whitespace control as transformers renders
/// chat templates: `trim_blocks` (the newline after a block tag goes) and `lstrip_blocks` (spaces
/// and tabs before a block tag on its line go), and `-` inside a tag (all whitespace on that side
/// goes). Comments `{# #}` are dropped, and so is one newline ending the template.
struct JinjaLexer {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1

    /// Jinja drops one newline at the end of a template (keep_trailing_newline is off).
    init(_ source: String) {
        var bytes = Array(source.utf8)
        if bytes.last == UInt8(ascii: "\n") {
            bytes.removeLast()
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        }
        self.bytes = bytes
    }

    static func segments(_ source: String, trimBlocks: Bool = true, lstripBlocks: Bool = true) throws -> [JinjaSegment] {
        var lexer = JinjaLexer(source)
        return try lexer.run(trimBlocks: trimBlocks, lstripBlocks: lstripBlocks)
    }

    private mutating func run(trimBlocks: Bool, lstripBlocks: Bool) throws -> [JinjaSegment] {
        var segments: [JinjaSegment] = []
        var text: [UInt8] = []
        /// Whether whitespace after the last tag is to be stripped (a `-` closing it) or one newline (trim_blocks).
        var stripNext = false, trimNewline = false
        while index < bytes.count {
            guard let open = nextTagStart() else {
                text += bytes[index...]
                index = bytes.count
                break
            }
            let textStart = index
            text += bytes[index..<open]
            advance(to: open)
            let kind = bytes[open + 1]
            let minus = open + 2 < bytes.count && bytes[open + 2] == UInt8(ascii: "-")
            let plus = open + 2 < bytes.count && bytes[open + 2] == UInt8(ascii: "+")
            if minus {
                while let last = text.last, Self.isSpace(last) { text.removeLast() }
            } else if kind != UInt8(ascii: "{"), lstripBlocks, !plus {
                var cut = text.count
                while cut > 0, text[cut - 1] == UInt8(ascii: " ") || text[cut - 1] == UInt8(ascii: "\t") { cut -= 1 }
                // Only when the tag begins its line (Jinja: the text before it on that line is blank).
                let lineStarts = cut > 0 ? text[cut - 1] == UInt8(ascii: "\n") : textStart == 0 || bytes[textStart - 1] == UInt8(ascii: "\n")
                if lineStarts {
                    text.removeLast(text.count - cut)
                }
            }
            if !text.isEmpty {
                segments.append(.text(String(decoding: text, as: UTF8.self)))
                text = []
            }
            let tagLine = line
            let close: [UInt8] = kind == UInt8(ascii: "{") ? Array("}}".utf8) : kind == UInt8(ascii: "%") ? Array("%}".utf8) : Array("#}".utf8)
            advance(to: open + 2 + (minus || plus ? 1 : 0))
            guard let end = find(close, from: index) else {
                throw ChatTemplateError.syntax("a tag opened here is never closed", line: tagLine)
            }
            var innerEnd = end
            let closingMinus = end > index && bytes[end - 1] == UInt8(ascii: "-")
            if closingMinus || (end > index && bytes[end - 1] == UInt8(ascii: "+")) { innerEnd -= 1 }
            let inner = Array(bytes[index..<innerEnd])
            advance(to: end + 2)
            stripNext = closingMinus
            trimNewline = !closingMinus && trimBlocks && kind != UInt8(ascii: "{")
            switch kind {
            case UInt8(ascii: "{"): segments.append(.output(try Self.tokens(inner, line: tagLine), line: tagLine))
            case UInt8(ascii: "%"): segments.append(.statement(try Self.tokens(inner, line: tagLine), line: tagLine))
            default: break
            }
            if stripNext {
                while index < bytes.count, Self.isSpace(bytes[index]) { advance(to: index + 1) }
            } else if trimNewline, index < bytes.count, bytes[index] == UInt8(ascii: "\n") {
                advance(to: index + 1)
            }
        }
        if !text.isEmpty { segments.append(.text(String(decoding: text, as: UTF8.self))) }
        return segments
    }

    private mutating func advance(to target: Int) {
        while index < target {
            if bytes[index] == UInt8(ascii: "\n") { line += 1 }
            index += 1
        }
    }

    private func nextTagStart() -> Int? {
        var i = index
        while i + 1 < bytes.count {
            if bytes[i] == UInt8(ascii: "{"),
               [UInt8(ascii: "{"), UInt8(ascii: "%"), UInt8(ascii: "#")].contains(bytes[i + 1]) { return i }
            i += 1
        }
        return nil
    }

    /// The next `pattern` from `start`, skipping string literals inside the tag.
    private func find(_ pattern: [UInt8], from start: Int) -> Int? {
        var i = start
        var quote: UInt8?
        while i + pattern.count <= bytes.count {
            let byte = bytes[i]
            if let q = quote {
                if byte == UInt8(ascii: "\\") { i += 2; continue }
                if byte == q { quote = nil }
            } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                quote = byte
            } else if bytes[i..<(i + pattern.count)].elementsEqual(pattern) {
                return i
            }
            i += 1
        }
        return nil
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }

    /// The tokens of one tag's inside.
    static func tokens(_ source: [UInt8], line: Int) throws -> [JinjaToken] {
        var tokens: [JinjaToken] = []
        var i = 0
        var line = line
        let twoCharacter: Set<String> = ["==", "!=", "<=", ">=", "//", "**"]
        while i < source.count {
            let c = source[i]
            if isSpace(c) {
                if c == UInt8(ascii: "\n") { line += 1 }
                i += 1
                continue
            }
            if c == UInt8(ascii: "_") || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z")) {
                var j = i + 1
                while j < source.count, source[j] == UInt8(ascii: "_") || (source[j] | 0x20 >= UInt8(ascii: "a") && source[j] | 0x20 <= UInt8(ascii: "z"))
                        || (source[j] >= UInt8(ascii: "0") && source[j] <= UInt8(ascii: "9")) { j += 1 }
                tokens.append(.name(String(decoding: source[i..<j], as: UTF8.self)))
                i = j
            } else if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                var j = i
                var isFloat = false
                while j < source.count, (source[j] >= UInt8(ascii: "0") && source[j] <= UInt8(ascii: "9"))
                        || (source[j] == UInt8(ascii: ".") && !isFloat && j + 1 < source.count
                            && source[j + 1] >= UInt8(ascii: "0") && source[j + 1] <= UInt8(ascii: "9")) {
                    if source[j] == UInt8(ascii: ".") { isFloat = true }
                    j += 1
                }
                let text = String(decoding: source[i..<j], as: UTF8.self)
                if isFloat {
                    tokens.append(.number(Double(text) ?? 0))
                } else {
                    guard let value = Int(text) else { throw ChatTemplateError.syntax("the integer \(text) is too large", line: line) }
                    tokens.append(.integer(value))
                }
                i = j
            } else if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                var j = i + 1
                var value: [UInt8] = []
                while j < source.count, source[j] != c {
                    if source[j] == UInt8(ascii: "\\"), j + 1 < source.count {
                        let e = source[j + 1]
                        switch e {
                        case UInt8(ascii: "n"): value.append(0x0A)
                        case UInt8(ascii: "t"): value.append(0x09)
                        case UInt8(ascii: "r"): value.append(0x0D)
                        case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): value.append(e)
                        default: value += [UInt8(ascii: "\\"), e]
                        }
                        j += 2
                        continue
                    }
                    if source[j] == UInt8(ascii: "\n") { line += 1 }
                    value.append(source[j])
                    j += 1
                }
                guard j < source.count else { throw ChatTemplateError.syntax("a string literal is never closed", line: line) }
                tokens.append(.string(String(decoding: value, as: UTF8.self)))
                i = j + 1
            } else {
                if i + 1 < source.count {
                    let pair = String(decoding: source[i...(i + 1)], as: UTF8.self)
                    if twoCharacter.contains(pair) {
                        tokens.append(.symbol(pair))
                        i += 2
                        continue
                    }
                }
                let single = String(decoding: source[i...i], as: UTF8.self)
                guard "+-*/%~|.,:()[]{}=<>!".contains(single) else {
                    throw ChatTemplateError.syntax("unexpected character '\(single)'", line: line)
                }
                tokens.append(.symbol(single))
                i += 1
            }
        }
        return tokens
    }
}
