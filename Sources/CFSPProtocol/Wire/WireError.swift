import Core
import RPC

/// Why a params (or result) object does not fit its type: the member, what it must be, and
/// details for programs. The daemon answers it as -32602 with `data.member`.
public struct WireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The member's path (`sparsity`, `clientInfo.name`, `tokens[3]`); empty for the object itself.
    public var member: String
    /// The sentence: `'sparsity' must be in [0, 1), not 1.5`.
    public var message: String
    /// Machine-readable details besides `member` (`minimum`, `exclusiveMaximum`, `accepted`).
    public var details: [String: JSONValue]

    /// Creates an error about `member`.
    public init(member: String, message: String, details: [String: JSONValue] = [:]) {
        self.member = member
        self.message = message
        self.details = details
    }

    /// The sentence.
    public var description: String { message }

    /// A required member that is absent.
    static func missing(_ path: String) -> WireError {
        WireError(member: path, message: "missing member '\(path)'")
    }

    /// A value of the wrong JSON type (`expected` in words: "a string", "an integer").
    static func wrongType(_ path: String, expected: String, got value: JSONValue) -> WireError {
        WireError(member: path, message: "'\(path)' must be \(expected), not \(excerpt(value))")
    }

    /// A number outside the member's range.
    static func outOfRange(_ path: String, _ what: String?, _ range: OptionRange, got value: JSONValue) -> WireError {
        WireError(member: path, message: "'\(path)' must be \(what.map { $0 + " " } ?? "")\(range), not \(excerpt(value))",
                  details: range.schemaKeywords)
    }

    /// A string that is not one of the accepted values.
    static func notOneOf(_ path: String, _ accepted: [String], got value: JSONValue) -> WireError {
        let list = accepted.map { "\"\($0)\"" }.joined(separator: ", ")
        return WireError(member: path, message: "'\(path)' must be one of \(list), not \(excerpt(value))",
                         details: ["accepted": .array(accepted.map(JSONValue.string))])
    }

    /// An error about the object as a whole (several members that exclude each other).
    public static func object(_ message: String) -> WireError {
        WireError(member: "", message: message)
    }

    /// The JSON-RPC error the daemon answers for params of `method` that do not fit.
    public func responseError(method: String) -> ResponseError {
        var data = details
        if !member.isEmpty { data["member"] = .string(member) }
        return .invalidParams("invalid params for '\(method)': \(message)", data: data.isEmpty ? nil : .object(data))
    }

    /// A short rendering of an offending value (long strings and arrays cut).
    static func excerpt(_ value: JSONValue) -> String {
        let text = String(decoding: value.serialized(), as: UTF8.self)
        return text.count > 60 ? String(text.prefix(57)) + "..." : text
    }
}

extension OptionRange {
    /// The range as JSON Schema keywords (`minimum`, `exclusiveMaximum`, …): the schema's words
    /// and the `data` of a range error.
    public var schemaKeywords: [String: JSONValue] {
        var keywords: [String: JSONValue] = [:]
        switch lower {
        case .inclusive(let value)?: keywords["minimum"] = .number(value)
        case .exclusive(let value)?: keywords["exclusiveMinimum"] = .number(value)
        case nil: break
        }
        switch upper {
        case .inclusive(let value)?: keywords["maximum"] = .number(value)
        case .exclusive(let value)?: keywords["exclusiveMaximum"] = .number(value)
        case nil: break
        }
        return keywords
    }
}

extension JSONValue {
    /// A number as JSON: an integer when it is one, else a double.
    static func number(_ value: Double) -> JSONValue {
        if let exact = Int(exactly: value) { return .int(exact) }
        return .double(value)
    }
}
