/// Which tile unit `matmulBF16Tiles` drives.
public enum BF16TileBackend: String, Sendable, CaseIterable {
    /// The CPU's AMX unit (TDPBF16PS); requires `AMXSupport.isActive`.
    case hardware
    /// The scalar model of TDPBF16PS (`EmulatedBF16Tiles`): bit-for-bit the instruction's defined
    /// semantics, about a thousand times slower; for tests on machines without AMX.
    case emulated
}

/// C[m x N] = A[m x K] * W^T (or += when `accumulate`) for bf16 weights, on AMX tiles: what
/// `matmul` runs for bf16 weights and m > 1 when `AMXSupport.isActive`; public so tests and
/// benchmarks can run either backend directly. A is rounded to bf16 (each element once per
/// call) into a 64-byte-aligned copy whose rows are padded to a multiple of 32 and whose pairs
/// are padded to the weights' `pairStride` with zeros, so every tile load is whole; the weights'
/// panels are read in place (their layout is the B tile layout). Each 32 x 32 block of C is
/// four accumulator tiles summed over all of K (16 pairs per step, in increasing k) before it
/// is added to or written into C, and the work items are `GemmPlan`'s, so results are
/// bit-identical for any thread count. C must not overlap A.
public func matmulBF16Tiles(_ a: UnsafePointer<Float>, rows m: Int, lda: Int, weights: PackedWeights,
                            into c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false,
                            pool: ThreadPool, backend: BF16TileBackend) {
    precondition(weights.precision == .bf16, "matmulBF16Tiles needs bf16 weights")
    if matmulDegenerate("matmulBF16Tiles", rows: m, lda: lda, weights: weights, into: c, ldc: ldc, accumulate: accumulate) {
        return
    }
    switch backend {
    case .hardware:
        #if arch(x86_64)
        precondition(AMXSupport.isActive, "matmulBF16Tiles(.hardware): \(AMXSupport.status)")
        runBF16Tiles(AMXHardwareTiles.self, a, rows: m, lda: lda, weights: weights, into: c, ldc: ldc,
                     accumulate: accumulate, pool: pool)
        #else
        preconditionFailure("matmulBF16Tiles(.hardware): \(AMXSupport.status)")
        #endif
    case .emulated:
        runBF16Tiles(EmulatedBF16Tiles.self, a, rows: m, lda: lda, weights: weights, into: c, ldc: ldc,
                     accumulate: accumulate, pool: pool)
    }
}

/// `matmul` for bf16 weights on the vector path (AVX512-BF16 vdpbf16ps, or f32 FMA on widened
/// bf16 where that is not compiled in) whether or not AMX is active: for benchmarks and tests
/// that compare the two paths in one process. Same contract as `matmul`.
public func matmulBF16Vector(_ a: UnsafePointer<Float>, rows m: Int, lda: Int, weights: PackedWeights,
                             into c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false,
                             pool: ThreadPool) {
    precondition(weights.precision == .bf16, "matmulBF16Vector needs bf16 weights")
    if matmulDegenerate("matmulBF16Vector", rows: m, lda: lda, weights: weights, into: c, ldc: ldc, accumulate: accumulate) {
        return
    }
    if m == 1 {
        gemv(a, weights: weights, into: c, accumulate: accumulate, pool: pool)
    } else {
        matmulBF16(a, rows: m, lda: lda, weights: weights, into: c, ldc: ldc, accumulate: accumulate, pool: pool)
    }
}

/// The tile GEMM over any tile unit (specialized for each).
func runBF16Tiles<Unit: BF16TileUnit>(_: Unit.Type, _ a: UnsafePointer<Float>, rows m: Int, lda: Int,
                                      weights: PackedWeights, into c: UnsafeMutablePointer<Float>, ldc: Int,
                                      accumulate: Bool, pool: ThreadPool) {
    let plan = GemmPlan(m: m, n: weights.rows, k: weights.cols)
    let aPairs = packActivationsForTiles(a, lda: lda, plan: plan, pool: pool)
    defer { aPairs.deallocate() }
    weights.bf16Panels.withUnsafeBufferPointer { storage in
        guard let packed = storage.baseAddress else { return }
        pool.parallelFor(plan.items) { item in
            runTileItem(Unit.self, item, of: plan, aPairs: aPairs, panels: packed, into: c, ldc: ldc,
                        accumulate: accumulate)
        }
    }
}

/// A (m x K, row stride `lda`) rounded to bf16 pairs in the tile layout: a 64-byte-aligned copy
/// with rows padded to a multiple of 32 and each row's pairs padded to `pairStride(K)` with
/// zeros, so every tile load is whole. One task per row block of `plan`. The caller deallocates.
func packActivationsForTiles(_ a: UnsafePointer<Float>, lda: Int, plan: GemmPlan,
                             pool: ThreadPool) -> UnsafeMutablePointer<UInt32> {
    let m = plan.m, k = plan.k
    let pairStride = PackedWeights.pairStride(cols: k), pairs = (k + 1) / 2
    let paddedRows = (m + AMXTile.blockRows - 1) / AMXTile.blockRows * AMXTile.blockRows
    let aPairs = UnsafeMutableRawPointer.allocate(byteCount: paddedRows * pairStride * 4, alignment: 64)
        .bindMemory(to: UInt32.self, capacity: paddedRows * pairStride)
    pool.parallelFor(plan.rowBlocks) { block in
        let first = block * plan.rowBlock
        let last = block == plan.rowBlocks - 1 ? paddedRows : first + plan.rowBlock
        packRowsAsBF16Pairs(a + first * lda, lda: lda, rows: min(plan.rowBlock, m - first), count: k,
                            into: aPairs + first * pairStride, ldPairs: pairStride)
        for row in first..<min(m, last) {
            (aPairs + row * pairStride + pairs).initialize(repeating: 0, count: pairStride - pairs)
        }
        if last > m { (aPairs + m * pairStride).initialize(repeating: 0, count: (last - m) * pairStride) }
    }
    return aPairs
}

/// Work item `item` of a tile GEMM planned as `plan`, on its own configured tile unit: each
/// 32-row strip of its rows meets each of its panels (A from `packActivationsForTiles`).
func runTileItem<Unit: BF16TileUnit>(_: Unit.Type, _ item: Int, of plan: GemmPlan, aPairs: UnsafePointer<UInt32>,
                                     panels packed: UnsafePointer<UInt32>, into c: UnsafeMutablePointer<Float>,
                                     ldc: Int, accumulate: Bool) {
    let pairStride = PackedWeights.pairStride(cols: plan.k)
    let (rows, panels) = plan.item(item)
    let unit = Unit()
    unit.configure()
    defer { unit.release() }
    withUnsafeTemporaryAllocation(byteCount: AMXTile.blockRows * GemmTile.columns * 4, alignment: 64) { raw in
        let block = raw.baseAddress!.bindMemory(to: Float.self, capacity: AMXTile.blockRows * GemmTile.columns)
        // A 32-row strip of A stays hot while it meets every panel of the item.
        var row = rows.lowerBound
        while row < rows.upperBound {
            for panel in panels {
                tileBlock(unit, a: aPairs + row * pairStride, pairStride: pairStride,
                          panel: packed + panel * pairStride * GemmTile.columns, into: block)
                let columns = min(GemmTile.columns, plan.n - panel * GemmTile.columns)
                for r in 0..<min(AMXTile.blockRows, rows.upperBound - row) {
                    let source = block + r * GemmTile.columns
                    storeTileRow(c + (row + r) * ldc + panel * GemmTile.columns, loadF32x16(source),
                                 loadF32x16(source + 16), columns: columns, add: accumulate)
                }
            }
            row += AMXTile.blockRows
        }
    }
}

/// One 32 x 32 block of C = (32 rows of A pairs) x (one 32-column weight panel) over all
/// `pairStride` pairs, as 2 x 2 accumulator tiles; stored to `block` (32 x 32 f32, row-major).
@inline(__always)
func tileBlock<Unit: BF16TileUnit>(_ unit: Unit, a: UnsafePointer<UInt32>, pairStride: Int,
                                   panel: UnsafePointer<UInt32>, into block: UnsafeMutablePointer<Float>) {
    let aStride = pairStride * 4
    let bStride = GemmTile.columns * 4
    let a0 = UnsafeRawPointer(a), a1 = UnsafeRawPointer(a + AMXTile.rows * pairStride)
    for i in 0..<2 { for j in 0..<2 { unit.zero(AMXTile.accumulator(i, j)) } }
    var q = 0
    while q < pairStride {
        let b = panel + q * GemmTile.columns
        unit.load(AMXTile.a(0), from: a0 + q * 4, stride: aStride)
        unit.load(AMXTile.b(0), from: UnsafeRawPointer(b), stride: bStride)
        unit.load(AMXTile.b(1), from: UnsafeRawPointer(b + AMXTile.rowWords), stride: bStride)
        unit.dotProduct(AMXTile.accumulator(0, 0), AMXTile.a(0), AMXTile.b(0))
        unit.dotProduct(AMXTile.accumulator(0, 1), AMXTile.a(0), AMXTile.b(1))
        unit.load(AMXTile.a(1), from: a1 + q * 4, stride: aStride)
        unit.dotProduct(AMXTile.accumulator(1, 0), AMXTile.a(1), AMXTile.b(0))
        unit.dotProduct(AMXTile.accumulator(1, 1), AMXTile.a(1), AMXTile.b(1))
        q += AMXTile.rows
    }
    let cStride = GemmTile.columns * 4
    for i in 0..<2 {
        for j in 0..<2 {
            unit.store(AMXTile.accumulator(i, j),
                       to: UnsafeMutableRawPointer(block + i * AMXTile.rows * GemmTile.columns + j * AMXTile.rowWords),
                       stride: cStride)
        }
    }
}

/// Runs `dotProducts` back-to-back TDPBF16PS on register-resident tiles (four independent
/// accumulators; A and B loaded once, before the loop), for the peak micro-benchmark
/// (bench/amx-peak). Each instruction is 2 * 16 * 16 * 32 = 16384 flops. The operands are
/// normal numbers (A = 1, B = 2^-20) so that no sum overflows or turns subnormal however long
/// it runs. Requires `AMXSupport.isActive`.
public func amxDotProductLoop(dotProducts: Int) {
    #if arch(x86_64)
    precondition(AMXSupport.isActive, "amxDotProductLoop: \(AMXSupport.status)")
    let tileWords = AMXTile.rows * AMXTile.rowWords
    let one = UInt32(bf16Bits(1)), small = UInt32(bf16Bits(0x1p-20))
    let operands = UnsafeMutableRawPointer.allocate(byteCount: 2 * tileWords * 4, alignment: 64)
        .bindMemory(to: UInt32.self, capacity: 2 * tileWords)
    defer { operands.deallocate() }
    operands.initialize(repeating: one | one << 16, count: tileWords)
    (operands + tileWords).initialize(repeating: small | small << 16, count: tileWords)
    let unit = AMXHardwareTiles()
    unit.configure()
    defer { unit.release() }
    for i in 0..<2 {
        unit.load(AMXTile.a(i), from: UnsafeRawPointer(operands), stride: AMXTile.rowBytes)
        unit.load(AMXTile.b(i), from: UnsafeRawPointer(operands + tileWords), stride: AMXTile.rowBytes)
    }
    var remaining = dotProducts
    while remaining >= 4 {
        unit.dotProduct(AMXTile.accumulator(0, 0), AMXTile.a(0), AMXTile.b(0))
        unit.dotProduct(AMXTile.accumulator(0, 1), AMXTile.a(0), AMXTile.b(1))
        unit.dotProduct(AMXTile.accumulator(1, 0), AMXTile.a(1), AMXTile.b(0))
        unit.dotProduct(AMXTile.accumulator(1, 1), AMXTile.a(1), AMXTile.b(1))
        remaining -= 4
    }
    while remaining > 0 {
        unit.dotProduct(AMXTile.accumulator(0, 0), AMXTile.a(0), AMXTile.b(0))
        remaining -= 1
    }
    #else
    preconditionFailure("amxDotProductLoop: \(AMXSupport.status)")
    #endif
}
