import Core
import Foundation

/// Seeds of the GGUF, safetensors and config.json harnesses: a tiny random model of every
/// family, exported by cfsp as GGUF (with a tokenizer where the family has a small one) and
/// as a Hugging Face folder, plus one GGUF holding a block of each quantized type.
enum ModelSeeds {
    static func write(into corpus: SeedCorpus) throws {
        for harness in ["gguf", "safetensors", "hf-config"] { try corpus.clear(harness) }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cfsp-seeds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        let precisions: [String: ExportPrecision] = ["llama": .f16, "qwen2": .bf16, "qwen3": .f32, "gemma3": .f32]
        for family in Architecture.all.map(\.name) {
            let tokenizer = try TokenizerSeeds.ggufTokenizer(for: family)
            let vocab = tokenizer?.vocab ?? 16
            var config = try LlamaConfig.tiny(
                family: family, layers: 2, hidden: 16, heads: 2, kvHeads: 1, ffn: 8, vocab: vocab, context: 16)
            if family == "gemma3" {
                // What llama.cpp's gemma3 GGUF can express (the example switches are richer).
                config.slidingWindowLayers = Array(repeating: true, count: config.numLayers)
                config.localRopeTheta = 10_000
                config.attentionScale = nil
            }
            let model = try LlamaModel.random(config: config, seed: 7)
            let precision = precisions[family] ?? .f32

            let gguf = scratch.appendingPathComponent("\(family).gguf").path
            var source: GGUFFile?
            if let tokenizer {
                let carrier = scratch.appendingPathComponent("\(family)-tokenizer.gguf").path
                try GGUFWriter.write(
                    metadata: [GGUFMetadataEntry("general.architecture", .string("llama"))] + tokenizer.entries, tensors: [],
                    to: carrier)
                source = try GGUFFile(path: carrier)
            }
            try GGUFExporter.export(model, to: gguf, precision: precision, source: source, name: "seed-\(family)")
            let read = try GGUFFile(path: gguf)
            _ = try read.llamaConfig()
            if tokenizer != nil { _ = try makeTokenizer(gguf: read).encode("the cat") }
            try corpus.write("gguf", "\(family)-\(precision.rawValue).gguf", try Data(contentsOf: URL(fileURLWithPath: gguf)))

            let folder = scratch.appendingPathComponent("\(family)-hf")
            try HuggingFaceExporter.export(model, to: folder.path, precision: precision)
            _ = try HuggingFaceFolder(path: folder.path)
            try corpus.write("hf-config", "\(family).json", try Data(contentsOf: folder.appendingPathComponent("config.json")))
            try corpus.write("safetensors", "\(family)-\(precision.rawValue).safetensors",
                             try Data(contentsOf: folder.appendingPathComponent("model.safetensors")))
        }
        try corpus.write("gguf", "quantized-blocks.gguf", quantizedBlocks())
        for (name, text) in configVariants {
            _ = try HuggingFaceConfig.llamaConfig(fromJSON: Data(text.utf8), path: name)
            try corpus.write("hf-config", "\(name).json", text.utf8)
        }
        try corpus.write("safetensors", "metadata-empty.safetensors", safetensors(
            #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]},"e":{"dtype":"BF16","shape":[0],"data_offsets":[8,8]}}"#,
            data: [0, 0, 128, 63, 0, 0, 0, 64]))
    }

    /// A safetensors file: the header's length, the header, the data.
    static func safetensors(_ header: String, data: [UInt8]) -> [UInt8] {
        let json = Array(header.utf8)
        return (0..<8).map { UInt8(truncatingIfNeeded: UInt64(json.count) >> (8 * $0)) } + json + data
    }

    /// config.json keys the exported seeds do not use: Llama 3 rotary scaling in both spellings,
    /// Mistral's sliding window, Gemma 3's `layer_types` and per-type rotary bases, per-layer widths.
    static let configVariants: [(String, String)] = [
        ("llama3-rope-scaling", #"{"model_type":"llama","hidden_size":16,"intermediate_size":32,"num_hidden_layers":1,"num_attention_heads":2,"num_key_value_heads":1,"vocab_size":32,"rms_norm_eps":1e-05,"max_position_embeddings":64,"rope_theta":500000.0,"tie_word_embeddings":true,"hidden_act":"silu","rope_scaling":{"rope_type":"llama3","factor":8.0,"low_freq_factor":1.0,"high_freq_factor":4.0,"original_max_position_embeddings":16}}"#),
        ("llama-rope-parameters", #"{"model_type":"llama","hidden_size":16,"intermediate_sizes":[24,8],"num_hidden_layers":2,"num_attention_heads":4,"head_dim":4,"vocab_size":32,"rope_parameters":{"rope_type":"default","rope_theta":10000.0},"mlp_bias":false,"attention_bias":false}"#),
        ("mistral-window", #"{"model_type":"mistral","hidden_size":16,"intermediate_size":32,"num_hidden_layers":2,"num_attention_heads":2,"num_key_value_heads":2,"vocab_size":32,"sliding_window":8,"rope_theta":1000000.0}"#),
        ("qwen2-window", #"{"model_type":"qwen2","hidden_size":16,"intermediate_size":32,"num_hidden_layers":2,"num_attention_heads":2,"vocab_size":32,"use_sliding_window":false,"sliding_window":4096,"max_window_layers":1,"tie_word_embeddings":false}"#),
        ("gemma3-layer-types", #"{"model_type":"gemma3_text","hidden_size":16,"intermediate_size":32,"num_hidden_layers":3,"num_attention_heads":2,"num_key_value_heads":1,"head_dim":8,"vocab_size":32,"query_pre_attn_scalar":8,"sliding_window":4,"layer_types":["sliding_attention","sliding_attention","full_attention"],"rope_theta":1000000.0,"rope_local_base_freq":10000.0,"hidden_activation":"gelu_pytorch_tanh","final_logit_softcapping":null}"#),
    ]

    /// A GGUF file (written here byte by byte, since cfsp writes only f32/f16/bf16) with one
    /// row of one block of each quantized type, for the dequantizers.
    static func quantizedBlocks() -> [UInt8] {
        let types: [(String, UInt32, Int, Int)] = [  // name, ggml type, elements, bytes
            ("q4_0", 2, 32, 18), ("q4_1", 3, 32, 20), ("q5_0", 6, 32, 22), ("q5_1", 7, 32, 24), ("q8_0", 8, 32, 34),
            ("q4_K", 12, 256, 144), ("q5_K", 13, 256, 176), ("q6_K", 14, 256, 210),
        ]
        func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
        func string(_ text: String) -> [UInt8] { le(UInt64(text.utf8.count)) + Array(text.utf8) }
        var out = Array("GGUF".utf8) + le(UInt32(3)) + le(UInt64(types.count)) + le(UInt64(1))
        out += string("general.architecture") + le(UInt32(8)) + string("llama")
        var offset = 0
        for (name, type, elements, bytes) in types {
            out += string(name) + le(UInt32(1)) + le(UInt64(elements)) + le(type) + le(UInt64(offset))
            offset += (bytes + 31) / 32 * 32
        }
        while out.count % 32 != 0 { out.append(0) }
        var generator = SeededGenerator(seed: 11)
        for (_, _, _, bytes) in types {
            var block = (0..<bytes).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            // Small positive f16 scales where the block starts with them (0x3C00 is 1.0).
            block[0] = 0; block[1] = 0x30
            out += block + Array(repeating: 0, count: (bytes + 31) / 32 * 32 - bytes)
        }
        return out
    }
}
