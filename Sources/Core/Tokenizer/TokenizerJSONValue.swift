/// A parsed JSON value that keeps object members as an ordered list of (key, value) pairs.
///
/// `tokenizer.json` vocabularies are JSON objects whose keys must be compared as bytes:
/// decoding them into a `[String: Int]` would silently merge canonically equivalent keys, so
/// this small parser is used instead of `JSONDecoder`.
indirect enum TokenizerJSONValue: Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([TokenizerJSONValue])
    case object([(key: String, value: TokenizerJSONValue)])

    /// The member `key` of an object (first occurrence), or nil.
    subscript(key: String) -> TokenizerJSONValue? {
        guard case .object(let members) = self else { return nil }
        let wanted = Array(key.utf8)
        return members.first { $0.key.utf8.elementsEqual(wanted) }?.value
    }

    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    /// The value as an integer, when it is a number with no fractional part.
    var intValue: Int? {
        guard case .number(let number) = self, number == number.rounded(),
              abs(number) < 9_007_199_254_740_992 else { return nil }
        return Int(number)
    }

    var arrayValue: [TokenizerJSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    var objectValue: [(key: String, value: TokenizerJSONValue)]? {
        if case .object(let members) = self { return members }
        return nil
    }

    var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Parses a complete JSON document.
    static func parse(_ bytes: [UInt8]) throws -> TokenizerJSONValue {
        var parser = TokenizerJSONParser(bytes: bytes)
        return try parser.parseDocument()
    }
}
