import Foundation
import Kernels

/// The file formats a model can be loaded from.
public enum ModelFormat: String, Sendable, Codable, CaseIterable {
    /// A llama.cpp GGUF file (architectures `GGUFFile.supportedArchitectures`).
    case gguf
    /// A Hugging Face folder: config.json, safetensors, tokenizer.json.
    case huggingFace = "hf"
}

/// A model ready to run, with the tokenizer that came with it and where it came from.
public struct LoadedModel: Sendable {
    public var model: LlamaModel
    /// nil when the files carry no tokenizer (a folder without tokenizer.json).
    public var tokenizer: (any TextTokenizer)?
    public var format: ModelFormat
    public var path: String
    /// GGUF metadata of the source file, kept so an export can carry the tokenizer over.
    public var ggufMetadata: [String: GGUFValue]?
    /// tokenizer.json of the source folder, if any.
    public var tokenizerJSONPath: String?
    /// The chat template's source (GGUF `tokenizer.chat_template`; a folder's chat_template.jinja
    /// or tokenizer_config.json `chat_template`), if the files carry one. Parsed when used.
    public var chatTemplate: String?
}

/// Problems opening a model path before any format reader runs.
public enum ModelFileError: Error, Equatable, CustomStringConvertible {
    case notFound(String)
    case unrecognised(String)
    /// The path names something other than a regular file or a folder (a FIFO, a device, a
    /// socket): reading it could block forever or never end.
    case notRegularFile(String)
    /// The path contains a NUL character, which no file name can hold.
    case invalidPath(String)

    public var description: String {
        switch self {
        case .notFound(let path): return "no file or folder at '\(path)'"
        case .unrecognised(let path):
            return "'\(path)' is neither a GGUF file nor a Hugging Face folder (config.json and model.safetensors)"
        case .notRegularFile(let path):
            return "'\(path)' is not a regular file or a folder (a FIFO, device or socket); give a model file or folder"
        case .invalidPath(let path):
            return "the path '\(ErrorText.excerpt(path))' contains a NUL character"
        }
    }
}

/// Opens model files in any supported format.
public enum ModelLoader {
    /// The precision models load in unless asked otherwise: f32, exact to the file's values
    /// (bf16 halves the memory).
    public static let defaultPrecision = WeightPrecision.f32

    /// Which format `path` holds: a folder is a Hugging Face folder, a file starting with the
    /// bytes `GGUF` is a GGUF file. Anything else (a FIFO, a device) is refused before it is
    /// opened, since opening a FIFO blocks until a writer appears.
    public static func detectFormat(path: String) throws -> ModelFormat {
        guard !path.contains("\0") else { throw ModelFileError.invalidPath(path) }
        var info = stat()
        guard stat(path, &info) == 0 else { throw ModelFileError.notFound(path) }
        if info.st_mode & S_IFMT == S_IFDIR { return .huggingFace }
        let descriptor: Int32
        do {
            (descriptor, _) = try RegularFile.open(path)
        } catch .notFound {
            throw ModelFileError.notFound(path)
        } catch .notRegularFile {
            throw ModelFileError.notRegularFile(path)
        }
        defer { close(descriptor) }
        var magic = [UInt8](repeating: 0, count: 4)
        guard read(descriptor, &magic, 4) == 4, magic == Array("GGUF".utf8) else {
            throw ModelFileError.unrecognised(path)
        }
        return .gguf
    }

    /// Loads the model at `path` (GGUF file or Hugging Face folder) with its linear layers in
    /// `precision`, and its tokenizer; `loading` sees every tensor and may stop the load.
    public static func load(
        path: String, precision: WeightPrecision = defaultPrecision, loading: LoadingObserver = LoadingObserver()
    ) throws -> LoadedModel {
        switch try detectFormat(path: path) {
        case .gguf:
            let file = try GGUFFile(path: path)
            let model = try LlamaModel(gguf: file, precision: precision, loading: loading)
            if loading.isCancelled() { throw OperationCancelled() }
            let tokenizer = try makeTokenizer(gguf: file)
            return LoadedModel(model: model, tokenizer: tokenizer, format: .gguf, path: path,
                               ggufMetadata: file.metadata, tokenizerJSONPath: nil,
                               chatTemplate: try file.tokenizerMetadata().chatTemplate)
        case .huggingFace:
            let folder = try HuggingFaceFolder(path: path)
            let model = try LlamaModel(folder: folder, precision: precision, loading: loading)
            if loading.isCancelled() { throw OperationCancelled() }
            let tokenizer = try folder.tokenizerJSONPath.map { try makeTokenizer(tokenizerJSONAt: $0) }
            return LoadedModel(model: model, tokenizer: tokenizer, format: .huggingFace, path: path,
                               ggufMetadata: nil, tokenizerJSONPath: folder.tokenizerJSONPath,
                               chatTemplate: try chatTemplate(folder: path))
        }
    }

    /// A folder's chat template: chat_template.jinja (what transformers writes since 4.43), else
    /// tokenizer_config.json's `chat_template`.
    static func chatTemplate(folder: String) throws -> String? {
        let jinja = (folder as NSString).appendingPathComponent("chat_template.jinja")
        if FileManager.default.fileExists(atPath: jinja) {
            return String(decoding: try RegularFile.contents(of: jinja, limit: RegularFile.Limit.configuration), as: UTF8.self)
        }
        let config = (folder as NSString).appendingPathComponent("tokenizer_config.json")
        guard FileManager.default.fileExists(atPath: config) else { return nil }
        return try ChatTemplate.source(tokenizerConfigAt: config)
    }
}
