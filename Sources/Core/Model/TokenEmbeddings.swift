import Kernels

/// The token embedding table, [vocab, hidden]: f32 values, or (a `.native` load) the rows as
/// the file encodes them, decoded only for the tokens looked up. For a Llama-3 8B that is
/// 0.56 GB of Q4_K instead of 2.1 GB of f32; a tied output head shares the same encoded rows.
public struct TokenEmbeddings: Sendable {
    /// Rows: the vocabulary size.
    public let rows: Int
    /// Values per row: the hidden size.
    public let width: Int
    private let values: [Float]
    /// The encoded rows of a native table (nil when `values` holds the table).
    public let encoded: (any EncodedRows)?

    /// An f32 table, row-major, `values.count` = rows x width.
    public init(values: [Float], width: Int) {
        self.values = values
        self.width = width
        rows = width > 0 ? values.count / width : 0
        encoded = nil
    }

    /// A table kept encoded.
    public init(encoded: any EncodedRows) {
        values = []
        rows = encoded.rows
        width = encoded.cols
        self.encoded = encoded
    }

    /// Number of values (rows x width).
    public var count: Int { encoded.map { $0.rows * $0.cols } ?? values.count }

    /// Bytes the table holds (f32 values, or the encoded bytes).
    public var storageBytes: Int { encoded?.storageBytes ?? values.count * MemoryLayout<Float>.stride }

    /// The whole table as f32, row-major (decoded for a native table: for export, not lookups).
    public func floats() -> [Float] {
        guard let encoded else { return values }
        guard count > 0 else { return [] }
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            encoded.decode(rows: 0..<rows, into: buffer.baseAddress!)
            initialized = count
        }
    }

    /// Rows `range` as f32, row-major (range.count x width).
    public func rows(_ range: Range<Int>) -> [Float] {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "TokenEmbeddings.rows: \(range) out of 0..<\(rows)")
        guard let encoded else { return Array(values[(range.lowerBound * width)..<(range.upperBound * width)]) }
        return [Float](unsafeUninitializedCapacity: range.count * width) { buffer, initialized in
            if range.count * width > 0 { encoded.decode(rows: range, into: buffer.baseAddress!) }
            initialized = range.count * width
        }
    }

    /// Writes row `id` (width values) to `target`. `id` must be in 0..<rows.
    public func copyRow(_ id: Int, into target: UnsafeMutablePointer<Float>) {
        precondition(id >= 0 && id < rows, "TokenEmbeddings.copyRow: \(id) out of 0..<\(rows)")
        if let encoded {
            encoded.decode(rows: id..<(id + 1), into: target)
        } else {
            values.withUnsafeBufferPointer { target.update(from: $0.baseAddress! + id * width, count: width) }
        }
    }
}
