extension ThreadPool {
    /// Rows per task of the row-wise steps the pool splits (norms, rotary, gating, per-token
    /// metrics): enough that a task outweighs its hand-off, few enough that a 1024-token window
    /// feeds every thread.
    public static let rowGrain = 16

    /// Runs `body` over consecutive ranges that together cover `0..<count`, in parallel: at most
    /// a few ranges per thread, none shorter than `grain` (so short loops stay on the caller).
    ///
    /// For row-wise kernels (norms, rotary, gating, per-row metrics) whose rows are independent:
    /// each row is computed the same way whatever range it falls in, so the result has the same
    /// bits for any thread count. Without this such steps run on one thread while the others
    /// wait for the next GEMM.
    public func parallelRanges(_ count: Int, grain: Int = ThreadPool.rowGrain, _ body: (Range<Int>) -> Void) {
        if count <= 0 { return }
        let pieces = Swift.min(Swift.max(1, count / Swift.max(1, grain)), threadCount * 4)
        if pieces <= 1 || threadCount == 1 {
            body(0..<count)
            return
        }
        let size = (count + pieces - 1) / pieces
        parallelFor((count + size - 1) / size) { piece in
            body((piece * size)..<Swift.min(count, (piece + 1) * size))
        }
    }
}
