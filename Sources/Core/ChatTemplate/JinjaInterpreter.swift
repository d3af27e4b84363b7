import Foundation

/// Renders parsed templates: scopes (a loop iteration has its own, as in Jinja, so only a
/// namespace carries a value out of a loop), filters, tests and the few methods chat templates call.
struct JinjaInterpreter {
    private var scopes: [[String: JinjaValue]]

    init(globals: [String: JinjaValue]) {
        var builtins: [String: JinjaValue] = [
            "raise_exception": .function("raise_exception") { arguments, _ in
                throw ChatTemplateError.raised(arguments.first?.printed ?? "raise_exception was called")
            },
            "namespace": .function("namespace") { arguments, named in
                var values: [String: JinjaValue] = [:]
                if case .dictionary(let pairs)? = arguments.first { for p in pairs { values[p.key] = p.value } }
                for (key, value) in named { values[key] = value }
                return .namespace(JinjaNamespace(values))
            },
            "range": .function("range") { arguments, _ in
                let numbers = arguments.compactMap { value -> Int? in if case .integer(let i) = value { return i } else { return nil } }
                guard numbers.count == arguments.count, (1...3).contains(numbers.count) else {
                    throw ChatTemplateError.render("range takes one to three integers")
                }
                let (start, stop) = numbers.count == 1 ? (0, numbers[0]) : (numbers[0], numbers[1])
                let step = numbers.count == 3 ? numbers[2] : 1
                guard step != 0 else { throw ChatTemplateError.render("range's step must not be zero") }
                return .list(Swift.stride(from: start, to: stop, by: step).map { .integer($0) })
            },
        ]
        for (key, value) in globals { builtins[key] = value }
        scopes = [builtins]
    }

    private enum Flow { case normal, breakLoop, continueLoop }

    mutating func render(_ nodes: [JinjaNode]) throws -> String {
        var out = ""
        _ = try run(nodes, into: &out)
        return out
    }

    private mutating func run(_ nodes: [JinjaNode], into out: inout String) throws -> Flow {
        for node in nodes {
            switch node {
            case .text(let text): out += text
            case .output(let expression): out += try evaluate(expression).printed
            case let .branches(branches, otherwise):
                var taken: [JinjaNode]? = nil
                for (condition, body) in branches where try evaluate(condition).isTrue {
                    taken = body
                    break
                }
                let flow = try run(taken ?? otherwise, into: &out)
                if flow != .normal { return flow }
            case let .loop(targets, iterable, condition, body, otherwise):
                try loop(targets: targets, iterable: iterable, condition: condition, body: body, otherwise: otherwise, into: &out)
            case let .assign(name, member, expression):
                let value = try evaluate(expression)
                if let member {
                    guard case .namespace(let ns) = lookup(name) else {
                        throw ChatTemplateError.render("'set \(name).\(member)' needs \(name) to be a namespace(), and it is \(lookup(name).kind)")
                    }
                    ns.values[member] = value
                } else {
                    scopes[scopes.count - 1][name] = value
                }
            case .breakLoop: return .breakLoop
            case .continueLoop: return .continueLoop
            }
        }
        return .normal
    }

    private mutating func loop(targets: [String], iterable: JinjaExpression, condition: JinjaExpression?,
                               body: [JinjaNode], otherwise: [JinjaNode], into out: inout String) throws {
        var items: [JinjaValue]
        switch try evaluate(iterable) {
        case .list(let list): items = list
        case .dictionary(let pairs): items = pairs.map { .string($0.key) }
        case .string(let s): items = s.map { .string(String($0)) }
        case .undefined, .none: items = []
        case let other: throw ChatTemplateError.render("cannot loop over \(other.kind)")
        }
        if let condition {
            items = try items.filter { item in
                scopes.append(try bind(targets, item))
                defer { scopes.removeLast() }
                return try evaluate(condition).isTrue
            }
        }
        if items.isEmpty {
            _ = try run(otherwise, into: &out)
            return
        }
        for (i, item) in items.enumerated() {
            var scope = try bind(targets, item)
            let n = items.count
            scope["loop"] = .dictionary([
                ("index", .integer(i + 1)), ("index0", .integer(i)), ("revindex", .integer(n - i)),
                ("revindex0", .integer(n - i - 1)), ("first", .boolean(i == 0)), ("last", .boolean(i == n - 1)),
                ("length", .integer(n)), ("previtem", i > 0 ? items[i - 1] : .undefined),
                ("nextitem", i + 1 < n ? items[i + 1] : .undefined),
            ])
            scopes.append(scope)
            let flow = try run(body, into: &out)
            scopes.removeLast()
            if flow == .breakLoop { break }
        }
    }

    private func bind(_ targets: [String], _ item: JinjaValue) throws -> [String: JinjaValue] {
        if targets.count == 1 { return [targets[0]: item] }
        guard case .list(let parts) = item, parts.count == targets.count else {
            throw ChatTemplateError.render("cannot unpack \(item.kind) into \(targets.count) loop variables")
        }
        return Dictionary(uniqueKeysWithValues: zip(targets, parts).map { ($0, $1) })
    }

    private func lookup(_ name: String) -> JinjaValue {
        for scope in scopes.reversed() { if let value = scope[name] { return value } }
        return .undefined
    }

    // MARK: Expressions

    func evaluate(_ expression: JinjaExpression) throws -> JinjaValue {
        switch expression {
        case .literal(let value): return value
        case .name(let name): return lookup(name)
        case let .attribute(base, key):
            let value = try evaluate(base)
            let found = value.member(key)
            if case .undefined = found, let method = JinjaMethods.method(key, of: value) { return method }
            return found
        case let .item(base, index): return try item(try evaluate(base), try evaluate(index))
        case let .slice(base, start, stop, step):
            return try slice(try evaluate(base), start.map(evaluate), stop.map(evaluate), step.map(evaluate))
        case let .call(callee, positional, named):
            guard case .function(_, let function) = try evaluate(callee) else {
                throw ChatTemplateError.render("\(describe(callee)) is not a function")
            }
            return try function(try positional.map(evaluate), try named.map { ($0.0, try evaluate($0.1)) })
        case let .filter(base, name, arguments, line):
            return try JinjaFilters.apply(name, to: try evaluate(base), arguments: try arguments.map(evaluate), line: line)
        case let .test(base, name, negated, arguments, line):
            let result = try JinjaTests.apply(name, to: try evaluate(base), arguments: try arguments.map(evaluate), line: line)
            return .boolean(result != negated)
        case .not(let inner): return .boolean(!(try evaluate(inner).isTrue))
        case .negate(let inner):
            switch try evaluate(inner) {
            case .integer(let i): return .integer(-i)
            case .number(let d): return .number(-d)
            case let other: throw ChatTemplateError.render("cannot negate \(other.kind)")
            }
        case let .and(left, right):
            let l = try evaluate(left)
            return l.isTrue ? try evaluate(right) : l
        case let .or(left, right):
            let l = try evaluate(left)
            return l.isTrue ? l : try evaluate(right)
        case let .conditional(value, condition, otherwise):
            if try evaluate(condition).isTrue { return try evaluate(value) }
            return try otherwise.map(evaluate) ?? .undefined
        case .list(let items): return .list(try items.map(evaluate))
        case .dictionary(let pairs):
            return .dictionary(try pairs.map { pair in
                guard case .string(let key) = try evaluate(pair.0) else {
                    throw ChatTemplateError.render("dictionary keys must be strings in cfsp's Jinja subset")
                }
                return (key: key, value: try evaluate(pair.1))
            })
        case let .binary(op, left, right):
            return try JinjaOperators.apply(op, try evaluate(left), try evaluate(right))
        }
    }

    private func describe(_ expression: JinjaExpression) -> String {
        if case .name(let name) = expression { return "'\(name)'" }
        if case .attribute(_, let key) = expression { return "'\(key)'" }
        return "the called value"
    }

    private func item(_ base: JinjaValue, _ index: JinjaValue) throws -> JinjaValue {
        switch (base, index) {
        case let (.list(items), .integer(i)):
            let at = i < 0 ? items.count + i : i
            return items.indices.contains(at) ? items[at] : .undefined
        case let (.string(s), .integer(i)):
            let characters = Array(s)
            let at = i < 0 ? characters.count + i : i
            return characters.indices.contains(at) ? .string(String(characters[at])) : .undefined
        case let (_, .string(key)): return base.member(key)
        default: return .undefined
        }
    }

    private func slice(_ base: JinjaValue, _ start: JinjaValue?, _ stop: JinjaValue?, _ step: JinjaValue?) throws -> JinjaValue {
        func integer(_ value: JinjaValue?) throws -> Int? {
            switch value {
            case nil, .none?, .undefined?: return nil
            case .integer(let i)?: return i
            case let other?: throw ChatTemplateError.render("slice bounds must be integers, got \(other.kind)")
            }
        }
        let step = try integer(step) ?? 1
        guard step != 0 else { throw ChatTemplateError.render("a slice step must not be zero") }
        func indices(_ count: Int) throws -> [Int] {
            func clamp(_ v: Int?, _ fallback: Int, low: Int, high: Int) -> Int {
                guard var v else { return fallback }
                if v < 0 { v += count }
                return min(max(v, low), high)
            }
            if step > 0 {
                let from = clamp(try integer(start), 0, low: 0, high: count)
                let to = clamp(try integer(stop), count, low: 0, high: count)
                return Array(Swift.stride(from: from, to: to, by: step))
            }
            let from = clamp(try integer(start), count - 1, low: -1, high: count - 1)
            let to = clamp(try integer(stop), -1, low: -1, high: count - 1)
            return Array(Swift.stride(from: from, to: to, by: step))
        }
        switch base {
        case .list(let items): return .list(try indices(items.count).map { items[$0] })
        case .string(let s):
            let characters = Array(s)
            return .string(String(try indices(characters.count).map { characters[$0] }))
        default: throw ChatTemplateError.render("cannot slice \(base.kind)")
        }
    }
}
