#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CFileSystem
import Foundation

/// Writes a Hugging Face model folder (`config.json`, `model.safetensors`, and a copy of
/// `tokenizer.json` when given) that `HuggingFaceFolder` and transformers can load.
///
/// Everything is written into a hidden temporary folder next to the destination
/// (`.<name>.cfsp-tmp-<pid>-<random>`), which is moved into place only when complete: a failure
/// leaves no partial model behind, and temporaries of writers that were killed are removed by
/// the next export into the same parent folder.
///
/// Overwriting replaces only a previous export: the existing folder may hold nothing but the
/// files a cfsp export writes (`exportEntries`), else the write is refused before anything is
/// written. The replacement swaps the two folders atomically (`renameat2(RENAME_EXCHANGE)`),
/// so the destination holds the old or the new export at every instant; where the file system
/// cannot exchange, the new files are renamed over the old ones one by one, `config.json` last.
public enum HuggingFaceFolderWriter {
    /// Writes the folder at `path`.
    /// - Parameters:
    ///   - config: the model's shape; its `ropeLayout` must be `.rotateHalf` (Hugging Face's Q/K
    ///     row order), since the weights are stored as given.
    ///   - tensors: at least every tensor `ModelTensorLayout.expected(config, naming: family.huggingFaceNaming)`
    ///     lists, with those shapes (checked before anything is written).
    ///   - tokenizerJSONPath: a `tokenizer.json` to copy into the folder, if any.
    ///   - files: further files to put in the folder (tokenizer files, the modeling file); each
    ///     name must be one of `exportEntries`.
    ///   - configFields: config.json fields added to (or replacing) those of
    ///     `HuggingFaceConfigWriter.json(for:)`, as JSON text.
    ///   - overwrite: replace an existing folder at `path` (else that is an error); only a
    ///     folder holding nothing but export files (`isExportEntry`) is replaced, anything else
    ///     is refused with `HuggingFaceError.destinationNotAnExport`. A missing parent folder
    ///     is created, parents included.
    public static func write(
        config: LlamaConfig, tensors: [SafetensorsTensor], tokenizerJSONPath: String? = nil,
        files: [HuggingFaceFolderFile] = [], configFields: [(String, String)] = [],
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
        let configText = try HuggingFaceConfigWriter.json(for: config, torchDType: torchDType, extraFields: configFields)
        for file in files where !isExportEntry(file.name) || file.name.contains("/") {
            throw HuggingFaceError.writeFailed(path: path, reason: "\(file.name) is not a file a cfsp export writes")
        }

        let manager = FileManager.default
        let destination = (path as NSString).standardizingPath
        var replacing = false
        var status = stat()
        if lstat(destination, &status) == 0 {
            guard overwrite else { throw HuggingFaceError.destinationExists(path: path) }
            try checkReplaceable(destination, status: status)
            replacing = true
        }
        if let reason = WriterTemporaries.createFolder(holding: destination) {
            throw HuggingFaceError.writeFailed(path: path, reason: reason)
        }
        let parent = WriterTemporaries.folder(of: destination)
        WriterTemporaries.removeStale(in: parent)
        let staging = (parent as NSString).appendingPathComponent(
            WriterTemporaries.name(for: (destination as NSString).lastPathComponent))
        do {
            try manager.createDirectory(atPath: staging, withIntermediateDirectories: false)
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
                    try manager.copyItem(atPath: tokenizerJSONPath, toPath: (staging as NSString).appendingPathComponent("tokenizer.json"))
                } catch {
                    throw HuggingFaceError.cannotRead(path: tokenizerJSONPath, reason: error.localizedDescription)
                }
            }
            for file in files {
                let target = (staging as NSString).appendingPathComponent(file.name)
                switch file {
                case .contents(_, let bytes):
                    try SafetensorsAtomicWriter.write(to: target) { try $0.append(bytes) }
                case .copy(_, let source):
                    do {
                        try manager.copyItem(atPath: source, toPath: target)
                    } catch {
                        throw HuggingFaceError.cannotRead(path: source, reason: error.localizedDescription)
                    }
                }
            }
            if replacing {
                try replace(destination, with: staging)
            } else {
                guard rename(staging, destination) == 0 else {
                    throw HuggingFaceError.writeFailed(path: destination, reason: String(cString: strerror(errno)))
                }
            }
        } catch {
            try? manager.removeItem(atPath: staging)
            throw error
        }
    }

    /// The names a cfsp Hugging Face export may hold; only a folder of these is overwritten.
    public static let exportEntries: Set<String> = [
        "config.json", "model.safetensors", "model.safetensors.index.json", "tokenizer.json",
        "tokenizer_config.json", "generation_config.json", "special_tokens_map.json", "tokenizer.model",
        "chat_template.jinja", HuggingFaceModelingFile.fileName,
    ]

    /// Whether `entry` is a file a cfsp export writes: one of `exportEntries` or a weight shard
    /// (`model-00001-of-00003.safetensors`).
    public static func isExportEntry(_ entry: String) -> Bool {
        if exportEntries.contains(entry) { return true }
        let shard = /model-[0-9]{5}-of-[0-9]{5}\.safetensors/
        return entry.wholeMatch(of: shard) != nil
    }

    /// Throws unless `destination` (whose `lstat` is `status`) is a real folder holding only
    /// export files (temporaries of dead writers are removed, not counted).
    package static func checkReplaceable(_ destination: String, status: stat) throws {
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw HuggingFaceError.destinationNotAnExport(
                path: destination, unexpected: [], reason: "it is not a folder (a file or a symbolic link)")
        }
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: destination)
        } catch {
            throw HuggingFaceError.cannotRead(path: destination, reason: error.localizedDescription)
        }
        WriterTemporaries.removeStale(in: destination)
        var unexpected: [String] = []
        for entry in entries.sorted() where !isExportEntry(entry) && !WriterTemporaries.isStale(entry) {
            var entryStatus = stat()
            let full = (destination as NSString).appendingPathComponent(entry)
            let isFile = lstat(full, &entryStatus) == 0 && entryStatus.st_mode & S_IFMT == S_IFREG
            unexpected.append(isFile ? entry : entry + "/")
        }
        guard unexpected.isEmpty else {
            throw HuggingFaceError.destinationNotAnExport(
                path: destination, unexpected: unexpected, reason: "it holds files a cfsp export does not write")
        }
    }

    /// Puts the finished `staging` folder at `destination` (an existing export) so that
    /// `destination` names a complete export at every instant, then removes the old one.
    private static func replace(_ destination: String, with staging: String) throws {
        if cfsp_rename_exchange(staging, destination) == 0 {
            // `staging` now names the old export.
            removeOldExport(staging, returningOthersTo: destination)
            return
        }
        guard errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP else {
            throw HuggingFaceError.writeFailed(path: destination, reason: String(cString: strerror(errno)))
        }
        try replaceFileByFile(destination, with: staging)
    }

    /// Deletes the export files in `old` and then the folder; anything else found there (put in
    /// after the check) is moved back into `destination` rather than deleted.
    private static func removeOldExport(_ old: String, returningOthersTo destination: String) {
        let files = FileManager.default
        for entry in (try? files.contentsOfDirectory(atPath: old)) ?? [] {
            let path = (old as NSString).appendingPathComponent(entry)
            if isExportEntry(entry) || WriterTemporaries.isStale(entry) {
                try? files.removeItem(atPath: path)
            } else {
                _ = rename(path, (destination as NSString).appendingPathComponent(entry))
            }
        }
        rmdir(old)
    }

    /// The fallback of `replace` where folders cannot be exchanged: renames each new file over
    /// its old counterpart (weights first, the shard index and `config.json` last, each rename
    /// atomic), removes old export files the new export lacks (stale shards), then `staging`.
    package static func replaceFileByFile(_ destination: String, with staging: String) throws {
        let files = FileManager.default
        let new: [String]
        do {
            new = try files.contentsOfDirectory(atPath: staging)
        } catch {
            throw HuggingFaceError.cannotRead(path: staging, reason: error.localizedDescription)
        }
        let last = ["model.safetensors.index.json", "config.json"]
        let ordered = new.filter { !last.contains($0) }.sorted() + last.filter(new.contains)
        for entry in ordered {
            let from = (staging as NSString).appendingPathComponent(entry)
            let to = (destination as NSString).appendingPathComponent(entry)
            guard rename(from, to) == 0 else {
                throw HuggingFaceError.writeFailed(path: to, reason: String(cString: strerror(errno)))
            }
        }
        let old = (try? files.contentsOfDirectory(atPath: destination)) ?? []
        for entry in old where isExportEntry(entry) && !new.contains(entry) {
            try? files.removeItem(atPath: (destination as NSString).appendingPathComponent(entry))
        }
        try? files.removeItem(atPath: staging)
    }
}
