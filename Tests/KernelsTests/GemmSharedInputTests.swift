import Kernels
import Testing
import TestSupport

/// `matmul(_:rows:lda:outputs:pool:)` must give every output exactly what its own `matmul`
/// gives (the Q/K/V and gate/up groups of the block forward rely on it for bit-identical
/// results), leave the padding of C alone, and not depend on the thread count. On a CPU with
/// AMX both sides of the first test run on the real tiles (`matmul` picks them there), so it
/// checks the shared tile path too; elsewhere the emulated-tile test does.
@Suite("GEMM with a shared input")
struct GemmSharedInputTests {
    /// (m, k, lda padding, output widths): row tails, odd K, several K blocks for bf16, widths
    /// that are not whole panels, an empty output, and the Q/K/V and gate/up shapes of SmolLM2.
    static let cases: [(m: Int, k: Int, padding: Int, widths: [Int])] = [
        (2, 7, 1, [1, 33]), (9, 33, 0, [55, 7, 40]), (33, 577, 3, [577, 192, 192]),
        (70, 70, 0, [1537, 0, 33]), (5, 3101, 1, [40, 9]), (128, 576, 0, [1536, 1536]),
    ]

    @Test("each output has the bits of its own matmul, on 1 and 3 threads", arguments: [WeightPrecision.f32, .bf16])
    func sharedEqualsSeparate(precision: WeightPrecision) {
        let sentinel: Float = 4242.5
        for (index, item) in Self.cases.enumerated() {
            var random = TestRandom(seed: 301 + UInt64(index))
            let lda = item.k + item.padding
            let a = random.floats(item.m * lda)
            let weights = item.widths.map { n in
                PackedWeights(rows: n, cols: item.k, values: random.floats(n * item.k), precision: precision)
            }
            let ldcs = item.widths.map { $0 + 2 }
            // Separate products, one thread: the reference bits.
            var expected: [[Float]] = []
            for (w, ldc) in zip(weights, ldcs) {
                var c = [Float](repeating: sentinel, count: item.m * ldc)
                matmul(a, rows: item.m, lda: lda, weights: w, into: &c, ldc: ldc, pool: ThreadPool(threads: 1))
                expected.append(c)
            }
            for threads in [1, 3] {
                let outputs = zip(weights, ldcs).map { w, ldc in
                    let c = UnsafeMutablePointer<Float>.allocate(capacity: item.m * ldc)
                    c.initialize(repeating: sentinel, count: item.m * ldc)
                    return MatmulOutput(weights: w, c: c, ldc: ldc)
                }
                defer { for output in outputs { output.c.deallocate() } }
                // Start the first output with garbage: the shared product overwrites, never adds.
                for i in 0..<(item.m * ldcs[0]) where i % ldcs[0] < item.widths[0] { outputs[0].c[i] = 77 }
                matmul(a, rows: item.m, lda: lda, outputs: outputs, pool: ThreadPool(threads: threads))
                for (p, output) in outputs.enumerated() {
                    let got = Array(UnsafeBufferPointer(start: output.c, count: item.m * ldcs[p]))
                    #expect(got.map(\.bitPattern) == expected[p].map(\.bitPattern),
                            "\(precision) m=\(item.m) k=\(item.k) output \(p) (n=\(item.widths[p])), \(threads) threads")
                }
            }
        }
    }

    @Test("on (emulated) AMX tiles each output has the bits of its own tile matmul, on 1 and 3 threads")
    func sharedTilesEqualSeparate() {
        let sentinel: Float = -3.25
        for (index, item) in [(m: 40, k: 70, widths: [33, 7, 64]), (m: 3, k: 33, widths: [40, 0, 16])].enumerated() {
            var random = TestRandom(seed: 707 + UInt64(index))
            let a = random.floats(item.m * item.k)
            let weights = item.widths.map { n in
                PackedWeights(rows: n, cols: item.k, values: random.floats(n * item.k), precision: .bf16)
            }
            let expected = weights.map { w in
                var c = [Float](repeating: sentinel, count: item.m * (w.rows + 1))
                matmulBF16Tiles(a, rows: item.m, lda: item.k, weights: w, into: &c, ldc: w.rows + 1,
                                pool: ThreadPool(threads: 1), backend: .emulated)
                return c
            }
            for threads in [1, 3] {
                let outputs = weights.map { w in
                    let c = UnsafeMutablePointer<Float>.allocate(capacity: item.m * (w.rows + 1))
                    c.initialize(repeating: sentinel, count: item.m * (w.rows + 1))
                    return MatmulOutput(weights: w, c: c, ldc: w.rows + 1)
                }
                defer { for output in outputs { output.c.deallocate() } }
                matmulBF16Tiles(a, rows: item.m, lda: item.k, outputs: outputs, pool: ThreadPool(threads: threads),
                                backend: .emulated)
                for (p, output) in outputs.enumerated() {
                    let got = Array(UnsafeBufferPointer(start: output.c, count: expected[p].count))
                    #expect(got.map(\.bitPattern) == expected[p].map(\.bitPattern),
                            "m=\(item.m) output \(p) (n=\(item.widths[p])), \(threads) threads")
                }
            }
        }
    }

    @Test("one row and a single output take the plain path and still match")
    func degenerateGroups() {
        var random = TestRandom(seed: 17)
        let k = 65
        let a = random.floats(3 * k)
        let w = PackedWeights(rows: 40, cols: k, values: random.floats(40 * k), precision: .bf16)
        for m in [1, 3] {
            var want = [Float](repeating: 0, count: m * 40)
            matmul(a, rows: m, lda: k, weights: w, into: &want, ldc: 40, pool: ThreadPool(threads: 2))
            var got = [Float](repeating: 0, count: m * 40)
            got.withUnsafeMutableBufferPointer { c in
                matmul(a, rows: m, lda: k, outputs: [MatmulOutput(weights: w, c: c.baseAddress!, ldc: 40)],
                       pool: ThreadPool(threads: 2))
            }
            #expect(got.map(\.bitPattern) == want.map(\.bitPattern), "m=\(m)")
        }
    }
}
