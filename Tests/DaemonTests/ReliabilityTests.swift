import CFSPProtocol
import Core
import Daemon
import Foundation
import RPC
import Testing
import TestSupport

/// Untrusted numbers, in params and in model files, are refused (naming the member or key and
/// the limit) before anything is sized by them; nothing a client sends or a file declares can
/// crash, hang or wedge the daemon.
@Suite("Reliability of untrusted numbers")
struct ReliabilityTests {
    /// Overwrites the u32 value of GGUF metadata `key` in the file at `path`.
    static func patchGGUF(_ path: String, key: String, u32 value: UInt32) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let needle = Array(key.utf8)
        guard let at = (0...(bytes.count - needle.count)).first(where: { Array(bytes[$0..<($0 + needle.count)]) == needle })
        else { throw ModelError.missingTensor(key) }
        let typeOffset = at + needle.count
        #expect(bytes[typeOffset] == 4, "\(key) is a u32")
        withUnsafeBytes(of: value.littleEndian) { raw in
            for i in 0..<4 { bytes[typeOffset + 4 + i] = raw[i] }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Rewrites the GGUF at `path` with metadata `key` set to `value` (any type, e.g. a u64 that
    /// a byte patch of the u32 could not hold); tensors are copied as f32.
    static func rewriteGGUF(_ path: String, key: String, _ value: GGUFValue) throws {
        let file = try GGUFFile(path: path)
        let metadata = file.metadataKeys.map { GGUFMetadataEntry($0, $0 == key ? value : file.metadata[$0]!) }
        let tensors = try file.tensors.map { info in
            GGUFWriterTensor(name: info.name, shape: info.shape, type: .f32, values: try file.floats(info.name))
        }
        try GGUFWriter.write(metadata: metadata, tensors: tensors, to: path, overwrite: true)
    }

    /// Rewrites members of the tiny HF folder's config.json.
    static func patchHF(_ folder: String, _ edits: [String: String]) throws {
        let path = folder + "/config.json"
        var text = try String(contentsOfFile: path, encoding: .utf8)
        for (key, value) in edits {
            let pattern = try NSRegularExpression(pattern: "\"\(key)\"\\s*:\\s*[^,}\\n]+")
            let range = NSRange(text.startIndex..., in: text)
            #expect(pattern.firstMatch(in: text, range: range) != nil, "config.json has \(key)")
            text = pattern.stringByReplacingMatches(in: text, range: range, withTemplate: "\"\(key)\": \(value)")
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test("calibrate refuses counts whose windows cannot fit in memory, and starts near Int.max, without crashing")
    func calibrateHugeCountsAndStarts() async throws {
        let folder = try ScratchFolder()
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        _ = try await daemon.client.send(LoadModelRequest.self, .init(path: try writeTinyModel(in: folder)))
        let text = TextInput(text: TestRandom(seed: 1).textValue(words: 60))
        for count in [Int.max, 1 << 40, 1 << 31] {
            let error = await responseError {
                _ = try await daemon.client.send(CalibrateRequest.self, .init(model: "m1", input: text, count: count, windowSize: 8))
            }
            #expect(error?.code == 1005, "count \(count)")
            #expect(error?.message.contains("'count'") == true)
        }
        let error = await responseError {
            _ = try await daemon.client.send(CalibrateRequest.self, .init(model: "m1", input: text, windowSize: 8, starts: [Int.max]))
        }
        #expect(error?.code == 1005, "a start that does not fit the text is a bad window parameter, as protocol.md says")
        let ok = try await daemon.client.send(CalibrateRequest.self, .init(model: "m1", input: text, count: 2, windowSize: 8))
        #expect(ok.windows == 2)
    }

    @Test("finetune with a time budget of 1e308 or Int.max seconds trains its steps")
    func finetuneHugeTimeBudget() async throws {
        let folder = try ScratchFolder()
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        _ = try await daemon.client.send(LoadModelRequest.self, .init(path: try writeTinyModel(in: folder)))
        for budget in [1e308, Double(Int.max)] {
            var params = FinetuneRequest.Params(model: "m1", input: .init(text: TestRandom(seed: 2).textValue(words: 80)), steps: 2)
            params.options.allocation = .uniform
            params.options.sequenceLength = 16
            params.options.timeBudgetSeconds = budget
            let result = try await daemon.client.send(FinetuneRequest.self, params)
            #expect(result.stepsCompleted == 2)
        }
    }

    @Test("a GGUF declaring a context of 2^31-1, 2^40 or 2^62 loads at once; the rotary table grows with the windows run",
          arguments: [GGUFValue.uint32(UInt32(Int32.max)), .uint64(1 << 40), .uint64(1 << 62)])
    func ggufHugeContextLoadsLazily(context: GGUFValue) async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        try Self.rewriteGGUF(path, key: "llama.context_length", context)
        let declared = try #require(context.int)
        let loaded = try ModelLoader.load(path: path)
        #expect(loaded.model.config.contextLength == declared)
        #expect(loaded.model.rotaryPositionsBuilt == 0)
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        let info = try await daemon.client.send(LoadModelRequest.self, .init(path: path))
        #expect(info.config.contextLength == declared)
        let text = TextInput(text: TestRandom(seed: 4).textValue(words: 80))
        let result = try await daemon.client.send(EvaluateRequest.self, .init(model: "m1", input: text, windowSize: 16))
        // The same file rewritten with its real context (128) gives the same perplexity.
        let real = folder.file("real.gguf")
        try TestModelFile.write(to: real, format: .gguf, seed: 7)
        try Self.rewriteGGUF(real, key: "llama.context_length", .uint32(128))
        _ = try await daemon.client.send(LoadModelRequest.self, .init(path: real))
        let reference = try await daemon.client.send(EvaluateRequest.self, .init(model: "m2", input: text, windowSize: 16))
        #expect(result.perplexity.isFinite)
        #expect(abs(result.perplexity - reference.perplexity) <= 1e-9 * reference.perplexity)
    }

    @Test("a GGUF declaring 2^31 blocks is refused at once, naming block_count")
    func ggufHugeBlockCount() throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        try Self.patchGGUF(path, key: "llama.block_count", u32: 1 << 31)
        #expect {
            _ = try ModelLoader.load(path: path)
        } throws: { "\($0)".contains("block_count") }
    }

    @Test("HF config: max_position_embeddings 2^40 and 2^62 load; rope_theta 1e300 is refused and model/list keeps working")
    func huggingFaceHugeValues() async throws {
        let folder = try ScratchFolder()
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        let big = try writeTinyModel(in: folder, format: .huggingFace)
        try Self.patchHF(big, ["max_position_embeddings": "\(1 << 62)"])
        let info = try await daemon.client.send(LoadModelRequest.self, .init(path: big))
        #expect(info.config.contextLength == 1 << 62)

        let layers = folder.file("layers")
        try TestModelFile.write(to: layers, format: .huggingFace, seed: 7)
        try Self.patchHF(layers, ["num_hidden_layers": "\(1 << 31)"])
        let layerError = await responseError { _ = try await daemon.client.send(LoadModelRequest.self, .init(path: layers)) }
        #expect(layerError?.code == 1004)
        #expect(layerError?.message.contains("num_hidden_layers") == true)

        let theta = folder.file("theta")
        try TestModelFile.write(to: theta, format: .huggingFace, seed: 7)
        try Self.patchHF(theta, ["rope_theta": "1e300"])
        let error = await responseError { _ = try await daemon.client.send(LoadModelRequest.self, .init(path: theta)) }
        #expect(error?.code == 1004)
        #expect(error?.message.contains("rope_theta") == true)
        let list = try await daemon.client.send(ListModelsRequest.self, EmptyObject())
        #expect(list.models.map(\.model) == ["m1"])
    }

    @Test("fractional and huge numbers name the member; NUL in a path is refused naming it")
    func paramsNumbersAndPaths() async throws {
        let folder = try ScratchFolder()
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        _ = try await daemon.client.send(LoadModelRequest.self, .init(path: try writeTinyModel(in: folder)))
        for value: JSONValue in [1.5, 1e300, .double(9.3e18)] {
            let error = await responseError {
                _ = try await daemon.client.sendRequest(method: "calibrate", params: ["model": "m1", "text": "the", "count": value])
            }
            #expect(error?.code == -32602)
            #expect(error?.message.contains("'count'") == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("integer") == true)
        }
        let float = await responseError {
            _ = try await daemon.client.sendRequest(
                method: "finetune", params: ["model": "m1", "text": "the", "steps": 1, "learningRate": 1e300])
        }
        #expect(float?.code == -32602)
        #expect(float?.message.contains("'learningRate'") == true, "\(float?.message ?? "")")
        let nul = await responseError {
            _ = try await daemon.client.sendRequest(method: "model/load", params: ["path": .string(folder.file("tiny.gguf") + "\0x")])
        }
        #expect(nul?.code == -32602)
        #expect(nul?.message.contains("'path'") == true)
    }

    @Test("empty text answers 1005 in finetune, evaluate and calibrate")
    func emptyTextIsBadData() async throws {
        let folder = try ScratchFolder()
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        _ = try await daemon.client.send(LoadModelRequest.self, .init(path: try writeTinyModel(in: folder)))
        var finetune = FinetuneRequest.Params(model: "m1", input: .init(text: ""), steps: 1)
        finetune.options.allocation = .uniform
        #expect(await errorCode { _ = try await daemon.client.send(FinetuneRequest.self, finetune) } == 1005)
        #expect(await errorCode {
            _ = try await daemon.client.send(EvaluateRequest.self, .init(model: "m1", input: .init(text: "")))
        } == 1005)
        #expect(await errorCode {
            _ = try await daemon.client.send(CalibrateRequest.self, .init(model: "m1", input: .init(text: "")))
        } == 1005)
    }

    @Test("model/load of a FIFO is refused without opening it; file errors are said in words")
    func fifoAndFileErrors() async throws {
        let folder = try ScratchFolder()
        let fifo = folder.file("pipe")
        #expect(mkfifo(fifo, 0o600) == 0)
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        let error = await responseError { _ = try await daemon.client.send(LoadModelRequest.self, .init(path: fifo)) }
        #expect(error?.code == 1004)
        #expect(error?.message.contains("FIFO") == true)
        let missing = await responseError {
            _ = try await daemon.client.send(LoadCalibrationRequest.self, .init(path: folder.file("absent.json")))
        }
        #expect(missing?.code == 1004)
        #expect(missing?.message.contains("Error Domain") == false, "\(missing?.message ?? "")")
        #expect(missing?.message.contains("no such file") == true, "\(missing?.message ?? "")")
    }

    @Test("model/load errors quote at most a short, escaped excerpt of the file's strings")
    func loadErrorsAreSanitised() async throws {
        let folder = try ScratchFolder()
        let hf = try writeTinyModel(in: folder, format: .huggingFace)
        let junk = String(repeating: "\\u001b[31mX", count: 5000)
        try Self.patchHF(hf, ["model_type": "\"\(junk)\""])
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        let error = await responseError { _ = try await daemon.client.send(LoadModelRequest.self, .init(path: hf)) }
        #expect(error?.code == 1004)
        #expect((error?.message.count ?? 0) < 1200)
        #expect(error?.message.contains("\u{1b}") == false)
    }
}

@Test("the cfspd binary refuses 1e400 as JSON no double can hold, instead of taking the default")
func numberBeyondDoubleRange() async throws {
    guard let executable = cfspdExecutable() else { return }
    let daemon = try CfspdProcess(executable: executable)
    _ = await daemon.response(daemon.request("initialize"))
    daemon.sendRaw(#"{"jsonrpc":"2.0","id":900,"method":"calibrate","params":{"model":"m1","text":"the","count":1e400}}"#, valid: true)
    // The parser refuses the number itself (fuzz/README.md: it used to read it as infinity), so
    // the message has no id to answer: -32700 with id null, saying why.
    let response = await poll(timeout: .seconds(60)) { daemon.messages.first { $0["id"] == .null && $0["error"] != nil } }
    #expect(response?["error"]?["code"]?.intValue == -32700)
    #expect(response?["error"]?["data"]?["reason"]?.stringValue?.contains("out of the range of a double") == true)
    #expect(await daemon.response(daemon.request("model/list")) != nil, "the daemon keeps serving")
    daemon.closeInput()
    _ = daemon.waitForExit()
}
