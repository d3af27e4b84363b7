import Core
import Foundation
import Testing
import TestSupport

@Suite("GGUF corrupt input")
struct GGUFCorruptInputTests {
    /// A small valid file with metadata, two tensors and data.
    static func sample() -> GGUFBuilder {
        var builder = GGUFBuilder()
        builder.set("general.architecture", .string("llama"))
        builder.set("list", .array(.string, [.string("x"), .string("yz")]))
        builder.addF32("first", shape: [2, 3])
        builder.addF32("second", shape: [5])
        return builder
    }

    @Test func sampleIsValid() throws {
        let file = try openGGUF(Self.sample().bytes().bytes)
        #expect(file.tensorNames == ["first", "second"])
        #expect(try file.floats("second") == [0, 0.01, 0.02, 0.03, 0.04])
    }

    @Test func badMagic() {
        var builder = Self.sample()
        builder.magic = Array("GGML".utf8)
        #expect(throws: GGUFError.badMagic(found: Array("GGML".utf8))) { try openGGUF(builder.bytes().bytes) }
    }

    @Test(arguments: [UInt32(0), 1, 4, 99])
    func unsupportedVersion(version: UInt32) {
        var builder = Self.sample()
        builder.version = version
        #expect(throws: GGUFError.unsupportedVersion(version)) { try openGGUF(builder.bytes().bytes) }
    }

    @Test func bigEndianVersion() {
        var builder = Self.sample()
        builder.version = UInt32(3).byteSwapped
        #expect(throws: GGUFError.bigEndian) { try openGGUF(builder.bytes().bytes) }
    }

    /// Every proper prefix of a valid file fails with a GGUF error (the builder writes no
    /// padding after the last tensor, so every byte is needed), never a crash.
    @Test func everyTruncationIsATruncationError() throws {
        let (bytes, layout) = Self.sample().bytes()
        for length in 1..<bytes.count {
            let error = caughtError { try openGGUF(Array(bytes.prefix(length))) }
            guard let error = error as? GGUFError else {
                Issue.record("prefix of \(length) bytes: expected a GGUFError, got \(String(describing: error))")
                continue
            }
            switch error {
            case .truncated, .tensorDataOutOfBounds: break
            case .badMagic where length < 4: break
            default: Issue.record("prefix of \(length) bytes: unexpected \(error)")
            }
        }
        // Spot checks naming the section that was cut.
        #expect(throws: GGUFError.truncated(what: "the version", offset: 4, needed: 4, fileSize: 6)) {
            try openGGUF(Array(bytes.prefix(6)))
        }
        #expect(layout.headerEnd == 24)
        let inMetadata = caughtError { try openGGUF(Array(bytes.prefix(layout.metadataEnd - 2))) }
        #expect("\(inMetadata.map { "\($0)" } ?? "")".contains("'list'"))
        let inTable = caughtError { try openGGUF(Array(bytes.prefix(layout.tensorTableEnd - 4))) }
        #expect("\(inTable.map { "\($0)" } ?? "")".contains("tensor 'second'"))
        #expect(throws: GGUFError.tensorDataOutOfBounds(tensor: "second", start: layout.dataStart + 32, end: layout.dataStart + 52, fileSize: bytes.count - 1)) {
            try openGGUF(Array(bytes.dropLast()))
        }
    }

    @Test func tensorDataPastEndOfFile() throws {
        var builder = Self.sample()
        builder.tensors[1].offsetOverride = 1 << 40
        let (bytes, layout) = builder.bytes()
        #expect(throws: GGUFError.tensorDataOutOfBounds(tensor: "second", start: layout.dataStart + (1 << 40), end: layout.dataStart + (1 << 40) + 20, fileSize: bytes.count)) {
            try openGGUF(bytes)
        }
        builder.tensors[1].offsetOverride = UInt64.max - 31
        let error = caughtError { try openGGUF(builder.bytes().bytes) }
        guard case .tensorDataOutOfBounds(tensor: "second", _, _, _) = error as? GGUFError else {
            Issue.record("expected out-of-bounds data, got \(String(describing: error))")
            return
        }
    }

    @Test func misalignedTensorOffset() {
        var builder = Self.sample()
        builder.tensors[1].offsetOverride = 4
        #expect(throws: GGUFError.misalignedTensorData(tensor: "second", offset: 4, alignment: 32)) { try openGGUF(builder.bytes().bytes) }
    }

    @Test func unknownAndUnsupportedTensorTypes() {
        var builder = Self.sample()
        builder.tensors[0].typeID = 77
        #expect(throws: GGUFError.unknownTensorType(tensor: "first", typeID: 77)) { try openGGUF(builder.bytes().bytes) }
        builder.tensors[0].typeID = 11
        #expect(throws: GGUFError.unsupportedTensorType(tensor: "first", typeID: 11, typeName: "Q3_K")) { try openGGUF(builder.bytes().bytes) }
        let message = GGUFError.unknownTensorType(tensor: "first", typeID: 77).description
        #expect(message.contains("77") && message.contains("first"))
    }

    @Test func quantizedRowsMustBeWholeBlocks() {
        var builder = Self.sample()
        builder.tensors[0].typeID = TensorType.q8_0.ggmlTypeID
        builder.tensors[0].dims = [40, 1]
        #expect(throws: GGUFError.rowNotBlockAligned(tensor: "first", rowLength: 40, blockSize: 32)) { try openGGUF(builder.bytes().bytes) }
    }

    @Test func invalidShapes() {
        var builder = Self.sample()
        builder.tensors[0].dims = []
        #expect(throws: GGUFError.invalidTensorShape(tensor: "first", dims: [])) { try openGGUF(builder.bytes().bytes) }
        builder.tensors[0].dims = [3, 0]
        #expect(throws: GGUFError.invalidTensorShape(tensor: "first", dims: [3, 0])) { try openGGUF(builder.bytes().bytes) }
        builder.tensors[0].dims = [1 << 40, 1 << 40]
        #expect(throws: GGUFError.invalidTensorShape(tensor: "first", dims: [1 << 40, 1 << 40])) { try openGGUF(builder.bytes().bytes) }
    }

    @Test func invalidValueTypesAndAbsurdCounts() throws {
        var builder = Self.sample()
        builder.set("bad", .uint8(0))
        var (bytes, layout) = builder.bytes()
        // The last key-value pair is "bad": type id at metadataEnd - 5, value at metadataEnd - 1.
        bytes.replaceSubrange((layout.metadataEnd - 5)..<(layout.metadataEnd - 1), with: le(UInt32(13)))
        #expect(throws: GGUFError.invalidValueType(key: "bad", typeID: 13)) { try openGGUF(bytes) }

        // An array claiming 2^62 elements must not allocate: it is reported as truncated.
        builder = Self.sample()
        builder.set("huge", .array(.uint32, []))
        (bytes, layout) = builder.bytes()
        bytes.replaceSubrange((layout.metadataEnd - 8)..<layout.metadataEnd, with: le(UInt64(1) << 62))
        let error = caughtError { try openGGUF(bytes) }
        guard case .truncated(let what, _, _, _) = error as? GGUFError else {
            Issue.record("expected truncated, got \(String(describing: error))")
            return
        }
        #expect(what.contains("'huge'"))
    }

    @Test func absurdCountsInHeader() {
        var builder = Self.sample()
        builder.metadata = []
        builder.tensors = []
        var bytes = builder.bytes().bytes
        bytes.replaceSubrange(8..<16, with: le(UInt64.max))
        let error = caughtError { try openGGUF(bytes) }
        guard case .truncated(let what, _, _, _) = error as? GGUFError else {
            Issue.record("expected truncated, got \(String(describing: error))")
            return
        }
        #expect(what == "the tensor count")
    }

    @Test func deeplyNestedArraysAreRejected() {
        var value = GGUFValue.array(.int32, [])
        for _ in 0..<20 { value = .array(.array, [value]) }
        var builder = Self.sample()
        builder.set("deep", value)
        #expect(throws: GGUFError.nestingTooDeep(key: "deep", limit: 8)) { try openGGUF(builder.bytes().bytes) }
    }

    @Test func duplicateKeysAndTensors() {
        var builder = Self.sample()
        builder.metadata.append(("list", .uint8(1)))
        #expect(throws: GGUFError.duplicateKey("list")) { try openGGUF(builder.bytes().bytes) }
        builder = Self.sample()
        builder.tensors[1].name = "first"
        #expect(throws: GGUFError.duplicateTensor("first")) { try openGGUF(builder.bytes().bytes) }
    }

    @Test func badAlignment() {
        var builder = Self.sample()
        builder.set("general.alignment", .uint32(24))
        #expect(throws: GGUFError.invalidMetadata(key: "general.alignment", reason: "24 is not a power of two (up to 1 MiB)")) {
            try openGGUF(builder.bytes().bytes)
        }
        builder.set("general.alignment", .string("32"))
        #expect(throws: GGUFError.metadataTypeMismatch(key: "general.alignment", expected: "an integer", found: "string")) {
            try openGGUF(builder.bytes().bytes)
        }
    }

    @Test func missingTensor() throws {
        let file = try openGGUF(Self.sample().bytes().bytes)
        #expect(file.descriptor("nope") == nil)
        #expect(throws: GGUFError.tensorNotFound("nope")) { try file.floats("nope") }
        #expect(throws: GGUFError.tensorNotFound("nope")) { try file.rawBytes("nope") }
    }

    @Test func fileErrors() throws {
        let dir = try ScratchFolder()
        let missing = dir.file("missing.gguf")
        #expect(throws: MappedFileError.notFound(path: missing)) { try GGUFFile(path: missing) }
        let empty = dir.fileURL("empty.gguf")
        try Data().write(to: empty)
        #expect(throws: MappedFileError.empty(path: empty.path)) { try GGUFFile(path: empty.path) }
        let error = caughtError { try GGUFFile(path: dir.path) }
        guard case .notRegularFile(let path) = error as? MappedFileError else {
            Issue.record("expected notRegularFile for a directory, got \(String(describing: error))")
            return
        }
        #expect(path == dir.path)
    }
}
