import Core
import Foundation
import Kernels
import Testing
import TestSupport

/// A stand-in for the GGUF file a model was loaded from: general, architecture and tokenizer
/// metadata the export must carry over (or recompute).
func exportWriteSourceGGUF(at path: String, vocab: Int) throws {
    let tokens = (0..<vocab).map { GGUFValue.string("tok\($0)") }
    try GGUFWriter.write(metadata: [
        GGUFMetadataEntry("general.architecture", .string("llama")),
        GGUFMetadataEntry("general.name", .string("Tiny Source")),
        GGUFMetadataEntry("general.license", .string("apache-2.0")),
        GGUFMetadataEntry("general.file_type", .uint32(3)),
        GGUFMetadataEntry("general.quantization_version", .uint32(2)),
        GGUFMetadataEntry("llama.rope.scaling.type", .string("none")),
        GGUFMetadataEntry("llama.feed_forward_length", .uint32(999)),
        GGUFMetadataEntry("tokenizer.ggml.model", .string("gpt2")),
        GGUFMetadataEntry("tokenizer.ggml.tokens", .array(.string, tokens)),
        GGUFMetadataEntry("tokenizer.ggml.merges", .array(.string, [.string("t o"), .string("to k")])),
        GGUFMetadataEntry("tokenizer.ggml.bos_token_id", .uint32(1)),
        GGUFMetadataEntry("tokenizer.chat_template", .string("{{ messages }}")),
    ], tensors: [GGUFWriterTensor(name: "placeholder", shape: [1], type: .f32, values: [0])], to: path)
}

@Suite("Model export metadata and failures")
struct ExportMetadataTests {
    @Test("general and tokenizer keys are carried from the source; storage keys are recomputed")
    func carriesSourceMetadata() throws {
        let folder = try ScratchFolder()
        let sourcePath = folder.file("source.gguf")
        try exportWriteSourceGGUF(at: sourcePath, vocab: 96)
        let source = try GGUFFile(path: sourcePath)
        let path = folder.file("out.gguf")
        let result = try GGUFExporter.export(
            exportTestModel(layout: .interleaved), to: path, precision: .bf16, source: source, name: "Tiny Pruned")
        #expect(result.hasTokenizer)
        #expect(result.notes.isEmpty)
        let file = try GGUFFile(path: path)
        #expect(file.metadata["general.name"] == .string("Tiny Pruned"))
        #expect(file.metadata["general.license"] == .string("apache-2.0"))
        #expect(file.metadata["general.file_type"] == .uint32(32))
        #expect(file.metadata["general.quantization_version"] == nil)
        #expect(file.metadata["deci.rope.scaling.type"] == .string("none"))
        #expect(file.metadata["deci.feed_forward_length"]?.intArray == [48, 16, 30])
        for key in source.metadataKeys where key.hasPrefix("tokenizer.") {
            #expect(file.metadata[key] == source.metadata[key], "\(key)")
        }
        let tokenizer = try file.tokenizerMetadata()
        #expect(tokenizer.tokens.count == 96)
        #expect(tokenizer.merges == ["t o", "to k"])
        #expect(tokenizer.chatTemplate == "{{ messages }}")
        #expect(try file.llamaConfig().intermediateSizes == [48, 16, 30])
    }

    @Test("a source tokenizer of another vocabulary size is refused and nothing is written")
    func tokenizerMismatch() throws {
        let folder = try ScratchFolder()
        let sourcePath = folder.file("source.gguf")
        try exportWriteSourceGGUF(at: sourcePath, vocab: 50)
        let path = folder.file("out.gguf")
        let model = try exportTestModel(layout: .interleaved)
        let error = caughtError { try GGUFExporter.export(model, to: path, source: try GGUFFile(path: sourcePath)) }
        #expect(error as? ExportError == .tokenizerMismatch("the source file lists 50 tokens but the model has 96 embedding rows"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["source.gguf"])
    }

    @Test("failed exports leave no file and keep an existing one unless overwrite is asked for")
    func failuresLeaveNoFile() throws {
        let folder = try ScratchFolder()
        let model = try exportTestModel(layout: .interleaved)
        let path = folder.file("m.gguf")
        try GGUFExporter.export(model, to: path, precision: .f16)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let exists = caughtError { try GGUFExporter.export(model, to: path) }
        #expect(exists as? GGUFWriterError == .destinationExists(path: path))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        try GGUFExporter.export(model, to: path, overwrite: true)
        #expect(try GGUFFile(path: path).tensorInfo("token_embd.weight")?.type == .f32)

        let hfPath = folder.file("hf")
        try HuggingFaceExporter.export(model, to: hfPath)
        #expect(caughtError { try HuggingFaceExporter.export(model, to: hfPath) } as? HuggingFaceError
            == .destinationExists(path: hfPath))
        let missingTokenizer = folder.file("absent/tokenizer.json")
        let hfNew = folder.file("hf-new")
        let missing = HuggingFaceTokenizerSource.folder(tokenizerJSONPath: missingTokenizer, specialTokens: SpecialTokenIDs())
        #expect(caughtError { try HuggingFaceExporter.export(model, to: hfNew, tokenizer: missing) } != nil)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)) == ["m.gguf", "hf"])

        // A folder that cannot be made (its parent is a file) fails and leaves nothing.
        let nowhere = folder.file("m.gguf/sub/m.gguf")
        #expect(caughtError { try GGUFExporter.export(model, to: nowhere) } is GGUFWriterError)
        #expect(caughtError { try HuggingFaceExporter.export(model, to: folder.file("m.gguf/hf")) } is HuggingFaceError)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)) == ["m.gguf", "hf"])
    }

    @Test("a Hugging Face export copies the given tokenizer.json and notes per-layer widths and the modeling file")
    func huggingFaceTokenizer() throws {
        let folder = try ScratchFolder()
        let tokenizerPath = folder.file("tokenizer.json")
        let tokenizerText = #"{"version": "1.0", "model": {"type": "BPE"}}"#
        try tokenizerText.write(toFile: tokenizerPath, atomically: true, encoding: .utf8)
        let path = folder.file("hf")
        let result = try HuggingFaceExporter.export(
            exportTestModel(layout: .interleaved), to: path,
            tokenizer: .folder(tokenizerJSONPath: tokenizerPath, specialTokens: SpecialTokenIDs()))
        #expect(result.hasTokenizer && result.hasModelingFile)
        #expect(result.notes.contains { $0.contains("intermediate_sizes") && $0.contains("trust_remote_code") })
        let reopened = try HuggingFaceFolder(path: path)
        #expect(reopened.tokenizerJSONPath != nil)
        #expect(try String(contentsOfFile: path + "/tokenizer.json", encoding: .utf8) == tokenizerText)
        let config = try String(contentsOfFile: path + "/config.json", encoding: .utf8)
        #expect(config.contains("\"intermediate_sizes\": [48, 16, 30]"))
    }
}
