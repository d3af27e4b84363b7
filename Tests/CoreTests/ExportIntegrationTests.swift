import Core
import Foundation
import Kernels
import Testing
import TestSupport

/// Exports of the real SmolLM2-135M-Instruct (named by `CFSP_MODEL`, as scripts/test.sh sets
/// it), pruned to different widths per block so the `deci` path is exercised at full size.
@Suite("ExportIntegration")
struct ExportIntegrationTests {
    let pool = ThreadPool(threads: 2)
    let tokens: [Int32] = [1, 504, 3458, 282, 4649, 314, 253, 2585]

    @Test("pruned SmolLM2 exports to GGUF and Hugging Face and reloads with the same logits; gguf-py reads it")
    func prunedSmolLM2RoundTrip() throws {
        let sourcePath = try GGUFIntegration.modelPath()
        let source = try GGUFFile(path: sourcePath)
        let dense = try LlamaModel(config: try source.llamaConfig(), tensors: source, naming: .gguf, precision: .f32)
        let widths = (0..<dense.config.numLayers).map { 1536 - 16 * $0 }
        let pruned = try dense.compressed(keeping: widths.map { Array(0..<$0) })
        #expect(pruned.config.intermediateSizes == widths)
        let expected = try pruned.logits(for: tokens, pool: pool)

        let folder = try ScratchFolder()
        let ggufPath = folder.file("pruned.gguf")
        let result = try GGUFExporter.export(pruned, to: ggufPath, source: source, name: "SmolLM2 pruned")
        #expect(result.architecture == "deci")
        #expect(result.hasTokenizer)
        #expect(try exportReloadGGUF(ggufPath).logits(for: tokens, pool: pool) == expected)

        let summary = try GGUFWriterPython.inspect(ggufPath)
        #expect(summary.fields["general.architecture"]?.value == .string("deci"))
        #expect(summary.fields["deci.feed_forward_length"]?.value == .array(widths.map { .number(Double($0)) }))
        #expect(summary.fields["tokenizer.ggml.pre"]?.value == .string("smollm"))
        #expect(summary.tensors.count == source.tensors.count)
        #expect(summary.tensors.first { $0.name == "blk.29.ffn_down.weight" }?.dims == [1536 - 16 * 29, 576])

        let hfPath = folder.file("pruned-hf")
        try HuggingFaceExporter.export(pruned, to: hfPath, precision: .bf16)
        let fromHF = try exportReloadHF(hfPath).logits(for: tokens, pool: pool)
        // Measured 5e-3 of the largest logit with every tensor in bf16.
        #expect(exportRelativeDifference(expected, fromHF) < 1.5e-2)
        let vocab = pruned.config.vocabSize
        func argmax(_ logits: ArraySlice<Float>) -> Int? { logits.indices.max { logits[$0] < logits[$1] }.map { $0 % vocab } }
        #expect(argmax(fromHF.suffix(vocab)) == argmax(expected.suffix(vocab)))
    }
}
