import Core
import Foundation
import Testing
import TestSupport

/// Every GGUF value type once, plus nested, empty and string arrays.
let ggufWriterAllValueTypes: [GGUFMetadataEntry] = [
    GGUFMetadataEntry("general.architecture", .string("llama")),
    GGUFMetadataEntry("t.u8", .uint8(200)),
    GGUFMetadataEntry("t.i8", .int8(-100)),
    GGUFMetadataEntry("t.u16", .uint16(60_000)),
    GGUFMetadataEntry("t.i16", .int16(-30_000)),
    GGUFMetadataEntry("t.u32", .uint32(4_000_000_000)),
    GGUFMetadataEntry("t.i32", .int32(-2_000_000_000)),
    GGUFMetadataEntry("t.u64", .uint64(18_000_000_000_000_000_000)),
    GGUFMetadataEntry("t.i64", .int64(-9_000_000_000_000_000_000)),
    GGUFMetadataEntry("t.f32", .float32(-1.25e-3)),
    GGUFMetadataEntry("t.f64", .float64(3.141592653589793)),
    GGUFMetadataEntry("t.bool", .bool(true)),
    GGUFMetadataEntry("t.string", .string("héllo \"wörld\"\n")),
    GGUFMetadataEntry("t.strings", .array(.string, [.string("a"), .string(""), .string("Ġthe")])),
    GGUFMetadataEntry("t.ints", .array(.int32, [.int32(48), .int32(16), .int32(30)])),
    GGUFMetadataEntry("t.floats", .array(.float32, [.float32(0.5), .float32(-2)])),
    GGUFMetadataEntry("t.empty", .array(.uint32, [])),
    GGUFMetadataEntry("t.nested", .array(.array, [.array(.uint8, [.uint8(1), .uint8(2)]), .array(.uint8, [])])),
]

/// Values exactly representable in f32, f16 and bf16 (so every type must return them unchanged).
func ggufWriterExactValues(_ count: Int) -> [Float] {
    (0..<count).map { Float($0 % 17 - 8) * 0.25 }
}

@Suite("GGUF writer")
struct GGUFWriterTests {
    @Test("every metadata type and every tensor type survive a round trip through GGUFFile")
    func roundTrip() throws {
        let folder = try ScratchFolder()
        let path = folder.file("all.gguf")
        let tensors = [
            GGUFWriterTensor(name: "a.f32", shape: [3, 5], type: .f32, values: ggufWriterExactValues(15)),
            GGUFWriterTensor(name: "b.f16", shape: [7], type: .f16, values: ggufWriterExactValues(7)),
            GGUFWriterTensor(name: "c.bf16", shape: [2, 3, 4], type: .bf16, values: ggufWriterExactValues(24)),
        ]
        try GGUFWriter.write(metadata: ggufWriterAllValueTypes, tensors: tensors, to: path)

        let file = try GGUFFile(path: path)
        #expect(file.version == 3)
        #expect(file.alignment == 32)
        #expect(file.metadataKeys == ggufWriterAllValueTypes.map(\.key))
        for entry in ggufWriterAllValueTypes {
            #expect(file.metadata[entry.key] == entry.value, "\(entry.key)")
        }
        #expect(file.tensorNames == ["a.f32", "b.f16", "c.bf16"])
        #expect(file.tensorInfo("a.f32")?.shape == [3, 5])
        #expect(file.tensorInfo("c.bf16")?.shape == [2, 3, 4])
        #expect(file.tensorInfo("a.f32")?.type == .f32)
        #expect(file.tensorInfo("b.f16")?.type == .f16)
        #expect(file.tensorInfo("c.bf16")?.type == .bf16)
        for tensor in tensors {
            #expect(try file.floats(tensor.name) == ggufWriterExactValues(tensor.shape.reduce(1, *)))
            #expect((file.tensorInfo(tensor.name)?.fileOffset ?? 1) % 32 == 0)
        }
    }

    @Test("narrowing to f16 and bf16 rounds to nearest even, like native conversions")
    func narrowingRounds() throws {
        let folder = try ScratchFolder()
        let path = folder.file("round.gguf")
        var state: UInt64 = 7
        let random = (0..<64).map { _ -> Float in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state) >> 40) * 0x1p-22
        }
        let values = random + [1 + 0x1p-8, 1 + 3 * 0x1p-8, 1 + 0x1p-11, 70_000]
        try GGUFWriter.write(metadata: [], tensors: [
            GGUFWriterTensor(name: "h", shape: [values.count], type: .f16, values: values),
            GGUFWriterTensor(name: "b", shape: [values.count], type: .bf16, values: values),
        ], to: path)
        let file = try GGUFFile(path: path)
        #expect(try file.floats("h") == values.map { Float(Float16($0)) })
        // bf16 reference: the nearest bf16 by exhaustive comparison of the two neighbours.
        let bf16Reference = values.map { value -> Float in
            let down = Float(bitPattern: value.bitPattern & 0xFFFF_0000)
            let up = Float(bitPattern: (value.bitPattern & 0xFFFF_0000) &+ 0x1_0000)
            let dDown = abs(Double(value) - Double(down)), dUp = abs(Double(up) - Double(value))
            if dDown != dUp { return dDown < dUp ? down : up }
            return (down.bitPattern >> 16) & 1 == 0 ? down : up
        }
        #expect(try file.floats("b") == bf16Reference)
    }

    @Test("general.alignment is honoured for the data section and every tensor")
    func customAlignment() throws {
        let folder = try ScratchFolder()
        let path = folder.file("aligned.gguf")
        try GGUFWriter.write(metadata: [GGUFMetadataEntry("general.alignment", .uint32(256))], tensors: [
            GGUFWriterTensor(name: "x", shape: [3], type: .f32, values: [1, 2, 3]),
            GGUFWriterTensor(name: "y", shape: [5], type: .f16, values: [1, 2, 3, 4, 5]),
        ], to: path)
        let file = try GGUFFile(path: path)
        #expect(file.alignment == 256)
        #expect(file.dataOffset % 256 == 0)
        #expect(file.tensorInfo("x")?.fileOffset == file.dataOffset)
        #expect(file.tensorInfo("y")?.fileOffset == file.dataOffset + 256)
        #expect(try file.floats("y") == [1, 2, 3, 4, 5])
    }

    @Test("invalid input is rejected before anything is written, naming the key or tensor")
    func invalidInput() throws {
        let folder = try ScratchFolder()
        let path = folder.file("bad.gguf")
        let good = GGUFWriterTensor(name: "w", shape: [2], type: .f32, values: [1, 2])
        func error(_ metadata: [GGUFMetadataEntry], _ tensors: [GGUFWriterTensor]) -> GGUFWriterError? {
            caughtError { try GGUFWriter.write(metadata: metadata, tensors: tensors, to: path) } as? GGUFWriterError
        }
        #expect(error([GGUFMetadataEntry("k", .bool(true)), GGUFMetadataEntry("k", .bool(false))], [good])
            == .invalidKey("k", reason: "the key appears more than once"))
        #expect(error([GGUFMetadataEntry("k", .array(.int32, [.int32(1), .uint32(2)]))], [good])
            == .invalidMetadata(key: "k", reason: "array of int32 has element 1 of type uint32"))
        #expect(error([GGUFMetadataEntry("general.alignment", .uint32(48))], [good])
            == .invalidMetadata(key: "general.alignment", reason: "48 is not a power of two up to 1 MiB"))
        #expect(error([], [good, good]) == .invalidTensor(name: "w", reason: "the name appears more than once"))
        #expect(error([], [GGUFWriterTensor(name: "q", shape: [2, 48], type: .q8_0, values: [Float](repeating: 0, count: 96))])
            == .invalidTensor(name: "q", reason: "rows of 48 values are not a whole number of Q8_0 blocks of 32"))
        #expect(error([], [GGUFWriterTensor(name: "z", shape: [2, 0], type: .f32, values: [])])
            == .invalidTensor(name: "z", reason: "shape [2, 0] must have 1 to 4 positive dimensions"))
        let longName = String(repeating: "n", count: 64)
        #expect(error([], [GGUFWriterTensor(name: longName, shape: [1], type: .f32, values: [1])])
            == .invalidTensor(name: longName, reason: "names must have 1 to 63 bytes"))
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test("a failure while writing tensor data leaves neither the file nor a temporary behind")
    func failureLeavesNoFile() throws {
        let folder = try ScratchFolder()
        let path = folder.file("partial.gguf")
        struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }
        let tensors = [
            GGUFWriterTensor(name: "first", shape: [4], type: .f32, values: [1, 2, 3, 4]),
            GGUFWriterTensor(name: "short", shape: [4], type: .f32, values: [1, 2, 3]),
        ]
        let shortError = caughtError { try GGUFWriter.write(metadata: [], tensors: tensors, to: path) } as? GGUFWriterError
        #expect(shortError == .invalidTensor(name: "short", reason: "shape [4] holds 4 values but 3 were given"))
        let failing = [GGUFWriterTensor(name: "lazy", shape: [2], type: .f32) { throw Boom() }]
        let sourceError = caughtError { try GGUFWriter.write(metadata: [], tensors: failing, to: path) } as? GGUFWriterError
        #expect(sourceError == .tensorSourceFailed(name: "lazy", reason: "boom"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test("an existing file is replaced only when overwrite is asked for")
    func overwrite() throws {
        let folder = try ScratchFolder()
        let path = folder.file("model.gguf")
        let first = [GGUFWriterTensor(name: "w", shape: [1], type: .f32, values: [1])]
        let second = [GGUFWriterTensor(name: "w", shape: [1], type: .f32, values: [2])]
        try GGUFWriter.write(metadata: [], tensors: first, to: path)
        let error = caughtError { try GGUFWriter.write(metadata: [], tensors: second, to: path) } as? GGUFWriterError
        #expect(error == .destinationExists(path: path))
        #expect(error?.description.contains("overwrite") == true)
        #expect(try GGUFFile(path: path).floats("w") == [1])
        try GGUFWriter.write(metadata: [], tensors: second, to: path, overwrite: true)
        #expect(try GGUFFile(path: path).floats("w") == [2])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["model.gguf"])
    }

    @Test("a missing folder is made, parents included; one that cannot be made gives a write error naming the path")
    func missingFolder() throws {
        let scratch = try ScratchFolder()
        let made = scratch.file("new/nested/model.gguf")
        try GGUFWriter.write(metadata: [], tensors: [GGUFWriterTensor(name: "w", shape: [1], type: .f32, values: [1])], to: made)
        #expect(try GGUFFile(path: made).tensorInfo("w") != nil)
        try Data([1]).write(to: scratch.fileURL("file"))
        let path = scratch.file("file/sub/model.gguf")
        let error = caughtError {
            try GGUFWriter.write(metadata: [], tensors: [GGUFWriterTensor(name: "w", shape: [1], type: .f32, values: [1])], to: path)
        } as? GGUFWriterError
        guard case .writeFailed(let failedPath, let reason)? = error else {
            Issue.record("expected writeFailed, got \(String(describing: error))")
            return
        }
        #expect(failedPath == path)
        #expect(!reason.isEmpty)
    }
}
