/// How a weight matrix is stored for the GEMM kernels: full f32, bf16 (half the memory and
/// bandwidth, AVX512-BF16 dot products where available; activations are rounded to bf16 too), or
/// native: each matrix stays in its file's own encoding (Q4_K, Q8_0, f16, ...) and is decoded
/// panel by panel inside the GEMM (`EncodedRows`), with f32 arithmetic on the decoded values, so
/// results equal the f32 load's while memory is the file's size. A matrix that is computed
/// rather than read (pruned down projections, merged LoRA, compensation) is stored as f32 in a
/// native model: `PackedWeights(rows:cols:values:precision: .native)` packs f32.
public enum WeightPrecision: String, Sendable, Codable, CaseIterable {
    case f32, bf16, native
}

/// Why a weight matrix could not be packed.
public enum PackedWeightsError: Error, CustomStringConvertible, Equatable {
    /// The value count does not match rows x cols.
    case shapeMismatch(rows: Int, cols: Int, valueCount: Int)
    /// A dimension is negative.
    case negativeDimension(rows: Int, cols: Int)

    public var description: String {
        switch self {
        case let .shapeMismatch(rows, cols, count):
            return "weight matrix \(rows)x\(cols) needs \(rows * cols) values but \(count) were given; check the tensor's shape in the model file"
        case let .negativeDimension(rows, cols):
            return "weight matrix dimensions must be non-negative, got \(rows)x\(cols)"
        }
    }
}

/// An N x K weight matrix (PyTorch layout [out, in]), converted ONCE at load time into the
/// layout the micro-kernel wants, so every matmul reads it contiguously. Immutable, Sendable.
///
/// Layout: the N output rows are cut into panels of `GemmTile.columns` (32) rows, the last
/// zero-padded. f32: a panel stores, for each k, its 32 values w[n][k] side by side (two zmm
/// loads per k). bf16: a panel stores, for each pair of k (2q, 2q+1), 32 u32 lanes holding
/// bf16(w[n][2q]) | bf16(w[n][2q+1]) << 16 — the operand layout of vdpbf16ps; odd K is padded
/// with a zero, and the pairs of a panel are padded with zero rows to a multiple of 16
/// (`pairStride`). That makes the same storage the B operand of the AMX tile GEMM: 16 pairs x 16
/// columns of a panel are one TDPBF16PS B tile (rows of 64 bytes, 128 bytes apart), and the
/// zero rows cover K's last partial tile. The bf16 storage is 64-byte aligned, so no tile row
/// straddles two cache lines.
public struct PackedWeights: Sendable {
    /// N: output features.
    public let rows: Int
    /// K: input features.
    public let cols: Int
    /// Storage precision: `.native` only for a matrix kept encoded (`encoded` is then set).
    public let precision: WeightPrecision
    /// The encoded rows of a native matrix (nil for f32 and bf16).
    public let encoded: (any EncodedRows)?

    /// f32 panels (empty for bf16): panel p starts at p * cols * 32.
    let f32Panels: [Float]
    /// bf16 pair panels (empty for f32): panel p starts at p * pairStride * 32.
    let bf16Panels: AlignedWords

    /// Number of 32-row panels.
    var panelCount: Int { (rows + GemmTile.columns - 1) / GemmTile.columns }
    /// Number of k pairs in the bf16 layout, ceil(K / 2).
    var pairCount: Int { (cols + 1) / 2 }
    /// Pair rows per bf16 panel: `pairCount` rounded up to whole AMX B tiles (16 pairs).
    var pairStride: Int { PackedWeights.pairStride(cols: cols) }

    /// `pairStride` for K = `cols`.
    static func pairStride(cols: Int) -> Int {
        ((cols + 1) / 2 + AMXTile.rows - 1) / AMXTile.rows * AMXTile.rows
    }

    /// Keeps an encoded matrix as it is (precision `.native`); the GEMM decodes it per call.
    public init(encoded: any EncodedRows) {
        rows = encoded.rows
        cols = encoded.cols
        precision = .native
        self.encoded = encoded
        f32Panels = []
        bf16Panels = AlignedWords(count: 0) { _ in }
    }

    /// Packs a row-major N x K matrix. `values.count` must be `rows * cols` (use
    /// `PackedWeights.validated` for data that comes from a file). `.native` packs f32: values
    /// given as floats have no file encoding to keep.
    public init(rows: Int, cols: Int, values: UnsafeBufferPointer<Float>, precision requested: WeightPrecision) {
        precondition(rows >= 0 && cols >= 0 && values.count == rows * cols,
                     "PackedWeights: \(rows)x\(cols) needs \(rows * cols) values, got \(values.count)")
        let precision: WeightPrecision = requested == .native ? .f32 : requested
        self.rows = rows
        self.cols = cols
        self.precision = precision
        encoded = nil
        let panels = (rows + GemmTile.columns - 1) / GemmTile.columns
        let width = GemmTile.columns
        guard let base = values.baseAddress, rows > 0, cols > 0 else {
            f32Panels = []
            bf16Panels = AlignedWords(count: 0) { _ in }
            return
        }
        switch precision {
        case .f32, .native:
            f32Panels = [Float](unsafeUninitializedCapacity: panels * cols * width) { buffer, initialized in
                guard let out = buffer.baseAddress else { initialized = 0; return }
                for panel in 0..<panels {
                    packPanelF32(base + panel * width * cols, ldb: cols, rows: min(width, rows - panel * width),
                                 count: cols, into: out + panel * cols * width)
                }
                initialized = panels * cols * width
            }
            bf16Panels = AlignedWords(count: 0) { _ in }
        case .bf16:
            let pairs = (cols + 1) / 2
            let stride = PackedWeights.pairStride(cols: cols)
            bf16Panels = AlignedWords(count: panels * stride * width) { out in
                // Zero first: the padding lanes (rows past N) and pair rows (past ceil(K / 2)).
                out.initialize(repeating: 0, count: panels * stride * width)
                for panel in 0..<panels {
                    let panelOut = out + panel * stride * width
                    for lane in 0..<min(width, rows - panel * width) {
                        let source = base + (panel * width + lane) * cols
                        for q in 0..<pairs {
                            let low = UInt32(bf16Bits(source[2 * q]))
                            let high = 2 * q + 1 < cols ? UInt32(bf16Bits(source[2 * q + 1])) : 0
                            panelOut[q * width + lane] = low | high << 16
                        }
                    }
                }
            }
            f32Panels = []
        }
    }

    /// Packs a row-major N x K matrix given as an array (`values.count == rows * cols`).
    public init(rows: Int, cols: Int, values: [Float], precision: WeightPrecision) {
        self = values.withUnsafeBufferPointer {
            PackedWeights(rows: rows, cols: cols, values: $0, precision: precision)
        }
    }

    /// Packs after checking the shape, throwing instead of stopping on a mismatch: for tensors
    /// read from files.
    public static func validated(rows: Int, cols: Int, values: [Float],
                                 precision: WeightPrecision) throws(PackedWeightsError) -> PackedWeights {
        guard rows >= 0, cols >= 0 else { throw .negativeDimension(rows: rows, cols: cols) }
        let (product, overflow) = rows.multipliedReportingOverflow(by: cols)
        guard !overflow, product == values.count else {
            throw .shapeMismatch(rows: rows, cols: cols, valueCount: values.count)
        }
        return PackedWeights(rows: rows, cols: cols, values: values, precision: precision)
    }

    /// Weight row `n` (output feature n, K values), as the kernels see it (bf16-rounded if bf16).
    public func row(_ n: Int) -> [Float] {
        precondition(n >= 0 && n < rows, "PackedWeights.row: \(n) out of 0..<\(rows)")
        let width = GemmTile.columns
        let panel = n / width
        let lane = n % width
        switch precision {
        case .native:
            return decodedRows(n..<(n + 1))
        case .f32:
            let start = panel * cols * width + lane
            return (0..<cols).map { f32Panels[start + $0 * width] }
        case .bf16:
            let start = panel * pairStride * width + lane
            return (0..<cols).map { k in
                let pair = bf16Panels[start + (k / 2) * width]
                return floatFromBF16(UInt16(truncatingIfNeeded: k % 2 == 0 ? pair : pair >> 16))
            }
        }
    }

    /// Rows `range`, row-major, as the kernels see them (bf16-rounded if bf16, decoded if native).
    public func rows(_ range: Range<Int>) -> [Float] {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "PackedWeights.rows: \(range) out of 0..<\(rows)")
        if precision == .native { return decodedRows(range) }
        var result: [Float] = []
        result.reserveCapacity(range.count * cols)
        for n in range { result.append(contentsOf: row(n)) }
        return result
    }

    /// The whole matrix, row-major N x K, as the kernels see it (bf16-rounded if bf16, decoded
    /// if native).
    public func unpacked() -> [Float] { rows(0..<rows) }

    /// Bytes of packed storage (for memory accounting; a native matrix's encoded bytes).
    public var storageBytes: Int {
        f32Panels.count * MemoryLayout<Float>.stride + bf16Panels.count * MemoryLayout<UInt32>.stride
            + (encoded?.storageBytes ?? 0)
    }

    /// Rows `range` of a native matrix, decoded, row-major.
    private func decodedRows(_ range: Range<Int>) -> [Float] {
        guard let encoded, !range.isEmpty, cols > 0 else { return [] }
        return [Float](unsafeUninitializedCapacity: range.count * cols) { buffer, initialized in
            encoded.decode(rows: range, into: buffer.baseAddress!)
            initialized = range.count * cols
        }
    }

    /// Rows `indices` (in that order) of this matrix, in the same storage: a native matrix keeps
    /// its encoding (exact, since rows are whole blocks), f32 and bf16 repack their values
    /// (exact too: bf16 values round to themselves). What pruning uses to drop output rows.
    public func keepingRows(_ indices: [Int]) -> PackedWeights {
        precondition(indices.allSatisfy { $0 >= 0 && $0 < rows }, "PackedWeights.keepingRows: index out of 0..<\(rows)")
        if let encoded { return PackedWeights(encoded: encoded.keepingRows(indices)) }
        var values = [Float]()
        values.reserveCapacity(indices.count * cols)
        for n in indices { values += row(n) }
        return PackedWeights(rows: indices.count, cols: cols, values: values, precision: precision)
    }
}

/// Immutable u32 storage aligned to 64 bytes (a cache line, an AMX tile row), written once by
/// the initializer's closure and read-only afterwards, hence Sendable.
final class AlignedWords: @unchecked Sendable {
    /// Number of u32 values.
    let count: Int
    private let base: UnsafeMutablePointer<UInt32>

    /// Allocates `count` words and lets `fill` initialize all of them.
    init(count: Int, fill: (UnsafeMutablePointer<UInt32>) -> Void) {
        self.count = count
        base = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<UInt32>.stride, alignment: 64)
            .bindMemory(to: UInt32.self, capacity: max(1, count))
        fill(base)
    }

    deinit { base.deallocate() }

    /// The words (start nil when empty, like an empty array's).
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<UInt32>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: count == 0 ? nil : base, count: count))
    }

    subscript(index: Int) -> UInt32 {
        precondition(index >= 0 && index < count, "AlignedWords: \(index) out of 0..<\(count)")
        return base[index]
    }
}
