import Core
import Foundation
import Kernels
import Testing
import TestSupport

/// Every family's tiny seeded model: the one block forward against the naive reference, exports
/// in both formats reloading to the same logits, and each family's export rule.
@Suite("Model families")
struct ArchitectureTests {
    static let families = Architecture.all.map(\.name)
    let pool = ThreadPool(threads: 2)
    /// Longer than every example sliding window, so windows matter.
    let tokens: [Int32] = [3, 17, 42, 0, 49, 8, 8, 21, 33, 5, 12, 40]

    /// A tiny model of `family` with every switch on; per-layer widths when `widths` differ.
    static func model(_ family: String, widths: [Int] = [40, 24, 33], layout: RotaryLayout = .rotateHalf,
                      headDim: Int? = nil, seed: UInt64 = 7) throws -> LlamaModel {
        var config = try LlamaConfig.tiny(family: family, layers: widths.count, hidden: 32, heads: 4, kvHeads: 2,
                                          headDim: headDim, ffn: widths.max()!, vocab: 50, ropeLayout: layout)
        config.intermediateSizes = widths
        return try LlamaModel.random(config: config, seed: seed)
    }

    @Test("the block forward matches the naive Double reference", arguments: families, [RotaryLayout.rotateHalf, .interleaved])
    func forwardMatchesReference(family: String, layout: RotaryLayout) throws {
        let model = try Self.model(family, layout: layout, headDim: family == "qwen3" ? 12 : nil)
        let got = try model.logits(for: tokens, pool: pool)
        #expect(ForwardPassTests.maxRelativeError(got, NaiveLlama.logits(model, tokens)) < 1e-4, "\(family)")
    }

    @Test("every family has its switches in the example (so the tests above exercise them)")
    func switchesAreOn() throws {
        let llama = try LlamaConfig.tiny(family: "llama")
        #expect(llama.ropeFrequencyFactors.map { Set($0).count > 1 } == true, "llama3 scaling changes some frequencies")
        #expect(try LlamaConfig.tiny(family: "qwen2").attentionBias)
        let gemma = try LlamaConfig.tiny(family: "gemma3", layers: 4)
        #expect(gemma.queryKeyNorm && gemma.sandwichNorms && gemma.activation == .geluTanh)
        #expect(gemma.slidingWindowLayers == [true, false, true, false] && gemma.localRopeTheta == 100)
        #expect(gemma.embeddingScale == Float(Double(32).squareRoot()))
    }

    @Test("Hugging Face export reloads with the same logits", arguments: families)
    func huggingFaceRoundTrip(family: String) throws {
        let folder = try ScratchFolder()
        let model = try Self.model(family)
        let path = folder.file("hf")
        try HuggingFaceExporter.export(model, to: path)
        let reloaded = try exportReloadHF(path)
        #expect(reloaded.config == model.config, "\(family): the config survives config.json")
        let expected = try model.logits(for: tokens, pool: pool)
        #expect(exportRelativeDifference(expected, try reloaded.logits(for: tokens, pool: pool)) < 1e-5)
    }

    /// A model llama.cpp's runner for `family` can express (Gemma's hard-coded constants).
    static func ggufCompatible(_ family: String, widths: [Int]) throws -> LlamaModel {
        let model = try Self.model(family, widths: widths, headDim: family == "qwen3" ? 12 : nil)
        guard family == "gemma3" else { return model }
        var config = model.config
        config.attentionScale = nil
        config.localRopeTheta = 10_000
        config.slidingWindowLayers = (0..<widths.count).map { ($0 + 1) % 6 != 0 }
        return try LlamaModel(config: config, embedding: model.embedding, blocks: model.blocks,
                              finalNorm: model.finalNorm, outputHead: model.outputHead, precision: .f32)
    }

    @Test("GGUF export with uniform widths is the family's own architecture and reloads with the same logits",
          arguments: families)
    func ggufUniformRoundTrip(family: String) throws {
        let folder = try ScratchFolder()
        let model = try Self.ggufCompatible(family, widths: [32, 32, 32])
        let path = folder.file("m.gguf")
        let result = try GGUFExporter.export(model, to: path)
        #expect(result.architecture == family)
        let reloaded = try exportReloadGGUF(path)
        #expect(reloaded.config.architecture == family)
        let expected = try model.logits(for: tokens, pool: pool)
        #expect(exportRelativeDifference(expected, try reloaded.logits(for: tokens, pool: pool)) < 1e-5)
    }

    @Test("per-layer widths: llama and qwen2 export as deci (Q/K rows and biases interleaved) and reload the same",
          arguments: ["llama", "qwen2"])
    func perLayerAsDeci(family: String) throws {
        let folder = try ScratchFolder()
        let model = try Self.model(family)
        let path = folder.file("m.gguf")
        #expect(try GGUFExporter.export(model, to: path).architecture == "deci")
        let reloaded = try exportReloadGGUF(path)
        #expect(reloaded.config.ropeLayout == .interleaved)
        #expect(reloaded.config.attentionBias == model.config.attentionBias)
        #expect(reloaded.config.intermediateSizes == [40, 24, 33])
        let expected = try model.logits(for: tokens, pool: pool)
        #expect(exportRelativeDifference(expected, try reloaded.logits(for: tokens, pool: pool)) < 1e-5)
    }

    @Test("per-layer widths of families llama.cpp runs with one width are refused, naming the remedy",
          arguments: families.filter { $0 != "llama" && $0 != "qwen2" })
    func perLayerRefused(family: String) throws {
        let folder = try ScratchFolder()
        let model = try Self.ggufCompatible(family, widths: [40, 24, 33])
        let path = folder.file("m.gguf")
        let error = caughtError { try GGUFExporter.export(model, to: path) }
        let message = String(describing: error ?? ExportError.unsupportedModel("no error"))
        #expect(error is ExportError && message.contains("uniformWidths") && message.contains(family), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("a tensor the family needs is named when it is missing")
    func missingFamilyTensor() throws {
        let folder = try ScratchFolder()
        let model = try Self.model("qwen2", widths: [32, 32])
        let path = folder.file("hf")
        try HuggingFaceExporter.export(model, to: path)
        // Rewrite the weights without one bias.
        let weights = (path as NSString).appendingPathComponent("model.safetensors")
        let file = try SafetensorsFile(path: weights)
        let kept = try file.tensorNames.filter { $0 != "model.layers.1.self_attn.k_proj.bias" }.map {
            SafetensorsTensor(name: $0, shape: file.descriptor($0)!.shape, values: try file.floats($0), dtype: .f32)
        }
        try FileManager.default.removeItem(atPath: weights)
        try SafetensorsWriter.write(kept, to: weights)
        #expect(throws: HuggingFaceError.missingTensor(tensor: "model.layers.1.self_attn.k_proj.bias")) {
            try HuggingFaceFolder(path: path)
        }
    }

    @Test("Llama 3 rope scaling is recovered from GGUF's rope_freqs factors, so a GGUF-loaded model exports to HF")
    func llama3ScalingFromFactors() throws {
        let llama31 = Llama3RopeScaling(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalContext: 8192)
        let factors = llama31.frequencyFactors(headDim: 128, theta: 500_000)
        let recovered = try #require(Llama3RopeScaling.inferred(fromFactors: factors, headDim: 128, theta: 500_000))
        #expect(recovered.originalContext == 8192 && recovered.factor == 8)
        #expect(abs(recovered.highFrequencyFactor - 4) < 1e-6)
        #expect(Llama3RopeScaling.inferred(fromFactors: Array(repeating: 1, count: 64), headDim: 128, theta: 500_000) == nil)
        // A corrupt GGUF's factors and rotary base (found with the gguf fuzz harness): the
        // least-squares context came out as -5e19, which Int(...) trapped on while the file was opened.
        #expect(Llama3RopeScaling.inferred(fromFactors: [8, 1, 2, 3], headDim: 8, theta: 1e38) == nil)

        // A tiny Llama 3 model (head size 32, so the blended band has several pairs) through GGUF into HF.
        var config = LlamaConfig.tiny(layers: 2, hidden: 64, heads: 2, kvHeads: 1, ffn: 40, vocab: 50, context: 64)
        config.ropeScaling = Llama3RopeScaling(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalContext: 256)
        config.ropeFrequencyFactors = config.ropeScaling!.frequencyFactors(headDim: 32, theta: 10_000)
        let model = try LlamaModel.random(config: config, seed: 4)
        let folder = try ScratchFolder()
        let gguf = folder.file("m.gguf")
        try GGUFExporter.export(model, to: gguf)
        let fromGGUF = try exportReloadGGUF(gguf)
        #expect(fromGGUF.config.ropeScaling.map { $0.originalContext == 256 && abs($0.highFrequencyFactor - 4) < 1e-4 } == true)
        let hf = folder.file("hf")
        try HuggingFaceExporter.export(fromGGUF, to: hf)
        let expected = try model.logits(for: tokens, pool: pool)
        #expect(exportRelativeDifference(expected, try exportReloadHF(hf).logits(for: tokens, pool: pool)) < 1e-5)
    }
}
