import Kernels
import Testing

/// A test encoding: each row is one f32 scale and K signed bytes (value = scale x byte), so
/// decoding is exact and known; enough to drive the native GEMM's chunking and edge panels
/// without Core's file formats.
private struct ScaledBytes: EncodedRows {
    let rows: Int
    let cols: Int
    let scales: [Float]
    let bytes: [Int8]

    init(rows: Int, cols: Int, seed: UInt64) {
        self.rows = rows
        self.cols = cols
        var state = seed
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        scales = (0..<rows).map { _ in Float(next() % 1000 + 1) / 4096 }
        bytes = (0..<(rows * cols)).map { _ in Int8(truncatingIfNeeded: next()) }
    }

    private init(rows: Int, cols: Int, scales: [Float], bytes: [Int8]) {
        self.rows = rows
        self.cols = cols
        self.scales = scales
        self.bytes = bytes
    }

    var storageBytes: Int { rows * (cols + 4) }
    var encodingName: String { "test-i8" }

    func decode(rows range: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        for (i, r) in range.enumerated() {
            for j in 0..<cols { destination[i * cols + j] = scales[r] * Float(bytes[r * cols + j]) }
        }
    }

    func keepingRows(_ indices: [Int]) -> any EncodedRows {
        ScaledBytes(rows: indices.count, cols: cols, scales: indices.map { scales[$0] },
                        bytes: indices.flatMap { (r: Int) -> [Int8] in Array(bytes[(r * cols)..<((r + 1) * cols)]) })
    }

    var decoded: [Float] {
        var out = [Float](repeating: 0, count: rows * cols)
        out.withUnsafeMutableBufferPointer { decode(rows: 0..<rows, into: $0.baseAddress!) }
        return out
    }
}

/// The native GEMM (weights decoded panel by panel inside the call) against the f32 GEMM on the
/// decoded values: equal bit for bit, for GEMV and GEMM shapes, edge panels, several decode
/// chunks (n x k well past `NativeChunk.bytes`), accumulation, and 1 or 2 threads.
@Suite("Native (encoded) weights GEMM")
struct GemmNativeTests {
    @Test("equals the f32 GEMM on the decoded weights, bit for bit",
          arguments: [(1, 33, 64), (1, 700, 4096), (3, 40, 96), (9, 1, 32), (130, 300, 4096), (37, 129, 512), (5, 2100, 288)])
    func equalsF32(m: Int, n: Int, k: Int) {
        let encoded = ScaledBytes(rows: n, cols: k, seed: UInt64(m * 7919 + n * 31 + k))
        let native = PackedWeights(encoded: encoded)
        let f32 = PackedWeights(rows: n, cols: k, values: encoded.decoded, precision: .f32)
        #expect(native.precision == .native && native.rows == n && native.cols == k)
        let a = (0..<(m * k)).map { Float(($0 * 37) % 101) / 50 - 1 }
        for threads in [1, 2] {
            let pool = ThreadPool(threads: threads)
            for accumulate in [false, true] {
                let start = (0..<(m * n)).map { Float($0 % 13) / 8 }
                var viaNative = start, viaF32 = start
                a.withUnsafeBufferPointer { pa in
                    viaNative.withUnsafeMutableBufferPointer {
                        matmul(pa.baseAddress!, rows: m, lda: k, weights: native, into: $0.baseAddress!, ldc: n,
                               accumulate: accumulate, pool: pool)
                    }
                    viaF32.withUnsafeMutableBufferPointer {
                        matmul(pa.baseAddress!, rows: m, lda: k, weights: f32, into: $0.baseAddress!, ldc: n,
                               accumulate: accumulate, pool: pool)
                    }
                }
                #expect(viaNative == viaF32, "m=\(m) n=\(n) k=\(k) threads=\(threads) accumulate=\(accumulate)")
            }
        }
    }

    @Test("rows, unpacking and kept rows decode the encoding; kept rows stay encoded")
    func rowsAndKeptRows() {
        let encoded = ScaledBytes(rows: 45, cols: 64, seed: 3)
        let native = PackedWeights(encoded: encoded)
        let values = encoded.decoded
        #expect(native.unpacked() == values)
        #expect(native.row(44) == Array(values[(44 * 64)..<(45 * 64)]))
        #expect(native.storageBytes == encoded.storageBytes)
        let kept = native.keepingRows([40, 2, 7])
        #expect(kept.precision == .native && kept.rows == 3)
        let expectedKept: [Float] = [40, 2, 7].flatMap { (r: Int) -> [Float] in Array(values[(r * 64)..<((r + 1) * 64)]) }
        #expect(kept.unpacked() == expectedKept)
        // Values given as floats have no encoding: `.native` packs them as f32.
        let repacked = PackedWeights(rows: 45, cols: 64, values: values, precision: .native)
        #expect(repacked.precision == .f32 && repacked.encoded == nil && repacked.unpacked() == values)
        let f32Kept = repacked.keepingRows([1, 0])
        let swapped: [Float] = Array(values[64..<128]) + Array(values[0..<64])
        #expect(f32Kept.precision == .f32 && f32Kept.unpacked() == swapped)
    }
}
