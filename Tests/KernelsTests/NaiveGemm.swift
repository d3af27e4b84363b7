import Kernels

/// The GEMM tests' naive reference, in Double: values[i][j] = (accumulate ? c0[i][j] : 0) +
/// sum_k round(a[i][k]) * round(w[j][k]), with the magnitude sum_k |products| (plus |c0|) that
/// bounds the rounding error of any summation order. A is m x lda, W is n x k dense, C0 is m x ldc.
func naiveGemm(m: Int, n: Int, k: Int, lda: Int, ldc: Int, a: [Float], w: [Float], c0: [Float],
               round: (Float) -> Float, accumulate: Bool) -> (values: [Double], magnitudes: [Double]) {
    var values = [Double](repeating: 0, count: m * n)
    var magnitudes = values
    for i in 0..<m {
        for j in 0..<n {
            var sum = accumulate ? Double(c0[i * ldc + j]) : 0
            var magnitude = abs(sum)
            for p in 0..<k {
                let product = Double(round(a[i * lda + p])) * Double(round(w[j * k + p]))
                sum += product
                magnitude += abs(product)
            }
            values[i * n + j] = sum
            magnitudes[i * n + j] = magnitude
        }
    }
    return (values, magnitudes)
}

/// x rounded to bf16 as the bf16 kernels round activations and weights.
func bf16Rounded(_ x: Float) -> Float { floatFromBF16(bf16Bits(x)) }
