import Core
import Foundation

/// Deterministic sample values and error measures shared by the quantizer tests.
enum QuantizeSamples {
    /// The block types cfsp writes.
    static let blockTypes: [TensorType] = [.q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K]

    /// A standard normal value (Box-Muller).
    static func gaussian(_ random: inout SeededGenerator) -> Float {
        let u = max(Double(random.next() >> 11) / Double(1 << 53), 1e-300)
        let v = Double(random.next() >> 11) / Double(1 << 53)
        return Float((-2 * log(u)).squareRoot() * cos(2 * Double.pi * v))
    }

    /// `superBlocks` × 256 values of varied shape, one kind per 256-value super-block: weight-like
    /// Gaussians of several scales, uniform, heavy-tailed with outliers, all positive, all
    /// negative, an all-zero block, a constant block, and a block mixing 1e-3 with 10.
    static func varied(superBlocks: Int, seed: UInt64) -> [Float] {
        var random = SeededGenerator(seed: seed)
        var values: [Float] = []
        values.reserveCapacity(256 * superBlocks)
        for block in 0..<superBlocks {
            let scale = Float(0.002) * Float(1 << (block % 8))
            for i in 0..<256 {
                let g = gaussian(&random)
                switch block % 10 {
                case 0, 1, 2: values.append(g * scale)
                case 3: values.append(random.symmetric(scale))
                case 4: values.append(i % 37 == 0 ? g * scale * 20 : g * scale)
                case 5: values.append(abs(g) * scale + scale / 4)
                case 6: values.append(-abs(g) * scale)
                case 7: values.append(block == 7 ? 0 : g * scale * Float(1 + i / 32))
                case 8: values.append(block == 8 ? 0.75 : g)
                default: values.append(i % 2 == 0 ? g * 1e-3 : g * 10)
                }
            }
        }
        return values
    }

    /// Our dequantization of `bytes`.
    static func decoded(_ bytes: [UInt8], _ type: TensorType, count: Int) throws -> [Float] {
        try bytes.withUnsafeBytes { try Dequantize.toFloats($0, type: type, count: count) }
    }

    /// Σ (a - b)².
    static func squaredError(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).reduce(0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
    }

    /// Raw little-endian f32 bytes of `values`.
    static func rawBytes(_ values: [Float]) -> Data {
        var data = Data(capacity: 4 * values.count)
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }
}
