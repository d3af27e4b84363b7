import Foundation

/// One `TensorSource` over the shards of a sharded checkpoint (`model.safetensors.index.json`):
/// each tensor is read from the shard the index's `weight_map` names.
public final class HuggingFaceShardedTensors: TensorSource {
    public let tensorNames: [String]
    private let shardOfTensor: [String: SafetensorsFile]

    /// Opens every shard named by the index at `indexPath`; shard file names are resolved in the
    /// index's folder and may not leave it. Throws if the index is malformed, a shard cannot be
    /// opened, or the index maps a tensor to a shard that lacks it.
    public init(indexPath: String) throws {
        let data: Data
        do {
            data = try RegularFile.contents(of: indexPath, limit: RegularFile.Limit.shardIndex)
        } catch {
            throw HuggingFaceError.cannotRead(path: indexPath, reason: ErrorText.words(error))
        }
        guard let json = try? JSONSerialization.jsonObject(with: data, options: []) as? [String: Any] else {
            throw HuggingFaceError.invalidShardIndex(path: indexPath, reason: "not a JSON object")
        }
        guard let rawMap = json["weight_map"] as? [String: Any] else {
            throw HuggingFaceError.invalidShardIndex(path: indexPath, reason: "missing 'weight_map' object of tensor name -> shard file")
        }
        var weightMap: [String: String] = [:]
        for (tensor, value) in rawMap {
            guard let shard = value as? String, !shard.isEmpty, !shard.contains("/"), shard != ".", shard != ".." else {
                throw HuggingFaceError.invalidShardIndex(
                    path: indexPath, reason: "'\(tensor)' must map to a shard file name in the same folder")
            }
            weightMap[tensor] = shard
        }
        let folder = (indexPath as NSString).deletingLastPathComponent
        var shards: [String: SafetensorsFile] = [:]
        for shardName in Set(weightMap.values).sorted() {
            shards[shardName] = try SafetensorsFile(path: (folder as NSString).appendingPathComponent(shardName))
        }
        var shardOfTensor: [String: SafetensorsFile] = [:]
        for (tensor, shardName) in weightMap {
            guard let shard = shards[shardName], shard.descriptor(tensor) != nil else {
                throw HuggingFaceError.shardTensorMissing(tensor: tensor, shard: shardName)
            }
            shardOfTensor[tensor] = shard
        }
        // File order: shards by name, each in its own order; tensors the index omits are ignored.
        var names: [String] = []
        for shardName in shards.keys.sorted() {
            guard let shard = shards[shardName] else { continue }
            names += shard.tensorNames.filter { weightMap[$0] == shardName }
        }
        self.tensorNames = names
        self.shardOfTensor = shardOfTensor
    }

    public func descriptor(_ name: String) -> TensorDescriptor? {
        shardOfTensor[name]?.descriptor(name)
    }

    public func floats(_ name: String) throws -> [Float] {
        guard let shard = shardOfTensor[name] else { throw HuggingFaceError.missingTensor(tensor: name) }
        return try shard.floats(name)
    }
}
