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
/// `matmul(a, ..., weights: W_i, into: C_i)` gives. With bf16 weights (vector path or AMX tiles)
/// the work is shared: A is converted to bf16 once (not once per weight), and the work items of
/// all products are handed out from one counter, so threads meet once per group instead of twice
/// per product and one product's tail overlaps the next one's start. Other cases (f32 or native
/// weights, one row, weights of different K or precision) run one `matmul` per output.
public func matmul(_ a: UnsafePointer<Float>, rows m: Int, lda: Int, outputs: [MatmulOutput], pool: ThreadPool) {
    shareInput(a, rows: m, lda: lda, outputs: outputs, separately: { output in
        matmul(a, rows: m, lda: lda, weights: output.weights, into: output.c, ldc: output.ldc, pool: pool)
    }, together: { pending in
        if AMXSupport.isActive {
            matmulTilesSharedInput(.hardware, a, rows: m, lda: lda, outputs: pending, pool: pool)
        } else {
            matmulBF16SharedInput(a, rows: m, lda: lda, outputs: pending, pool: pool)
        }
    })
}

/// `matmul(_:rows:lda:outputs:pool:)` on AMX tiles (`matmulBF16Tiles`'s contract, either
/// backend), sharing A's conversion across the outputs; for tests and benchmarks, as
/// `matmulBF16Tiles` is. Every weight must be bf16.
public func matmulBF16Tiles(_ a: UnsafePointer<Float>, rows m: Int, lda: Int, outputs: [MatmulOutput],
                            pool: ThreadPool, backend: BF16TileBackend) {
    precondition(outputs.allSatisfy { $0.weights.precision == .bf16 }, "matmulBF16Tiles needs bf16 weights")
    shareInput(a, rows: m, lda: lda, outputs: outputs, separately: { output in
        matmulBF16Tiles(a, rows: m, lda: lda, weights: output.weights, into: output.c, ldc: output.ldc,
                        pool: pool, backend: backend)
    }, together: { pending in
        matmulTilesSharedInput(backend, a, rows: m, lda: lda, outputs: pending, pool: pool)
    })
}

/// Runs the group `together` when it can share its input (m > 1, several bf16 weights of one
/// K), given only the outputs that still need a product once the degenerate ones (N or K zero)
/// are done; otherwise each output `separately`.
private func shareInput(_ a: UnsafePointer<Float>, rows m: Int, lda: Int, outputs: [MatmulOutput],
                        separately: (MatmulOutput) -> Void, together: ([MatmulOutput]) -> Void) {
    guard let k = outputs.first?.weights.cols, m > 1, outputs.count > 1,
          outputs.allSatisfy({ $0.weights.precision == .bf16 && $0.weights.cols == k }) else {
        outputs.forEach(separately)
        return
    }
    let pending = outputs.filter { output in
        !matmulDegenerate("matmul", rows: m, lda: lda, weights: output.weights, into: output.c, ldc: output.ldc,
                          accumulate: false)
    }
    if !pending.isEmpty { together(pending) }
}

/// Runs `body(product, item)` for every work item of every product's plan, all handed out from
/// one counter (product-major, each product's items in its own plan's order).
private func forEachSharedItem(_ plans: [GemmPlan], pool: ThreadPool, _ body: (Int, Int) -> Void) {
    // Item i belongs to the product p with firstItem[p] <= i < firstItem[p + 1].
    var firstItem = [0]
    for plan in plans { firstItem.append(firstItem[firstItem.count - 1] + plan.items) }
    pool.parallelFor(firstItem[plans.count]) { item in
        var product = 0
        while item >= firstItem[product + 1] { product += 1 }
        body(product, item - firstItem[product])
    }
}

/// The panel storage of each output's weights. It belongs to each weight's AlignedWords (a
/// class, so its address is stable): callers keep `outputs` alive while reading through these.
private func bf16PanelAddresses(_ outputs: [MatmulOutput]) -> [UnsafePointer<UInt32>] {
    outputs.map { output in output.weights.bf16Panels.withUnsafeBufferPointer { $0.baseAddress! } }
}

/// The shared vector case: A in bf16 pairs once, then every product's items.
private func matmulBF16SharedInput(_ a: UnsafePointer<Float>, rows m: Int, lda: Int, outputs: [MatmulOutput],
                                   pool: ThreadPool) {
    let k = outputs[0].weights.cols
    let pairCount = (k + 1) / 2
    let plans = outputs.map { GemmPlan(m: m, n: $0.weights.rows, k: k, maxKBlock: GemmPlan.bf16KBlock) }
    let aPairs = UnsafeMutablePointer<UInt32>.allocate(capacity: m * pairCount)
    defer { aPairs.deallocate() }
    packActivationsAsBF16Pairs(a, lda: lda, plan: plans[0], pairCount: pairCount, into: aPairs, pool: pool)
    withExtendedLifetime(outputs) {
        let panels = bf16PanelAddresses(outputs)
        forEachSharedItem(plans, pool: pool) { product, item in
            let output = outputs[product]
            runBF16Item(item, of: plans[product], aPairs: aPairs, pairCount: pairCount, panels: panels[product],
                        pairStride: output.weights.pairStride, into: output.c, ldc: output.ldc, accumulate: false)
        }
    }
}

/// The shared tile case on `backend`'s unit.
private func matmulTilesSharedInput(_ backend: BF16TileBackend, _ a: UnsafePointer<Float>, rows m: Int, lda: Int,
                                    outputs: [MatmulOutput], pool: ThreadPool) {
    switch backend {
    case .hardware:
        #if arch(x86_64)
        precondition(AMXSupport.isActive, "matmulBF16Tiles(.hardware): \(AMXSupport.status)")
        matmulTilesSharedInput(AMXHardwareTiles.self, a, rows: m, lda: lda, outputs: outputs, pool: pool)
        #else
        preconditionFailure("matmulBF16Tiles(.hardware): \(AMXSupport.status)")
        #endif
    case .emulated:
        matmulTilesSharedInput(EmulatedBF16Tiles.self, a, rows: m, lda: lda, outputs: outputs, pool: pool)
    }
}

/// The shared tile case: A in the tile layout once, then every product's items.
private func matmulTilesSharedInput<Unit: BF16TileUnit>(_: Unit.Type, _ a: UnsafePointer<Float>, rows m: Int,
                                                        lda: Int, outputs: [MatmulOutput], pool: ThreadPool) {
    let k = outputs[0].weights.cols
    let plans = outputs.map { GemmPlan(m: m, n: $0.weights.rows, k: k) }
    let aPairs = packActivationsForTiles(a, lda: lda, plan: plans[0], pool: pool)
    defer { aPairs.deallocate() }
    withExtendedLifetime(outputs) {
        let panels = bf16PanelAddresses(outputs)
        forEachSharedItem(plans, pool: pool) { product, item in
            runTileItem(Unit.self, item, of: plans[product], aPairs: aPairs, panels: panels[product],
                        into: outputs[product].c, ldc: outputs[product].ldc, accumulate: false)
        }
    }
}
