import Core
import Foundation
import Kernels
import Testing
import TestSupport

/// The quantized precisions, in llama.cpp's names.
private let quantizedPrecisions = ExportPrecision.allCases.filter(\.isQuantized)

/// A tiny model whose matrices are whole K-quant blocks wide (hidden 256), with per-layer FFN
/// widths: 512 and 256 keep `ffn_down` in K-quants, 288 and 320 only in 32-value blocks.
private func quantTestModel(widths: [Int] = [512, 288, 256, 320, 512, 256, 288, 512], tied: Bool = true) throws -> LlamaModel {
    var config = LlamaConfig.tiny(layers: widths.count, hidden: 256, heads: 4, kvHeads: 2, ffn: 256, vocab: 96)
    config.intermediateSizes = widths
    config.tieWordEmbeddings = tied
    return try LlamaModel.random(config: config, seed: 31)
}

/// Whether llama-cpp-python (llama.cpp's own quantizer) is installed; it is optional.
private let llamaCppAvailable: Bool = (try? TestProcess.run(["python3", "-c", "import llama_cpp"], what: "llama_cpp check")) != nil

@Suite("Quantized GGUF export")
struct QuantizedExportTests {
    let pool = ThreadPool(threads: 1)

    private func stored(_ path: String) throws -> [String: TensorType] {
        Dictionary(uniqueKeysWithValues: try GGUFFile(path: path).tensors.map { ($0.name, $0.type) })
    }

    /// llama.cpp's `use_more_bits` for 8 layers: the first and last eighth, every third between.
    private let moreBits: Set<Int> = [0, 3, 6, 7]

    @Test("each matrix gets the type llama-quantize's mix gives it; norms stay F32", arguments: quantizedPrecisions)
    func mixPerTensor(precision: ExportPrecision) throws {
        let scratch = try ScratchFolder(); defer { scratch.remove() }; let folder = scratch.url
        let path = folder.appendingPathComponent("m.gguf").path
        let model = try quantTestModel()
        let result = try GGUFExporter.export(model, to: path, precision: precision)
        let types = try stored(path)
        let base = precision.tensorType
        // Tied: the token embedding is the head, Q6_K unless the file type is Q8_0.
        #expect(types["token_embd.weight"] == (base == .q8_0 ? .q8_0 : .q6_K))
        #expect(types["output_norm.weight"] == .f32)
        for layer in 0..<8 {
            let p = "blk.\(layer)."
            var attnV = base
            var down = base
            switch precision {
            case .q4_k_m, .q5_k_m:
                if moreBits.contains(layer) { attnV = .q6_K; down = .q6_K }
            case .q4_k_s:
                if layer < 4 { attnV = .q5_K }
                if layer < 1 { down = .q5_K }
            default: break
            }
            // ffn_down rows are the FFN width: 288 and 320 are not whole 256-value blocks.
            let width = model.config.intermediateSizes[layer]
            if width % down.blockSize != 0 {
                down = [TensorType.q4_K: .q5_0, .q5_K: .q5_1, .q6_K: .q8_0][down] ?? .f16
            }
            #expect(types[p + "attn_v.weight"] == attnV, "\(precision) layer \(layer) attn_v")
            #expect(types[p + "ffn_down.weight"] == down, "\(precision) layer \(layer) ffn_down")
            for name in ["attn_q", "attn_k", "attn_output", "ffn_gate", "ffn_up"] {
                #expect(types[p + name + ".weight"] == base, "\(precision) \(p)\(name)")
            }
            #expect(types[p + "attn_norm.weight"] == .f32 && types[p + "ffn_norm.weight"] == .f32)
        }
        #expect(result.tensorTypes.values.reduce(0, +) == result.tensorCount)
        #expect(result.tensorTypes[.f32] == 17)
    }

    @Test("an untied head is Q6_K while the embedding keeps the file type's own type")
    func untiedHead() throws {
        let scratch = try ScratchFolder(); defer { scratch.remove() }; let folder = scratch.url
        let path = folder.appendingPathComponent("m.gguf").path
        try GGUFExporter.export(try quantTestModel(tied: false), to: path, precision: .q4_k_m)
        let types = try stored(path)
        #expect(types["output.weight"] == .q6_K)
        #expect(types["token_embd.weight"] == .q4_K)
    }

    @Test("general.file_type names the mix (llama_ftype) and general.quantization_version is 2")
    func fileTypeMetadata() throws {
        let scratch = try ScratchFolder(); defer { scratch.remove() }; let folder = scratch.url
        let expected: [ExportPrecision: UInt32] = [
            .f32: 0, .f16: 1, .bf16: 32, .q4_0: 2, .q8_0: 7, .q4_k_s: 14, .q4_k_m: 15, .q5_k_s: 16, .q5_k_m: 17, .q6_k: 18,
        ]
        let model = try quantTestModel()
        for precision in ExportPrecision.allCases {
            let path = folder.appendingPathComponent("\(precision).gguf").path
            try GGUFExporter.export(model, to: path, precision: precision)
            let file = try GGUFFile(path: path)
            #expect(file.metadata["general.file_type"] == .uint32(expected[precision] ?? 99), "\(precision)")
            #expect(file.metadata["general.quantization_version"] == (precision.isQuantized ? .uint32(2) : nil), "\(precision)")
        }
    }

    @Test("rows fitting no 32-value block fall back to F16, and the notes say what align would fix")
    func fallbackNotes() throws {
        let scratch = try ScratchFolder(); defer { scratch.remove() }; let folder = scratch.url
        let path = folder.appendingPathComponent("m.gguf").path
        let model = try quantTestModel(widths: [512, 300, 288, 512])
        let result = try GGUFExporter.export(model, to: path, precision: .q4_k_m)
        let types = try stored(path)
        // use_more_bits of 4 layers picks 2 and 3: layer 1 (300 wide) wants Q4_K, layer 2
        // (288) Q6_K; neither fits, and 300 is not a multiple of 32 either.
        #expect(types["blk.0.ffn_down.weight"] == .q4_K)
        #expect(types["blk.1.ffn_down.weight"] == .f16)
        #expect(types["blk.2.ffn_down.weight"] == .q8_0)
        #expect(types["blk.3.ffn_down.weight"] == .q6_K)
        #expect(result.notes.contains("q4_k_m: 1 matrix with rows of 300 values stored as F16 instead of Q4_K, whose rows must be whole 256-value blocks (llama-quantize falls back the same way)"))
        #expect(result.notes.contains("q4_k_m: 1 matrix with rows of 288 values stored as Q8_0 instead of Q6_K, whose rows must be whole 256-value blocks (llama-quantize falls back the same way)"))
        #expect(result.notes.contains("2 ffn_down matrices fell back because FFN widths 288, 300 are not multiples of 256: prune with align 256 to keep q4_k_m's own blocks there"))
        #expect(ExportPrecision.q4_k_m.widthAlignment == 256 && ExportPrecision.q8_0.widthAlignment == 32 && ExportPrecision.bf16.widthAlignment == 1)
    }

    @Test("a quantized export reloads in cfsp with logits near the f32 model's", arguments: zip(
        [ExportPrecision.q8_0, .q6_k, .q5_k_m, .q4_k_m, .q4_0], [0.01, 0.03, 0.06, 0.12, 0.15] as [Float]))
    func reloadsNearF32(precision: ExportPrecision, limit: Float) throws {
        let scratch = try ScratchFolder(); defer { scratch.remove() }; let folder = scratch.url
        let path = folder.appendingPathComponent("m.gguf").path
        let model = try quantTestModel()
        try GGUFExporter.export(model, to: path, precision: precision)
        let expected = try model.logits(for: exportTestTokens, pool: pool)
        let actual = try exportReloadGGUF(path).logits(for: exportTestTokens, pool: pool)
        let difference = exportRelativeDifference(expected, actual)
        #expect(difference < limit, "\(precision): largest logit difference \(difference) of the largest logit")
        #expect(difference > 0)
    }

    @Test("a NaN weight fails the quantized export by tensor, row and column, leaving no file")
    func nonFiniteWeight() throws {
        let scratch = try ScratchFolder(); defer { scratch.remove() }; let folder = scratch.url
        let path = folder.appendingPathComponent("m.gguf").path
        let model = try quantTestModel()
        var embedding = model.embedding
        embedding[3 * 256 + 17] = .nan
        let broken = try LlamaModel(config: model.config, embedding: embedding, blocks: model.blocks,
                                    finalNorm: model.finalNorm, outputHead: model.outputHead, precision: .f32)
        let error = caughtError { try GGUFExporter.export(broken, to: path, precision: .q4_k_m) } as? GGUFWriterError
        #expect(error == .invalidTensor(name: "token_embd.weight", reason: "the value at row 3, column 17 is nan, which Q6_K cannot store (block types hold finite values only)"))
        #expect(!FileManager.default.fileExists(atPath: path))
        // f32 stores it as it is.
        try GGUFExporter.export(broken, to: path, precision: .f32)
    }

    @Test("Hugging Face exports refuse the quantized types, which safetensors cannot hold")
    func huggingFaceRefusesQuantized() throws {
        let scratch = try ScratchFolder(); defer { scratch.remove() }; let folder = scratch.url
        let path = folder.appendingPathComponent("hf").path
        let error = caughtError { try HuggingFaceExporter.export(try quantTestModel(), to: path, precision: .q4_k_m) } as? ExportError
        #expect(error == .unsupportedPrecision(.q4_k_m, format: "Hugging Face safetensors"))
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    /// The whole point: what cfsp writes equals what llama.cpp's llama-quantize writes from the
    /// same model's f32 export, tensor by tensor, type and bytes.
    @Test(.enabled(if: llamaCppAvailable, "llama-cpp-python is not installed"), arguments: quantizedPrecisions)
    func equalsLlamaQuantize(precision: ExportPrecision) throws {
        let scratch = try ScratchFolder(); defer { scratch.remove() }; let folder = scratch.url
        let model = try quantTestModel()
        let f32 = folder.appendingPathComponent("f32.gguf").path
        let ours = folder.appendingPathComponent("ours.gguf").path
        let theirs = folder.appendingPathComponent("theirs.gguf").path
        try GGUFExporter.export(model, to: f32, precision: .f32)
        try GGUFExporter.export(model, to: ours, precision: precision)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/llamacpp_quantize.py")
        try TestProcess.run(["python3", script.path, f32, theirs, precision.rawValue], what: "llamacpp_quantize.py")
        let a = try GGUFFile(path: ours)
        let b = try GGUFFile(path: theirs)
        #expect(Set(a.tensorNames) == Set(b.tensorNames))
        for info in a.tensors {
            let other = try #require(b.tensorInfo(info.name))
            #expect(info.type == other.type, "\(precision) \(info.name): ours \(info.type), llama.cpp \(other.type)")
            #expect(info.shape == other.shape)
            #expect(try a.rawBytes(info.name) == b.rawBytes(info.name), "\(precision) \(info.name) bytes differ")
        }
        #expect(a.metadata["general.file_type"] == b.metadata["general.file_type"])
        #expect(a.metadata["general.quantization_version"] == b.metadata["general.quantization_version"])
    }
}
