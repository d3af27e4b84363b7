import CFSPProtocol
import Core
import Daemon
import Foundation
import Kernels
import RPC
import Testing
import TestSupport

/// `export`'s `tensorTypes`: what the written file holds, per stored type.
@Suite("The export result's tensor types over an in-process connection", .timeLimit(.minutes(5)))
struct ExportTensorTypesTests {
    /// The stored types of a file as (type, tensors, bytes), read back from its tensor table.
    private func tallyOfFile(_ path: String) throws -> [String: (tensors: Int, bytes: Int)] {
        var tally: [String: (tensors: Int, bytes: Int)] = [:]
        for tensor in try GGUFFile(path: path).tensors {
            let entry = tally[tensor.type.ggmlName] ?? (0, 0)
            tally[tensor.type.ggmlName] = (entry.tensors + 1, entry.bytes + tensor.byteCount)
        }
        return tally
    }

    @Test("a q4_k_m export reports the file's types: counts add up to its tensors, Q6_K where the mix puts it")
    func quantizedMix() async throws {
        let folder = try ScratchFolder()
        // Hidden 256 and FFN widths 512/256 keep every matrix in whole K-quant blocks; 288 makes
        // ffn_down fall back to 32-value blocks in block 1. Eight blocks: llama.cpp's use_more_bits
        // picks blocks 0, 3, 6 and 7 for Q6_K attn_v and ffn_down.
        // The tiny test model's vocabulary, so that its tokenizer metadata (which the daemon's GGUF
        // loader needs) fits.
        var config = LlamaConfig.tiny(layers: 8, hidden: 256, heads: 4, kvHeads: 2, ffn: 256, vocab: TestModelFile.vocabularySize)
        config.intermediateSizes = [512, 288, 256, 512, 256, 512, 256, 512]
        let source = folder.file("wide.gguf")
        try GGUFExporter.export(try LlamaModel.random(config: config, seed: 3), to: source,
                                source: try GGUFFile(path: try writeTinyModel(in: folder)))
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        _ = try await daemon.client.send(LoadModelRequest.self, .init(path: source))
        let target = folder.file("q4km.gguf")
        let result = try await daemon.client.send(
            ExportRequest.self, .init(model: "m1", format: .gguf, path: target, precision: .q4_k_m))

        let file = try GGUFFile(path: target)
        let reported = Dictionary(uniqueKeysWithValues: result.tensorTypes.map { ($0.type, ($0.tensors, $0.bytes)) })
        let read = try tallyOfFile(target)
        #expect(result.tensorTypes.reduce(0) { $0 + $1.tensors } == file.tensors.count)
        #expect(result.wireMembers["tensors"] == .int(file.tensors.count))
        #expect(Set(reported.keys) == Set(read.keys))
        for (type, entry) in read {
            #expect(reported[type]?.0 == entry.tensors, "\(type) tensors")
            #expect(reported[type]?.1 == entry.bytes, "\(type) bytes")
        }
        #expect(result.tensorTypes.map(\.bytes) == result.tensorTypes.map(\.bytes).sorted(by: >), "most bytes first")
        // Tied head: token_embd is Q6_K; attn_v and ffn_down are Q6_K in blocks 0, 3, 6, 7 (ffn_down of
        // block 1 would be Q4_K but its 288-value rows fall back to Q5_0).
        let types = Dictionary(uniqueKeysWithValues: file.tensors.map { ($0.name, $0.type) })
        #expect(types["token_embd.weight"] == .q6_K)
        for block in [0, 3, 6, 7] {
            #expect(types["blk.\(block).attn_v.weight"] == .q6_K && types["blk.\(block).ffn_down.weight"] == .q6_K)
        }
        #expect(types["blk.1.ffn_down.weight"] == .q5_0)
        #expect(reported["Q6_K"]?.0 == 1 + 4 * 2)
        #expect(reported["Q5_0"]?.0 == 1)
        #expect(reported["F32"]?.0 == 1 + 8 * 2, "the output norm and two norms per block")
        #expect(result.notes.contains { $0.contains("Q5_0") }, "the fallback is said in the notes too")
    }

    @Test("an hf export reports its one dtype and the bytes of every tensor")
    func huggingFaceDtype() async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        _ = try await daemon.client.send(LoadModelRequest.self, .init(path: path))
        let result = try await daemon.client.send(
            ExportRequest.self, .init(model: "m1", format: .hf, path: folder.file("hf"), precision: .bf16))
        #expect(result.tensorTypes.count == 1 && result.tensorTypes.first?.type == "BF16")
        let tensors = try #require(result.tensorTypes.first)
        let written = try SafetensorsFile(path: folder.file("hf") + "/model.safetensors")
        #expect(tensors.tensors == written.tensorNames.count)
        let values = written.tensorNames.reduce(0) { $0 + (written.descriptor($1)?.elementCount ?? 0) }
        #expect(tensors.bytes == 2 * values, "two bytes per bf16 value")
    }
}
