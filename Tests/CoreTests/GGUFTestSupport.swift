import Core
import Foundation
import Testing
import TestSupport

/// Builds GGUF files byte by byte, independently of the reader, for tests that need exact
/// control (versions, corrupt fields, tiny models).
struct GGUFBuilder {
    struct Tensor {
        var name: String
        /// GGUF order: innermost first.
        var dims: [UInt64]
        var typeID: UInt32
        var data: [UInt8]
        /// Overrides the computed data offset (relative to the data section).
        var offsetOverride: UInt64? = nil
    }

    var magic: [UInt8] = Array("GGUF".utf8)
    var version: UInt32 = 3
    var alignment = 32
    var metadata: [(String, GGUFValue)] = []
    var tensors: [Tensor] = []

    /// Section boundaries of the last `bytes()` result, for truncation tests.
    struct Layout { var headerEnd = 0, metadataEnd = 0, tensorTableEnd = 0, dataStart = 0, end = 0 }

    mutating func set(_ key: String, _ value: GGUFValue) {
        metadata.removeAll { $0.0 == key }
        metadata.append((key, value))
    }

    /// An f32 tensor with outermost-first `shape` and values 0, 1, 2, ... scaled by 0.01.
    mutating func addF32(_ name: String, shape: [Int]) {
        let count = shape.reduce(1, *)
        var data: [UInt8] = []
        for i in 0..<count { data += le(Float(i) * 0.01) }
        tensors.append(Tensor(name: name, dims: shape.reversed().map { UInt64($0) }, typeID: 0, data: data))
    }

    func bytes() -> (bytes: [UInt8], layout: Layout) {
        var out = magic
        var layout = Layout()
        out += le(version)
        out += le(UInt64(tensors.count))
        out += le(UInt64(metadata.count))
        layout.headerEnd = out.count
        for (key, value) in metadata {
            out += Self.string(key)
            out += le(value.type.rawValue)
            out += Self.payload(value)
        }
        layout.metadataEnd = out.count
        var offset: UInt64 = 0
        var offsets: [UInt64] = []
        for tensor in tensors {
            out += Self.string(tensor.name)
            out += le(UInt32(tensor.dims.count))
            for d in tensor.dims { out += le(d) }
            out += le(tensor.typeID)
            let at = tensor.offsetOverride ?? offset
            out += le(at)
            offsets.append(at)
            offset += UInt64((tensor.data.count + alignment - 1) / alignment * alignment)
        }
        layout.tensorTableEnd = out.count
        while out.count % alignment != 0 { out.append(0) }
        layout.dataStart = out.count
        for (index, tensor) in tensors.enumerated() where tensor.offsetOverride == nil {
            let start = layout.dataStart + Int(offsets[index])
            if out.count < start { out += [UInt8](repeating: 0, count: start - out.count) }
            out += tensor.data
        }
        layout.end = out.count
        return (out, layout)
    }

    static func string(_ s: String) -> [UInt8] { le(UInt64(s.utf8.count)) + Array(s.utf8) }

    static func payload(_ value: GGUFValue) -> [UInt8] {
        switch value {
        case .uint8(let v): return [v]
        case .int8(let v): return [UInt8(bitPattern: v)]
        case .uint16(let v): return le(v)
        case .int16(let v): return le(v)
        case .uint32(let v): return le(v)
        case .int32(let v): return le(v)
        case .uint64(let v): return le(v)
        case .int64(let v): return le(v)
        case .float32(let v): return le(v.bitPattern)
        case .float64(let v): return le(v.bitPattern)
        case .bool(let v): return [v ? 1 : 0]
        case .string(let v): return string(v)
        case .array(let type, let items):
            return le(type.rawValue) + le(UInt64(items.count)) + items.flatMap(payload)
        }
    }
}

func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
func le(_ v: Float) -> [UInt8] { le(v.bitPattern) }

/// Writes `bytes` to a new temporary file and opens it as GGUF (the file is gone once it is open).
func openGGUF(_ bytes: [UInt8]) throws -> GGUFFile {
    let folder = try ScratchFolder()
    try Data(bytes).write(to: folder.fileURL("test.gguf"))
    return try GGUFFile(path: folder.file("test.gguf"))
}

/// Runs `Scripts/gguf_fixtures.py` with python3 (the `gguf` package writes the reference files).
enum GGUFPython {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Scripts/gguf_fixtures.py")

    static func run(_ arguments: [String]) throws {
        try TestProcess.python(script.path, arguments, what: "gguf_fixtures.py \(arguments.first ?? "")")
    }

    /// Raw little-endian f32 values from a file the script wrote.
    static func floats(at url: URL) throws -> [Float] {
        let data = try Data(contentsOf: url)
        return data.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }
}

/// True when both are the same f32 bit pattern, or both are NaN (hardware and software
/// half-to-float conversions may quiet a signaling NaN differently).
func sameFloat(_ a: Float, _ b: Float) -> Bool {
    a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN)
}
