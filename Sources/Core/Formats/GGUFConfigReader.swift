/// Typed reads of one GGUF file's `{arch}.*` metadata, each failure a `GGUFError` that names
/// the key: what a family description uses to read its own keys.
struct GGUFConfigReader {
    let file: GGUFFile
    /// The file's `general.architecture` (the prefix of its hyperparameter keys).
    let arch: String

    /// The full key of `{arch}.name`.
    func key(_ name: String) -> String { "\(arch).\(name)" }

    func optionalPositiveInt(_ name: String) throws -> Int? {
        let key = key(name)
        guard let value = file.metadata[key] else { return nil }
        guard let v = value.int else {
            throw GGUFError.metadataTypeMismatch(key: key, expected: "an integer", found: value.typeDescription)
        }
        guard v > 0 else { throw GGUFError.invalidMetadata(key: key, reason: "must be positive, is \(v)") }
        return v
    }

    func positiveInt(_ name: String) throws -> Int {
        guard let v = try optionalPositiveInt(name) else { throw GGUFError.missingMetadata(key: key(name)) }
        return v
    }

    /// A model size (`embedding_length`, `attention.key_length`...): a positive integer up to
    /// `LlamaConfig.maxDimension`, or nil when absent.
    func optionalSize(_ name: String) throws -> Int? {
        guard let v = try optionalPositiveInt(name) else { return nil }
        try checkSize(v, name)
        return v
    }

    func size(_ name: String) throws -> Int {
        guard let v = try optionalSize(name) else { throw GGUFError.missingMetadata(key: key(name)) }
        return v
    }

    private func checkSize(_ value: Int, _ name: String) throws {
        guard value <= LlamaConfig.maxDimension else {
            throw GGUFError.invalidMetadata(key: key(name), reason: "is \(value), above the limit of \(LlamaConfig.maxDimension) for a model size")
        }
    }

    func optionalFloat(_ name: String) throws -> Float? {
        let key = key(name)
        guard let value = file.metadata[key] else { return nil }
        guard let v = value.float else {
            throw GGUFError.metadataTypeMismatch(key: key, expected: "a number", found: value.typeDescription)
        }
        guard v.isFinite, v > 0 else { throw GGUFError.invalidMetadata(key: key, reason: "must be a positive finite number, is \(v)") }
        return v
    }

    func float(_ name: String) throws -> Float {
        guard let v = try optionalFloat(name) else { throw GGUFError.missingMetadata(key: key(name)) }
        return v
    }

    /// A per-layer count stored as a scalar (the same for every block) or as an array of one
    /// value per block (`deci`; 0 allowed: a block without that sublayer), each up to
    /// `LlamaConfig.maxDimension`; at least one block's value must be positive.
    func perLayer(_ name: String, layers: Int, default fallback: [Int]? = nil) throws -> [Int] {
        let key = key(name)
        guard let value = file.metadata[key] else {
            if let fallback { return fallback }
            throw GGUFError.missingMetadata(key: key)
        }
        if value.int != nil { return Array(repeating: try size(name), count: layers) }
        guard let items = value.intArray else {
            throw GGUFError.metadataTypeMismatch(key: key, expected: "an integer or an array of integers", found: value.typeDescription)
        }
        guard items.count == layers else {
            throw GGUFError.invalidMetadata(key: key, reason: "has \(items.count) entries for \(layers) blocks")
        }
        guard items.allSatisfy({ $0 >= 0 }), let top = items.max(), top > 0 else {
            throw GGUFError.invalidMetadata(key: key, reason: "per-block values \(items) must be >= 0, at least one positive")
        }
        try checkSize(top, name)
        return items
    }
}
