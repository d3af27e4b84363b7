import Core
import Foundation
import TestSupport
import Testing

/// Every reader opens its paths through `RegularFile`: a FIFO (opening one for reading waits for
/// a writer), a device or an oversized file anywhere a model, tokenizer or text is read must be
/// refused at once, not block the daemon's worker or fill its memory.
@Suite("Untrusted paths: FIFOs, devices and oversized files are refused at once")
struct RegularFileTests {
    /// Runs `body` on another thread and returns what it threw. If it has not returned within
    /// five seconds it is blocked in `open` of `fifo`: a writer is attached to free the thread
    /// and the test fails.
    private func promptError(unblocking fifo: String, _ body: @escaping @Sendable () throws -> Void) -> (any Error)? {
        let finished = DispatchSemaphore(value: 0)
        let outcome = OutcomeBox()
        Thread.detachNewThread {
            do { try body() } catch { outcome.error = error }
            finished.signal()
        }
        if finished.wait(timeout: .now() + 5) == .timedOut {
            Issue.record("still blocked on '\(fifo)' after 5 s")
            let writer = open(fifo, O_WRONLY)
            close(writer)
            finished.wait()
        }
        return outcome.error
    }

    private final class OutcomeBox: @unchecked Sendable {
        // Written by the worker thread before `finished.signal()`, read after `wait()`.
        var error: (any Error)?
    }

    private func makeFIFO(_ path: String) throws {
        try? FileManager.default.removeItem(atPath: path)
        #expect(mkfifo(path, 0o600) == 0)
    }

    private func folder(in scratch: ScratchFolder) throws -> String {
        let config = hfTinyLlamaConfig()
        let tokenizer = scratch.file("source-tokenizer.json")
        try Data(#"{"model":{"type":"BPE","vocab":{},"merges":[]}}"#.utf8).write(to: URL(fileURLWithPath: tokenizer))
        let destination = scratch.file("model")
        try HuggingFaceFolderWriter.write(
            config: config, tensors: hfTinyLlamaTensors(config), tokenizerJSONPath: tokenizer, to: destination)
        return destination
    }

    @Test("a FIFO in place of any file of a Hugging Face folder", arguments: [
        "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
    ])
    func huggingFaceFolder(file: String) throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let model = try folder(in: scratch)
        let fifo = (model as NSString).appendingPathComponent(file)
        try makeFIFO(fifo)
        let error = promptError(unblocking: fifo) { _ = try ModelLoader.load(path: model) }
        #expect(error != nil)
        #expect(String(describing: error).contains("not a regular file"), "\(String(describing: error))")
    }

    @Test("a FIFO as the shard index of a sharded folder")
    func shardIndex() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let model = try folder(in: scratch)
        try FileManager.default.removeItem(atPath: (model as NSString).appendingPathComponent("model.safetensors"))
        let fifo = (model as NSString).appendingPathComponent("model.safetensors.index.json")
        try makeFIFO(fifo)
        let error = promptError(unblocking: fifo) { _ = try ModelLoader.load(path: model) }
        #expect("\(String(describing: error))".contains("not a regular file"))
    }

    @Test("a FIFO as a GGUF file, a text corpus or any file read whole")
    func singleFiles() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let fifo = scratch.file("pipe")
        try makeFIFO(fifo)
        #expect(promptError(unblocking: fifo) { _ = try GGUFFile(path: fifo) } as? MappedFileError == .notRegularFile(path: fifo))
        #expect(promptError(unblocking: fifo) { _ = try ModelLoader.load(path: fifo) } as? ModelFileError == .notRegularFile(fifo))
        #expect(promptError(unblocking: fifo) { _ = try TextCorpus.loadPlainText(path: fifo) } is DataError)
        #expect(promptError(unblocking: fifo) { _ = try TextCorpus.jsonlRecords(path: fifo) } is DataError)
        #expect(promptError(unblocking: fifo) { _ = try makeTokenizer(tokenizerJSONAt: fifo) } as? MappedFileError
            == .notRegularFile(path: fifo))
        #expect(throws: MappedFileError.notRegularFile(path: "/dev/zero")) {
            _ = try RegularFile.contents(of: "/dev/zero", limit: 1 << 20)
        }
    }

    @Test("a file over its kind's limit is refused before it is read; one within is read whole")
    func limits() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let path = scratch.file("big.json")
        try Data(repeating: 0x20, count: 4097).write(to: URL(fileURLWithPath: path))
        #expect(throws: MappedFileError.tooLarge(path: path, bytes: 4097, limit: 4096)) {
            _ = try RegularFile.contents(of: path, limit: 4096)
        }
        #expect(try RegularFile.contents(of: path, limit: 4097) == Data(repeating: 0x20, count: 4097))
        #expect(throws: MappedFileError.notFound(path: scratch.file("absent"))) {
            _ = try RegularFile.contents(of: scratch.file("absent"), limit: 10)
        }
    }
}
