/// Checks the shape contract every `matmul` entry point shares and does the whole work of the
/// degenerate shapes (nothing when M or N is 0; C cleared, or kept when accumulating, when K
/// is 0): true when nothing is left to compute. `name` leads the precondition's message.
@inline(__always)
func matmulDegenerate(_ name: @autoclosure () -> String, rows m: Int, lda: Int, weights: PackedWeights,
                      into c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) -> Bool {
    let n = weights.rows, k = weights.cols
    precondition(m >= 0 && lda >= k && ldc >= n, "\(name()): need lda >= K (\(k)) and ldc >= N (\(n))")
    if m == 0 || n == 0 { return true }
    if k == 0 {
        if !accumulate { clearRows(c, rows: m, columns: n, ldc: ldc) }
        return true
    }
    return false
}

/// C[m x N] = A[m x K] * W^T, or C += A * W^T when `accumulate` (W is N x K, pre-packed).
///
/// This is every linear layer of the model: A holds m tokens' activations (row stride `lda`
/// floats), C receives their outputs (row stride `ldc`). m == 1 takes a GEMV path that streams
/// the weights once; larger m runs the 8 x 32 register-tiled micro-kernel over work items
/// handed out by `pool`. With bf16 weights the activations are rounded to bf16 as well and the
/// products accumulate in f32 (vdpbf16ps treats bf16 subnormals as zero); for m > 1 they run on
/// AMX tiles (`matmulBF16Tiles`) where `AMXSupport.isActive` (an Intel CPU with AMX-BF16, the
/// kernel's permission, and CFSP_AMX not 0), otherwise on the vector micro-kernel;
/// `BF16MatmulPath.active` names the one that runs. Native weights (kept encoded) are decoded
/// a chunk of panels at a time and multiplied in f32 (`matmulNative`), equal to the f32 path on
/// the decoded values. Results are bit-identical for any thread count. C must not overlap A.
public func matmul(_ a: UnsafePointer<Float>, rows m: Int, lda: Int, weights: PackedWeights,
                   into c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false, pool: ThreadPool) {
    if matmulDegenerate("matmul", rows: m, lda: lda, weights: weights, into: c, ldc: ldc, accumulate: accumulate) {
        return
    }
    if m == 1 {
        gemv(a, weights: weights, into: c, accumulate: accumulate, pool: pool)
        return
    }
    switch weights.precision {
    case .native:
        matmulNative(a, rows: m, lda: lda, weights: weights, into: c, ldc: ldc, accumulate: accumulate, pool: pool)
    case .f32:
        matmulF32(a, rows: m, lda: lda, weights: weights, into: c, ldc: ldc, accumulate: accumulate, pool: pool)
    case .bf16:
        if AMXSupport.isActive {
            matmulBF16Tiles(a, rows: m, lda: lda, weights: weights, into: c, ldc: ldc, accumulate: accumulate,
                            pool: pool, backend: .hardware)
        } else {
            matmulBF16(a, rows: m, lda: lda, weights: weights, into: c, ldc: ldc, accumulate: accumulate, pool: pool)
        }
    }
}

/// The f32 branch of `matmul`: the micro-kernel reads A in place (broadcasts) and the packed
/// panels contiguously.
func matmulF32(_ a: UnsafePointer<Float>, rows m: Int, lda: Int, weights: PackedWeights,
               into c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, pool: ThreadPool) {
    weights.f32Panels.withUnsafeBufferPointer { storage in
        guard let packed = storage.baseAddress else { return }
        runPackedF32(a, rows: m, lda: lda, panels: packed, n: weights.rows, k: weights.cols,
                     into: c, ldc: ldc, accumulate: accumulate, pool: pool)
    }
}

/// C (+)= A * B^T with B already in f32 panels (`panels`: ceil(n / 32) panels of k x 32).
func runPackedF32(_ a: UnsafePointer<Float>, rows m: Int, lda: Int, panels packed: UnsafePointer<Float>,
                  n: Int, k: Int, into c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
                  pool: ThreadPool) {
    let plan = GemmPlan(m: m, n: n, k: k)
    pool.parallelFor(plan.items) { item in
        let (rows, panels) = plan.item(item)
        plan.forEachKBlock { k0, kc in
            let add = accumulate || k0 > 0
            for panel in panels {
                let panelBlock = packed + (panel * k + k0) * GemmTile.columns
                runPanelF32(a: a + k0, lda: lda, rows: rows, panel: panelBlock, kc: kc,
                            c: c + panel * GemmTile.columns, ldc: ldc,
                            columns: min(GemmTile.columns, n - panel * GemmTile.columns), add: add)
            }
        }
    }
}

/// The bf16 branch of `matmul`: A is converted to bf16 pairs once (each element exactly once,
/// split by row blocks), then the bf16 micro-kernel runs over the same work items as f32.
func matmulBF16(_ a: UnsafePointer<Float>, rows m: Int, lda: Int, weights: PackedWeights,
                into c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, pool: ThreadPool) {
    let n = weights.rows, k = weights.cols
    let pairCount = weights.pairCount
    let plan = GemmPlan(m: m, n: n, k: k, maxKBlock: GemmPlan.bf16KBlock)
    let aPairs = UnsafeMutablePointer<UInt32>.allocate(capacity: m * pairCount)
    defer { aPairs.deallocate() }
    packActivationsAsBF16Pairs(a, lda: lda, plan: plan, pairCount: pairCount, into: aPairs, pool: pool)
    weights.bf16Panels.withUnsafeBufferPointer { storage in
        guard let packed = storage.baseAddress else { return }
        pool.parallelFor(plan.items) { item in
            runBF16Item(item, of: plan, aPairs: aPairs, pairCount: pairCount, panels: packed,
                        pairStride: weights.pairStride, into: c, ldc: ldc, accumulate: accumulate)
        }
    }
}

/// Converts rows 0..<m of A into bf16 pairs (`pairCount` u32 per row), one task per row block
/// of `plan`: each element exactly once.
func packActivationsAsBF16Pairs(_ a: UnsafePointer<Float>, lda: Int, plan: GemmPlan, pairCount: Int,
                                into aPairs: UnsafeMutablePointer<UInt32>, pool: ThreadPool) {
    pool.parallelFor(plan.rowBlocks) { block in
        let first = block * plan.rowBlock
        packRowsAsBF16Pairs(a + first * lda, lda: lda, rows: min(plan.rowBlock, plan.m - first), count: plan.k,
                            into: aPairs + first * pairCount, ldPairs: pairCount)
    }
}

/// Work item `item` of a bf16 GEMM planned as `plan`: its rows of C (+)= A (bf16 pairs) times
/// its panels, K block by K block. Every element's sums depend only on the plan, not on which
/// thread runs the item or what runs beside it.
@inline(__always)
func runBF16Item(_ item: Int, of plan: GemmPlan, aPairs: UnsafePointer<UInt32>, pairCount: Int,
                 panels packed: UnsafePointer<UInt32>, pairStride: Int, into c: UnsafeMutablePointer<Float>,
                 ldc: Int, accumulate: Bool) {
    let (rows, panels) = plan.item(item)
    plan.forEachKBlock { k0, kc in
        let pairs = (kc + 1) / 2
        let add = accumulate || k0 > 0
        for panel in panels {
            let panelBlock = packed + (panel * pairStride + k0 / 2) * GemmTile.columns
            let columns = min(GemmTile.columns, plan.n - panel * GemmTile.columns)
            var row = rows.lowerBound
            while row < rows.upperBound {
                let tileRows = min(GemmTile.rows, rows.upperBound - row)
                let tileA = aPairs + row * pairCount + k0 / 2
                let tileC = c + row * ldc + panel * GemmTile.columns
                if tileRows <= 4 {
                    gemmMicroKernelBF16x4(a: tileA, ldaPairs: pairCount, rows: tileRows, panel: panelBlock,
                                          pairs: pairs, c: tileC, ldc: ldc, columns: columns, add: add)
                } else {
                    gemmMicroKernelBF16(a: tileA, ldaPairs: pairCount, rows: tileRows, panel: panelBlock,
                                        pairs: pairs, c: tileC, ldc: ldc, columns: columns, add: add)
                }
                row += GemmTile.rows
            }
        }
    }
}

/// C[m x n] = A[m x k] * B^T (or += when `accumulate`) with B a plain row-major n x k f32
/// matrix (row stride `ldb`): for operands that change every call (activations, gradients),
/// where packing once at load time is impossible. B is packed into panels at the start of the
/// call (a temporary of about n * k floats), then the f32 micro-kernel runs as for `matmul`. Bit-identical for any thread
/// count. C must not overlap A or B.
public func matmulTransposed(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                             accumulate: Bool = false, pool: ThreadPool) {
    precondition(m >= 0 && n >= 0 && k >= 0 && lda >= k && ldb >= k && ldc >= n,
                 "matmulTransposed: need non-negative sizes, lda, ldb >= k (\(k)) and ldc >= n (\(n))")
    if m == 0 || n == 0 { return }
    if k == 0 {
        if !accumulate { clearRows(c, rows: m, columns: n, ldc: ldc) }
        return
    }
    // Pack B once (each element moved exactly once, split by panel), then run as for packed
    // weights; the temporary holds ceil(n / 32) * 32 * k floats.
    let panelCount = (n + GemmTile.columns - 1) / GemmTile.columns
    let packed = UnsafeMutablePointer<Float>.allocate(capacity: panelCount * k * GemmTile.columns)
    defer { packed.deallocate() }
    pool.parallelFor(panelCount) { panel in
        let firstRow = panel * GemmTile.columns
        packPanelF32(b + firstRow * ldb, ldb: ldb, rows: min(GemmTile.columns, n - firstRow), count: k,
                     into: packed + panel * k * GemmTile.columns)
    }
    runPackedF32(a, rows: m, lda: lda, panels: packed, n: n, k: k, into: c, ldc: ldc,
                 accumulate: accumulate, pool: pool)
}

/// Runs the f32 micro-kernel down one panel for rows `rows` of A/C. `a` and `c` point at row 0
/// (at the block's k0 and the panel's first column respectively). Each tile is summed in chains
/// of at most `GemmTile.chain` products, added to C in increasing k (accuracy; the order depends
/// only on the shape, so results stay bit-identical for any thread count).
@inline(__always)
func runPanelF32(a: UnsafePointer<Float>, lda: Int, rows: Range<Int>, panel: UnsafePointer<Float>, kc: Int,
                 c: UnsafeMutablePointer<Float>, ldc: Int, columns: Int, add: Bool) {
    var row = rows.lowerBound
    while row < rows.upperBound {
        let tileRows = min(GemmTile.rows, rows.upperBound - row)
        var k0 = 0
        while k0 < kc {
            let length = min(GemmTile.chain, kc - k0)
            let tileA = a + row * lda + k0, tilePanel = panel + k0 * GemmTile.columns
            let tileAdd = add || k0 > 0
            if tileRows <= 4 {
                gemmMicroKernelF32x4(a: tileA, lda: lda, rows: tileRows, panel: tilePanel, kc: length,
                                     c: c + row * ldc, ldc: ldc, columns: columns, add: tileAdd)
            } else {
                gemmMicroKernelF32(a: tileA, lda: lda, rows: tileRows, panel: tilePanel, kc: length,
                                   c: c + row * ldc, ldc: ldc, columns: columns, add: tileAdd)
            }
            k0 += length
        }
        row += GemmTile.rows
    }
}
