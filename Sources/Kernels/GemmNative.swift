/// The native branch of `matmul` (weights kept in their file's encoding, `EncodedRows`): the
/// weight rows are decoded a chunk of 32-row panels at a time into f32 panels (the chunk split
/// over the pool, each panel by one thread), then the f32 GEMM runs over all m rows against that
/// chunk. Each weight is decoded once per call, and the summation order of every output equals
/// the f32 path's (it depends on K alone), so a native model computes bit for bit what its
/// f32 load computes, while only one chunk (about `NativeChunk.bytes`) is ever decoded at once.
func matmulNative(_ a: UnsafePointer<Float>, rows m: Int, lda: Int, weights: PackedWeights,
                  into c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, pool: ThreadPool) {
    guard let encoded = weights.encoded else { preconditionFailure("matmulNative needs an encoded matrix") }
    let n = weights.rows, k = weights.cols, width = GemmTile.columns
    let panels = weights.panelCount
    let perChunk = NativeChunk.panels(k: k)
    let chunk = NativeChunk(k: k, panels: min(perChunk, panels))
    defer { chunk.deallocate() }
    var first = 0
    while first < panels {
        let count = min(perChunk, panels - first)
        let firstRow = first * width
        pool.parallelFor(count) { p in
            chunk.decodePanel(encoded, firstRow: firstRow + p * width, rows: min(width, n - firstRow - p * width), slot: p)
        }
        runPackedF32(a, rows: m, lda: lda, panels: chunk.panels, n: min(count * width, n - firstRow), k: k,
                     into: c + firstRow, ldc: ldc, accumulate: accumulate, pool: pool)
        first += count
    }
}

/// The native branch of `gemv` (m == 1): each work item decodes its panels into its own scratch
/// and runs the f32 GEMV panel kernel on them, so the result equals the f32 GEMV bit for bit.
func gemvNative(_ x: UnsafePointer<Float>, weights: PackedWeights, into y: UnsafeMutablePointer<Float>,
                accumulate: Bool, pool: ThreadPool) {
    guard let encoded = weights.encoded else { preconditionFailure("gemvNative needs an encoded matrix") }
    let n = weights.rows, k = weights.cols, width = GemmTile.columns
    let panels = weights.panelCount
    let items = (panels + GemvPlan.panelsPerItem - 1) / GemvPlan.panelsPerItem
    pool.parallelFor(items) { item in
        let scratch = NativeChunk(k: k, panels: 1)
        defer { scratch.deallocate() }
        let firstPanel = item * GemvPlan.panelsPerItem
        for panel in firstPanel..<min(panels, firstPanel + GemvPlan.panelsPerItem) {
            let start = panel * width
            scratch.decodePanel(encoded, firstRow: start, rows: min(width, n - start), slot: 0)
            gemvPanelF32(x, panel: scratch.panels, k: k, y: y + start, columns: min(width, n - start), add: accumulate)
        }
    }
}

/// Scratch for decoded weight panels: `panels` slots of 32 x K f32 values in the panel layout,
/// plus as much again for the decoded rows before they are interleaved.
struct NativeChunk: @unchecked Sendable {
    // Safety of @unchecked Sendable: threads write disjoint slots (one panel each) and the GEMM
    // reads them only after the pool's barrier.

    /// Decoded bytes a chunk aims at: small enough to stay in L2/L3, large enough that the two
    /// pool barriers per chunk cost nothing beside the GEMM.
    static let bytes = 2 << 20

    /// Panels per chunk for rows of K values: at least 2 (one per thread of a 2-thread pool).
    static func panels(k: Int) -> Int {
        max(2, bytes / max(1, k * GemmTile.columns * MemoryLayout<Float>.stride))
    }

    let k: Int
    let panels: UnsafeMutablePointer<Float>
    private let rowScratch: UnsafeMutablePointer<Float>

    init(k: Int, panels count: Int) {
        self.k = k
        let values = max(1, count * k * GemmTile.columns)
        panels = .allocate(capacity: values)
        rowScratch = .allocate(capacity: values)
    }

    func deallocate() {
        panels.deallocate()
        rowScratch.deallocate()
    }

    /// Decodes `rows` (<= 32) weight rows from `firstRow` into panel slot `slot` (rows past
    /// them zero, as in `PackedWeights`).
    func decodePanel(_ encoded: any EncodedRows, firstRow: Int, rows: Int, slot: Int) {
        let offset = slot * k * GemmTile.columns
        encoded.decode(rows: firstRow..<(firstRow + rows), into: rowScratch + offset)
        packPanelF32(rowScratch + offset, ldb: k, rows: rows, count: k, into: panels + offset)
    }
}
