import Core
import Foundation
import Testing
import TestSupport

/// Builds a safetensors file by hand: little-endian header length, JSON text, data bytes.
func hfHandMadeSafetensors(header: String, data: [UInt8], lengthOverride: UInt64? = nil) -> [UInt8] {
    let json = Array(header.utf8)
    let length = lengthOverride ?? UInt64(json.count)
    return (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + json + data
}

@Suite("Safetensors reader and writer")
struct SafetensorsTests {
    @Test("round trip of every dtype keeps shapes, metadata and values (exact for f32)")
    func roundTrip() throws {
        let folder = try ScratchFolder()
        var random = TestRandom(seed: 7)
        let matrix = random.floats(15, -4, 4)
        let vector = random.floats(5)
        let odd = random.floats(3, -100, 100)
        let tensors = [
            SafetensorsTensor(name: "b.half", shape: [3], values: odd, dtype: .f16),
            SafetensorsTensor(name: "a.matrix", shape: [3, 5], values: matrix, dtype: .f32),
            SafetensorsTensor(name: "c.brain", shape: [5, 1], values: vector, dtype: .bf16),
            SafetensorsTensor(name: "scalar", shape: [], values: [2.5], dtype: .f32),
            SafetensorsTensor(name: "empty", shape: [0, 4], values: [], dtype: .bf16),
        ]
        let path = folder.file("model.safetensors")
        try SafetensorsWriter.write(tensors, metadata: ["format": "pt", "note": "quote \" and \\ and \n"], to: path)
        #expect(folder.contents() == ["model.safetensors"], "no temporary file is left behind")

        let file = try SafetensorsFile(path: path)
        #expect(file.metadata == ["format": "pt", "note": "quote \" and \\ and \n"])
        #expect(Set(file.tensorNames) == ["a.matrix", "b.half", "c.brain", "scalar", "empty"])
        #expect(file.descriptor("a.matrix") == TensorDescriptor(name: "a.matrix", shape: [3, 5], type: .f32))
        #expect(file.descriptor("b.half") == TensorDescriptor(name: "b.half", shape: [3], type: .f16))
        #expect(file.descriptor("c.brain") == TensorDescriptor(name: "c.brain", shape: [5, 1], type: .bf16))
        #expect(file.dtype("c.brain") == .bf16)
        #expect(file.descriptor("missing") == nil)
        #expect(try file.floats("a.matrix") == matrix)
        #expect(try file.floats("scalar") == [2.5])
        #expect(try file.floats("empty") == [])
        let half = try file.floats("b.half")
        for (stored, original) in zip(half, odd) {
            #expect(abs(stored - original) <= abs(original) * 0x1p-11, "f16 keeps 11 significant bits")
        }
        let brain = try file.floats("c.brain")
        for (stored, original) in zip(brain, vector) {
            #expect(abs(stored - original) <= abs(original) * 0x1p-8, "bf16 keeps 8 significant bits")
        }
        #expect(throws: SafetensorsError.tensorNotFound(path: path, tensor: "missing")) { try file.floats("missing") }
    }

    @Test("a file copied into memory (MappedFile(copying:), what fuzz/ reads) reads as from disk")
    func inMemoryCopy() throws {
        let bytes = hfHandMadeSafetensors(
            header: #"{"__metadata__":{"k":"v"},"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
            data: [0, 0, 128, 63, 0, 0, 0, 64])
        let file = try SafetensorsFile(file: MappedFile(copying: bytes, path: "copy.safetensors"))
        #expect(file.path == "copy.safetensors" && file.metadata == ["k": "v"])
        #expect(try file.floats("t") == [1, 2])
        #expect(throws: SafetensorsError.truncated(path: "<memory>", fileSize: 0, needed: 8)) {
            try SafetensorsFile(file: MappedFile(copying: [UInt8]()))
        }
    }

    @Test("header: keys sorted, data 8-byte aligned, tensors contiguous and aligned to their element size")
    func headerLayout() throws {
        let folder = try ScratchFolder()
        let path = folder.file("x.safetensors")
        try SafetensorsWriter.write([
            SafetensorsTensor(name: "z", shape: [3], values: [1, 2, 3], dtype: .bf16),
            SafetensorsTensor(name: "y", shape: [1], values: [1], dtype: .f32),
            SafetensorsTensor(name: "x", shape: [1], values: [1], dtype: .f16),
        ], metadata: ["k": "v"], to: path)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let length = (0..<8).reduce(0) { $0 | (Int(bytes[$1]) << (8 * $1)) }
        #expect((8 + length) % 8 == 0)
        #expect(bytes.count == 8 + length + 4 + 2 + 6)
        let text = try #require(String(bytes: bytes[8..<(8 + length)], encoding: .utf8))
        let keyOrder = ["\"__metadata__\"", "\"x\"", "\"y\"", "\"z\""].compactMap { text.range(of: $0)?.lowerBound }
        #expect(keyOrder.count == 4 && keyOrder == keyOrder.sorted(), "top-level keys are sorted: \(text)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + length)])) as? [String: Any])
        func offsets(_ name: String) -> [Int] {
            ((json[name] as? [String: Any])?["data_offsets"] as? [Int]) ?? []
        }
        // f32 first, then the 2-byte types by name: contiguous, each aligned to its size.
        #expect(offsets("y") == [0, 4])
        #expect(offsets("x") == [4, 6])
        #expect(offsets("z") == [6, 12])
    }

    @Test("f16 narrowing matches the platform's IEEE half conversion on random and edge values")
    func f16MatchesNativeHalf() throws {
        #if !(os(macOS) && arch(x86_64))
        let folder = try ScratchFolder()
        var random = TestRandom(seed: 11)
        var values: [Float] = [0, -0, 1, 1 + 0x1p-11, 1 + 3 * 0x1p-11, 65504, 65519, 65520, 1e6, -1e6,
                               0x1p-24, 0x1p-25, 3 * 0x1p-26, 0x1p-14, 0x1p-14 - 0x1p-25, 1e-10,
                               .infinity, -.infinity, .greatestFiniteMagnitude]
        for _ in 0..<4000 {
            // Random sign, exponent across the half range and beyond, random mantissa.
            let exponent = Int(random.next() % 50) - 30
            values.append(Float(sign: random.next() & 1 == 0 ? .plus : .minus, exponent: exponent,
                                significand: 1 + Float(random.next() >> 41) / Float(1 << 23)))
        }
        let path = folder.file("half.safetensors")
        try SafetensorsWriter.write([SafetensorsTensor(name: "h", shape: [values.count], values: values, dtype: .f16)], to: path)
        let read = try SafetensorsFile(path: path).floats("h")
        var mismatches = 0
        for (stored, original) in zip(read, values) where stored.bitPattern != Float(Float16(original)).bitPattern {
            mismatches += 1
        }
        #expect(mismatches == 0)
        #expect(read[3] == 1, "1 + 2^-11 ties to even (down)")
        #expect(read[4] == 1 + 0x1p-9, "1 + 3*2^-11 ties to even (up)")
        #expect(read[6] == 65504 && read[7] == .infinity)
        #endif
    }

    @Test("bf16 narrowing rounds to nearest even, checked against a naive nearest-candidate reference")
    func bf16RoundToNearestEven() throws {
        let folder = try ScratchFolder()
        var random = TestRandom(seed: 13)
        var values: [Float] = [
            Float(bitPattern: 0x3F80_8000), // 1 + 2^-8: tie, rounds down to 1 (even)
            Float(bitPattern: 0x3F81_8000), // tie, rounds up to 0x3F82 (even)
            Float(bitPattern: 0x3F80_8001), // just above the tie: up
            Float(bitPattern: 0xBF81_7FFF), // just below the tie, negative: down in magnitude
            Float(bitPattern: 0x7F7F_FFFF), // rounds to infinity
            0, -0,
        ]
        while values.count < 4000 {
            let value = Float(bitPattern: UInt32(truncatingIfNeeded: random.next()))
            if value.isFinite { values.append(value) }
        }
        let path = folder.file("bf.safetensors")
        try SafetensorsWriter.write([SafetensorsTensor(name: "b", shape: [values.count], values: values, dtype: .bf16)], to: path)
        let read = try SafetensorsFile(path: path).floats("b")
        #expect(read[0] == 1)
        #expect(read[1].bitPattern == 0x3F82_0000)
        #expect(read[2].bitPattern == 0x3F81_0000)
        #expect(read[3].bitPattern == 0xBF81_0000)
        #expect(read[4] == .infinity)
        var mismatches = 0
        for (stored, original) in zip(read, values) where stored.bitPattern != naiveBF16(original).bitPattern {
            mismatches += 1
        }
        #expect(mismatches == 0)
    }

    /// The nearer of the two bf16 neighbours of `value` (ties: even last bit), by Double math.
    private func naiveBF16(_ value: Float) -> Float {
        let down = value.bitPattern & 0xFFFF_0000
        let up = down + 0x1_0000
        let low = Double(Float(bitPattern: down)), high = Double(Float(bitPattern: up))
        let x = Double(value)
        // Past the largest finite bf16 the upper neighbour is infinity: compare with 2^128.
        let highForDistance = high.isInfinite ? (x < 0 ? -0x1p128 : 0x1p128) : high
        let distanceDown = abs(x - low), distanceUp = abs(highForDistance - x)
        if distanceDown < distanceUp { return Float(bitPattern: down) }
        if distanceUp < distanceDown { return Float(bitPattern: up) }
        return (down >> 16) & 1 == 0 ? Float(bitPattern: down) : Float(bitPattern: up)
    }

    @Test("a file written by Python's safetensors package (numpy, F32 + F16 + metadata) reads correctly")
    func pythonWrittenFile() throws {
        let folder = try ScratchFolder()
        // safetensors 0.8.0: save({"weight": f32 [[1.5,-2.25,3],[0,1e-3,-7.125]],
        //   "bias_half": f16 [0.5,-1,65504,6.103515625e-05]}, metadata={"format":"np","origin":"python"})
        let python = "sAAAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmb3JtYXQiOiJucCIsIm9yaWdpbiI6InB5dGhvbiJ9LCJ3ZWlnaHQiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzIsM10sImRhdGFfb2Zmc2V0cyI6WzAsMjRdfSwiYmlhc19oYWxmIjp7ImR0eXBlIjoiRjE2Iiwic2hhcGUiOls0XSwiZGF0YV9vZmZzZXRzIjpbMjQsMzJdfX0gIAAAwD8AABDAAABAQAAAAABvEoM6AADkwAA4ALz/ewAE"
        let path = folder.file("python.safetensors")
        try #require(Data(base64Encoded: python)).write(to: URL(fileURLWithPath: path))
        let file = try SafetensorsFile(path: path)
        #expect(file.metadata == ["format": "np", "origin": "python"])
        #expect(file.tensorNames == ["weight", "bias_half"], "file order is data order")
        #expect(file.descriptor("weight")?.shape == [2, 3])
        #expect(try file.floats("weight") == [1.5, -2.25, 3, 0, 1e-3, -7.125])
        #expect(try file.floats("bias_half") == [0.5, -1, 65504, 6.103515625e-05])

        // Built by hand in Python: BF16 bits = f32 bits >> 16, header from json.dumps (spaces).
        let brain = "RAAAAAAAAAB7ImVtYiI6IHsiZHR5cGUiOiAiQkYxNiIsICJzaGFwZSI6IFszLCAyXSwgImRhdGFfb2Zmc2V0cyI6IFswLCAxMl19fYA/IMAgPmF/AIDgQA=="
        let brainPath = folder.file("brain.safetensors")
        try #require(Data(base64Encoded: brain)).write(to: URL(fileURLWithPath: brainPath))
        let brainFile = try SafetensorsFile(path: brainPath)
        #expect(brainFile.descriptor("emb") == TensorDescriptor(name: "emb", shape: [3, 2], type: .bf16))
        let values = try brainFile.floats("emb")
        #expect(values == [1.0, -2.5, 0.15625, Float(bitPattern: 0x7F61_0000), -0.0, 7.0])
        #expect(values[3] == 2.9907629905160607e+38)
    }

    /// Writes `bytes` to a fresh file and returns the error opening it throws.
    private func openError(_ bytes: [UInt8], folder: ScratchFolder) -> SafetensorsError? {
        let path = folder.file("bad.safetensors")
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            _ = try SafetensorsFile(path: path)
            return nil
        } catch let error as SafetensorsError {
            return error
        } catch {
            return nil
        }
    }

    @Test("corrupt files are rejected with specific errors, never a crash")
    func corruptFiles() throws {
        let folder = try ScratchFolder()
        let path = folder.file("bad.safetensors")
        let entry = #"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#

        #expect(openError([], folder: folder) == .truncated(path: path, fileSize: 0, needed: 8))
        #expect(openError([1, 2, 3], folder: folder) == .truncated(path: path, fileSize: 3, needed: 8))
        let shortHeader = hfHandMadeSafetensors(header: entry, data: [], lengthOverride: 500)
        #expect(openError(shortHeader, folder: folder) == .truncated(path: path, fileSize: shortHeader.count, needed: 508))
        #expect(openError(hfHandMadeSafetensors(header: entry, data: [], lengthOverride: UInt64.max), folder: folder)
            == .headerTooLarge(path: path, length: UInt64.max))

        guard case .invalidHeaderJSON = openError(hfHandMadeSafetensors(header: "{\"t\": [", data: []), folder: folder) else {
            Issue.record("invalid JSON must be .invalidHeaderJSON")
            return
        }
        guard case .invalidHeaderJSON = openError(hfHandMadeSafetensors(header: "[1, 2]", data: []), folder: folder) else {
            Issue.record("a non-object header must be .invalidHeaderJSON")
            return
        }
        #expect(openError(hfHandMadeSafetensors(header: entry, data: [0, 0, 0, 0]), folder: folder)
            == .offsetsOutOfRange(path: path, tensor: "t", begin: 0, end: 8, dataSize: 4))
        #expect(openError(hfHandMadeSafetensors(header: #"{"t":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#, data: Array(repeating: 0, count: 8)), folder: folder)
            == .offsetsOutOfRange(path: path, tensor: "t", begin: 8, end: 4, dataSize: 8))
        let overlapping = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        #expect(openError(hfHandMadeSafetensors(header: overlapping, data: Array(repeating: 0, count: 12)), folder: folder)
            == .overlappingTensors(path: path, first: "a", second: "b"))
        #expect(openError(hfHandMadeSafetensors(header: #"{"t":{"dtype":"Q9","shape":[2],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)), folder: folder)
            == .unsupportedDType(path: path, tensor: "t", dtype: "Q9"))
        #expect(openError(hfHandMadeSafetensors(header: #"{"t":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)), folder: folder)
            == .unsupportedDType(path: path, tensor: "t", dtype: "I64"))
        #expect(openError(hfHandMadeSafetensors(header: #"{"t":{"dtype":"F16","shape":[3],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)), folder: folder)
            == .sizeMismatch(path: path, tensor: "t", expectedBytes: 6, actualBytes: 8))
        guard case .invalidEntry(_, "t", _) = openError(hfHandMadeSafetensors(header: #"{"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)), folder: folder) else {
            Issue.record("a negative dimension must be .invalidEntry")
            return
        }
        guard case .invalidEntry(_, "t", _) = openError(hfHandMadeSafetensors(header: #"{"t":{"dtype":"F32","shape":[2]}}"#, data: []), folder: folder) else {
            Issue.record("missing data_offsets must be .invalidEntry")
            return
        }
        guard case .invalidEntry(_, "t", _) = openError(hfHandMadeSafetensors(header: #"{"t":{"dtype":"F32","shape":[4611686018427387904, 4611686018427387904],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)), folder: folder) else {
            Issue.record("an overflowing shape must be .invalidEntry")
            return
        }
        guard case .invalidEntry(_, "__metadata__", _) = openError(hfHandMadeSafetensors(header: #"{"__metadata__":{"a":1}}"#, data: []), folder: folder) else {
            Issue.record("non-string metadata must be .invalidEntry")
            return
        }
        guard case .cannotOpen = openErrorForPath(folder.file("absent.safetensors")) else {
            Issue.record("a missing file must be .cannotOpen")
            return
        }
        // Messages name the file and what is wrong.
        let message = SafetensorsError.overlappingTensors(path: "m.safetensors", first: "a", second: "b").description
        #expect(message.contains("m.safetensors") && message.contains("'a'") && message.contains("overlap"))
    }

    private func openErrorForPath(_ path: String) -> SafetensorsError? {
        do {
            _ = try SafetensorsFile(path: path)
            return nil
        } catch {
            return error as? SafetensorsError
        }
    }

    @Test("a failed write leaves no file, and a successful one replaces the old file")
    func atomicWrites() throws {
        let folder = try ScratchFolder()
        let path = folder.file("w.safetensors")
        #expect(throws: SafetensorsError.invalidTensor(name: "t", reason: "shape [2, 2] holds 4 values but 3 were given")) {
            try SafetensorsWriter.write([SafetensorsTensor(name: "t", shape: [2, 2], values: [1, 2, 3])], to: path)
        }
        #expect(throws: SafetensorsError.self) {
            try SafetensorsWriter.write([SafetensorsTensor(name: "t", shape: [1], values: [1]),
                                         SafetensorsTensor(name: "t", shape: [1], values: [2])], to: path)
        }
        #expect(throws: SafetensorsError.self) {
            try SafetensorsWriter.write([SafetensorsTensor(name: "__metadata__", shape: [1], values: [1])], to: path)
        }
        #expect(folder.contents().isEmpty)
        #expect(throws: SafetensorsError.self) {
            try SafetensorsWriter.write([SafetensorsTensor(name: "t", shape: [1], values: [1])], to: folder.file("no/such/dir/w.safetensors"))
        }
        #expect(folder.contents().isEmpty)

        try SafetensorsWriter.write([SafetensorsTensor(name: "old", shape: [1], values: [1])], to: path)
        try SafetensorsWriter.write([SafetensorsTensor(name: "new", shape: [2], values: [3, 4])], to: path)
        #expect(folder.contents() == ["w.safetensors"])
        let file = try SafetensorsFile(path: path)
        #expect(file.tensorNames == ["new"])
        #expect(try file.floats("new") == [3, 4])
    }
}
