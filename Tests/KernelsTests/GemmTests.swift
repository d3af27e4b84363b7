#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Kernels
import Testing
import TestSupport

/// One GEMM problem with strided operands, run through the public API and checked against a
/// naive double-precision loop.
private struct GemmCase: CustomStringConvertible {
    let m: Int, n: Int, k: Int
    let lda: Int, ldb: Int, ldc: Int

    init(_ m: Int, _ n: Int, _ k: Int, padding: Int = 0) {
        self.m = m
        self.n = n
        self.k = k
        lda = k + padding
        ldb = k + 2 * padding
        ldc = n + 3 * padding
    }

    var description: String { "m=\(m) n=\(n) k=\(k) lda=\(lda) ldc=\(ldc)" }
}

/// Shapes mixing 1, 7, 33, 577, 1537: GEMV (m == 1), edge tiles in every direction, several K
/// blocks (k = 1537 for f32, 3101 for bf16), odd k (bf16 pair padding); kept small enough for a
/// quick naive reference.
private let shapes: [GemmCase] = [
    GemmCase(1, 1, 1), GemmCase(1, 33, 7), GemmCase(1, 1537, 577, padding: 3), GemmCase(1, 577, 1537),
    GemmCase(7, 7, 7, padding: 1), GemmCase(7, 33, 1537), GemmCase(33, 577, 33, padding: 5),
    GemmCase(577, 33, 7), GemmCase(33, 1537, 33), GemmCase(577, 7, 577, padding: 2),
    GemmCase(7, 1537, 33), GemmCase(33, 33, 577, padding: 1), GemmCase(1537, 7, 33),
    GemmCase(9, 33, 3101, padding: 1),  // several K blocks for bf16 too (odd last block)
    GemmCase(1, 55, 577), GemmCase(33, 55, 33, padding: 1),  // last panel wider than 16 columns
    GemmCase(2, 40, 70), GemmCase(3, 33, 33, padding: 2), GemmCase(4, 55, 577), GemmCase(6, 40, 70),  // row tails
]

/// Sentinel written into the padding of C, which must never be touched.
private let sentinel: Float = 12345.5

private struct GemmInputs {
    let a: [Float]        // m x lda
    let w: [Float]        // n x k, dense (for PackedWeights)
    let b: [Float]        // n x ldb (same values as w, strided, for matmulTransposed)
    let c0: [Float]       // m x ldc, initial C (for accumulate), padding = sentinel

    init(_ shape: GemmCase, seed: UInt64) {
        var random = TestRandom(seed: seed)
        a = random.floats(shape.m * shape.lda)
        w = random.floats(shape.n * shape.k)
        var b = [Float](repeating: .nan, count: shape.n * shape.ldb)
        for row in 0..<shape.n { for col in 0..<shape.k { b[row * shape.ldb + col] = w[row * shape.k + col] } }
        self.b = b
        var c0 = [Float](repeating: sentinel, count: shape.m * shape.ldc)
        for row in 0..<shape.m { for col in 0..<shape.n { c0[row * shape.ldc + col] = random.uniform(-1, 1) } }
        self.c0 = c0
    }
}

/// `naiveGemm` on this case's inputs.
private func reference(_ shape: GemmCase, _ inputs: GemmInputs, round: (Float) -> Float,
                       accumulate: Bool) -> (values: [Double], magnitudes: [Double]) {
    naiveGemm(m: shape.m, n: shape.n, k: shape.k, lda: shape.lda, ldc: shape.ldc, a: inputs.a, w: inputs.w,
              c0: inputs.c0, round: round, accumulate: accumulate)
}

private func identity(_ x: Float) -> Float { x }

/// Checks C against the reference within `relative * (k + 2) * sum|a w|`, and that the
/// padding columns still hold the sentinel.
private func expectClose(_ c: [Float], _ shape: GemmCase, _ expected: (values: [Double], magnitudes: [Double]),
                         relative: Double, _ label: String) {
    var worst = 0.0
    var failures = 0
    for i in 0..<shape.m {
        for j in 0..<shape.n {
            let got = Double(c[i * shape.ldc + j])
            let want = expected.values[i * shape.n + j]
            let bound = relative * Double(shape.k + 2) * expected.magnitudes[i * shape.n + j] + 1e-30
            worst = max(worst, abs(got - want) / bound)
            if !(abs(got - want) <= bound) { failures += 1 }
        }
        for j in shape.n..<shape.ldc where c[i * shape.ldc + j] != sentinel { failures += 1 }
    }
    #expect(failures == 0, "\(label) \(shape): \(failures) elements off, worst error/bound \(worst)")
}

/// f32 tolerance: recursive summation of k terms has error <= k * u * sum|a w| (u = 2^-24,
/// Higham's gamma_k bound); FMA only tightens it. Accumulate adds one more rounding (k + 2).
private let f32Relative = 0x1p-24
/// bf16 tolerance: A and W are rounded to bf16 exactly as the reference does, and a product of
/// two bf16 values is exact in f32, so the only error left is f32 accumulation; vdpbf16ps adds
/// one rounding per pair sum, so allow twice the f32 bound.
private let bf16Relative = 2 * 0x1p-24

@Suite("GEMM")
struct GemmTests {
    let pools = [ThreadPool(threads: 1), ThreadPool(threads: 2)]

    @Test("matmul with packed f32 and bf16 weights matches the naive loop, bit-identical on 1 and 2 threads",
          arguments: [WeightPrecision.f32, .bf16])
    func packedMatchesReference(precision: WeightPrecision) {
        for (index, shape) in shapes.enumerated() {
            let inputs = GemmInputs(shape, seed: UInt64(index + 1) * 7919)
            let weights = PackedWeights(rows: shape.n, cols: shape.k, values: inputs.w, precision: precision)
            let isBF16 = precision == WeightPrecision.bf16
            let rounding: (Float) -> Float = { x in isBF16 ? bf16Rounded(x) : x }
            let relative = isBF16 ? bf16Relative : f32Relative
            for accumulate in [false, true] {
                let expected = reference(shape, inputs, round: rounding, accumulate: accumulate)
                var results: [[Float]] = []
                for pool in pools {
                    var c = inputs.c0
                    inputs.a.withUnsafeBufferPointer { a in
                        c.withUnsafeMutableBufferPointer { out in
                            matmul(a.baseAddress!, rows: shape.m, lda: shape.lda, weights: weights,
                                   into: out.baseAddress!, ldc: shape.ldc, accumulate: accumulate, pool: pool)
                        }
                    }
                    expectClose(c, shape, expected, relative: relative,
                                "\(precision) accumulate=\(accumulate) threads=\(pool.threadCount)")
                    results.append(c)
                }
                #expect(results[0] == results[1], "\(precision) \(shape): 1 and 2 threads differ")
            }
        }
    }

    @Test("matmulTransposed with a plain strided B matches the naive loop, bit-identical on 1 and 2 threads")
    func transposedMatchesReference() {
        for (index, shape) in shapes.enumerated() {
            let inputs = GemmInputs(shape, seed: UInt64(index + 1) * 104_729)
            for accumulate in [false, true] {
                let expected = reference(shape, inputs, round: identity, accumulate: accumulate)
                var results: [[Float]] = []
                for pool in pools {
                    var c = inputs.c0
                    inputs.a.withUnsafeBufferPointer { a in
                        inputs.b.withUnsafeBufferPointer { b in
                            c.withUnsafeMutableBufferPointer { out in
                                matmulTransposed(m: shape.m, n: shape.n, k: shape.k, a: a.baseAddress!, lda: shape.lda,
                                                 b: b.baseAddress!, ldb: shape.ldb, c: out.baseAddress!, ldc: shape.ldc,
                                                 accumulate: accumulate, pool: pool)
                            }
                        }
                    }
                    expectClose(c, shape, expected, relative: f32Relative,
                                "transposed accumulate=\(accumulate) threads=\(pool.threadCount)")
                    results.append(c)
                }
                #expect(results[0] == results[1], "transposed \(shape): 1 and 2 threads differ")
            }
        }
    }

    @Test("k == 0 gives zeros, or leaves C unchanged when accumulating")
    func emptyInnerDimension() {
        let weights = PackedWeights(rows: 3, cols: 0, values: [], precision: .f32)
        let a: [Float] = [1, 2]
        var c: [Float] = [5, 6, 7, 8, 9, 10]
        matmul(a, rows: 2, lda: 0, weights: weights, into: &c, ldc: 3, accumulate: true, pool: pools[1])
        #expect(c == [5, 6, 7, 8, 9, 10])
        matmul(a, rows: 2, lda: 0, weights: weights, into: &c, ldc: 3, pool: pools[1])
        #expect(c == [0, 0, 0, 0, 0, 0])
    }

    @Test("unpacked() and row(_:) give back the matrix (bf16-rounded for bf16)",
          arguments: [WeightPrecision.f32, .bf16])
    func unpackRoundTrip(precision: WeightPrecision) {
        var random = TestRandom(seed: 42)
        let rows = 37, cols = 5
        let values = random.floats(rows * cols)
        let weights = PackedWeights(rows: rows, cols: cols, values: values, precision: precision)
        let expected = precision == .f32 ? values : values.map(bf16Rounded)
        #expect(weights.rows == rows && weights.cols == cols && weights.precision == precision)
        #expect(weights.unpacked() == expected)
        #expect(weights.row(33) == Array(expected[33 * cols..<34 * cols]))
    }

    @Test("validated packing reports a shape mismatch instead of stopping")
    func validatedShape() throws {
        #expect(throws: PackedWeightsError.shapeMismatch(rows: 2, cols: 3, valueCount: 5)) {
            try PackedWeights.validated(rows: 2, cols: 3, values: [1, 2, 3, 4, 5], precision: .f32)
        }
        #expect(throws: PackedWeightsError.negativeDimension(rows: -1, cols: 3)) {
            try PackedWeights.validated(rows: -1, cols: 3, values: [], precision: .bf16)
        }
        let error = PackedWeightsError.shapeMismatch(rows: 2, cols: 3, valueCount: 5)
        #expect(error.description.contains("2x3 needs 6 values but 5"))
        let packed = try PackedWeights.validated(rows: 2, cols: 3, values: [1, 2, 3, 4, 5, 6], precision: .f32)
        #expect(packed.unpacked() == [1, 2, 3, 4, 5, 6])
    }

    @Test("f32 sums over a long K round at least three times less than one multiply-add chain over all of K")
    func longInnerDimensionAccuracy() {
        // Positive terms, so nothing cancels and a single chain's rounding grows with its length
        // (relative error about u * sqrt(k)): the case that put cfsp's logits 2-5x further from
        // float64 than torch's. k = 1536 (SmolLM2's FFN width) is one K block, so the single chain
        // computed here with scalar FMAs is exactly what the kernel did before it summed in chains
        // of GemmTile.chain.
        let m = 16, n = 64, k = 1536
        var random = TestRandom(seed: 2026)
        let a = random.floats(m * k, 0, 1), w = random.floats(n * k, 0, 1)
        let weights = PackedWeights(rows: n, cols: k, values: w, precision: .f32)
        var c = [Float](repeating: 0, count: m * n)
        matmul(a, rows: m, lda: k, weights: weights, into: &c, ldc: n, pool: pools[1])
        var kernelSquares = 0.0, chainSquares = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var exact = 0.0
                var chain: Float = 0
                for p in 0..<k {
                    exact += Double(a[i * k + p]) * Double(w[j * k + p])
                    chain = chain.addingProduct(a[i * k + p], w[j * k + p])
                }
                kernelSquares += pow((Double(c[i * n + j]) - exact) / exact, 2)
                chainSquares += pow((Double(chain) - exact) / exact, 2)
            }
        }
        let kernelError = (kernelSquares / Double(m * n)).squareRoot()
        let chainError = (chainSquares / Double(m * n)).squareRoot()
        #expect(kernelError <= chainError / 3,
                "RMS relative error: kernel \(kernelError), one chain over k = \(k) \(chainError)")
        #expect(kernelError < 1e-6, "RMS relative error \(kernelError)")
    }

    @Test("the AVX-512 kernels are really compiled in on an AVX-512 host (unless built portable)")
    func vectorPathCompiledIn() {
        // Package.swift leaves the vector flags out only when CFSP_PORTABLE=1 (set for build and test).
        let portableBuild = getenv("CFSP_PORTABLE").map { String(cString: $0) == "1" } ?? false
        if VectorISA.host == .avx512 && !portableBuild {
            #expect(VectorISA.compiled == .avx512, "\(VectorISA.summary)")
            if VectorISA.hostHasBF16Dot { #expect(VectorISA.compiledBF16Dot, "\(VectorISA.summary)") }
        } else {
            #expect(VectorISA.compiled != .avx512 || VectorISA.host == .avx512)
        }
    }
}
