import Core
import Foundation
import Kernels
import Testing
import TestSupport

/// config.json of the folder at `path`, parsed.
private func configJSON(_ path: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path + "/config.json"))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

/// The HF export's files: tokenizer files from GGUF metadata, the modeling file for per-layer
/// widths, special ids and provenance in config.json; then transformers loading tiny exports.
@Suite("Hugging Face export files")
struct HuggingFaceExportTests {
    let pool = ThreadPool(threads: 2)
    let tokens: [Int32] = [3, 17, 42, 0, 49, 8, 8, 21, 33, 5, 12, 40]

    static let provenance = PruningProvenance(
        sourceName: "Tiny Llama", sourcePath: "/models/tiny.gguf", method: "cfsp", sparsity: 0.3, uniformWidths: false,
        calibrationWindows: 2, calibrationWindowSize: 128, calibrationText: "/data/wiki.train.raw")

    @Test("per-layer widths from a GGUF source: tokenizer files, modeling_cfsp.py, auto_map, ids and provenance")
    func perLayerFromGGUF() throws {
        let scratch = try ScratchFolder()
        let meta = writerSentencePieceMetadata(addSpacePrefix: false)
        let path = scratch.file("not/made/yet/hf")
        let result = try HuggingFaceExporter.export(
            try ArchitectureTests.model("llama"), to: path, tokenizer: .gguf(meta), provenance: Self.provenance)
        #expect(result.hasTokenizer && result.hasModelingFile && result.tensorTally.map(\.type) == ["F32"])
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: path)) == [
            "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json",
            "modeling_cfsp.py"])
        let config = try configJSON(path)
        #expect(config["architectures"] as? [String] == ["CfspLlamaForCausalLM"])
        #expect(config["auto_map"] as? [String: String] == [
            "AutoConfig": "modeling_cfsp.CfspLlamaConfig", "AutoModelForCausalLM": "modeling_cfsp.CfspLlamaForCausalLM"])
        #expect(config["intermediate_sizes"] as? [Int] == [40, 24, 33] && config["intermediate_size"] as? Int == 40)
        #expect(config["model_type"] as? String == "llama")
        #expect(config["bos_token_id"] as? Int == 2 && config["eos_token_id"] as? Int == 1 && config["pad_token_id"] as? Int == 0)
        let cfsp = try #require(config["cfsp"] as? [String: Any])
        #expect((cfsp["pruning"] as? [String: Any])?["sparsity"] as? Double == 0.3)
        #expect((cfsp["calibration"] as? [String: Any])?["window_size"] as? Int == 128)
        #expect((cfsp["source"] as? [String: Any])?["name"] as? String == "Tiny Llama")

        let modeling = try String(contentsOfFile: path + "/modeling_cfsp.py", encoding: .utf8)
        #expect(modeling.contains("from transformers import LlamaConfig, LlamaForCausalLM"))
        #expect(modeling.contains("class CfspLlamaForCausalLM(LlamaForCausalLM):"))
        #expect(modeling.contains("class CfspLlamaConfig(LlamaConfig):"))
        let generation = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path + "/generation_config.json"))) as? [String: Int]
        #expect(generation == ["bos_token_id": 2, "eos_token_id": 1, "pad_token_id": 0])
        let tokenizerConfig = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: path + "/tokenizer_config.json"))) as? [String: Any])
        #expect(tokenizerConfig["bos_token"] as? String == "<bos>" && tokenizerConfig["add_bos_token"] as? Bool == true)
        #expect(tokenizerConfig["chat_template"] as? String == meta.chatTemplate)
        #expect(tokenizerConfig["tokenizer_class"] as? String == "PreTrainedTokenizerFast")

        // cfsp reads the folder back, tokenizer included, with the same logits and ids.
        let folder = try HuggingFaceFolder(path: path)
        let reloaded = try LlamaModel(folder: folder, precision: .f32)
        #expect(exportRelativeDifference(try ArchitectureTests.model("llama").logits(for: tokens, pool: pool),
                                         try reloaded.logits(for: tokens, pool: pool)) < 1e-5)
        let tokenizer = try makeTokenizer(tokenizerJSONAt: try #require(folder.tokenizerJSONPath))
        let original = try makeTokenizer(metadata: meta)
        #expect(tokenizer.bosTokenID == 2 && tokenizer.addsBOSToken)
        for text in writerSampleTexts(seed: 9).prefix(40) {
            #expect(tokenizer.encodeDocument(text) == original.encodeDocument(text))
        }
    }

    @Test("uniform widths: no modeling file, the stock class named; an existing folder is still refused")
    func uniformWidths() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("hf")
        let model = try ArchitectureTests.model("gemma3", widths: [32, 32, 32])
        let result = try HuggingFaceExporter.export(model, to: path, tokenizer: .gguf(writerByteLevelMetadata(pre: "smollm")))
        #expect(!result.hasModelingFile)
        let config = try configJSON(path)
        #expect(config["architectures"] as? [String] == ["Gemma3ForCausalLM"] && config["auto_map"] == nil)
        #expect(config["intermediate_sizes"] == nil && config["cfsp"] == nil)
        #expect(!FileManager.default.fileExists(atPath: path + "/modeling_cfsp.py"))
        #expect(throws: HuggingFaceError.destinationExists(path: path)) { try HuggingFaceExporter.export(model, to: path) }
        // Overwriting a per-layer export with a uniform one removes the modeling file.
        try HuggingFaceExporter.export(try ArchitectureTests.model("gemma3"), to: path, overwrite: true)
        #expect(FileManager.default.fileExists(atPath: path + "/modeling_cfsp.py"))
        try HuggingFaceExporter.export(model, to: path, overwrite: true)
        #expect(!FileManager.default.fileExists(atPath: path + "/modeling_cfsp.py"))
    }

    @Test("every family's per-layer export names its own transformers classes", arguments: ArchitectureTests.families)
    func modelingFilePerFamily(family: String) throws {
        let classes = ["llama": ("LlamaConfig", "LlamaForCausalLM"), "qwen2": ("Qwen2Config", "Qwen2ForCausalLM"),
                       "qwen3": ("Qwen3Config", "Qwen3ForCausalLM"), "gemma3": ("Gemma3TextConfig", "Gemma3ForCausalLM")]
        let (configClass, modelClass) = try #require(classes[family])
        let scratch = try ScratchFolder()
        try HuggingFaceExporter.export(try ArchitectureTests.model(family), to: scratch.file("hf"))
        let modeling = try String(contentsOfFile: scratch.file("hf/modeling_cfsp.py"), encoding: .utf8)
        #expect(modeling.contains("from transformers import \(configClass), \(modelClass)\n"))
        #expect(modeling.contains("class Cfsp\(modelClass)(\(modelClass)):"))
        #expect(try configJSON(scratch.file("hf"))["architectures"] as? [String] == ["Cfsp\(modelClass)"])
    }

    @Test("an HF source's tokenizer files are copied through; a missing tokenizer is noted")
    func copiesSourceTokenizerFiles() throws {
        let scratch = try ScratchFolder()
        let source = scratch.file("source")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try Data(TokenizerJSONWriter.json(for: writerByteLevelMetadata(pre: "gpt-2"))).write(to: URL(fileURLWithPath: source + "/tokenizer.json"))
        try Data(#"{"bos_token": "<|im_start|>"}"#.utf8).write(to: URL(fileURLWithPath: source + "/tokenizer_config.json"))
        try Data(#"{"eos_token_id": [2, 7]}"#.utf8).write(to: URL(fileURLWithPath: source + "/generation_config.json"))
        let model = try ArchitectureTests.model("qwen2", widths: [32, 32, 32])
        let result = try HuggingFaceExporter.export(
            model, to: scratch.file("hf"),
            tokenizer: .folder(tokenizerJSONPath: source + "/tokenizer.json", specialTokens: SpecialTokenIDs(bos: 256, eos: 257)))
        #expect(result.hasTokenizer && result.notes.isEmpty)
        for name in ["tokenizer.json", "tokenizer_config.json", "generation_config.json"] {
            #expect(FileManager.default.contentsEqual(atPath: source + "/" + name, andPath: scratch.file("hf/" + name)), "\(name)")
        }
        #expect(try configJSON(scratch.file("hf"))["eos_token_id"] as? Int == 257)
        let bare = try HuggingFaceExporter.export(model, to: scratch.file("bare"))
        #expect(!bare.hasTokenizer && bare.notes.contains { $0.contains("no tokenizer.json") })
    }

    @Test("a quantized precision is refused before anything is written")
    func quantizedRefused() throws {
        let scratch = try ScratchFolder()
        #expect(throws: ExportError.unsupportedPrecision(.q4_k_m, format: "Hugging Face safetensors")) {
            try HuggingFaceExporter.export(try ArchitectureTests.model("llama"), to: scratch.file("hf"), precision: .q4_k_m)
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.file("hf")))
    }

    @Test("a pruned model's GGUF records its provenance under cfsp.* and is named after it; missing folders are made")
    func ggufProvenance() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("a/b/m.gguf")
        try GGUFExporter.export(try ArchitectureTests.model("llama"), to: path, provenance: Self.provenance)
        let file = try GGUFFile(path: path)
        #expect(file.metadata["general.name"]?.string == "Tiny Llama (cfsp 30%)")
        #expect(file.metadata["cfsp.pruning.method"]?.string == "cfsp")
        #expect(file.metadata["cfsp.source.path"]?.string == "/models/tiny.gguf")
        #expect(file.metadata["cfsp.calibration.windows"]?.int == 2)
        #expect(file.metadata["cfsp.calibration.text"]?.string == "/data/wiki.train.raw")
        let named = scratch.file("named.gguf")
        try GGUFExporter.export(try ArchitectureTests.model("llama"), to: named, name: "mine", provenance: Self.provenance)
        #expect(try GGUFFile(path: named).metadata["general.name"]?.string == "mine")
        #expect(throws: GGUFWriterError.destinationExists(path: path)) {
            try GGUFExporter.export(try ArchitectureTests.model("llama"), to: path)
        }
        var other = Self.provenance
        other.method = "wanda-sp"
        other.sparsity = 0.125
        #expect(other.modelName == "Tiny Llama (cfsp wanda-sp 12.5%)")
    }

    /// Every family, per-layer and uniform widths, loaded by transformers from the export.
    @Test("transformers loads every family's export (trust_remote_code for per-layer widths) with cfsp's logits and ids")
    func transformersLoadsTinyExports() throws {
        let scratch = try ScratchFolder()
        let texts = writerSampleTexts(seed: 11).prefix(30).map { $0 }
        var jobs: [TransformersExportReport.Job] = []
        var expected: [(name: String, model: LlamaModel, tokenizer: any TextTokenizer)] = []
        for family in ArchitectureTests.families {
            for widths in [[40, 24, 33], [32, 32, 32]] {
                let model = try ArchitectureTests.model(family, widths: widths, headDim: family == "qwen3" ? 12 : nil)
                let meta = family == "gemma3" || family == "llama"
                    ? writerSentencePieceMetadata(addSpacePrefix: family == "llama") : writerByteLevelMetadata(pre: "smollm")
                let path = scratch.file("\(family)-\(widths[1])")
                try HuggingFaceExporter.export(model, to: path, tokenizer: .gguf(meta))
                jobs.append(.init(folder: path, texts: texts, tokens: tokens))
                expected.append(("\(family) \(widths)", model, try makeTokenizer(metadata: meta)))
            }
        }
        let report = try TransformersExportReport.run(jobs)
        for ((name, model, tokenizer), result) in zip(expected, report.results) {
            let perLayer = Set(model.config.intermediateSizes).count > 1
            #expect(result.modelClass?.hasPrefix("Cfsp") == perLayer, "\(name): \(result.modelClass ?? "none")")
            #expect(result.widths == model.config.intermediateSizes, "\(name)")
            let difference = maxAbsoluteDifference(try model.logits(for: tokens, pool: pool), result.logits)
            #expect(difference <= 1e-4, "\(name): max |cfsp - transformers| = \(difference)")
            // transformers loads model_type qwen2 with its Qwen2Tokenizer whatever tokenizer_class
            // says (MODELS_WITH_INCORRECT_HUB_TOKENIZER_CLASS), and that class puts an NFC
            // normalizer in front: the ids are those of the NFC form of the text (llama.cpp and
            // cfsp do not normalize). Every other family takes tokenizer.json as written.
            let qwen2 = model.config.architecture == "qwen2" || model.config.attentionBias
            #expect(result.tokenizerClass == (qwen2 ? "Qwen2Tokenizer" : "TokenizersBackend"), "\(name)")
            let seen = qwen2 ? result.nfcTexts : texts
            #expect(seen.count == texts.count)
            #expect(result.ids == seen.map(tokenizer.encode), "\(name): ids without special tokens")
            #expect(result.idsWithSpecial == seen.map(tokenizer.encodeDocument), "\(name): BOS as the GGUF says")
            #expect(result.generation["bos_token_id"] == tokenizer.bosTokenID.map(Int.init))
        }
    }
}
