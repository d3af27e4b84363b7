import Core
import Foundation
import Testing
import TestSupport

/// A tiny LLaMA-family GGUF file with f32 tensors of the right shapes.
struct TinyLlamaGGUF {
    var architecture = "llama"
    var hidden = 8
    var heads = 2
    var kvHeads = 1
    var ffn = [12, 12]
    var vocab = 16
    var tied = true
    var perLayerFFNKey = false

    var headDim: Int { hidden / heads }

    func builder() -> GGUFBuilder {
        var b = GGUFBuilder()
        let a = architecture
        b.set("general.architecture", .string(a))
        b.set("\(a).block_count", .uint32(UInt32(ffn.count)))
        b.set("\(a).embedding_length", .uint32(UInt32(hidden)))
        if perLayerFFNKey {
            b.set("\(a).feed_forward_length", .array(.int32, ffn.map { .int32(Int32($0)) }))
        } else {
            b.set("\(a).feed_forward_length", .uint32(UInt32(ffn[0])))
        }
        b.set("\(a).attention.head_count", .uint32(UInt32(heads)))
        b.set("\(a).attention.head_count_kv", .uint32(UInt32(kvHeads)))
        b.set("\(a).attention.layer_norm_rms_epsilon", .float32(1e-5))
        b.set("\(a).rope.freq_base", .float32(100_000))
        b.set("\(a).context_length", .uint32(256))
        b.addF32("token_embd.weight", shape: [vocab, hidden])
        for (layer, width) in ffn.enumerated() {
            let p = "blk.\(layer)."
            b.addF32(p + "attn_norm.weight", shape: [hidden])
            b.addF32(p + "attn_q.weight", shape: [heads * headDim, hidden])
            b.addF32(p + "attn_k.weight", shape: [kvHeads * headDim, hidden])
            b.addF32(p + "attn_v.weight", shape: [kvHeads * headDim, hidden])
            b.addF32(p + "attn_output.weight", shape: [hidden, heads * headDim])
            b.addF32(p + "ffn_norm.weight", shape: [hidden])
            b.addF32(p + "ffn_gate.weight", shape: [width, hidden])
            b.addF32(p + "ffn_up.weight", shape: [width, hidden])
            b.addF32(p + "ffn_down.weight", shape: [hidden, width])
        }
        b.addF32("output_norm.weight", shape: [hidden])
        if !tied { b.addF32("output.weight", shape: [vocab, hidden]) }
        return b
    }
}

@Suite("GGUF LlamaConfig")
struct GGUFLlamaConfigTests {
    @Test("a GGUF file copied into memory (MappedFile(copying:), what fuzz/ reads) parses as from disk")
    func inMemoryCopy() throws {
        let bytes = TinyLlamaGGUF().builder().bytes().bytes
        let copy = try GGUFFile(file: MappedFile(copying: bytes))
        #expect(try copy.llamaConfig() == openGGUF(bytes).llamaConfig())
        #expect(copy.file.path == "<memory>")
        #expect(throws: GGUFError.self) { try GGUFFile(file: MappedFile(copying: [UInt8]())) }
    }

    /// Found by fuzz/ (harness gguf, with a crafted input): head counts and head sizes were
    /// unbounded, so `head_count` x `key_length` (two u32 near 2^32) overflowed, a trap, when
    /// the configuration was checked against the tensor table.
    @Test("head counts and head sizes above LlamaConfig.maxDimension are refused, not multiplied")
    func hugeHeadSizes() throws {
        var b = TinyLlamaGGUF().builder()
        b.set("llama.attention.head_count", .uint32(.max))
        b.set("llama.attention.head_count_kv", .uint32(.max))
        b.set("llama.attention.key_length", .uint32(.max))
        #expect(throws: GGUFError.self) { try openGGUF(b.bytes().bytes).llamaConfig() }
        var wide = TinyLlamaGGUF().builder()
        wide.set("llama.attention.key_length", .uint32(UInt32(LlamaConfig.maxDimension + 1)))
        #expect(throws: GGUFError.invalidMetadata(
            key: "llama.attention.key_length",
            reason: "is \(LlamaConfig.maxDimension + 1), above the limit of \(LlamaConfig.maxDimension) for a model size")
        ) { try openGGUF(wide.bytes().bytes).llamaConfig() }
    }

    @Test func llamaConfigFromMetadataAndShapes() throws {
        let config = try openGGUF(TinyLlamaGGUF().builder().bytes().bytes).llamaConfig()
        #expect(config == LlamaConfig(
            architecture: "llama", vocabSize: 16, hiddenSize: 8, intermediateSizes: [12, 12], numHeads: 2,
            numKVHeads: 1, headDim: 4, rmsNormEps: 1e-5, ropeTheta: 100_000, contextLength: 256,
            tieWordEmbeddings: true, ropeLayout: .interleaved))
    }

    @Test func untiedOutputAndDefaults() throws {
        var model = TinyLlamaGGUF()
        model.tied = false
        var builder = model.builder()
        builder.metadata.removeAll { $0.0 == "llama.rope.freq_base" || $0.0 == "llama.attention.head_count_kv" }
        builder.set("llama.rope.dimension_count", .uint32(4))
        // Without head_count_kv, KV heads default to the head count, so K/V need full width.
        builder.tensors = builder.tensors.map { tensor in
            var t = tensor
            if t.name.hasSuffix("attn_k.weight") || t.name.hasSuffix("attn_v.weight") {
                t.dims = [8, 8]
                t.data = [UInt8](repeating: 0, count: 256)
            }
            return t
        }
        let config = try openGGUF(builder.bytes().bytes).llamaConfig()
        #expect(config.tieWordEmbeddings == false)
        #expect(config.ropeTheta == 10_000)
        #expect(config.numKVHeads == 2)
        #expect(config.headDim == 4)
    }

    @Test func deciPerLayerWidths() throws {
        var model = TinyLlamaGGUF()
        model.architecture = "deci"
        model.ffn = [12, 4, 8]
        model.perLayerFFNKey = true
        var builder = model.builder()
        builder.set("deci.attention.head_count_kv", .array(.int32, [.int32(1), .int32(1), .int32(1)]))
        let config = try openGGUF(builder.bytes().bytes).llamaConfig()
        #expect(config.architecture == "llama", "a deci file is the llama family with per-layer widths")
        #expect(config.intermediateSizes == [12, 4, 8])
        #expect(config.numLayers == 3)
        #expect(config.numKVHeads == 1)

        // Query heads without a KV head (Nemotron's "linear attention") are not a KV group.
        builder.set("deci.attention.head_count_kv", .array(.int32, [.int32(1), .int32(0), .int32(1)]))
        let error = caughtError { try openGGUF(builder.bytes().bytes).llamaConfig() }
        guard case .inconsistentModel(let why) = error as? GGUFError, why.contains("block 1") else {
            Issue.record("expected block 1's heads refused, got \(String(describing: error))")
            return
        }
    }

    @Test func ffnMetadataMustMatchGateShapes() {
        var model = TinyLlamaGGUF()
        model.architecture = "deci"
        model.ffn = [12, 4]
        model.perLayerFFNKey = true
        var builder = model.builder()
        builder.set("deci.feed_forward_length", .array(.int32, [.int32(12), .int32(8)]))
        #expect(throws: GGUFError.inconsistentModel("deci.feed_forward_length gives block 1 an FFN width of 8, but blk.1.ffn_gate.weight has shape [4, 8]")) {
            try openGGUF(builder.bytes().bytes).llamaConfig()
        }
        builder.set("deci.feed_forward_length", .array(.int32, [.int32(12)]))
        #expect(throws: GGUFError.invalidMetadata(key: "deci.feed_forward_length", reason: "has 1 widths for 2 blocks")) {
            try openGGUF(builder.bytes().bytes).llamaConfig()
        }
    }

    @Test func missingTensorIsNamed() {
        var builder = TinyLlamaGGUF().builder()
        builder.tensors.removeAll { $0.name == "blk.1.attn_v.weight" }
        #expect(throws: GGUFError.familyTensorMissing(tensor: "blk.1.attn_v.weight", family: "llama")) {
            try openGGUF(builder.bytes().bytes).llamaConfig()
        }
    }

    @Test func wrongShapeNamesExpectedAndActual() throws {
        var builder = TinyLlamaGGUF().builder()
        let index = try #require(builder.tensors.firstIndex { $0.name == "blk.0.attn_k.weight" })
        builder.tensors[index].dims = [8, 8]
        builder.tensors[index].data = [UInt8](repeating: 0, count: 256)
        #expect(throws: GGUFError.tensorShapeMismatch(tensor: "blk.0.attn_k.weight", expected: [4, 8], actual: [8, 8])) {
            try openGGUF(builder.bytes().bytes).llamaConfig()
        }
        let message = GGUFError.tensorShapeMismatch(tensor: "blk.0.attn_k.weight", expected: [4, 8], actual: [8, 8]).description
        #expect(message.contains("blk.0.attn_k.weight") && message.contains("[4, 8]") && message.contains("[8, 8]"))
    }

    @Test func otherArchitecturesAreRejected() {
        var builder = TinyLlamaGGUF().builder()
        builder.set("general.architecture", .string("gpt2"))
        #expect(throws: GGUFError.unsupportedArchitecture("gpt2")) { try openGGUF(builder.bytes().bytes).llamaConfig() }
        let message = GGUFError.unsupportedArchitecture("gpt2").description
        for name in ["gpt2", "'llama'", "'deci'", "'qwen2'", "'gemma3'"] { #expect(message.contains(name), "names \(name)") }
    }

    @Test func missingOrMistypedKeys() {
        var builder = TinyLlamaGGUF().builder()
        builder.metadata.removeAll { $0.0 == "llama.attention.layer_norm_rms_epsilon" }
        #expect(throws: GGUFError.missingMetadata(key: "llama.attention.layer_norm_rms_epsilon")) {
            try openGGUF(builder.bytes().bytes).llamaConfig()
        }
        builder = TinyLlamaGGUF().builder()
        builder.set("llama.block_count", .string("2"))
        #expect(throws: GGUFError.metadataTypeMismatch(key: "llama.block_count", expected: "an integer", found: "string")) {
            try openGGUF(builder.bytes().bytes).llamaConfig()
        }
        builder = TinyLlamaGGUF().builder()
        builder.metadata.removeAll { $0.0 == "general.architecture" }
        #expect(throws: GGUFError.missingMetadata(key: "general.architecture")) { try openGGUF(builder.bytes().bytes).llamaConfig() }
    }
}
