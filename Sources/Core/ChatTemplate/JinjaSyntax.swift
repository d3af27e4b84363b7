/// An expression of cfsp's Jinja subset.
indirect enum JinjaExpression {
    case literal(JinjaValue)
    case name(String)
    /// `a.b`, or `a['b']` with a constant key.
    case attribute(JinjaExpression, String)
    /// `a[b]`.
    case item(JinjaExpression, JinjaExpression)
    /// `a[start:stop:step]`.
    case slice(JinjaExpression, JinjaExpression?, JinjaExpression?, JinjaExpression?)
    case call(JinjaExpression, [JinjaExpression], [(String, JinjaExpression)])
    /// `a | name(args)`.
    case filter(JinjaExpression, String, [JinjaExpression], line: Int)
    /// `a is [not] name(args)`.
    case test(JinjaExpression, String, negated: Bool, [JinjaExpression], line: Int)
    case not(JinjaExpression)
    case negate(JinjaExpression)
    case binary(String, JinjaExpression, JinjaExpression)
    case and(JinjaExpression, JinjaExpression)
    case or(JinjaExpression, JinjaExpression)
    /// `a if condition else b` (b undefined when left out).
    case conditional(JinjaExpression, condition: JinjaExpression, otherwise: JinjaExpression?)
    case list([JinjaExpression])
    case dictionary([(JinjaExpression, JinjaExpression)])
}

/// A statement of cfsp's Jinja subset.
indirect enum JinjaNode {
    case text(String)
    case output(JinjaExpression)
    case branches([(JinjaExpression, [JinjaNode])], otherwise: [JinjaNode])
    case loop(targets: [String], iterable: JinjaExpression, condition: JinjaExpression?, body: [JinjaNode], otherwise: [JinjaNode])
    /// `{% set name = value %}` or `{% set ns.member = value %}`.
    case assign(name: String, member: String?, JinjaExpression)
    case breakLoop
    case continueLoop
}

/// Parses segments into statements. Supported: `if`/`elif`/`else`, `for ... in ... [if ...]`
/// with `else` and `loop.*`, `set` (names and namespace members), `break`/`continue`; every
/// other tag is refused by name.
struct JinjaParser {
    private let segments: [JinjaSegment]
    private var position = 0

    static func parse(_ source: String) throws -> [JinjaNode] {
        var parser = JinjaParser(segments: try JinjaLexer.segments(source))
        let (nodes, end) = try parser.block(until: [])
        if let end { throw ChatTemplateError.syntax("'\(end.keyword)' without a block to close", line: end.line) }
        return nodes
    }

    private init(segments: [JinjaSegment]) { self.segments = segments }

    /// The statement that ended a block: its keyword, the rest of its tokens, its line.
    private struct BlockEnd {
        var keyword: String
        var tokens: [JinjaToken]
        var line: Int
    }

    /// Nodes until a statement whose keyword is in `ends` (returned), or the end of the template.
    private mutating func block(until ends: Set<String>) throws -> ([JinjaNode], BlockEnd?) {
        var nodes: [JinjaNode] = []
        while position < segments.count {
            let segment = segments[position]
            position += 1
            switch segment {
            case .text(let text): nodes.append(.text(text))
            case let .output(tokens, line):
                var expressions = JinjaExpressionParser(tokens: tokens, line: line)
                nodes.append(.output(try expressions.whole()))
            case let .statement(tokens, line):
                guard case .name(let keyword)? = tokens.first else {
                    throw ChatTemplateError.syntax("a statement tag must start with a keyword", line: line)
                }
                let rest = Array(tokens.dropFirst())
                if ends.contains(keyword) { return (nodes, BlockEnd(keyword: keyword, tokens: rest, line: line)) }
                nodes.append(try statement(keyword, rest, line: line))
            }
        }
        if !ends.isEmpty {
            throw ChatTemplateError.syntax("the template ends inside a block (expected \(ends.sorted().map { "'\($0)'" }.joined(separator: " or ")))", line: lastLine)
        }
        return (nodes, nil)
    }

    private var lastLine: Int {
        for segment in segments.reversed() {
            switch segment {
            case .output(_, let line), .statement(_, let line): return line
            case .text: continue
            }
        }
        return 1
    }

    private mutating func statement(_ keyword: String, _ tokens: [JinjaToken], line: Int) throws -> JinjaNode {
        var expressions = JinjaExpressionParser(tokens: tokens, line: line)
        switch keyword {
        case "if":
            var branches: [(JinjaExpression, [JinjaNode])] = []
            var condition = try expressions.whole()
            while true {
                let (body, end) = try block(until: ["elif", "else", "endif"])
                branches.append((condition, body))
                guard let end else { break }
                switch end.keyword {
                case "elif":
                    var next = JinjaExpressionParser(tokens: end.tokens, line: end.line)
                    condition = try next.whole()
                case "else":
                    let (otherwise, _) = try block(until: ["endif"])
                    return .branches(branches, otherwise: otherwise)
                default:
                    return .branches(branches, otherwise: [])
                }
            }
            return .branches(branches, otherwise: [])
        case "for":
            let targets = try expressions.targets()
            try expressions.expectName("in")
            let iterable = try expressions.expression(allowConditional: false)
            var condition: JinjaExpression?
            if expressions.consumeName("if") { condition = try expressions.expression() }
            if expressions.consumeName("recursive") {
                throw ChatTemplateError.unsupported(construct: "a recursive for loop", line: line)
            }
            try expressions.expectEnd()
            let (body, end) = try block(until: ["else", "endfor"])
            var otherwise: [JinjaNode] = []
            if end?.keyword == "else" { (otherwise, _) = try block(until: ["endfor"]) }
            return .loop(targets: targets, iterable: iterable, condition: condition, body: body, otherwise: otherwise)
        case "set":
            let name = try expressions.name()
            var member: String?
            if expressions.consumeSymbol(".") { member = try expressions.name() }
            guard expressions.consumeSymbol("=") else {
                throw ChatTemplateError.unsupported(construct: "a block set ({% set \(name) %}...{% endset %}) or a tuple set", line: line)
            }
            let value = try expressions.whole()
            return .assign(name: name, member: member, value)
        case "break":
            try expressions.expectEnd()
            return .breakLoop
        case "continue":
            try expressions.expectEnd()
            return .continueLoop
        case "elif", "else", "endif", "endfor", "endset", "endmacro":
            throw ChatTemplateError.syntax("'\(keyword)' without a block to close", line: line)
        default:
            throw ChatTemplateError.unsupported(construct: "the '{% \(keyword) %}' statement", line: line)
        }
    }
}
