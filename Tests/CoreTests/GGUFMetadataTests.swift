import Core
import Foundation
import Testing
import TestSupport

@Suite("GGUF metadata")
struct GGUFMetadataTests {
    /// Values as `Scripts/gguf_fixtures.py metadata` writes them with gguf.GGUFWriter.
    static let expected: [String: GGUFValue] = [
        "general.architecture": .string("llama"),
        "t.u8": .uint8(200), "t.i8": .int8(-100), "t.u16": .uint16(60000), "t.i16": .int16(-30000),
        "t.u32": .uint32(4_000_000_000), "t.i32": .int32(-2_000_000_000),
        "t.u64": .uint64(18_000_000_000_000_000_000), "t.i64": .int64(-9_000_000_000_000_000_000),
        "t.f32": .float32(1.5), "t.f64": .float64(-2.25e300), "t.true": .bool(true), "t.false": .bool(false),
        "t.str": .string("héllo ✓"),
        "t.ints": .array(.int32, [.int32(1), .int32(-2), .int32(3)]),
        "t.u8s": .array(.uint8, [.uint8(1), .uint8(2), .uint8(255)]),
        "t.u64s": .array(.uint64, [.uint64(1 << 63), .uint64(7)]),
        "t.floats": .array(.float32, [.float32(0.5), .float32(-1.25)]),
        "t.bools": .array(.bool, [.bool(true), .bool(false), .bool(true)]),
        "t.strs": .array(.string, [.string("a"), .string(""), .string("ünï")]),
        "t.nested": .array(.array, [.array(.int32, [.int32(1), .int32(2)]), .array(.int32, [.int32(3)])]),
        "t.nested2": .array(.array, [.array(.array, [.array(.string, [.string("x")]), .array(.string, [.string("y"), .string("z")])])]),
    ]

    /// A folder with the gguf package's `metadata.gguf`.
    private func writeWithPython() throws -> ScratchFolder {
        let dir = try ScratchFolder()
        try GGUFPython.run(["metadata", dir.path])
        return dir
    }

    @Test func everyValueTypeRoundTripsFromGGUFWriter() throws {
        let folder = try writeWithPython()
        let file = try GGUFFile(path: folder.file("metadata.gguf"))
        #expect(file.version == 3)
        #expect(file.tensors.isEmpty)
        #expect(file.alignment == 32)
        #expect(Set(file.metadataKeys) == Set(Self.expected.keys))
        #expect(file.metadataKeys.first == "general.architecture")
        for (key, value) in Self.expected {
            #expect(file.metadata[key] == value, "key \(key)")
        }
    }

    /// Version 2 has the same little-endian layout as 3 (u64 counts and lengths); only the
    /// version field differs.
    @Test func version2ReadsTheSame() throws {
        let folder = try writeWithPython()
        var bytes = [UInt8](try Data(contentsOf: folder.fileURL("metadata.gguf")))
        bytes.replaceSubrange(4..<8, with: le(UInt32(2)))
        let file = try openGGUF(bytes)
        #expect(file.version == 2)
        #expect(file.metadata["t.nested2"] == Self.expected["t.nested2"])
        #expect(file.metadata.count == Self.expected.count)
    }

    @Test func builderValuesIncludingEmptyArraysRoundTrip() throws {
        var builder = GGUFBuilder()
        builder.version = 2
        let values: [(String, GGUFValue)] = [
            ("empty.strings", .array(.string, [])),
            ("empty.nested", .array(.array, [.array(.float64, [])])),
            ("f64s", .array(.float64, [.float64(.pi), .float64(-0.0)])),
            ("i16s", .array(.int16, [.int16(-1), .int16(.max)])),
            ("i8s", .array(.int8, [.int8(.min)])),
            ("u16s", .array(.uint16, [.uint16(.max)])),
            ("i64s", .array(.int64, [.int64(.min)])),
            ("u32s", .array(.uint32, [.uint32(.max)])),
            ("nan", .float32(.infinity)),
        ]
        for (key, value) in values { builder.set(key, value) }
        let file = try openGGUF(builder.bytes().bytes)
        #expect(file.metadataKeys == values.map(\.0))
        for (key, value) in values {
            #expect(file.metadata[key] == value, "key \(key)")
        }
    }

    @Test func accessorsWidenAndReject() {
        #expect(GGUFValue.uint8(7).int == 7)
        #expect(GGUFValue.int64(-5).int == -5)
        #expect(GGUFValue.uint64(.max).int == nil)
        #expect(GGUFValue.float32(2.5).int == nil)
        #expect(GGUFValue.uint32(3).float == 3)
        #expect(GGUFValue.float64(0.25).float == 0.25)
        #expect(GGUFValue.string("x").float == nil)
        #expect(GGUFValue.bool(true).bool == true)
        #expect(GGUFValue.uint8(1).bool == nil)
        #expect(GGUFValue.array(.string, [.string("a"), .string("b")]).stringArray == ["a", "b"])
        #expect(GGUFValue.array(.int32, [.int32(1)]).stringArray == nil)
        #expect(GGUFValue.array(.uint16, [.uint16(1), .uint16(9)]).intArray == [1, 9])
        #expect(GGUFValue.array(.float32, [.float32(0.5)]).floatArray == [0.5])
        #expect(GGUFValue.array(.string, [.string("a")]).floatArray == nil)
        #expect(GGUFValue.array(.int32, []).typeDescription == "array of int32")
    }

    @Test func alignmentKeyMovesTheDataSection() throws {
        var builder = GGUFBuilder()
        builder.alignment = 64
        builder.set("general.alignment", .uint32(64))
        builder.set("pad", .string("abc"))
        builder.addF32("a", shape: [3])
        builder.addF32("b", shape: [2, 2])
        let (bytes, layout) = builder.bytes()
        let file = try openGGUF(bytes)
        #expect(file.alignment == 64)
        #expect(file.dataOffset == layout.dataStart)
        #expect(file.dataOffset % 64 == 0)
        #expect(file.tensorInfo("b")?.fileOffset == layout.dataStart + 64)
        #expect(try file.floats("a") == [0, 0.01, 0.02])
        #expect(try file.floats("b") == [0, 0.01, 0.02, 0.03])
        #expect(file.descriptor("b") == TensorDescriptor(name: "b", shape: [2, 2], type: .f32))
        #expect(file.tensorNames == ["a", "b"])
    }

    @Test func tokenizerMetadata() throws {
        var builder = GGUFBuilder()
        builder.set("tokenizer.ggml.model", .string("gpt2"))
        builder.set("tokenizer.ggml.pre", .string("smollm"))
        builder.set("tokenizer.ggml.tokens", .array(.string, ["<s>", "</s>", "a", "b", "ab"].map { .string($0) }))
        builder.set("tokenizer.ggml.merges", .array(.string, [.string("a b")]))
        builder.set("tokenizer.ggml.token_type", .array(.int32, [3, 3, 1, 1, 1].map { .int32($0) }))
        builder.set("tokenizer.ggml.bos_token_id", .uint32(0))
        builder.set("tokenizer.ggml.eos_token_id", .uint32(1))
        builder.set("tokenizer.ggml.add_bos_token", .bool(false))
        builder.set("tokenizer.chat_template", .string("{{ x }}"))
        let metadata = try openGGUF(builder.bytes().bytes).tokenizerMetadata()
        #expect(metadata == GGUFTokenizerMetadata(
            model: "gpt2", preTokenizer: "smollm", tokens: ["<s>", "</s>", "a", "b", "ab"], merges: ["a b"],
            tokenTypes: [3, 3, 1, 1, 1], bosTokenID: 0, eosTokenID: 1, addBOSToken: false, chatTemplate: "{{ x }}"))

        builder.set("tokenizer.ggml.eos_token_id", .uint32(5))
        #expect(throws: GGUFError.invalidMetadata(key: "tokenizer.ggml.eos_token_id", reason: "token id 5 is outside the vocabulary of 5 tokens")) {
            try openGGUF(builder.bytes().bytes).tokenizerMetadata()
        }
        builder.set("tokenizer.ggml.eos_token_id", .uint32(1))
        builder.set("tokenizer.ggml.token_type", .array(.int32, [.int32(1)]))
        #expect(throws: GGUFError.invalidMetadata(key: "tokenizer.ggml.token_type", reason: "has 1 entries for 5 tokens")) {
            try openGGUF(builder.bytes().bytes).tokenizerMetadata()
        }
        builder.set("tokenizer.ggml.tokens", .array(.int32, [.int32(1)]))
        #expect(throws: GGUFError.metadataTypeMismatch(key: "tokenizer.ggml.tokens", expected: "an array of strings", found: "array of int32")) {
            try openGGUF(builder.bytes().bytes).tokenizerMetadata()
        }
        builder.metadata.removeAll { $0.0 == "tokenizer.ggml.model" }
        #expect(throws: GGUFError.missingMetadata(key: "tokenizer.ggml.model")) {
            try openGGUF(builder.bytes().bytes).tokenizerMetadata()
        }
    }
}
