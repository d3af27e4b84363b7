/// One product of `matmul(_:rows:lda:outputs:pool:)`: C = A W^T into `c` (row stride `ldc`).
public struct MatmulOutput {
    /// W (N x K, pre-packed).
    public let weights: PackedWeights
    /// C, m rows of at least N floats; must not overlap A or another output.
    public let c: UnsafeMutablePointer<Float>
    /// Row stride of C (>= N).
    public let ldc: Int

    public init(weights: PackedWeights, c: UnsafeMutablePointer<Float>, ldc: Int) {
        self.weights = weights
        self.c = c
        self.ldc = ldc
    }
}

/// C_i = A W_i^T for several weights that read the same A: a block's query, key and value
/// projections, or its gate and up projections. Each C_i has exactly the bits a separate
/// `matmul(a, ..., weights: W_i, into: C_i)` gives. With bf16 weights on the vector path the
/// work is shared: A is converted to bf16 once (not once per weight), and the work items of all
/// products are handed out from one counter, so threads meet once per group instead of twice
/// per product and one product's tail overlaps the next one's start. Other cases (f32 or native
/// weights, AMX tiles, one row, weights of different K or precision) run one `matmul` per output.
public func matmul(_ a: UnsafePointer<Float>, rows m: Int, lda: Int, outputs: [MatmulOutput], pool: ThreadPool) {
    guard let first = outputs.first else { return }
    let k = first.weights.cols
    let shareable = m > 1 && outputs.count > 1 && first.weights.precision == .bf16 && !AMXSupport.isActive
        && outputs.allSatisfy { $0.weights.precision == .bf16 && $0.weights.cols == k }
    guard shareable else {
        for output in outputs {
            matmul(a, rows: m, lda: lda, weights: output.weights, into: output.c, ldc: output.ldc, pool: pool)
        }
        return
    }
    var pending: [MatmulOutput] = []
    for output in outputs {
        if matmulDegenerate("matmul", rows: m, lda: lda, weights: output.weights, into: output.c, ldc: output.ldc,
                            accumulate: false) {
            continue
        }
        pending.append(output)
    }
    if pending.isEmpty { return }
    matmulBF16SharedInput(a, rows: m, lda: lda, outputs: pending, pool: pool)
}

/// The shared bf16 case: A in bf16 pairs once, then every product's items from one counter
/// (product-major, each product's items in its own plan's order).
private func matmulBF16SharedInput(_ a: UnsafePointer<Float>, rows m: Int, lda: Int, outputs: [MatmulOutput],
                                   pool: ThreadPool) {
    let k = outputs[0].weights.cols
    let pairCount = (k + 1) / 2
    let plans = outputs.map { GemmPlan(m: m, n: $0.weights.rows, k: k, maxKBlock: GemmPlan.bf16KBlock) }
    // Item i belongs to the product p with firstItem[p] <= i < firstItem[p + 1].
    var firstItem = [0]
    for plan in plans { firstItem.append(firstItem[firstItem.count - 1] + plan.items) }
    let aPairs = UnsafeMutablePointer<UInt32>.allocate(capacity: m * pairCount)
    defer { aPairs.deallocate() }
    packActivationsAsBF16Pairs(a, lda: lda, plan: plans[0], pairCount: pairCount, into: aPairs, pool: pool)
    // The panel storage belongs to each weight's AlignedWords (a class, so its address is
    // stable); keep the weights alive while their panels are read through raw pointers.
    withExtendedLifetime(outputs) {
        let panels = outputs.map { output in output.weights.bf16Panels.withUnsafeBufferPointer { $0.baseAddress! } }
        pool.parallelFor(firstItem[outputs.count]) { item in
            var product = 0
            while item >= firstItem[product + 1] { product += 1 }
            let output = outputs[product]
            runBF16Item(item - firstItem[product], of: plans[product], aPairs: aPairs, pairCount: pairCount,
                        panels: panels[product], pairStride: output.weights.pairStride, into: output.c,
                        ldc: output.ldc, accumulate: false)
        }
    }
}
