@testable import Kernels
import Testing
import TestSupport

/// One tile GEMM problem; lda and ldc exceed k and n by `padding` to catch stride mistakes.
private struct TileCase: CustomStringConvertible, Sendable {
    let m: Int, n: Int, k: Int, lda: Int, ldc: Int

    init(_ m: Int, _ n: Int, _ k: Int, padding: Int = 0) {
        self.m = m
        self.n = n
        self.k = k
        lda = k + padding
        ldc = n + 2 * padding
    }

    var description: String { "m=\(m) n=\(n) k=\(k) lda=\(lda) ldc=\(ldc)" }
}

/// Edges of every blocking level: 1, 15, 16, 17, 31, 33 against the 16-row / 16-column tiles,
/// the 32-row / 32-column blocks and the 32-value K step; odd K (bf16 pair padding), K = 577
/// (pairStride 304, a partial last tile); m = 129 and 576 (several 128-row work items), N = 300
/// (several panel groups); small enough for the scalar emulation and a naive reference.
private let shapes: [TileCase] = [
    TileCase(1, 1, 1), TileCase(15, 15, 15), TileCase(16, 16, 32), TileCase(17, 17, 33, padding: 1),
    TileCase(31, 31, 31, padding: 2), TileCase(33, 33, 63, padding: 1), TileCase(2, 40, 70),
    TileCase(576, 17, 40, padding: 3), TileCase(40, 576, 17), TileCase(33, 65, 577, padding: 1),
    TileCase(129, 33, 64), TileCase(300, 300, 20, padding: 1), TileCase(1, 100, 31),
]

/// Written into C's padding columns, which must never be touched.
private let sentinel: Float = 12345.5


/// A (m x lda), W (n x k), initial C (m x ldc, padding = sentinel), from `value`.
private struct TileInputs {
    let a: [Float], w: [Float], c0: [Float]

    init(_ shape: TileCase, _ value: () -> Float) {
        a = (0..<(shape.m * shape.lda)).map { _ in value() }
        w = (0..<(shape.n * shape.k)).map { _ in value() }
        var c0 = [Float](repeating: sentinel, count: shape.m * shape.ldc)
        for i in 0..<shape.m { for j in 0..<shape.n { c0[i * shape.ldc + j] = value() } }
        self.c0 = c0
    }
}

/// Runs one tile GEMM (or, with `backend` nil, the public `matmul`) and returns C.
private func run(_ shape: TileCase, _ inputs: TileInputs, _ weights: PackedWeights, accumulate: Bool,
                 pool: ThreadPool, backend: BF16TileBackend?) -> [Float] {
    var c = inputs.c0
    inputs.a.withUnsafeBufferPointer { a in
        c.withUnsafeMutableBufferPointer { out in
            if let backend {
                matmulBF16Tiles(a.baseAddress!, rows: shape.m, lda: shape.lda, weights: weights, into: out.baseAddress!,
                                ldc: shape.ldc, accumulate: accumulate, pool: pool, backend: backend)
            } else {
                matmul(a.baseAddress!, rows: shape.m, lda: shape.lda, weights: weights, into: out.baseAddress!,
                       ldc: shape.ldc, accumulate: accumulate, pool: pool)
            }
        }
    }
    return c
}

/// Naive double-precision C on bf16-rounded A and W (`naiveGemm`): values and sum |terms| (the error scale).
private func reference(_ shape: TileCase, _ inputs: TileInputs, accumulate: Bool) -> (values: [Double], magnitudes: [Double]) {
    naiveGemm(m: shape.m, n: shape.n, k: shape.k, lda: shape.lda, ldc: shape.ldc, a: inputs.a, w: inputs.w,
              c0: inputs.c0, round: bf16Rounded, accumulate: accumulate)
}

/// Elements of C outside `2^-23 * (k + 2) * sum|terms|` of the reference (f32 summation in any
/// order of k terms, plus the final add; products of bf16 values are exact in f32), plus padding
/// columns that lost their sentinel.
private func mismatches(_ c: [Float], _ shape: TileCase, _ expected: (values: [Double], magnitudes: [Double])) -> Int {
    var failures = 0
    for i in 0..<shape.m {
        for j in 0..<shape.n {
            let bound = 0x1p-23 * Double(shape.k + 2) * expected.magnitudes[i * shape.n + j] + 1e-30
            if !(abs(Double(c[i * shape.ldc + j]) - expected.values[i * shape.n + j]) <= bound) { failures += 1 }
        }
        for j in shape.n..<shape.ldc where c[i * shape.ldc + j] != sentinel { failures += 1 }
    }
    return failures
}

@Suite("AMX tile GEMM (scalar emulation of TDPBF16PS)")
struct AMXTileGemmTests {
    let pools = [ThreadPool(threads: 1), ThreadPool(threads: 2)]

    @Test("the emulated tile GEMM matches a naive loop on bf16-rounded inputs, bit-identical on 1 and 2 threads",
          arguments: [false, true])
    func matchesNaiveLoop(accumulate: Bool) {
        for (index, shape) in shapes.enumerated() {
            var random = TestRandom(seed: 0xA3C0 + UInt64(index))
            let inputs = TileInputs(shape) { random.uniform(-1, 1) }
            let weights = PackedWeights(rows: shape.n, cols: shape.k, values: inputs.w, precision: .bf16)
            let expected = reference(shape, inputs, accumulate: accumulate)
            let one = run(shape, inputs, weights, accumulate: accumulate, pool: pools[0], backend: .emulated)
            let two = run(shape, inputs, weights, accumulate: accumulate, pool: pools[1], backend: .emulated)
            #expect(mismatches(one, shape, expected) == 0, "\(shape) accumulate=\(accumulate)")
            #expect(one.map(\.bitPattern) == two.map(\.bitPattern), "\(shape): 1 vs 2 threads differ")
        }
    }

    @Test("on small integers (every sum exact) the emulated tile GEMM equals the naive sum and the vector path bit for bit")
    func exactOnIntegers() {
        for (index, shape) in shapes.enumerated() {
            var random = TestRandom(seed: 0x1E7 + UInt64(index))
            // |a w| <= 9, k <= 577: every partial sum is an integer below 2^24, exact in f32.
            let inputs = TileInputs(shape) { Float(random.int(below: 7) - 3) }
            let weights = PackedWeights(rows: shape.n, cols: shape.k, values: inputs.w, precision: .bf16)
            for accumulate in [false, true] {
                var naive = inputs.c0
                for i in 0..<shape.m {
                    for j in 0..<shape.n {
                        var sum: Float = accumulate ? inputs.c0[i * shape.ldc + j] : 0
                        for p in 0..<shape.k { sum += inputs.a[i * shape.lda + p] * inputs.w[j * shape.k + p] }
                        naive[i * shape.ldc + j] = sum
                    }
                }
                let tiles = run(shape, inputs, weights, accumulate: accumulate, pool: pools[1], backend: .emulated)
                let vector = run(shape, inputs, weights, accumulate: accumulate, pool: pools[1], backend: nil)
                #expect(tiles == naive, "\(shape) accumulate=\(accumulate): tiles vs naive")
                #expect(vector == naive, "\(shape) accumulate=\(accumulate): matmul vs naive")
            }
        }
    }

    @Test("bf16 panels are padded to whole 16-pair B tiles, 64-byte aligned, and still unpack to the bf16-rounded weights")
    func panelLayout() {
        var random = TestRandom(seed: 77)
        for (n, k) in [(1, 1), (33, 31), (40, 33), (5, 577)] {
            let values = random.floats(n * k)
            let weights = PackedWeights(rows: n, cols: k, values: values, precision: .bf16)
            #expect(weights.pairStride % AMXTile.rows == 0 && weights.pairStride >= (k + 1) / 2)
            #expect(weights.bf16Panels.count == weights.panelCount * weights.pairStride * GemmTile.columns)
            weights.bf16Panels.withUnsafeBufferPointer { words in
                #expect(UInt(bitPattern: words.baseAddress) % 64 == 0)
                // Every padding pair row is zero (the K tail of the last B tile).
                for panel in 0..<weights.panelCount {
                    for q in weights.pairCount..<weights.pairStride {
                        for lane in 0..<GemmTile.columns {
                            #expect(words[(panel * weights.pairStride + q) * GemmTile.columns + lane] == 0)
                        }
                    }
                }
            }
            #expect(weights.unpacked() == values.map(bf16Rounded), "n=\(n) k=\(k)")
        }
    }
}
