import Foundation
import RPC

/// Decodes a method's params from JSON, answering every failure with -32602 naming the member
/// and what it must be. JSON numbers are checked first: a number too large for a 64-bit float
/// (`1e400`) is refused instead of becoming null (and so the default); a fraction or an integer
/// beyond 64 bits given to an integer member, or a number beyond 32-bit float range given to a
/// float member, is named with the range it must lie in.
enum ParamsDecoding {
    /// Candidates tried when locating the member a decoding error came from.
    static let maxProbes = 64

    static func decode<P: Decodable>(_ type: P.Type, from params: JSONValue, method: String) throws -> P {
        var numbers: [(path: String, value: Double)] = []
        collectDoubles(params, path: "", into: &numbers)
        if let bad = numbers.first(where: { !$0.value.isFinite }) {
            throw invalid(method, bad.path, "is not a finite number (JSON numbers must lie within ±\(Double.greatestFiniteMagnitude))")
        }
        if let bad = firstPathWithNUL(params, path: "") {
            throw invalid(method, bad, "contains a NUL character, which no file name can hold")
        }
        do {
            return try params.decode(P.self)
        } catch {
            // Foundation does not always say which member a number failed in: find the one whose
            // replacement by a plain integer makes the error go away or move.
            let original = describe(error)
            for candidate in numbers.prefix(maxProbes) {
                guard let asInteger = try? replacing(candidate.path, in: params, with: .int(1)) else { continue }
                let fixed: String?
                do { _ = try asInteger.decode(P.self); fixed = nil } catch { fixed = describe(error) }
                guard fixed != original else { continue }
                // A member that accepts 0.5 as well as 1 holds a float: the number was out of its range.
                let withFraction = try? replacing(candidate.path, in: params, with: .double(0.5))
                let takesFraction = withFraction.map { describeOrNil($0, P.self) == fixed } ?? false
                throw invalid(method, candidate.path, takesFraction
                    ? "must be a number within ±\(Float.greatestFiniteMagnitude) (a 32-bit float), not \(candidate.value)"
                    : "must be an integer from \(Int.min) to \(Int.max), not \(candidate.value)")
            }
            throw ResponseError.invalidParams("invalid params for '\(method)': \(original)")
        }
    }

    private static func describeOrNil<P: Decodable>(_ value: JSONValue, _ type: P.Type) -> String? {
        do { _ = try value.decode(P.self); return nil } catch { return describe(error) }
    }

    private static func invalid(_ method: String, _ path: String, _ what: String) -> ResponseError {
        .invalidParams("invalid params for '\(method)': '\(path)' \(what)", data: ["member": .string(path)])
    }

    /// Every non-integer number (fractions, and integers too large for `Int`, which the JSON
    /// parser keeps as doubles), with its member path.
    private static func collectDoubles(_ value: JSONValue, path: String, into numbers: inout [(path: String, value: Double)]) {
        switch value {
        case .double(let d): numbers.append((path, d))
        case .array(let items):
            for (i, item) in items.enumerated() { collectDoubles(item, path: "\(path)[\(i)]", into: &numbers) }
        case .object(let members):
            for key in members.keys.sorted() {
                collectDoubles(members[key]!, path: path.isEmpty ? key : "\(path).\(key)", into: &numbers)
            }
        default: break
        }
    }

    /// The first member named `path` (or ending in `Path`) whose string holds a NUL: the C file
    /// APIs would silently cut the name there.
    private static func firstPathWithNUL(_ value: JSONValue, path: String) -> String? {
        switch value {
        case .object(let members):
            for key in members.keys.sorted() {
                let member = path.isEmpty ? key : "\(path).\(key)"
                if case .string(let text) = members[key]!, key == "path" || key.hasSuffix("Path"), text.contains("\0") {
                    return member
                }
                if let found = firstPathWithNUL(members[key]!, path: member) { return found }
            }
        case .array(let items):
            for (i, item) in items.enumerated() {
                if let found = firstPathWithNUL(item, path: "\(path)[\(i)]") { return found }
            }
        default: break
        }
        return nil
    }

    private struct PathNotFound: Error {}

    /// `value` with the member at `path` (as `collectDoubles` writes it) replaced.
    private static func replacing(_ path: String, in value: JSONValue, with replacement: JSONValue) throws -> JSONValue {
        try replacing(components(of: path)[...], in: value, with: replacement)
    }

    private enum Component { case key(String), index(Int) }

    private static func components(of path: String) -> [Component] {
        var result: [Component] = []
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            var rest = Substring(part)
            if let bracket = rest.firstIndex(of: "[") {
                if bracket != rest.startIndex { result.append(.key(String(rest[..<bracket]))) }
                rest = rest[bracket...]
                while rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                    result.append(.index(Int(rest[rest.index(after: rest.startIndex)..<close]) ?? -1))
                    rest = rest[rest.index(after: close)...]
                }
            } else {
                result.append(.key(String(rest)))
            }
        }
        return result
    }

    private static func replacing(_ path: ArraySlice<Component>, in value: JSONValue, with replacement: JSONValue) throws -> JSONValue {
        guard let first = path.first else { return replacement }
        switch (first, value) {
        case (.key(let key), .object(var members)):
            guard let member = members[key] else { throw PathNotFound() }
            members[key] = try replacing(path.dropFirst(), in: member, with: replacement)
            return .object(members)
        case (.index(let i), .array(var items)):
            guard items.indices.contains(i) else { throw PathNotFound() }
            items[i] = try replacing(path.dropFirst(), in: items[i], with: replacement)
            return .array(items)
        default:
            throw PathNotFound()
        }
    }

    /// A one-line account of a decoding error: which member, what was wrong.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ codingPath: [any CodingKey]) -> String {
            let joined = codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return joined.isEmpty ? "params" : joined
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing member '\(path(context.codingPath + [key]))'"
        case .typeMismatch(let type, let context): return "'\(path(context.codingPath))' must be of type \(type)"
        case .valueNotFound(let type, let context): return "'\(path(context.codingPath))' must be a \(type), not null"
        case .dataCorrupted(let context): return "'\(path(context.codingPath))': \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
