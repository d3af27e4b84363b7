import Core
import Foundation
import Kernels
import Testing
import TestSupport

@Suite("Model export against gguf-py")
struct ExportPythonTests {
    @Test("gguf-py reads an exported deci file with per-layer FFN widths and head counts")
    func pythonReadsDeci() throws {
        let folder = try ScratchFolder()
        let path = folder.file("deci.gguf")
        let model = try exportTestModel(layout: .rotateHalf)
        try GGUFExporter.export(model, to: path, precision: .bf16)
        let summary = try GGUFWriterPython.inspect(path)
        #expect(summary.fields["general.architecture"]?.value == .string("deci"))
        #expect(summary.fields["deci.feed_forward_length"]?.types == ["ARRAY", "INT32"])
        #expect(summary.fields["deci.feed_forward_length"]?.value == .array([.number(48), .number(16), .number(30)]))
        #expect(summary.fields["deci.attention.head_count"]?.value == .array([.number(4), .number(4), .number(4)]))
        #expect(summary.fields["deci.attention.head_count_kv"]?.value == .array([.number(2), .number(2), .number(2)]))
        #expect(summary.fields["deci.block_count"]?.value == .number(3))
        #expect(summary.fields["deci.embedding_length"]?.value == .number(32))
        let byName = Dictionary(uniqueKeysWithValues: summary.tensors.map { ($0.name, $0) })
        #expect(byName["blk.0.ffn_gate.weight"]?.dims == [32, 48])
        #expect(byName["blk.1.ffn_up.weight"]?.dims == [32, 16])
        #expect(byName["blk.2.ffn_down.weight"]?.dims == [30, 32])
        #expect(byName["blk.2.ffn_down.weight"]?.type == "BF16")
        #expect(byName["output_norm.weight"]?.type == "F32")
        #expect(byName["output.weight"] == nil)
        #expect(summary.tensors.count == 1 + 3 * 9 + 1)
        let embedding = model.embedding.prefix(4).map { Double(Float(bitPattern: $0.bitPattern & 0xFFFF_0000)) }
        // The first values are small random numbers; bf16 keeps them within one ulp of truncation.
        let first = byName["token_embd.weight"]?.first ?? []
        #expect(first.count == 4)
        #expect(zip(first, embedding).allSatisfy { abs($0 - $1) <= abs($1) * 0x1p-7 })
    }
}
