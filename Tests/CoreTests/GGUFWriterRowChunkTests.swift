import Core
import Foundation
import Testing
import TestSupport

/// Tensors given by rows (`GGUFWriterTensor(rows:)`, the export's embedding and head) are produced
/// and encoded a chunk of rows at a time: the file must be byte for byte the one written from the
/// whole tensor, for every encoding, whatever the chunk size; errors name the row in the tensor.
@Suite("GGUF writer, tensors by rows")
struct GGUFWriterRowChunkTests {
    static let types: [TensorType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K]

    @Test("chunks of rows write the whole tensor's bytes", arguments: types)
    func chunksEqualTheWholeTensor(type: TensorType) throws {
        let folder = try ScratchFolder(); defer { folder.remove() }
        let rows = 11, width = 512
        let values = (0..<(rows * width)).map { Float(sin(Double($0) * 0.37)) * 3 }
        let whole = folder.file("whole.gguf"), chunked = folder.file("chunked.gguf")
        let metadata = [GGUFMetadataEntry("general.architecture", .string("llama"))]
        try GGUFWriter.write(metadata: metadata, tensors: [
            GGUFWriterTensor(name: "t", shape: [rows, width], type: type, values: values),
        ], to: whole)
        var asked: [Range<Int>] = []
        try GGUFWriter.write(metadata: metadata, tensors: [
            GGUFWriterTensor(name: "t", shape: [rows, width], type: type) { range in
                asked.append(range)
                return Array(values[(range.lowerBound * width)..<(range.upperBound * width)])
            },
        ], to: chunked, rowChunkValues: 3 * width)
        #expect(asked == [0..<3, 3..<6, 6..<9, 9..<11])
        #expect(FileManager.default.contents(atPath: whole) == FileManager.default.contents(atPath: chunked))
    }

    @Test("a bad value is reported at its row in the tensor; a short chunk is refused")
    func errorsNameTheRow() throws {
        let folder = try ScratchFolder(); defer { folder.remove() }
        let width = 32
        let bad = GGUFWriterTensor(name: "t", shape: [6, width], type: .q8_0) { range in
            (range.lowerBound * width..<range.upperBound * width).map { $0 == 4 * width + 3 ? .nan : 1 }
        }
        #expect {
            try GGUFWriter.write(metadata: [], tensors: [bad], to: folder.file("bad.gguf"), rowChunkValues: 2 * width)
        } throws: { "\($0)".contains("row 4, column 3") }
        let short = GGUFWriterTensor(name: "t", shape: [6, width], type: .f32) { range in
            [Float](repeating: 0, count: max(0, range.count - 1) * width)
        }
        #expect {
            try GGUFWriter.write(metadata: [], tensors: [short], to: folder.file("short.gguf"), rowChunkValues: 2 * width)
        } throws: { "\($0)".contains("rows 0..<2") }
        #expect(!FileManager.default.fileExists(atPath: folder.file("bad.gguf")))
    }
}
