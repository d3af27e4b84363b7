/// How one GEMM of shape m x n x k is cut into work items and cache blocks.
///
/// A work item is (a block of up to `rowBlock` rows of C) x (a group of `panelsPerItem` 32-column
/// panels); items are handed out through the pool's atomic counter. K is cut into blocks of at
/// most `kBlock` (even, so bf16 pairs never straddle blocks) so that a packed panel block stays in
/// L2. The plan depends only on the shape, never on the thread count, so
/// every output element is summed in the same order whatever the split: results are bit-identical
/// for any number of threads.
struct GemmPlan {
    let m: Int
    let n: Int
    let k: Int
    let rowBlock: Int
    let rowBlocks: Int
    let panels: Int
    let panelsPerItem: Int
    let panelGroups: Int
    let kBlock: Int

    /// Rows of A/C per work item (multiple of the micro-tile height).
    static let maxRowBlock = 128
    /// Largest K block for f32 panels. Measured on Zen 5 (L1 48 KiB, L2 1 MiB): streaming a
    /// whole 32-wide panel from L2 beats blocking it for L1 (256: -6%, 768: -2% on K = 576 and
    /// 1536), since each K block costs a reload and store of the C tile; blocking only bounds
    /// the panel block (here 192 KiB) so it stays in L2 for much larger K.
    static let f32KBlock = 1536
    /// Largest K block for bf16 panels: the same bytes, at half the bytes per value.
    static let bf16KBlock = 3072
    /// Enough items to balance two (or a few) threads with unequal progress.
    static let targetItems = 16
    static let maxPanelsPerItem = 8

    init(m: Int, n: Int, k: Int, maxKBlock: Int = GemmPlan.f32KBlock) {
        self.m = m
        self.n = n
        self.k = k
        let tileRows = GemmTile.rows
        rowBlock = min(GemmPlan.maxRowBlock, (m + tileRows - 1) / tileRows * tileRows)
        rowBlocks = rowBlock == 0 ? 0 : (m + rowBlock - 1) / rowBlock
        panels = (n + GemmTile.columns - 1) / GemmTile.columns
        let groupsWanted = max(1, (GemmPlan.targetItems + max(1, rowBlocks) - 1) / max(1, rowBlocks))
        panelsPerItem = max(1, min(GemmPlan.maxPanelsPerItem, (panels + groupsWanted - 1) / groupsWanted))
        panelGroups = (panels + panelsPerItem - 1) / panelsPerItem
        // Even split of K into blocks no larger than maxKBlock, each even.
        let blocks = max(1, (k + maxKBlock - 1) / maxKBlock)
        let perBlock = (k + blocks - 1) / blocks
        kBlock = max(2, (perBlock + 1) / 2 * 2)
    }

    /// Number of work items.
    var items: Int { rowBlocks * panelGroups }

    /// The rows and panels of work item `item`. Consecutive items share their weight panels
    /// (panel-group-major order), so threads working side by side find them in cache and a
    /// large weight matrix (the LM head) streams from memory about once.
    func item(_ item: Int) -> (rows: Range<Int>, panels: Range<Int>) {
        let rowIndex = item % rowBlocks
        let groupIndex = item / rowBlocks
        let rowStart = rowIndex * rowBlock
        let panelStart = groupIndex * panelsPerItem
        return (rowStart..<min(m, rowStart + rowBlock), panelStart..<min(panels, panelStart + panelsPerItem))
    }

    /// Calls `body(k0, kc)` for each K block in increasing order.
    @inline(__always)
    func forEachKBlock(_ body: (Int, Int) -> Void) {
        var k0 = 0
        while k0 < k {
            let kc = min(kBlock, k - k0)
            body(k0, kc)
            k0 += kc
        }
    }
}
