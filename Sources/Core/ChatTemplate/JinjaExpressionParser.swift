/// Parses the tokens of one tag into an expression, with Jinja's precedence (loosest first):
/// `x if c else y`, `or`, `and`, `not`, comparisons / `in` / `is`, `~`, `+ -`, `* / // %`,
/// unary minus, filters `|`, then `.attr`, `[item]`, `[a:b]`, calls.
struct JinjaExpressionParser {
    private let tokens: [JinjaToken]
    private var position = 0
    let line: Int

    init(tokens: [JinjaToken], line: Int) {
        self.tokens = tokens
        self.line = line
    }

    /// One expression that uses every token.
    mutating func whole() throws -> JinjaExpression {
        let result = try expression()
        try expectEnd()
        return result
    }

    mutating func expectEnd() throws {
        if position < tokens.count { throw syntax("unexpected \(describe(tokens[position])) after the expression") }
    }

    mutating func expression(allowConditional: Bool = true) throws -> JinjaExpression {
        let value = try or()
        guard allowConditional, consumeName("if") else { return value }
        let condition = try or()
        let otherwise = consumeName("else") ? try expression() : nil
        return .conditional(value, condition: condition, otherwise: otherwise)
    }

    private mutating func or() throws -> JinjaExpression {
        var left = try and()
        while consumeName("or") { left = .or(left, try and()) }
        return left
    }

    private mutating func and() throws -> JinjaExpression {
        var left = try not()
        while consumeName("and") { left = .and(left, try not()) }
        return left
    }

    private mutating func not() throws -> JinjaExpression {
        if consumeName("not") { return .not(try not()) }
        return try comparison()
    }

    private mutating func comparison() throws -> JinjaExpression {
        var left = try concatenation()
        while true {
            if let op = ["==", "!=", "<", "<=", ">", ">="].first(where: { peekSymbol($0) }) {
                position += 1
                left = .binary(op, left, try concatenation())
            } else if consumeName("in") {
                left = .binary("in", left, try concatenation())
            } else if peekName("not"), position + 1 < tokens.count, tokens[position + 1] == .name("in") {
                position += 2
                left = .not(.binary("in", left, try concatenation()))
            } else if consumeName("is") {
                let negated = consumeName("not")
                let test = try name()
                var arguments: [JinjaExpression] = []
                if consumeSymbol("(") { arguments = try callArguments().positional }
                left = .test(left, test, negated: negated, arguments, line: line)
            } else {
                return left
            }
        }
    }

    private mutating func concatenation() throws -> JinjaExpression {
        var left = try sum()
        while consumeSymbol("~") { left = .binary("~", left, try sum()) }
        return left
    }

    private mutating func sum() throws -> JinjaExpression {
        var left = try product()
        while let op = ["+", "-"].first(where: { peekSymbol($0) }) {
            position += 1
            left = .binary(op, left, try product())
        }
        return left
    }

    private mutating func product() throws -> JinjaExpression {
        var left = try unary()
        while let op = ["*", "/", "//", "%"].first(where: { peekSymbol($0) }) {
            position += 1
            left = .binary(op, left, try unary())
        }
        if peekSymbol("**") { throw ChatTemplateError.unsupported(construct: "the ** operator", line: line) }
        return left
    }

    private mutating func unary() throws -> JinjaExpression {
        if consumeSymbol("-") { return .negate(try unary()) }
        if consumeSymbol("+") { return try unary() }
        return try filtered()
    }

    private mutating func filtered() throws -> JinjaExpression {
        var value = try postfix()
        while consumeSymbol("|") {
            let filter = try name()
            var arguments: [JinjaExpression] = []
            if consumeSymbol("(") { arguments = try callArguments().positional }
            value = .filter(value, filter, arguments, line: line)
        }
        return value
    }

    private mutating func postfix() throws -> JinjaExpression {
        var value = try primary()
        while true {
            if consumeSymbol(".") {
                value = .attribute(value, try name())
            } else if consumeSymbol("[") {
                var parts: [JinjaExpression?] = [nil]
                var isSlice = false
                while !peekSymbol("]") {
                    if consumeSymbol(":") {
                        isSlice = true
                        parts.append(nil)
                    } else {
                        guard parts[parts.count - 1] == nil else { throw syntax("expected ']'") }
                        parts[parts.count - 1] = try expression()
                    }
                }
                position += 1
                if isSlice {
                    guard parts.count <= 3 else { throw syntax("a slice has at most three parts") }
                    while parts.count < 3 { parts.append(nil) }
                    value = .slice(value, parts[0], parts[1], parts[2])
                } else {
                    guard let index = parts[0] else { throw syntax("empty subscript []") }
                    if case .literal(.string(let key)) = index { value = .attribute(value, key) } else { value = .item(value, index) }
                }
            } else if consumeSymbol("(") {
                let (positional, named) = try callArguments()
                value = .call(value, positional, named)
            } else {
                return value
            }
        }
    }

    private mutating func primary() throws -> JinjaExpression {
        guard position < tokens.count else { throw syntax("the expression ends too early") }
        let token = tokens[position]
        position += 1
        switch token {
        case .string(var text):
            // Adjacent literals join, as in Python.
            while position < tokens.count, case .string(let more) = tokens[position] {
                text += more
                position += 1
            }
            return .literal(.string(text))
        case .integer(let value): return .literal(.integer(value))
        case .number(let value): return .literal(.number(value))
        case .name(let name):
            switch name {
            case "true", "True": return .literal(.boolean(true))
            case "false", "False": return .literal(.boolean(false))
            case "none", "None": return .literal(.none)
            default: return .name(name)
            }
        case .symbol("("):
            let inner = try expression()
            if peekSymbol(",") { throw ChatTemplateError.unsupported(construct: "a tuple", line: line) }
            try expectSymbol(")")
            return inner
        case .symbol("["):
            var items: [JinjaExpression] = []
            while !consumeSymbol("]") {
                items.append(try expression())
                if !consumeSymbol(",") {
                    try expectSymbol("]")
                    break
                }
            }
            return .list(items)
        case .symbol("{"):
            var pairs: [(JinjaExpression, JinjaExpression)] = []
            while !consumeSymbol("}") {
                let key = try expression()
                try expectSymbol(":")
                pairs.append((key, try expression()))
                if !consumeSymbol(",") {
                    try expectSymbol("}")
                    break
                }
            }
            return .dictionary(pairs)
        default:
            throw syntax("unexpected \(describe(token))")
        }
    }

    /// Arguments up to the closing parenthesis (already past the opening one).
    private mutating func callArguments() throws -> (positional: [JinjaExpression], named: [(String, JinjaExpression)]) {
        var positional: [JinjaExpression] = []
        var named: [(String, JinjaExpression)] = []
        while !consumeSymbol(")") {
            if case .name(let key)? = peek, position + 1 < tokens.count, tokens[position + 1] == .symbol("=") {
                position += 2
                named.append((key, try expression()))
            } else {
                positional.append(try expression())
            }
            if !consumeSymbol(",") {
                try expectSymbol(")")
                break
            }
        }
        return (positional, named)
    }

    /// Loop targets: `x` or `a, b`.
    mutating func targets() throws -> [String] {
        var names = [try name()]
        while consumeSymbol(",") { names.append(try name()) }
        return names
    }

    mutating func name() throws -> String {
        guard case .name(let name)? = peek else { throw syntax("expected a name, got \(peek.map(describe) ?? "the end of the tag")") }
        position += 1
        return name
    }

    mutating func expectName(_ word: String) throws {
        guard consumeName(word) else { throw syntax("expected '\(word)'") }
    }

    private mutating func expectSymbol(_ symbol: String) throws {
        guard consumeSymbol(symbol) else { throw syntax("expected '\(symbol)', got \(peek.map(describe) ?? "the end of the tag")") }
    }

    private var peek: JinjaToken? { position < tokens.count ? tokens[position] : nil }
    private func peekSymbol(_ symbol: String) -> Bool { peek == .symbol(symbol) }
    private func peekName(_ word: String) -> Bool { peek == .name(word) }

    mutating func consumeSymbol(_ symbol: String) -> Bool {
        guard peekSymbol(symbol) else { return false }
        position += 1
        return true
    }

    mutating func consumeName(_ word: String) -> Bool {
        guard peekName(word) else { return false }
        position += 1
        return true
    }

    private func describe(_ token: JinjaToken) -> String {
        switch token {
        case .name(let name): return "'\(name)'"
        case .string(let text): return "the string '\(text)'"
        case .integer(let value): return "\(value)"
        case .number(let value): return "\(value)"
        case .symbol(let symbol): return "'\(symbol)'"
        }
    }

    private func syntax(_ message: String) -> ChatTemplateError { .syntax(message, line: line) }
}
