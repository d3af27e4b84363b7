import Core
import Foundation
import Testing
import TestSupport

/// A tiny LLaMA config: GQA (2 heads, 1 KV head), two blocks of different FFN widths.
func hfTinyLlamaConfig(widths: [Int] = [6, 4], tied: Bool = false) -> LlamaConfig {
    LlamaConfig(
        architecture: "llama", vocabSize: 16, hiddenSize: 8, intermediateSizes: widths, numHeads: 2,
        numKVHeads: 1, headDim: 4, rmsNormEps: 1e-5, ropeTheta: 100_000, contextLength: 64,
        tieWordEmbeddings: tied, ropeLayout: .rotateHalf)
}

/// Random weights with the shapes `config` needs.
func hfTinyLlamaTensors(_ config: LlamaConfig, dtype: SafetensorsDType = .f32, seed: UInt64 = 3) -> [SafetensorsTensor] {
    var random = TestRandom(seed: seed)
    return ModelTensorLayout.expected(config, naming: .huggingFace).map { tensor in
        SafetensorsTensor(name: tensor.name, shape: tensor.shape, values: random.floats(tensor.shape.reduce(1, *)), dtype: dtype)
    }
}

@Suite("Hugging Face config.json")
struct HuggingFaceConfigTests {
    private func parse(_ json: String) throws -> LlamaConfig {
        try HuggingFaceConfig.llamaConfig(fromJSON: Data(json.utf8), path: "config.json")
    }

    /// The keys of a minimal LLaMA config, with `extra` merged over them.
    private func json(_ extra: [String: String] = [:], removing: Set<String> = []) -> String {
        var fields = [
            "model_type": "\"llama\"", "hidden_size": "8", "intermediate_size": "6", "num_hidden_layers": "2",
            "num_attention_heads": "2", "vocab_size": "16",
        ]
        for (key, value) in extra { fields[key] = value }
        return "{" + fields.filter { !removing.contains($0.key) }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
    }

    @Test("SmolLM2-135M-style config: GQA, top-level rope_theta, tied, no head_dim")
    func smolLM2() throws {
        let text = """
        {"architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
         "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu", "hidden_size": 576,
         "initializer_range": 0.041666666666666664, "intermediate_size": 1536, "is_llama_config": true,
         "max_position_embeddings": 8192, "mlp_bias": false, "model_type": "llama", "num_attention_heads": 9,
         "num_hidden_layers": 30, "num_key_value_heads": 3, "pad_token_id": 2, "pretraining_tp": 1,
         "rms_norm_eps": 1e-05, "rope_interleaved": false, "rope_scaling": null, "rope_theta": 100000,
         "tie_word_embeddings": true, "torch_dtype": "bfloat16", "transformers_version": "4.42.3",
         "use_cache": true, "vocab_size": 49152}
        """
        let config = try parse(text)
        #expect(config == LlamaConfig(
            architecture: "llama", vocabSize: 49152, hiddenSize: 576, intermediateSizes: Array(repeating: 1536, count: 30),
            numHeads: 9, numKVHeads: 3, headDim: 64, rmsNormEps: 1e-5, ropeTheta: 100_000, contextLength: 8192,
            tieWordEmbeddings: true, ropeLayout: .rotateHalf))
    }

    @Test("defaults: KV heads = heads, head_dim = hidden/heads, eps 1e-6, theta 10000, untied, context 2048")
    func defaults() throws {
        let config = try parse(json())
        #expect(config.numKVHeads == 2)
        #expect(config.headDim == 4)
        #expect(config.rmsNormEps == 1e-6)
        #expect(config.ropeTheta == 10_000)
        #expect(config.tieWordEmbeddings == false)
        #expect(config.contextLength == 2048)
        #expect(config.intermediateSizes == [6, 6])
    }

    @Test("rope_theta under rope_parameters, explicit head_dim, GQA, per-layer intermediate_sizes")
    func variants() throws {
        let config = try parse(json([
            "rope_parameters": #"{"rope_type": "default", "rope_theta": 500000.0}"#, "head_dim": "16",
            "num_key_value_heads": "1", "intermediate_sizes": "[5, 3]", "rms_norm_eps": "1e-05",
            "tie_word_embeddings": "true", "max_position_embeddings": "128",
        ]))
        #expect(config.ropeTheta == 500_000)
        #expect(config.headDim == 16)
        #expect(config.numKVHeads == 1)
        #expect(config.intermediateSizes == [5, 3])
        #expect(config.numLayers == 2)
        #expect(config.rmsNormEps == 1e-5)
        #expect(config.tieWordEmbeddings)
        #expect(config.contextLength == 128)
        // A top-level rope_theta wins; integral floats are integers.
        let topLevel = try parse(json(["rope_theta": "20000", "rope_parameters": #"{"rope_theta": 1.0}"#, "hidden_size": "8.0"]))
        #expect(topLevel.ropeTheta == 20_000)
        #expect(topLevel.hiddenSize == 8)
    }

    @Test("non-LLaMA model types are rejected, naming what is supported")
    func otherModelTypes() throws {
        for modelType in ["gpt2", "phi3", "falcon"] {
            #expect(throws: HuggingFaceError.unsupportedModelType(path: "config.json", modelType: modelType)) {
                try parse(json(["model_type": "\"\(modelType)\""]))
            }
        }
        let message = HuggingFaceError.unsupportedModelType(path: "c", modelType: "gpt2").description
        for name in ["'llama'", "'mistral'", "'qwen2'", "'gemma3_text'"] { #expect(message.contains(name), "names \(name)") }
        let bias = caughtError { try parse(json(["attention_bias": "true"])) }
        guard case .unsupportedConfigFeature(_, "attention_bias", _)? = bias as? HuggingFaceError else {
            Issue.record("LLaMA attention_bias: expected unsupportedConfigFeature, got \(String(describing: bias))")
            return
        }
        #expect(throws: HuggingFaceError.self) { try parse(json(["hidden_act": "\"gelu\""])) }
        #expect(throws: HuggingFaceError.self) { try parse(json(["rope_scaling": #"{"rope_type": "llama3", "factor": 8.0}"#])) }
        #expect(throws: HuggingFaceError.self) { try parse(json(["rope_parameters": #"{"rope_type": "yarn", "rope_theta": 1e4}"#])) }
    }

    @Test("missing and malformed keys are specific errors")
    func badKeys() throws {
        for key in ["hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size", "intermediate_size", "model_type"] {
            #expect(throws: HuggingFaceError.missingConfigKey(path: "config.json", key: key)) { try parse(json(removing: [key])) }
        }
        #expect(throws: HuggingFaceError.invalidConfigValue(path: "config.json", key: "hidden_size", reason: "must be a positive integer")) {
            try parse(json(["hidden_size": "\"8\""]))
        }
        #expect(throws: HuggingFaceError.invalidConfigValue(path: "config.json", key: "hidden_size", reason: "must be a positive integer")) {
            try parse(json(["hidden_size": "8.5"]))
        }
        #expect(throws: HuggingFaceError.invalidConfigValue(path: "config.json", key: "num_hidden_layers", reason: "must be a positive integer")) {
            try parse(json(["num_hidden_layers": "true"]))
        }
        #expect(throws: HuggingFaceError.invalidConfigValue(path: "config.json", key: "intermediate_sizes", reason: "has 3 entries but num_hidden_layers is 2")) {
            try parse(json(["intermediate_sizes": "[1, 2, 3]"]))
        }
        #expect(throws: HuggingFaceError.self) { try parse(json(["num_key_value_heads": "3", "num_attention_heads": "4"])) }
        #expect(throws: HuggingFaceError.self) { try parse(json(["hidden_size": "9"])) }
        #expect(throws: HuggingFaceError.self) { try parse(json(["tie_word_embeddings": "1"])) }
        #expect(throws: HuggingFaceError.self) { try parse(json(["rms_norm_eps": "-1"])) }
        #expect(throws: HuggingFaceError.self) { try parse("{\"model_type\": ") }
        #expect(throws: HuggingFaceError.self) { try parse("[]") }
    }

    @Test("written config.json reads back equal; intermediate_sizes only when widths differ")
    func writerRoundTrip() throws {
        let pruned = hfTinyLlamaConfig(widths: [6, 4, 5])
        let text = try HuggingFaceConfigWriter.json(for: pruned, torchDType: "bfloat16")
        #expect(text.contains("\"intermediate_size\": 6"))
        #expect(text.contains("\"intermediate_sizes\": [6, 4, 5]"))
        #expect(try parse(text) == pruned)
        let dense = hfTinyLlamaConfig(widths: [6, 6], tied: true)
        let denseText = try HuggingFaceConfigWriter.json(for: dense)
        #expect(!denseText.contains("intermediate_sizes"))
        #expect(try parse(denseText) == dense)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(denseText.utf8)) as? [String: Any])
        #expect(object["rms_norm_eps"] as? Double == 1e-5)
        #expect(object["architectures"] as? [String] == ["LlamaForCausalLM"])
        let keys = denseText.split(separator: "\n").compactMap { $0.split(separator: "\"").dropFirst().first.map(String.init) }
        #expect(keys == keys.sorted(), "keys are sorted")
    }

    /// Found by fuzz/ (harness hf-config, with crafted inputs): head counts and head sizes were
    /// unbounded, so `num_attention_heads` x `head_dim` overflowed (a trap) when the tensor list
    /// was made, and a huge `head_dim` sized Llama 3's rotary table (an 8 GiB allocation).
    @Test("sizes above LlamaConfig.maxDimension are refused before anything is sized by them")
    func hugeSizes() throws {
        let huge = "4294967296"
        let cases: [[String: String]] = [
            ["num_attention_heads": huge, "head_dim": huge, "num_key_value_heads": "1"],
            ["head_dim": huge, "rope_scaling": #"{"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 16}"#],
            ["vocab_size": huge], ["hidden_size": huge], ["intermediate_sizes": "[6, \(huge)]"],
        ]
        for extra in cases {
            #expect(throws: HuggingFaceError.self, "\(extra)") {
                let config = try parse(json(extra))
                try HuggingFaceTensorLayout.validate(config) { _ in nil }
            }
        }
        #expect(try parse(json(["head_dim": "\(LlamaConfig.maxDimension)"])).headDim == LlamaConfig.maxDimension)
    }

    /// Found by fuzz/ (harness hf-config, with crafted inputs): Gemma 3's writer turned the
    /// attention scale back into `query_pre_attn_scalar` with `Int(...)`, which trapped for a
    /// scalar above Int.max or one whose scale underflowed to 0 (1e300), and rounded a
    /// fractional scalar (10.5) to another model; a huge `rope_local_base_freq` became
    /// infinity, which the writer wrote as `inf`, not JSON.
    @Test("Gemma 3's attention scalar and local rotary base are checked on read and kept on write")
    func gemma3ScalarsRoundTrip() throws {
        let gemma = ["model_type": "\"gemma3_text\"", "head_dim": "4"]
        for scalar in ["1e300", "1e-300"] {
            #expect(throws: HuggingFaceError.self, "\(scalar)") {
                try parse(json(gemma.merging(["query_pre_attn_scalar": scalar]) { $1 }))
            }
        }
        #expect(throws: HuggingFaceError.self) { try parse(json(gemma.merging(["rope_local_base_freq": "1e300"]) { $1 })) }
        for scalar in ["1e30", "10.5", "256", "4", "0.3"] {
            let config = try parse(json(gemma.merging(["query_pre_attn_scalar": scalar]) { $1 }))
            #expect(try parse(try HuggingFaceConfigWriter.json(for: config)) == config, "\(scalar)")
        }
        let plain = try HuggingFaceConfigWriter.json(for: try parse(json(gemma.merging(["query_pre_attn_scalar": "256"]) { $1 })))
        #expect(plain.contains("\"query_pre_attn_scalar\": 256"))
    }

    /// Found by fuzz/ (harness hf-config): the LLaMA, Qwen2 and Qwen3 writers always wrote
    /// `"hidden_act": "silu"`, so exporting a model whose config.json said gelu_pytorch_tanh
    /// silently changed its FFN activation.
    @Test("the FFN activation survives writing and reading config.json", arguments: ["llama", "qwen2", "qwen3"])
    func activationRoundTrip(family: String) throws {
        let config = try parse(json(["model_type": "\"\(family)\"", "hidden_act": "\"gelu_pytorch_tanh\""]))
        #expect(config.activation == .geluTanh)
        #expect(try parse(try HuggingFaceConfigWriter.json(for: config)).activation == .geluTanh)
    }
}

@Suite("Hugging Face folders")
struct HuggingFaceFolderTests {
    @Test("writer -> reader round trip: config, every tensor, tokenizer.json copied")
    func roundTrip() throws {
        let scratch = try ScratchFolder()
        let config = hfTinyLlamaConfig()
        let tensors = hfTinyLlamaTensors(config)
        let tokenizer = scratch.file("tokenizer-source.json")
        try Data("{\"model\": {}}".utf8).write(to: URL(fileURLWithPath: tokenizer))
        let destination = scratch.file("pruned")
        try HuggingFaceFolderWriter.write(config: config, tensors: tensors, tokenizerJSONPath: tokenizer, to: destination)
        #expect(scratch.contents() == ["pruned", "tokenizer-source.json"], "no staging folder is left behind")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: destination)) ?? []).sorted()
            == ["config.json", "model.safetensors", "tokenizer.json"])

        let folder = try HuggingFaceFolder(path: destination)
        #expect(folder.config == config)
        #expect(folder.tokenizerJSONPath == destination + "/tokenizer.json")
        #expect(Set(folder.tensors.tensorNames) == Set(tensors.map(\.name)))
        for tensor in tensors {
            #expect(folder.tensors.descriptor(tensor.name)?.shape == tensor.shape)
            #expect(try folder.tensors.floats(tensor.name) == tensor.values, "\(tensor.name)")
        }
    }

    @Test("bf16 export reads back within bf16 precision; tied config needs no lm_head")
    func bf16Tied() throws {
        let scratch = try ScratchFolder()
        let config = hfTinyLlamaConfig(widths: [3, 3], tied: true)
        let tensors = hfTinyLlamaTensors(config, dtype: .bf16)
        #expect(!tensors.contains { $0.name == "lm_head.weight" })
        let destination = scratch.file("model")
        try HuggingFaceFolderWriter.write(config: config, tensors: tensors, to: destination)
        let folder = try HuggingFaceFolder(path: destination)
        #expect(folder.config == config)
        #expect(folder.tokenizerJSONPath == nil)
        #expect(folder.tensors.descriptor("model.norm.weight")?.type == .bf16)
        let configText = try String(contentsOfFile: destination + "/config.json", encoding: .utf8)
        #expect(configText.contains("\"torch_dtype\": \"bfloat16\""))
        for tensor in tensors {
            for (read, original) in zip(try folder.tensors.floats(tensor.name), tensor.values) {
                #expect(abs(read - original) <= abs(original) * 0x1p-8)
            }
        }
    }

    /// Writes config.json and model.safetensors by hand (bypassing the writer's checks).
    private func handMadeFolder(configJSON: String, tensors: [SafetensorsTensor], in scratch: ScratchFolder) throws -> String {
        let path = scratch.file("hand")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Data(configJSON.utf8).write(to: URL(fileURLWithPath: path + "/config.json"))
        try SafetensorsWriter.write(tensors, to: path + "/model.safetensors")
        return path
    }

    @Test("an untied config without lm_head.weight is treated as tied")
    func missingLMHeadMeansTied() throws {
        let scratch = try ScratchFolder()
        let untied = hfTinyLlamaConfig(tied: false)
        let tensors = hfTinyLlamaTensors(untied).filter { $0.name != "lm_head.weight" }
        let path = try handMadeFolder(configJSON: try HuggingFaceConfigWriter.json(for: untied), tensors: tensors, in: scratch)
        let folder = try HuggingFaceFolder(path: path)
        #expect(folder.config.tieWordEmbeddings)
        #expect(folder.tensors.descriptor("lm_head.weight") == nil)
    }

    @Test("missing tensors and wrong shapes are errors naming the tensor, expected and actual shapes")
    func shapeValidation() throws {
        let scratch = try ScratchFolder()
        let config = hfTinyLlamaConfig()
        let configJSON = try HuggingFaceConfigWriter.json(for: config)
        var wrong = hfTinyLlamaTensors(config)
        let index = try #require(wrong.firstIndex { $0.name == "model.layers.1.mlp.down_proj.weight" })
        wrong[index] = SafetensorsTensor(name: wrong[index].name, shape: [8, 5], values: Array(repeating: 0, count: 40))
        let path = try handMadeFolder(configJSON: configJSON, tensors: wrong, in: scratch)
        let expected = HuggingFaceError.shapeMismatch(tensor: "model.layers.1.mlp.down_proj.weight", expected: [8, 4], actual: [8, 5])
        #expect(throws: expected) { try HuggingFaceFolder(path: path) }
        #expect(expected.description.contains("[8, 5]") && expected.description.contains("[8, 4]")
            && expected.description.contains("model.layers.1.mlp.down_proj.weight"))

        let missing = hfTinyLlamaTensors(config).filter { $0.name != "model.layers.0.self_attn.k_proj.weight" }
        let missingPath = try handMadeFolder(configJSON: configJSON, tensors: missing, in: scratch)
        #expect(throws: HuggingFaceError.missingTensor(tensor: "model.layers.0.self_attn.k_proj.weight")) {
            try HuggingFaceFolder(path: missingPath)
        }
        // The writer refuses the same bad input before creating anything.
        #expect(throws: expected) { try HuggingFaceFolderWriter.write(config: config, tensors: wrong, to: scratch.file("out")) }
        #expect(!scratch.contents().contains { $0.contains("out") })
    }

    @Test("sharded checkpoints read through the index as one tensor source")
    func sharded() throws {
        let scratch = try ScratchFolder()
        let config = hfTinyLlamaConfig()
        let tensors = hfTinyLlamaTensors(config)
        let path = scratch.file("sharded")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Data(try HuggingFaceConfigWriter.json(for: config).utf8).write(to: URL(fileURLWithPath: path + "/config.json"))
        let first = Array(tensors.prefix(7)), second = Array(tensors.dropFirst(7))
        try SafetensorsWriter.write(first, to: path + "/model-00001-of-00002.safetensors")
        try SafetensorsWriter.write(second, to: path + "/model-00002-of-00002.safetensors")
        func writeIndex(_ map: [String: String]) throws {
            let entries = map.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ", ")
            try Data("{\"metadata\": {\"total_size\": 1}, \"weight_map\": {\(entries)}}".utf8)
                .write(to: URL(fileURLWithPath: path + "/model.safetensors.index.json"))
        }
        var map: [String: String] = [:]
        for tensor in first { map[tensor.name] = "model-00001-of-00002.safetensors" }
        for tensor in second { map[tensor.name] = "model-00002-of-00002.safetensors" }
        try writeIndex(map)

        let folder = try HuggingFaceFolder(path: path)
        #expect(folder.config == config)
        #expect(folder.tensors.tensorNames.count == tensors.count)
        for tensor in tensors { #expect(try folder.tensors.floats(tensor.name) == tensor.values) }

        var misplaced = map
        misplaced[tensors[0].name] = "model-00002-of-00002.safetensors"
        try writeIndex(misplaced)
        #expect(throws: HuggingFaceError.shardTensorMissing(tensor: tensors[0].name, shard: "model-00002-of-00002.safetensors")) {
            try HuggingFaceFolder(path: path)
        }
        var escaping = map
        escaping[tensors[0].name] = "../elsewhere.safetensors"
        try writeIndex(escaping)
        #expect(throws: HuggingFaceError.self) { try HuggingFaceFolder(path: path) }
        try Data("{\"metadata\": {}}".utf8).write(to: URL(fileURLWithPath: path + "/model.safetensors.index.json"))
        #expect(throws: HuggingFaceError.invalidShardIndex(
            path: path + "/model.safetensors.index.json", reason: "missing 'weight_map' object of tensor name -> shard file")) {
            try HuggingFaceFolder(path: path)
        }
        let shardPath = path + "/model-00001-of-00002.safetensors"
        try FileManager.default.removeItem(atPath: shardPath)
        try writeIndex(map)
        #expect(throws: SafetensorsError.self) { try HuggingFaceFolder(path: path) }
    }

    @Test("missing config or weights, existing destinations and interleaved rotary layouts are errors")
    func folderErrors() throws {
        let scratch = try ScratchFolder()
        #expect(throws: HuggingFaceError.self) { try HuggingFaceFolder(path: scratch.file("nothing")) }
        let config = hfTinyLlamaConfig()
        let empty = scratch.file("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        try Data(try HuggingFaceConfigWriter.json(for: config).utf8).write(to: URL(fileURLWithPath: empty + "/config.json"))
        #expect(throws: HuggingFaceError.noWeights(folder: empty)) { try HuggingFaceFolder(path: empty) }

        let destination = scratch.file("model")
        try HuggingFaceFolderWriter.write(config: config, tensors: hfTinyLlamaTensors(config, seed: 1), to: destination)
        #expect(throws: HuggingFaceError.destinationExists(path: destination)) {
            try HuggingFaceFolderWriter.write(config: config, tensors: hfTinyLlamaTensors(config, seed: 2), to: destination)
        }
        let replacement = hfTinyLlamaTensors(config, seed: 2)
        try HuggingFaceFolderWriter.write(config: config, tensors: replacement, to: destination, overwrite: true)
        #expect(try HuggingFaceFolder(path: destination).tensors.floats("model.norm.weight")
            == replacement.first { $0.name == "model.norm.weight" }?.values)
        #expect(scratch.contents() == ["empty", "model"], "no staging or displaced folder is left behind")

        var interleaved = config
        interleaved.ropeLayout = .interleaved
        #expect(throws: HuggingFaceError.self) {
            try HuggingFaceFolderWriter.write(config: interleaved, tensors: hfTinyLlamaTensors(config), to: scratch.file("gguf-order"))
        }
        #expect(throws: HuggingFaceError.self) {
            try HuggingFaceFolderWriter.write(config: config, tensors: hfTinyLlamaTensors(config), tokenizerJSONPath: scratch.file("absent.json"), to: scratch.file("t"))
        }
        #expect(scratch.contents() == ["empty", "model"], "a failed export leaves nothing")
    }
}
