import Foundation

/// A symmetric n x n matrix of doubles stored as its upper triangle, row by row (row i holds
/// columns i..<n): the FFN Gram matrix G = sum over tokens of z_t^T z_t of one block, which the
/// down-projection compensation needs (CFSP.md section 6). Half the memory of a full matrix
/// (SmolLM2-135M: 30 blocks x 1536 x 1537 / 2 doubles = 283 MB instead of 566 MB).
///
/// On disk (calibration files) the triangle is the base64 of its little-endian IEEE doubles,
/// so a saved matrix reads back bit for bit.
public struct GramMatrix: Sendable, Equatable {
    /// n, the FFN width of the block.
    public let size: Int
    /// The upper triangle, row-major: entry (i, j), j >= i, at `offset(i) + j - i`.
    public internal(set) var packed: [Double]

    /// The zero matrix of size n.
    public init(size: Int) {
        precondition(size >= 0, "GramMatrix: negative size")
        self.size = size
        packed = Array(repeating: 0, count: size * (size + 1) / 2)
    }

    /// Where row i of the triangle starts in `packed`.
    @inline(__always) func offset(_ i: Int) -> Int { i * size - i * (i - 1) / 2 }

    /// Entry (i, j) of the full symmetric matrix.
    public subscript(i: Int, j: Int) -> Double {
        i <= j ? packed[offset(i) + j - i] : packed[offset(j) + i - j]
    }

    /// The full matrix restricted to rows `rows` and columns `columns`, row-major
    /// (rows.count x columns.count).
    public func submatrix(rows: [Int], columns: [Int]) -> [Double] {
        var out = [Double](repeating: 0, count: rows.count * columns.count)
        packed.withUnsafeBufferPointer { p in
            for (r, i) in rows.enumerated() {
                let base = r * columns.count
                for (c, j) in columns.enumerated() {
                    out[base + c] = i <= j ? p[offset(i) + j - i] : p[offset(j) + i - j]
                }
            }
        }
        return out
    }

    /// The diagonal (sum over tokens of z_tj^2 per neuron).
    public var diagonal: [Double] { (0..<size).map { packed[offset($0)] } }
}

extension GramMatrix: Codable {
    private enum CodingKeys: String, CodingKey { case size, upperTriangleFloat64Base64 }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let size = try container.decode(Int.self, forKey: .size)
        let text = try container.decode(String.self, forKey: .upperTriangleFloat64Base64)
        guard size >= 0, size <= 1 << 20 else {
            throw DecodingError.dataCorruptedError(forKey: .size, in: container, debugDescription: "size \(size) is out of range")
        }
        guard let data = Data(base64Encoded: text), data.count == size * (size + 1) / 2 * 8 else {
            throw DecodingError.dataCorruptedError(
                forKey: .upperTriangleFloat64Base64, in: container,
                debugDescription: "not the base64 of \(size * (size + 1) / 2) little-endian doubles")
        }
        self.init(size: size)
        packed.withUnsafeMutableBufferPointer { out in
            data.withUnsafeBytes { raw in
                for k in out.indices {
                    out[k] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: k * 8, as: UInt64.self)))
                }
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(size, forKey: .size)
        var data = Data(count: packed.count * 8)
        data.withUnsafeMutableBytes { raw in
            for (k, v) in packed.enumerated() {
                raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: k * 8, as: UInt64.self)
            }
        }
        try container.encode(data.base64EncodedString(), forKey: .upperTriangleFloat64Base64)
    }
}
