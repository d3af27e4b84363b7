/// Why a Hugging Face model folder could not be read or written. Messages name the file, key
/// or tensor at fault and what was expected.
public enum HuggingFaceError: Error, CustomStringConvertible, Equatable, Sendable {
    case cannotRead(path: String, reason: String)
    case invalidConfigJSON(path: String, reason: String)
    case unsupportedModelType(path: String, modelType: String)
    case missingConfigKey(path: String, key: String)
    case invalidConfigValue(path: String, key: String, reason: String)
    /// A config feature this project's LLaMA implementation does not have (biases, rope scaling…).
    case unsupportedConfigFeature(path: String, key: String, reason: String)
    case noWeights(folder: String)
    case invalidShardIndex(path: String, reason: String)
    case shardTensorMissing(tensor: String, shard: String)
    case missingTensor(tensor: String)
    case shapeMismatch(tensor: String, expected: [Int], actual: [Int])
    case destinationExists(path: String)
    /// Overwriting was asked for, but `path` is not a cfsp export folder: it holds `unexpected`
    /// entries (folders end in `/`) or is not a folder at all; nothing was written.
    case destinationNotAnExport(path: String, unexpected: [String], reason: String)
    case writeFailed(path: String, reason: String)
    case unsupportedRopeLayout(String)

    public var description: String {
        switch self {
        case let .cannotRead(path, reason):
            return "cannot read \(path): \(reason)"
        case let .invalidConfigJSON(path, reason):
            return "\(path) is not a valid config.json: \(reason)"
        case let .unsupportedModelType(path, modelType):
            return "\(path): model_type '\(modelType)' is not supported; supported: \(Architecture.supportedModelTypes.map { "'\($0)'" }.joined(separator: ", "))"
        case let .missingConfigKey(path, key):
            return "\(path) lacks the required key '\(key)'"
        case let .invalidConfigValue(path, key, reason):
            return "\(path): '\(key)' \(reason)"
        case let .unsupportedConfigFeature(path, key, reason):
            return "\(path): '\(key)' is not supported: \(reason)"
        case let .noWeights(folder):
            return "\(folder) has neither model.safetensors nor model.safetensors.index.json"
        case let .invalidShardIndex(path, reason):
            return "\(path) is not a valid shard index: \(reason)"
        case let .shardTensorMissing(tensor, shard):
            return "the shard index maps '\(tensor)' to \(shard), which has no such tensor"
        case let .missingTensor(tensor):
            return "the model weights lack the tensor '\(tensor)'"
        case let .shapeMismatch(tensor, expected, actual):
            return "tensor '\(tensor)' has shape \(actual) but the config implies \(expected)"
        case let .destinationExists(path):
            return "\(path) already exists; choose another folder or allow overwriting"
        case let .destinationNotAnExport(path, unexpected, reason):
            let listed = unexpected.isEmpty ? "" : " (\(unexpected.joined(separator: ", ")))"
            return "will not overwrite \(path): \(reason)\(listed); an overwrite replaces only a previous export "
                + "(config.json, model.safetensors, its shards and index, tokenizer.json, tokenizer_config.json, "
                + "generation_config.json): move the other files away or choose another folder"
        case let .writeFailed(path, reason):
            return "cannot write \(path): \(reason)"
        case let .unsupportedRopeLayout(detail):
            return "cannot export: \(detail)"
        }
    }
}
