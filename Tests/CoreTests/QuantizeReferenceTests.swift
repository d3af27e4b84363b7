import Core
import Foundation
import Testing
import TestSupport

/// Reference quantizations of `QuantizeSamples.varied`, written once by
/// Scripts/quant_reference.py: gguf-py's for the 32-value types, ggml's own when
/// llama-cpp-python is installed.
/// Held for the whole run: the fixture files are read by every test case.
private let referenceFolder = Result { try ScratchFolder.forTheWholeRun(prefix: "cfsp-quant-reference") }

private let referenceFixtures: Result<(folder: URL, values: [Float]), TestProcess.Failure> = {
    do {
        let folder = try referenceFolder.get().url
        let values = QuantizeSamples.varied(superBlocks: 40, seed: 14)
        let input = folder.appendingPathComponent("input.f32")
        try QuantizeSamples.rawBytes(values).write(to: input)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/quant_reference.py")
        try TestProcess.run(["python3", script.path, input.path, folder.path], what: "quant_reference.py")
        return .success((folder, values))
    } catch let failure as TestProcess.Failure {
        return .failure(failure)
    } catch {
        return .failure(TestProcess.Failure(description: "\(error)"))
    }
}()

/// Whether llama-cpp-python's ggml wrote its references (it is optional: the tests need only gguf-py).
private func ggmlAvailable() -> Bool {
    guard case .success(let fixtures) = referenceFixtures else { return false }
    return FileManager.default.fileExists(atPath: fixtures.folder.appendingPathComponent("ggml-Q4_K.bin").path)
}

@Suite("Quantization against references")
struct QuantizeReferenceTests {
    /// The first differing block of two encodings, for a readable failure.
    private func firstDifference(_ ours: [UInt8], _ theirs: [UInt8], _ type: TensorType) -> String {
        guard ours.count == theirs.count else { return "sizes differ: \(ours.count) vs \(theirs.count)" }
        guard let byte = zip(ours, theirs).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset else { return "none" }
        let block = byte / type.bytesPerBlock
        return "block \(block) byte \(byte % type.bytesPerBlock): ours \(ours[byte]), reference \(theirs[byte])"
    }

    /// gguf-py's quantizers are bit-exact ports of ggml's reference ones for these types.
    @Test(arguments: [TensorType.q8_0, .q4_0, .q4_1, .q5_0, .q5_1])
    func matchesGGUFPackage(type: TensorType) throws {
        let fixtures = try referenceFixtures.get()
        let reference = [UInt8](try Data(contentsOf: fixtures.folder.appendingPathComponent("gguf-\(type.rawValue).bin")))
        let ours = try Quantize.encode(fixtures.values, as: type)
        #expect(ours.count == fixtures.values.count / type.blockSize * type.bytesPerBlock)
        #expect(ours == reference, "first difference: \(firstDifference(ours, reference, type))")
    }

    /// ggml's reference quantizers, which llama-quantize runs when given no importance matrix:
    /// the K-quants' searches reproduce its bytes, so a cfsp export equals llama.cpp's.
    @Test(.enabled(if: ggmlAvailable(), "llama-cpp-python (ggml) is not installed"), arguments: QuantizeSamples.blockTypes)
    func matchesGGML(type: TensorType) throws {
        let fixtures = try referenceFixtures.get()
        let reference = [UInt8](try Data(contentsOf: fixtures.folder.appendingPathComponent("ggml-\(type.rawValue).bin")))
        let ours = try Quantize.encode(fixtures.values, as: type)
        #expect(ours == reference, "first difference: \(firstDifference(ours, reference, type))")
    }
}
