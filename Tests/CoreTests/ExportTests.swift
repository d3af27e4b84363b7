import Core
import Foundation
import Kernels
import Testing
import TestSupport

/// A tiny model with per-layer FFN widths (or uniform ones), in the given rotary layout.
func exportTestModel(
    widths: [Int] = [48, 16, 30], layout: RotaryLayout, tied: Bool = true, precision: WeightPrecision = .f32,
    downBias: Bool = false, seed: UInt64 = 21
) throws -> LlamaModel {
    var config = LlamaConfig.tiny(layers: widths.count, ropeLayout: layout)
    config.intermediateSizes = widths
    config.tieWordEmbeddings = tied
    let model = try LlamaModel.random(config: config, seed: seed, precision: precision)
    guard downBias else { return model }
    var blocks = model.blocks
    for index in blocks.indices {
        blocks[index].downBias = (0..<config.hiddenSize).map { Float($0 % 7 - 3) * 0.05 * Float(index + 1) }
    }
    return try LlamaModel(config: model.config, embedding: model.embedding, blocks: blocks,
                          finalNorm: model.finalNorm, outputHead: model.outputHead, precision: precision)
}

let exportTestTokens: [Int32] = [3, 17, 42, 5, 95, 0, 64, 8, 8, 31]

/// Largest |a - b| relative to the largest |a|.
func exportRelativeDifference(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    let scale = a.map(abs).max() ?? 1
    return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}

/// The model in `path`, loaded as the daemon loads GGUF files.
func exportReloadGGUF(_ path: String, precision: WeightPrecision = .f32) throws -> LlamaModel {
    try LlamaModel(gguf: try GGUFFile(path: path), precision: precision)
}

/// The model in `path`, loaded as the daemon loads Hugging Face folders.
func exportReloadHF(_ path: String, precision: WeightPrecision = .f32) throws -> LlamaModel {
    try LlamaModel(folder: try HuggingFaceFolder(path: path), precision: precision)
}

@Suite("Model export and reload")
struct ExportTests {
    let pool = ThreadPool(threads: 1)

    @Test("GGUF f32: reloaded logits equal the in-memory model's, for both rotary layouts",
          arguments: [RotaryLayout.interleaved, .rotateHalf])
    func ggufReloadF32(layout: RotaryLayout) throws {
        let folder = try ScratchFolder()
        let path = folder.file("m.gguf")
        let model = try exportTestModel(layout: layout)
        let result = try GGUFExporter.export(model, to: path)
        #expect(result.architecture == "deci")
        let reloaded = try exportReloadGGUF(path)
        #expect(reloaded.config.intermediateSizes == [48, 16, 30])
        #expect(reloaded.config.ropeLayout == .interleaved)
        let expected = try model.logits(for: exportTestTokens, pool: pool)
        let actual = try reloaded.logits(for: exportTestTokens, pool: pool)
        if layout == .interleaved {
            #expect(actual == expected)
        } else {
            // Same function, Q/K dimensions summed in another order.
            #expect(exportRelativeDifference(expected, actual) < 1e-5)
        }
    }

    @Test("Hugging Face f32: reloaded logits equal the in-memory model's, for both rotary layouts",
          arguments: [RotaryLayout.rotateHalf, .interleaved])
    func huggingFaceReloadF32(layout: RotaryLayout) throws {
        let folder = try ScratchFolder()
        let path = folder.file("hf")
        let model = try exportTestModel(layout: layout, tied: false)
        let result = try HuggingFaceExporter.export(model, to: path)
        #expect(!result.hasTokenizer)
        #expect(result.notes.contains { $0.contains("tokenizer.json") })
        let reloaded = try exportReloadHF(path)
        #expect(reloaded.config.intermediateSizes == [48, 16, 30])
        #expect(reloaded.config.ropeLayout == .rotateHalf)
        #expect(!reloaded.config.tieWordEmbeddings)
        let expected = try model.logits(for: exportTestTokens, pool: pool)
        let actual = try reloaded.logits(for: exportTestTokens, pool: pool)
        if layout == .rotateHalf {
            #expect(actual == expected)
        } else {
            #expect(exportRelativeDifference(expected, actual) < 1e-5)
        }
    }

    @Test("bf16 and f16 exports reload within half-precision tolerance; a bf16 model exports exactly as f32",
          arguments: [ExportPrecision.bf16, .f16])
    func narrowPrecisions(precision: ExportPrecision) throws {
        let folder = try ScratchFolder()
        let model = try exportTestModel(layout: .rotateHalf)
        let expected = try model.logits(for: exportTestTokens, pool: pool)
        // Measured: bf16 about 2e-3 and 3e-3, f16 about 3e-4 (GGUF keeps norms in f32).
        let tolerance: Float = precision == .bf16 ? 1e-2 : 2e-3
        let ggufPath = folder.file("m.gguf")
        try GGUFExporter.export(model, to: ggufPath, precision: precision)
        let file = try GGUFFile(path: ggufPath)
        #expect(file.tensorInfo("blk.0.ffn_gate.weight")?.type == precision.tensorType)
        #expect(file.tensorInfo("blk.0.attn_norm.weight")?.type == .f32)
        #expect(file.metadata["general.file_type"] == .uint32(precision == .bf16 ? 32 : 1))
        let fromGGUF = try exportReloadGGUF(ggufPath).logits(for: exportTestTokens, pool: pool)
        #expect(exportRelativeDifference(expected, fromGGUF) < tolerance)
        let hfPath = folder.file("hf")
        try HuggingFaceExporter.export(model, to: hfPath, precision: precision)
        let fromHF = try exportReloadHF(hfPath).logits(for: exportTestTokens, pool: pool)
        #expect(exportRelativeDifference(expected, fromHF) < tolerance)

        let bf16Model = try exportTestModel(layout: .interleaved, precision: .bf16)
        let exactPath = folder.file("bf16-model.gguf")
        try GGUFExporter.export(bf16Model, to: exactPath, precision: .f32)
        #expect(try exportReloadGGUF(exactPath, precision: .bf16).logits(for: exportTestTokens, pool: pool)
            == bf16Model.logits(for: exportTestTokens, pool: pool))
    }

    @Test("uniform widths export as llama with scalar keys, differing widths as deci with per-layer arrays")
    func architectureChoice() throws {
        let folder = try ScratchFolder()
        let uniformPath = folder.file("uniform.gguf")
        let uniform = try GGUFExporter.export(exportTestModel(widths: [24, 24], layout: .interleaved), to: uniformPath)
        #expect(uniform.architecture == "llama")
        let llama = try GGUFFile(path: uniformPath)
        #expect(llama.architecture == "llama")
        #expect(llama.metadata["llama.feed_forward_length"] == .uint32(24))
        #expect(llama.metadata["llama.attention.head_count"] == .uint32(4))
        #expect(llama.metadata["llama.attention.head_count_kv"] == .uint32(2))
        #expect(llama.metadata["llama.block_count"] == .uint32(2))
        #expect(!llama.metadataKeys.contains { $0.hasPrefix("deci.") })

        let prunedPath = folder.file("pruned.gguf")
        try GGUFExporter.export(exportTestModel(layout: .interleaved), to: prunedPath)
        let deci = try GGUFFile(path: prunedPath)
        #expect(deci.architecture == "deci")
        #expect(deci.metadata["deci.feed_forward_length"] == .array(.int32, [.int32(48), .int32(16), .int32(30)]))
        #expect(deci.metadata["deci.attention.head_count"] == .array(.int32, [.int32(4), .int32(4), .int32(4)]))
        #expect(deci.metadata["deci.attention.head_count_kv"] == .array(.int32, [.int32(2), .int32(2), .int32(2)]))
        for key in ["embedding_length", "block_count", "context_length", "vocab_size", "rope.freq_base",
                    "rope.dimension_count", "attention.layer_norm_rms_epsilon", "attention.key_length"] {
            #expect(deci.metadata["deci." + key] != nil, "deci.\(key)")
        }
        #expect(!deci.metadataKeys.contains { $0.hasPrefix("llama.") })
        #expect(deci.tensorInfo("blk.1.ffn_gate.weight")?.shape == [16, 32])
        #expect(deci.tensorInfo("blk.2.ffn_down.weight")?.shape == [32, 30])
    }

    @Test("Q/K rows of a rotate-half model are written in llama.cpp's interleaved order")
    func queryKeyPermutation() throws {
        let folder = try ScratchFolder()
        let path = folder.file("perm.gguf")
        let model = try exportTestModel(layout: .rotateHalf)
        try GGUFExporter.export(model, to: path)
        let file = try GGUFFile(path: path)
        let c = model.config
        let half = c.headDim / 2
        for (name, weights, heads) in [("blk.1.attn_q.weight", model.blocks[1].query, c.numHeads),
                                       ("blk.1.attn_k.weight", model.blocks[1].key, c.numKVHeads)] {
            let stored = try file.floats(name)
            var mismatches = 0
            for head in 0..<heads {
                for i in 0..<half {
                    for member in 0..<2 {
                        let written = Array(stored[((head * c.headDim + 2 * i + member) * c.hiddenSize)...].prefix(c.hiddenSize))
                        if written != weights.row(head * c.headDim + member * half + i) { mismatches += 1 }
                    }
                }
            }
            #expect(mismatches == 0, "\(name)")
        }
        #expect(try file.floats("blk.1.attn_v.weight") == model.blocks[1].value.unpacked())
    }

    @Test("a tied head writes no output tensor; an untied one is written and reloads untied")
    func tiedHead() throws {
        let folder = try ScratchFolder()
        let tiedPath = folder.file("tied.gguf")
        try GGUFExporter.export(exportTestModel(layout: .interleaved), to: tiedPath)
        #expect(try GGUFFile(path: tiedPath).tensorInfo("output.weight") == nil)
        let tiedHF = folder.file("tied-hf")
        try HuggingFaceExporter.export(exportTestModel(layout: .interleaved), to: tiedHF)
        #expect(try SafetensorsFile(path: tiedHF + "/model.safetensors").descriptor("lm_head.weight") == nil)
        #expect(try exportReloadHF(tiedHF).config.tieWordEmbeddings)

        let untiedModel = try exportTestModel(layout: .interleaved, tied: false)
        let untiedPath = folder.file("untied.gguf")
        try GGUFExporter.export(untiedModel, to: untiedPath)
        let untied = try GGUFFile(path: untiedPath)
        #expect(untied.tensorInfo("output.weight")?.shape == [96, 32])
        let reloaded = try exportReloadGGUF(untiedPath)
        #expect(!reloaded.config.tieWordEmbeddings)
        #expect(try reloaded.logits(for: exportTestTokens, pool: pool) == untiedModel.logits(for: exportTestTokens, pool: pool))
    }

    @Test("FFN down biases are written, reloaded and applied, and the result says llama.cpp ignores them")
    func downBias() throws {
        let folder = try ScratchFolder()
        let model = try exportTestModel(layout: .interleaved, downBias: true)
        let expected = try model.logits(for: exportTestTokens, pool: pool)
        let path = folder.file("bias.gguf")
        let result = try GGUFExporter.export(model, to: path)
        #expect(result.notes.contains { $0.contains("ffn_down.bias") })
        #expect(try GGUFFile(path: path).floats("blk.2.ffn_down.bias") == model.blocks[2].downBias)
        let reloaded = try exportReloadGGUF(path)
        #expect(reloaded.blocks[1].downBias == model.blocks[1].downBias)
        #expect(try reloaded.logits(for: exportTestTokens, pool: pool) == expected)
        let hfPath = folder.file("bias-hf")
        try HuggingFaceExporter.export(model, to: hfPath)
        #expect(exportRelativeDifference(expected, try exportReloadHF(hfPath).logits(for: exportTestTokens, pool: pool)) < 1e-5)
    }
}
