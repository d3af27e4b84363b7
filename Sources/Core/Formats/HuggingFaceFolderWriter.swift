import Foundation

/// Writes a Hugging Face model folder (`config.json`, `model.safetensors`, and a copy of
/// `tokenizer.json` when given) that `HuggingFaceFolder` and transformers can load.
///
/// Everything is written into a hidden temporary folder next to the destination, which is
/// renamed into place only when complete: a failure leaves no partial model behind.
public enum HuggingFaceFolderWriter {
    /// Writes the folder at `path`.
    /// - Parameters:
    ///   - config: the model's shape; its `ropeLayout` must be `.rotateHalf` (Hugging Face's Q/K
    ///     row order), since the weights are stored as given.
    ///   - tensors: at least every tensor `HuggingFaceTensorLayout.expectedTensors(for: config)`
    ///     lists, with those shapes (checked before anything is written).
    ///   - tokenizerJSONPath: a `tokenizer.json` to copy into the folder, if any.
    ///   - overwrite: replace an existing folder at `path` (else that is an error).
    public static func write(
        config: LlamaConfig, tensors: [SafetensorsTensor], tokenizerJSONPath: String? = nil,
        metadata: [String: String] = ["format": "pt"], to path: String, overwrite: Bool = false
    ) throws {
        guard config.ropeLayout == .rotateHalf else {
            throw HuggingFaceError.unsupportedRopeLayout(
                "Hugging Face folders store Q/K rows in rotate-half order; permute the interleaved (GGUF) rows first")
        }
        var shapes: [String: [Int]] = [:]
        for tensor in tensors { shapes[tensor.name] = tensor.shape }
        try HuggingFaceTensorLayout.validate(config) { shapes[$0] }
        let dtypes = Set(tensors.map(\.dtype))
        let torchDType = dtypes == [.bf16] ? "bfloat16" : dtypes == [.f16] ? "float16" : "float32"
        let configText = try HuggingFaceConfigWriter.json(for: config, torchDType: torchDType)

        let files = FileManager.default
        let destination = (path as NSString).standardizingPath
        if files.fileExists(atPath: destination) && !overwrite {
            throw HuggingFaceError.destinationExists(path: path)
        }
        let parent = (destination as NSString).deletingLastPathComponent
        let name = (destination as NSString).lastPathComponent
        let random = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let staging = (parent as NSString).appendingPathComponent(".\(name).tmp-\(random)")
        do {
            try files.createDirectory(atPath: staging, withIntermediateDirectories: false)
        } catch {
            throw HuggingFaceError.writeFailed(path: staging, reason: error.localizedDescription)
        }
        do {
            let configPath = (staging as NSString).appendingPathComponent("config.json")
            try SafetensorsAtomicWriter.write(to: configPath) { try $0.append(Array(configText.utf8)) }
            try SafetensorsWriter.write(
                tensors, metadata: metadata, to: (staging as NSString).appendingPathComponent("model.safetensors"))
            if let tokenizerJSONPath {
                do {
                    try files.copyItem(atPath: tokenizerJSONPath, toPath: (staging as NSString).appendingPathComponent("tokenizer.json"))
                } catch {
                    throw HuggingFaceError.cannotRead(path: tokenizerJSONPath, reason: error.localizedDescription)
                }
            }
            try moveIntoPlace(staging: staging, destination: destination, random: random)
        } catch {
            try? files.removeItem(atPath: staging)
            throw error
        }
    }

    /// Renames the finished `staging` folder to `destination`, moving any existing folder aside
    /// first and deleting it once the new one is in place.
    private static func moveIntoPlace(staging: String, destination: String, random: String) throws {
        let files = FileManager.default
        var displaced: String?
        if files.fileExists(atPath: destination) {
            let parent = (destination as NSString).deletingLastPathComponent
            let aside = (parent as NSString).appendingPathComponent(".\((destination as NSString).lastPathComponent).old-\(random)")
            guard rename(destination, aside) == 0 else {
                throw HuggingFaceError.writeFailed(path: destination, reason: String(cString: strerror(errno)))
            }
            displaced = aside
        }
        guard rename(staging, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            if let displaced { _ = rename(displaced, destination) }
            throw HuggingFaceError.writeFailed(path: destination, reason: reason)
        }
        if let displaced { try? files.removeItem(atPath: displaced) }
    }
}
