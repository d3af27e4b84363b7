import Core
import Foundation
import Testing
import TestSupport

/// Runs `Scripts/gguf_inspect.py`, which reads a GGUF file with gguf-py's `GGUFReader` and
/// prints a JSON summary: the independent check that written files follow the format.
enum GGUFWriterPython {
    /// One metadata field as gguf-py decodes it.
    struct Field: Decodable {
        var types: [String]
        var value: GGUFWriterJSON
    }

    /// One tensor as gguf-py sees it: dims innermost-first, type name, sum and first values.
    struct Tensor: Decodable {
        var name: String
        var dims: [Int]
        var type: String
        var offset: Int
        var sum: Double
        var first: [Double]
    }

    struct Summary: Decodable {
        var fields: [String: Field]
        var tensors: [Tensor]
        var alignment: Int
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Scripts/gguf_inspect.py")

    /// gguf-py's view of the file at `path`.
    static func inspect(_ path: String) throws -> Summary {
        let stdout = try TestProcess.python(script.path, [path])
        return try JSONDecoder().decode(Summary.self, from: stdout)
    }
}

/// A JSON value as Python's json module prints it.
indirect enum GGUFWriterJSON: Decodable, Equatable {
    case number(Double), string(String), bool(Bool), array([GGUFWriterJSON])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else {
            self = .array(try container.decode([GGUFWriterJSON].self))
        }
    }
}

@Suite("GGUF writer against gguf-py")
struct GGUFWriterPythonTests {
    @Test("gguf-py reads the architecture, every metadata value and every tensor's shape and values")
    func pythonReadsWrittenFile() throws {
        let folder = try ScratchFolder()
        let path = folder.file("py.gguf")
        try GGUFWriter.write(metadata: ggufWriterAllValueTypes, tensors: [
            GGUFWriterTensor(name: "a.f32", shape: [3, 5], type: .f32, values: ggufWriterExactValues(15)),
            GGUFWriterTensor(name: "b.f16", shape: [7], type: .f16, values: ggufWriterExactValues(7)),
            GGUFWriterTensor(name: "c.bf16", shape: [2, 3, 4], type: .bf16, values: ggufWriterExactValues(24)),
        ], to: path)
        let summary = try GGUFWriterPython.inspect(path)
        #expect(summary.alignment == 32)
        #expect(summary.fields["general.architecture"]?.value == .string("llama"))
        #expect(summary.fields["t.u8"]?.types == ["UINT8"])
        #expect(summary.fields["t.i64"]?.value == .number(-9_000_000_000_000_000_000))
        #expect(summary.fields["t.u64"]?.types == ["UINT64"])
        #expect(summary.fields["t.f32"]?.value == .number(Double(Float(-1.25e-3))))
        #expect(summary.fields["t.f64"]?.value == .number(3.141592653589793))
        #expect(summary.fields["t.bool"]?.value == .bool(true))
        #expect(summary.fields["t.string"]?.value == .string("héllo \"wörld\"\n"))
        #expect(summary.fields["t.strings"]?.value == .array([.string("a"), .string(""), .string("Ġthe")]))
        #expect(summary.fields["t.ints"]?.types == ["ARRAY", "INT32"])
        #expect(summary.fields["t.ints"]?.value == .array([.number(48), .number(16), .number(30)]))
        #expect(summary.fields["t.floats"]?.value == .array([.number(0.5), .number(-2)]))
        #expect(summary.fields["t.empty"]?.value == .array([]))
        #expect(Set(summary.fields.keys) == Set(ggufWriterAllValueTypes.map(\.key)))

        #expect(summary.tensors.map(\.name) == ["a.f32", "b.f16", "c.bf16"])
        #expect(summary.tensors.map(\.dims) == [[5, 3], [7], [4, 3, 2]])
        #expect(summary.tensors.map(\.type) == ["F32", "F16", "BF16"])
        for tensor in summary.tensors {
            let expected = ggufWriterExactValues(tensor.dims.reduce(1, *))
            #expect(tensor.sum == expected.reduce(0) { $0 + Double($1) }, "\(tensor.name)")
            #expect(tensor.first == expected.prefix(4).map(Double.init), "\(tensor.name)")
            #expect(tensor.offset % 32 == 0)
        }
    }
}
