import Foundation

/// Typed access to the keys of a config object, turning absent or malformed values into
/// `HuggingFaceError`s that name the key.
struct HuggingFaceConfigKeys {
    let json: [String: Any]
    let path: String
    var prefix = ""

    func positiveInt(_ key: String) throws -> Int {
        guard let value = try optionalPositiveInt(key) else {
            throw HuggingFaceError.missingConfigKey(path: path, key: prefix + key)
        }
        return value
    }

    func optionalPositiveInt(_ key: String) throws -> Int? {
        guard let raw = json[key], !(raw is NSNull) else { return nil }
        guard let value = Self.integer(raw), value > 0 else {
            throw HuggingFaceError.invalidConfigValue(path: path, key: prefix + key, reason: "must be a positive integer")
        }
        return value
    }

    /// A model size (`hidden_size`, `head_dim`...): a positive integer up to `LlamaConfig.maxDimension`.
    func size(_ key: String) throws -> Int {
        guard let value = try optionalSize(key) else {
            throw HuggingFaceError.missingConfigKey(path: path, key: prefix + key)
        }
        return value
    }

    /// `size(key)`, or nil when the key is absent or null.
    func optionalSize(_ key: String) throws -> Int? {
        guard let value = try optionalPositiveInt(key) else { return nil }
        try Self.checkSize(value, key: prefix + key, path: path)
        return value
    }

    /// Throws unless `value` is at most `LlamaConfig.maxDimension`.
    static func checkSize(_ value: Int, key: String, path: String) throws {
        guard value <= LlamaConfig.maxDimension else {
            throw HuggingFaceError.invalidConfigValue(
                path: path, key: key, reason: "(\(value)) exceeds the limit of \(LlamaConfig.maxDimension) for a model size")
        }
    }

    func optionalPositiveDouble(_ key: String) throws -> Double? {
        guard let raw = json[key], !(raw is NSNull) else { return nil }
        guard !Self.isBoolean(raw), let number = raw as? NSNumber, number.doubleValue > 0, number.doubleValue.isFinite else {
            throw HuggingFaceError.invalidConfigValue(path: path, key: prefix + key, reason: "must be a positive number")
        }
        return number.doubleValue
    }

    func optionalBool(_ key: String) throws -> Bool? {
        guard let raw = json[key], !(raw is NSNull) else { return nil }
        guard Self.isBoolean(raw), let value = raw as? Bool else {
            throw HuggingFaceError.invalidConfigValue(path: path, key: prefix + key, reason: "must be true or false")
        }
        return value
    }

    func optionalString(_ key: String) throws -> String? {
        guard let raw = json[key], !(raw is NSNull) else { return nil }
        guard let value = raw as? String else {
            throw HuggingFaceError.invalidConfigValue(path: path, key: prefix + key, reason: "must be a string")
        }
        return value
    }

    /// The object at `key`, as keys of its own (nil when absent or null).
    func optionalObject(_ key: String) throws -> HuggingFaceConfigKeys? {
        guard let raw = json[key], !(raw is NSNull) else { return nil }
        guard let fields = raw as? [String: Any] else {
            throw HuggingFaceError.invalidConfigValue(path: path, key: prefix + key, reason: "must be an object or null")
        }
        return HuggingFaceConfigKeys(json: fields, path: path, prefix: prefix + key + ".")
    }

    /// An integral JSON number (`576` or `576.0`) as Int; nil for anything else.
    static func integer(_ raw: Any) -> Int? {
        guard !isBoolean(raw), let number = raw as? NSNumber else { return nil }
        let integer = number.int64Value
        guard Double(integer) == number.doubleValue else { return nil }
        return Int(integer)
    }

    /// Whether a JSONSerialization value came from `true`/`false` rather than a number.
    static func isBoolean(_ raw: Any) -> Bool {
        guard let number = raw as? NSNumber else { return raw is Bool }
        // JSONSerialization stores `true`/`false` as char-typed numbers; JSON numbers never are.
        return number.objCType.pointee == CChar(UInt8(ascii: "c"))
    }
}
