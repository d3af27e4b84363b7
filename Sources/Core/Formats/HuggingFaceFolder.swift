import Foundation

/// A Hugging Face model folder of the LLaMA family: `config.json`, weights in
/// `model.safetensors` or sharded behind `model.safetensors.index.json`, and optionally
/// `tokenizer.json`. Opening it checks that every tensor the config implies exists with the
/// right shape, so a model built from it cannot fail half-way.
public struct HuggingFaceFolder: Sendable {
    /// The folder's path.
    public let path: String
    /// The model's shape. `tieWordEmbeddings` is true when the config says so or when the
    /// weights have no `lm_head.weight`.
    public let config: LlamaConfig
    /// All weights, whichever file or shard holds them; f32/f16/bf16, converted to f32 on read.
    public let tensors: any TensorSource
    /// `tokenizer.json` in the folder, if there is one.
    public let tokenizerJSONPath: String?

    /// Opens and validates the folder at `path`.
    public init(path: String) throws {
        let configPath = (path as NSString).appendingPathComponent("config.json")
        let configData: Data
        do {
            configData = try RegularFile.contents(of: configPath, limit: RegularFile.Limit.configuration)
        } catch {
            throw HuggingFaceError.cannotRead(path: configPath, reason: "no readable config.json (\(ErrorText.words(error)))")
        }
        var config = try HuggingFaceConfig.llamaConfig(fromJSON: configData, path: configPath)

        let files = FileManager.default
        let singlePath = (path as NSString).appendingPathComponent("model.safetensors")
        let indexPath = (path as NSString).appendingPathComponent("model.safetensors.index.json")
        let tensors: any TensorSource
        if files.fileExists(atPath: singlePath) {
            tensors = try SafetensorsFile(path: singlePath)
        } else if files.fileExists(atPath: indexPath) {
            tensors = try HuggingFaceShardedTensors(indexPath: indexPath)
        } else {
            throw HuggingFaceError.noWeights(folder: path)
        }
        if tensors.descriptor("lm_head.weight") == nil { config.tieWordEmbeddings = true }
        try HuggingFaceTensorLayout.validate(config) { tensors.descriptor($0)?.shape }

        let tokenizerPath = (path as NSString).appendingPathComponent("tokenizer.json")
        self.path = path
        self.config = config
        self.tensors = tensors
        self.tokenizerJSONPath = files.fileExists(atPath: tokenizerPath) ? tokenizerPath : nil
    }
}
