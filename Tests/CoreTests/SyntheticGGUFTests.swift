import Core
import Foundation
import Kernels
import Testing
import TestSupport

/// `SyntheticGGUF` (the scale benchmark's random models) and the page release a
/// layer-sequential pass relies on.
@Suite("Synthetic GGUF and page release")
struct SyntheticGGUFTests {
    @Test("a synthetic file has the config's shapes in the mix's types, loads, and is the same for the same seed")
    func synthesizedFileLoads() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        var config = LlamaConfig.tiny(layers: 3, hidden: 64, heads: 4, kvHeads: 2, ffn: 256, vocab: 96, context: 64)
        config.tieWordEmbeddings = false
        let a = scratch.path + "/a.gguf", b = scratch.path + "/b.gguf", c = scratch.path + "/c.gguf"
        try SyntheticGGUF.write(config: config, precision: .q8_0, seed: 1, to: a)
        try SyntheticGGUF.write(config: config, precision: .q8_0, seed: 1, to: b)
        try SyntheticGGUF.write(config: config, precision: .q8_0, seed: 2, to: c)
        #expect(FileManager.default.contents(atPath: a) == FileManager.default.contents(atPath: b))
        #expect(FileManager.default.contents(atPath: a) != FileManager.default.contents(atPath: c))
        let file = try GGUFFile(path: a)
        let model = try LlamaModel(gguf: file, precision: .f32)
        #expect(model.config.numLayers == 3 && model.config.intermediateSizes == [256, 256, 256])
        #expect(file.tensorInfo("blk.0.ffn_up.weight")?.type == .q8_0)
        #expect(file.tensorInfo("blk.0.attn_norm.weight")?.type == .f32)
        let logits = try model.logits(for: [1, 2, 3], pool: ThreadPool(threads: 1))
        #expect(logits.allSatisfy { $0.isFinite })
        for name in SyntheticGGUF.shapeNames { #expect(SyntheticGGUF.shape(named: name) != nil) }
        #expect(SyntheticGGUF.shape(named: "llama-3.1-8b")?.intermediateSizes.first == 14_336)
    }

    @Test("released pages read back the same values, so a block can be read again after the pass let it go")
    func releasedPagesReadBack() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let path = scratch.path + "/m.gguf"
        try SyntheticGGUF.write(config: .tiny(layers: 2, hidden: 64, ffn: 128, vocab: 80, context: 32), precision: .q8_0, seed: 3, to: path)
        let file = try GGUFFile(path: path)
        let blocks = try FileBlocks(gguf: file, precision: .f32)
        let first = try blocks.block(1)
        let again = try blocks.block(1)
        #expect(first.down.unpacked() == again.down.unpacked() && first.attentionNorm == again.attentionNorm)
        let before = try file.floats("blk.1.ffn_gate.weight")
        file.file.releasePages(0..<file.file.bytes.count)
        #expect(try file.floats("blk.1.ffn_gate.weight") == before)
    }
}
