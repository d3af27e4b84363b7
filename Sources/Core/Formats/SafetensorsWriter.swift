import Foundation
import Kernels

/// One tensor to write: f32 values, row-major, stored as `dtype` (narrowed with round to
/// nearest even).
public struct SafetensorsTensor: Sendable {
    /// The tensor's key in the header (unique, not `__metadata__`).
    public var name: String
    /// Row-major shape, outermost first; its product must equal `values.count`.
    public var shape: [Int]
    /// The values, row-major.
    public var values: [Float]
    /// How the values are stored in the file.
    public var dtype: SafetensorsDType

    public init(name: String, shape: [Int], values: [Float], dtype: SafetensorsDType = .f32) {
        self.name = name
        self.shape = shape
        self.values = values
        self.dtype = dtype
    }
}

/// Writes safetensors files: header keys sorted, data section 8-byte aligned (header padded
/// with spaces), tensors laid out contiguously by decreasing element size then name so each
/// starts aligned to its element size. The file is written under a temporary name in the
/// target folder and renamed at the end: a failure never leaves a partial file at `path`.
public enum SafetensorsWriter {
    /// Writes `tensors` and `metadata` to `path`, replacing any file there.
    public static func write(_ tensors: [SafetensorsTensor], metadata: [String: String] = [:], to path: String) throws {
        let header = try headerBytes(for: tensors, metadata: metadata)
        let ordered = layoutOrder(tensors)
        try SafetensorsAtomicWriter.write(to: path) { sink in
            try sink.append(header)
            for tensor in ordered { try sink.append(encode(tensor)) }
        }
    }

    /// Tensors in data-section order.
    static func layoutOrder(_ tensors: [SafetensorsTensor]) -> [SafetensorsTensor] {
        tensors.sorted { first, second in
            if first.dtype.byteCount != second.dtype.byteCount { return first.dtype.byteCount > second.dtype.byteCount }
            return first.name.utf8.lexicographicallyPrecedes(second.name.utf8)
        }
    }

    /// The 8-byte length prefix plus the padded JSON header.
    static func headerBytes(for tensors: [SafetensorsTensor], metadata: [String: String]) throws -> [UInt8] {
        var seen = Set<String>()
        for tensor in tensors {
            guard !tensor.name.isEmpty, tensor.name != "__metadata__" else {
                throw SafetensorsError.invalidTensor(name: tensor.name, reason: "the name must be non-empty and not '__metadata__'")
            }
            guard seen.insert(tensor.name).inserted else {
                throw SafetensorsError.invalidTensor(name: tensor.name, reason: "the name appears twice")
            }
            guard tensor.shape.allSatisfy({ $0 >= 0 }) else {
                throw SafetensorsError.invalidTensor(name: tensor.name, reason: "shape \(tensor.shape) has a negative dimension")
            }
            var count = 1
            for dimension in tensor.shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw SafetensorsError.invalidTensor(name: tensor.name, reason: "shape \(tensor.shape) is too large") }
                count = product
            }
            guard count == tensor.values.count else {
                throw SafetensorsError.invalidTensor(
                    name: tensor.name, reason: "shape \(tensor.shape) holds \(count) values but \(tensor.values.count) were given")
            }
        }
        var fields: [(key: String, json: String)] = []
        if !metadata.isEmpty {
            let items = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            fields.append(("__metadata__", "{" + items.joined(separator: ",") + "}"))
        }
        var offset = 0
        for tensor in layoutOrder(tensors) {
            let size = tensor.values.count * tensor.dtype.byteCount
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append((tensor.name,
                "{\"data_offsets\":[\(offset),\(offset + size)],\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)]}"))
            offset += size
        }
        fields.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        var json = Array(("{" + fields.map { "\(jsonString($0.key)):\($0.json)" }.joined(separator: ",") + "}").utf8)
        while (8 + json.count) % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + json.count)
        let length = UInt64(json.count)
        for index in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: length >> (8 * UInt64(index)))) }
        bytes.append(contentsOf: json)
        return bytes
    }

    /// The tensor's values in its dtype, little-endian.
    static func encode(_ tensor: SafetensorsTensor) -> [UInt8] {
        let values = tensor.values
        switch tensor.dtype {
        case .f32:
            return values.withUnsafeBytes { Array($0) }
        case .f16:
            let halves = values.map { f16Bits($0).littleEndian }
            return halves.withUnsafeBytes { Array($0) }
        case .bf16:
            let halves = values.map { bf16Bits($0).littleEndian }
            return halves.withUnsafeBytes { Array($0) }
        }
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    result += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                        + String(scalar.value, radix: 16)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
