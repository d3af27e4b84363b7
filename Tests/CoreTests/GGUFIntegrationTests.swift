import Core
import Foundation
import Testing
import TestSupport

/// The real SmolLM2-135M-Instruct Q4_1 file named by `CFSP_MODEL` (scripts/test.sh sets it).
@Suite("GGUFIntegration")
struct GGUFIntegration {
    struct MissingModel: Error, CustomStringConvertible {
        var description: String {
            "CFSP_MODEL is not set: run scripts/test.sh, or export CFSP_MODEL=$(scripts/fetch-model.sh)"
        }
    }

    static func modelPath() throws -> String {
        guard let path = ProcessInfo.processInfo.environment["CFSP_MODEL"], !path.isEmpty else { throw MissingModel() }
        return path
    }

    @Test func configOfSmolLM2() throws {
        let file = try GGUFFile(path: Self.modelPath())
        let config = try file.llamaConfig()
        #expect(config.architecture == "llama")
        #expect(config.numLayers == 30)
        #expect(config.hiddenSize == 576)
        #expect(config.numHeads == 9)
        #expect(config.numKVHeads == 3)
        #expect(config.headDim == 64)
        #expect(config.intermediateSizes == Array(repeating: 1536, count: 30))
        #expect(config.vocabSize == 49152)
        #expect(config.tieWordEmbeddings)
        #expect(config.ropeLayout == .interleaved)
        #expect(config.ropeTheta == 100_000)
        #expect(config.rmsNormEps == 1e-5)
        #expect(config.contextLength == 8192)
        #expect(file.tensors.count == 272)

        let tokenizer = try file.tokenizerMetadata()
        #expect(tokenizer.model == "gpt2")
        #expect(tokenizer.preTokenizer == "smollm")
        #expect(tokenizer.tokens.count == 49152)
        #expect(tokenizer.merges.count == 48900)
        #expect(tokenizer.tokenTypes.count == 49152)
        #expect(tokenizer.bosTokenID == 1)
        #expect(tokenizer.eosTokenID == 2)
        #expect(tokenizer.tokens[1] == "<|im_start|>")
    }

    /// Our dequantization of a Q4_1 tensor equals the gguf package's, bit for bit.
    @Test(arguments: ["blk.0.ffn_down.weight", "token_embd.weight"])
    func tensorMatchesGGUFPackage(name: String) throws {
        let path = try Self.modelPath()
        let file = try GGUFFile(path: path)
        let folder = try ScratchFolder()
        let out = folder.fileURL("reference.f32")
        try GGUFPython.run(["tensor", path, name, out.path])
        let reference = try GGUFPython.floats(at: out)
        let values = try file.floats(name)
        let info = try #require(file.tensorInfo(name))
        #expect(values.count == info.shape.reduce(1, *))
        #expect(values.count == reference.count)
        let mismatches = (0..<min(values.count, reference.count)).filter { values[$0].bitPattern != reference[$0].bitPattern }
        #expect(mismatches.isEmpty, "\(mismatches.count) values differ, first at \(mismatches.first ?? -1)")
    }
}
