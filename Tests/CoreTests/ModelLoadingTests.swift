import Core
import Foundation
import Synchronization
import TestSupport
import Testing

/// A model load reads every tensor; large ones take minutes, so it reports each tensor and
/// stops when its caller cancels.
@Suite("Model loading: progress and cancellation")
struct ModelLoadingTests {
    private func tinyFolder(in scratch: ScratchFolder) throws -> String {
        let config = hfTinyLlamaConfig()
        let destination = scratch.file("model")
        try HuggingFaceFolderWriter.write(config: config, tensors: hfTinyLlamaTensors(config), to: destination)
        return destination
    }

    @Test("progress is told before every tensor, in order, and the load completes")
    func progressPerTensor() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let path = try tinyFolder(in: scratch)
        let seen = Mutex<[(Int, Int)]>([])
        let loaded = try ModelLoader.load(path: path, loading: LoadingObserver(progress: { done, total in
            seen.withLock { $0.append((done, total)) }
        }))
        let calls = seen.withLock { $0 }
        let total = ModelTensorLayout.expected(loaded.model.config, naming: .huggingFace).count
        #expect(calls.map(\.0) == Array(0..<total))
        #expect(calls.allSatisfy { $0.1 == total })
    }

    @Test("a cancelled load stops at the next tensor with OperationCancelled")
    func cancellation() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let path = try tinyFolder(in: scratch)
        let reads = Mutex(0)
        #expect(throws: OperationCancelled.self) {
            _ = try ModelLoader.load(path: path, loading: LoadingObserver(
                progress: { _, _ in reads.withLock { $0 += 1 } },
                isCancelled: { reads.withLock { $0 >= 3 } }))
        }
        #expect(reads.withLock { $0 } == 3, "no tensor is read after the cancellation is seen")
    }
}
